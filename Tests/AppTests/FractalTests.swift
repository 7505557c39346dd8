import AppProtocols
import Testing

@testable import Compositor
@testable import Kernel

/// The fractal viewer on a headless desktop: each view it settles on equals
/// `FractalReference`'s render of the same view, pixel for pixel — after
/// zooming, panning, changing iterations, palettes and formulas, and with a
/// worker that traps on every third tile.
@Suite(.serialized) struct FractalTests {
    static let (width, height) = (192, 144)

    final class Viewer {
        let desk: DesktopHarness
        let formulas: PluginFolder
        let image: Rect
        var view: FractalView
        var palette = 0

        init(formulas: [String: String], workers: Int = 2, iterations: UInt32 = 64) throws {
            desk = try DesktopHarness()
            self.formulas = try PluginFolder(formulas)
            var config = BootConfig()
            config.set("size", "\(FractalTests.width)x\(FractalTests.height)")
            config.set("workers", "\(workers)")
            config.set("iterations", "\(iterations)")
            let app = try desk.start("fractal", plugins: self.formulas.path, config: config)
            let window = try desk.window(of: app)
            image = Rect(x: window.x, y: window.y, width: FractalTests.width, height: FractalTests.height)
            view = .home(.mandelbrot, width: FractalTests.width, height: FractalTests.height, iterations: iterations)
        }

        /// Waits for the picture of `view` in `palette`.
        func expectPicture(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try desk.move(to: desk.backend.width - 1, desk.backend.height - 1)
            let expected = FractalReference.image(of: view, palette: palette)
            let seen = desk.waitForScreen(image, toShow: expected, seconds: 120)
            let same = seen == expected
            #expect(same, "\(what): \(difference(seen, expected, width: FractalTests.width))", sourceLocation: sourceLocation)
        }

        func at(_ x: Int, _ y: Int) -> (Int, Int) { (image.x + x, image.y + y) }

        func stop() { desk.stop() }
    }

    static let formulas = ["mandelbrot": "formulas/mandelbrot.wasm", "julia": "formulas/julia.wasm",
                           "burning_ship": "formulas/burning_ship.wasm"]

    @Test func viewsEqualTheReference() throws {
        let v = try Viewer(formulas: Self.formulas)
        defer { v.stop() }
        try v.expectPicture("home view")
        #expect(v.desk.log.wait(for: "view complete", from: "fractal") != nil)

        // The wheel zooms in at the pointer.
        try v.desk.move(to: v.at(50, 40).0, v.at(50, 40).1)
        try v.desk.scroll(dy: -1)
        v.view.zoom(atX: 50, y: 40, factor: 0.5)
        try v.expectPicture("wheel zoom")

        // A box dragged with the left button.
        try v.desk.drag([v.at(20, 30), v.at(60, 50), v.at(100, 80)])
        v.view.zoom(toX: 20, y: 30, width: 80, height: 50)
        try v.expectPicture("box zoom")

        // Dragging with the right button pans; so do the arrow keys.
        try v.desk.drag([v.at(100, 100), v.at(90, 95), v.at(70, 90)], button: WindowProtocol.buttonRight)
        v.view.pan(dx: -10, dy: -5)
        v.view.pan(dx: -20, dy: -5)
        try v.desk.key(0xff51)  // Left
        v.view.pan(dx: FractalTests.width / 8, dy: 0)
        try v.expectPicture("panned")

        // More iterations, another palette, the wheel out.
        try v.desk.type("+")
        v.view.iterations = 128
        try v.desk.type("p")
        v.palette = 1
        try v.desk.move(to: v.at(0, 143).0, v.at(0, 143).1)
        try v.desk.scroll(dy: 2)
        v.view.zoom(atX: 0, y: 143, factor: 2)
        v.view.zoom(atX: 0, y: 143, factor: 2)
        try v.expectPicture("iterations, palette, zoomed out")
    }

    @Test func otherFormulas() throws {
        let v = try Viewer(formulas: Self.formulas, workers: 3)
        defer { v.stop() }
        try v.desk.type("j")
        v.view = .home(.julia, width: FractalTests.width, height: FractalTests.height, iterations: 64)
        try v.expectPicture("julia")
        try v.desk.type("pp")
        v.palette = 2
        try v.desk.type("b")
        v.view = .home(.burningShip, width: FractalTests.width, height: FractalTests.height, iterations: 64)
        try v.expectPicture("burning ship")
        try v.desk.type("r")
        try v.expectPicture("home again")
    }

    /// `flaky` stands in for mandelbrot and traps on every third tile: each
    /// lost tile is rendered again by a fresh worker.
    @Test func aTrappingWorkerLosesOnlyItsTiles() throws {
        let v = try Viewer(formulas: ["mandelbrot": "tests/flaky.wasm"], workers: 2)
        defer { v.stop() }
        try v.expectPicture("home view with flaky workers")
        let failures = v.desk.log.lines(of: "fractal").filter { $0.contains("failed") }
        #expect(failures.count >= 3, "workers trapped and were replaced: \(failures)")
        #expect(failures.allSatisfy { $0.hasSuffix("failed (it died); a fresh one renders its tile") || $0.contains("cannot send") })
    }
}
