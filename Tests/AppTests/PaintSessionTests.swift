import Foundation
import AppProtocols
import Interp
import Testing

@testable import Compositor
@testable import Kernel

/// paint on a headless desktop, driven through ui_server by a scripted
/// input source; the canvas is read back from the screen and compared with
/// `PaintModel`, pixel for pixel.
@Suite(.serialized) struct PaintSessionTests {
    static let size = (width: 560, height: 300)
    static var canvasSize: (Int, Int) { (size.width, size.height - PaintModel.toolbar - PaintModel.status) }

    /// A running paint and what its canvas should hold.
    final class Session {
        let desk: DesktopHarness
        let plugins: PluginFolder
        let paint: ActorID
        let window: Rect
        var model: PaintModel

        init(plugins: [String: String], budgetMs: Int = 10_000, limits: ActorLimits = ActorLimits()) throws {
            desk = try DesktopHarness(limits: limits)
            self.plugins = try PluginFolder(plugins)
            var config = BootConfig()
            config.set("plugins", list: plugins.keys.sorted())
            config.set("size", "\(PaintSessionTests.size.width)x\(PaintSessionTests.size.height)")
            config.set("budget-ms", "\(budgetMs)")
            paint = try desk.start("paint", plugins: self.plugins.path, config: config)
            guard desk.log.wait(for: "paint: ready", from: "paint") != nil else { throw HarnessError("paint never got ready") }
            window = try desk.window(of: paint)
            let (w, h) = PaintSessionTests.canvasSize
            model = PaintModel(width: w, height: h)
        }

        var canvas: Rect {
            Rect(x: window.x, y: window.y + PaintModel.toolbar, width: model.width, height: model.height)
        }

        /// Drags through canvas points, and paints the same into the model.
        func stroke(_ points: [(Int, Int)], radius: Int, color: UInt32) throws {
            try desk.drag(points.map { (window.x + $0.0, canvas.y + $0.1) })
            model.stroke(points, radius: radius, color: color)
        }

        func click(window x: Int, _ y: Int) throws { try desk.click(window.x + x, window.y + y) }

        /// Waits until the screen's canvas equals the model.
        func expectCanvas(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try desk.move(to: desk.backend.width - 1, desk.backend.height - 1)  // the cursor off the canvas
            let seen = desk.waitForScreen(canvas, toShow: model.pixels)
            let same = seen == model.pixels
            #expect(same, "\(what): \(difference(seen, model.pixels, width: model.width))", sourceLocation: sourceLocation)
            if !same { print("paint log:", desk.log.lines(of: "paint"), "exit:", desk.kernel.exitReason(of: paint) as Any) }
        }

        /// True when the status line shows the error colour somewhere.
        var statusShowsError: Bool {
            let bar = Rect(x: window.x, y: window.maxY - PaintModel.status, width: window.width, height: PaintModel.status)
            return desk.screen().pixels(in: bar).contains(0x00ff_8a80)
        }

        /// Waits until the status line shows the error colour (paint logs a
        /// failure first, then draws it): true if it did within `seconds`.
        func waitForStatusError(seconds: Double = 10) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while !statusShowsError {
                if Date() > deadline { return false }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return true
        }

        func stop() { desk.stop() }
    }

    @Test func strokesColoursAFilterAndUndo() throws {
        let s = try Session(plugins: ["grayscale": "plugins/grayscale.wasm", "invert": "plugins/invert.wasm"])
        defer { s.stop() }
        let black = PaintModel.palette[0]
        // Big jumps between motion events: the stroke must have no gaps.
        try s.stroke([(20, 20), (120, 40), (300, 30), (305, 200)], radius: 2, color: black)
        try s.expectCanvas("first stroke")

        try s.desk.type("3")  // red
        try s.stroke([(50, 150), (400, 100), (401, 101)], radius: 2, color: PaintModel.palette[2])
        try s.desk.type("]]8")  // radius 4, blue
        // Past the canvas and the window: the grab keeps the stroke, clipped.
        try s.stroke([(500, 20), (480, 230), (600, 100), (530, -40)], radius: 4, color: PaintModel.palette[7])
        try s.click(window: PaintModel.swatch(5).0, PaintModel.swatch(5).1)  // green, by mouse
        try s.desk.type("[")  // radius 3
        try s.stroke([(200, 200)], radius: 3, color: PaintModel.palette[5])
        try s.expectCanvas("four strokes")
        let painted = s.model

        // A filter from the menu: Filters button, second row (invert).
        try s.click(window: PaintModel.filtersButton.0, PaintModel.filtersButton.1)
        try s.click(window: PaintModel.menuRow(1).0, PaintModel.menuRow(1).1)
        #expect(s.desk.log.wait(for: "paint: Invert applied", from: "paint") != nil)
        s.model.pixels = ReferenceFilters.apply(module: "invert", painted.pixels, width: painted.width, height: painted.height)!
        try s.expectCanvas("inverted")

        try s.desk.type("u")
        s.model = painted
        try s.expectCanvas("filter undone")

        // Ctrl+Z undoes the dot; r redoes it.
        try s.desk.key(0x7a, text: "\u{1a}", modifiers: WindowProtocol.modCtrl)
        var withoutDot = PaintModel(width: painted.width, height: painted.height)
        withoutDot.stroke([(20, 20), (120, 40), (300, 30), (305, 200)], radius: 2, color: black)
        withoutDot.stroke([(50, 150), (400, 100), (401, 101)], radius: 2, color: PaintModel.palette[2])
        withoutDot.stroke([(500, 20), (480, 230), (600, 100), (530, -40)], radius: 4, color: PaintModel.palette[7])
        s.model = withoutDot
        try s.expectCanvas("dot undone")
        try s.desk.type("r")
        s.model = painted
        try s.expectCanvas("dot redone")

        // The eraser paints paper; clear empties; undo brings it all back.
        try s.desk.type("e")
        try s.stroke([(0, 40), (559, 40)], radius: 3, color: PaintModel.paper)
        try s.expectCanvas("erased")
        let erased = s.model
        try s.desk.type("c")
        s.model = PaintModel(width: painted.width, height: painted.height)
        try s.expectCanvas("cleared")
        try s.desk.type("u")
        s.model = erased
        try s.expectCanvas("clear undone")
    }

    @Test func keepsTwentyUndoSteps() throws {
        let s = try Session(plugins: [:])
        defer { s.stop() }
        var states = [s.model]
        for i in 0..<25 {
            try s.stroke([(10 + 20 * i, 10), (10 + 20 * i, 100 + 4 * i)], radius: 2, color: PaintModel.palette[i % 10])
            states.append(s.model)
            try s.desk.type(PaintModel.key(forColour: (i + 1) % 10))
        }
        try s.expectCanvas("25 strokes")
        for _ in 0..<20 { try s.desk.type("u") }
        s.model = states[5]
        try s.expectCanvas("20 undone")
        for _ in 0..<3 { try s.desk.key(0x79, text: "\u{19}", modifiers: WindowProtocol.modCtrl) }
        s.model = states[8]
        try s.expectCanvas("3 redone")
    }
}
