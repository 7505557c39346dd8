import AppProtocols
import Foundation
import Interp
import Testing

@testable import Compositor
@testable import Kernel

/// paint's parameters dialog (`actors/paint/src/params.rs`) driven by
/// scripted keys and mouse on a headless desktop: the live preview on the
/// canvas, Apply as one undo step, Cancel, values remembered per plugin,
/// and a preview that fails.
@Suite(.serialized) struct ParamsDialogTests {
    typealias Session = PaintSessionTests.Session

    /// Menu rows (module names sorted): 1 invert, 2 moody, 3 template.
    static let plugins = ["invert": "plugins/invert.wasm", "moody": "tests/moody.wasm", "template": "plugins/template.wasm"]
    static let brightness = "Brightness (template)"
    /// The template's metadata lines: "version 0.1.0, by wskdesk" and its description.
    static let templateMeta = 2

    static let right: UInt32 = 0xff53
    static let left: UInt32 = 0xff51
    static let end: UInt32 = 0xff57
    static let escape: UInt32 = 0xff1b
    static let enter: UInt32 = 0xff0d

    /// The dialog's layout, as `params.rs` computes it for a window as wide
    /// as the session's with every parameter shown (window coordinates).
    enum Dialog {
        static let width = 440
        static let header = 24, metaLine = 18, row = 44, footer = 30

        static func frame(params: Int, metaLines: Int = 0) -> Rect {
            Rect(x: PaintSessionTests.size.width - width - 8, y: PaintModel.toolbar + 8, width: width,
                 height: header + metaLine * metaLines + row * params + footer)
        }

        /// The slider track of every row: left end and width, in the dialog.
        static let trackX = 8 + 18 + 6
        static let trackWidth = (width - 8 - 52 - 6 - 72 - 6 - 18) - 6 - trackX
        static let knob = 6

        /// The window x of the knob's centre for `value` in `range`.
        static func x(of value: Int, in range: ClosedRange<Int>) -> Int {
            let inner = trackWidth - knob
            return frame(params: 1).x + trackX + knob / 2 + (value - range.lowerBound) * inner / (range.upperBound - range.lowerBound)
        }

        /// The value a click at window x gives: the nearest.
        static func value(atX x: Int, in range: ClosedRange<Int>) -> Int {
            let inner = trackWidth - knob
            let along = min(max(x - frame(params: 1).x - trackX - knob / 2, 0), inner)
            return range.lowerBound + (along * (range.upperBound - range.lowerBound) + inner / 2) / inner
        }

        /// The window y of parameter `row`'s track centre.
        static func trackY(row: Int, metaLines: Int = 0) -> Int {
            frame(params: 1).y + header + metaLine * metaLines + Dialog.row * row + 23 + 8
        }

        /// The centre of the Apply button.
        static func applyButton(params: Int, metaLines: Int = 0) -> (Int, Int) {
            let f = frame(params: params, metaLines: metaLines)
            let cancelX = width - 8 - 64
            return (f.x + cancelX - 6 - 56 / 2, f.maxY - footer + 5 + 10)
        }
    }

    /// The canvas rows below the dialog (of one parameter, with or without
    /// metadata): where the preview shows.
    static let belowDialog = Dialog.frame(params: 1, metaLines: templateMeta).maxY - PaintModel.toolbar + 4

    /// A picture with strokes where the dialog does not cover them.
    static func paint(_ s: Session) throws -> PaintModel {
        // paint's brush: radius 2 unless changed.
        try s.stroke([(20, 160), (540, 200), (300, 150)], radius: 2, color: PaintModel.palette[0])
        try s.desk.type("3")  // red
        try s.stroke([(30, 235), (500, 130), (60, 20)], radius: 2, color: PaintModel.palette[2])
        try s.expectCanvas("painted")
        return s.model
    }

    /// Waits until the canvas below the dialog shows `expected`'s rows there.
    static func expectPreview(_ s: Session, _ expected: [UInt32], _ what: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        try s.desk.move(to: s.desk.backend.width - 1, s.desk.backend.height - 1)
        let top = belowDialog
        let rect = Rect(x: s.canvas.x, y: s.canvas.y + top, width: s.model.width, height: s.model.height - top)
        let want = Array(expected[(top * s.model.width)...])
        let seen = s.desk.waitForScreen(rect, toShow: want)
        let same = seen == want
        #expect(same, "\(what): \(difference(seen, want, width: s.model.width))", sourceLocation: sourceLocation)
    }

    /// Waits until the status line shows an error (it is presented after
    /// the log line that says why).
    static func statusShowsError(_ s: Session, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if s.statusShowsError { return true }
            Thread.sleep(forTimeInterval: 0.02)
        } while Date() < deadline
        return false
    }

    static func brightness(_ model: PaintModel, _ amount: Int32) -> [UInt32] {
        ReferenceFilters.apply(module: "template", model.pixels, width: model.width, height: model.height, params: [amount])!
    }

    @Test func previewFollowsKeysAndMouseAndCancelLeavesThePicture() throws {
        let s = try Session(plugins: Self.plugins)
        defer { s.stop() }
        let painted = try Self.paint(s)

        try s.desk.type("f3")
        try Self.expectPreview(s, Self.brightness(painted, 40), "previewed at the default")
        // The dialog is drawn, framed, at its place.
        let frame = Dialog.frame(params: 1, metaLines: Self.templateMeta)
        let corner = s.desk.screen().pixels(in: Rect(x: s.window.x + frame.x, y: s.window.y + frame.y, width: 1, height: 1))
        #expect(corner == [0x0070_7070], "the dialog's frame")

        try s.desk.key(Self.right)
        try s.desk.key(Self.right)
        try Self.expectPreview(s, Self.brightness(painted, 42), "two steps right")
        try s.desk.key(Self.right, modifiers: WindowProtocol.modShift)
        try Self.expectPreview(s, Self.brightness(painted, 93), "a big step: a tenth of -255...255")
        try s.desk.key(Self.end)
        try Self.expectPreview(s, Self.brightness(painted, 255), "End: the maximum")

        // By mouse: a click on the track, then a drag along it.
        let range = -255...255
        let y = s.window.y + Dialog.trackY(row: 0, metaLines: Self.templateMeta)
        let clickX = Dialog.x(of: -100, in: range)
        try s.desk.click(s.window.x + clickX, y)
        try Self.expectPreview(s, Self.brightness(painted, Int32(Dialog.value(atX: clickX, in: range))), "clicked on the track")
        let (fromX, toX) = (Dialog.x(of: -200, in: range), Dialog.x(of: 150, in: range))
        try s.desk.drag([(s.window.x + fromX, y), (s.window.x + (fromX + toX) / 2, y), (s.window.x + toX, y)])
        try Self.expectPreview(s, Self.brightness(painted, Int32(Dialog.value(atX: toX, in: range))), "dragged along it")

        // Escape: the picture as it was, nothing applied.
        try s.desk.key(Self.escape)
        s.model = painted
        try s.expectCanvas("cancelled")
        #expect(!s.desk.log.lines(of: "paint").contains { $0.contains("applied") })
        #expect(!s.statusShowsError)
    }

    @Test func applyIsOneUndoStepAndTheValuesAreRemembered() throws {
        let s = try Session(plugins: Self.plugins)
        defer { s.stop() }
        let painted = try Self.paint(s)

        // Typed: -120, then Enter.
        try s.desk.type("f3")
        try s.desk.type("-120")
        try s.desk.key(Self.enter)
        #expect(s.desk.log.wait(for: "paint: \(Self.brightness) applied", from: "paint") != nil)
        s.model.pixels = Self.brightness(painted, -120)
        try s.expectCanvas("applied at -120")
        let once = s.model

        try s.desk.type("u")
        s.model = painted
        try s.expectCanvas("undone in one step")

        // Open again: it starts at -120, and the preview shows it.
        try s.desk.type("f3")
        try Self.expectPreview(s, Self.brightness(painted, -120), "reopened at the value applied")
        let (ax, ay) = Dialog.applyButton(params: 1, metaLines: Self.templateMeta)
        try s.click(window: ax, ay)
        let second = s.desk.log.wait(for: "paint: \(Self.brightness) applied", from: "paint", skipping: 1)
        #expect(second?.hasSuffix("as previewed") == true, "the preview's result, not a run again: \(second ?? "not applied")")
        s.model = once
        try s.expectCanvas("applied again from the dialog")

        // Ctrl+F: the last filter again, at once, with its values.
        try s.desk.key(0x66, text: "\u{06}", modifiers: WindowProtocol.modCtrl)
        #expect(s.desk.log.wait(for: "paint: \(Self.brightness) applied", from: "paint", skipping: 2) != nil)
        s.model.pixels = Self.brightness(once, -120)
        try s.expectCanvas("Ctrl+F")
        try s.desk.type("uu")
        s.model = painted
        try s.expectCanvas("both undone")

        // Ctrl with the row's number in the menu: applied at once, with the values remembered.
        try s.desk.type("f")
        try s.desk.key(0x33, modifiers: WindowProtocol.modCtrl)
        #expect(s.desk.log.wait(for: "paint: \(Self.brightness) applied", from: "paint", skipping: 3) != nil)
        s.model = once
        try s.expectCanvas("Ctrl+3 in the menu")
    }

    @Test func aFailingPreviewLeavesTheCanvasAndSaysSo() throws {
        let s = try Session(plugins: Self.plugins)
        defer { s.stop() }
        let painted = try Self.paint(s)
        let inverted = ReferenceFilters.apply(module: "invert", painted.pixels, width: painted.width, height: painted.height)!

        try s.desk.type("f2")
        try Self.expectPreview(s, inverted, "moody inverts with trap 0")
        try s.desk.key(Self.right)  // trap 1: it scribbles magenta and traps
        #expect(s.desk.log.wait(for: "paint: Moody (test) preview failed", from: "paint") != nil)
        try Self.expectPreview(s, painted.pixels, "the picture, not the failed preview")
        #expect(Self.statusShowsError(s))

        // Back to 0: a fresh instance previews again.
        try s.desk.key(Self.left)
        try Self.expectPreview(s, inverted, "previewed again")
        // Apply at 1 fails too, and changes nothing.
        try s.desk.key(Self.right)
        try s.desk.key(Self.enter)
        #expect(s.desk.log.wait(for: "paint: Moody (test) failed", from: "paint") != nil)
        s.model = painted
        try s.expectCanvas("after the failed apply")
        #expect(Self.statusShowsError(s))
        #expect(!s.desk.log.lines(of: "paint").contains { $0.contains("applied") })
    }
}
