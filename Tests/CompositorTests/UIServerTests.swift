import Dispatch
import Foundation
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// ui_server end to end on the headless backend: the window protocol over
/// kernel IPC, input routing, and what the screen shows, pixel for pixel.
@Suite(.serialized) struct UIServerTests {
    static let red: UInt32 = 0x00d0_2020
    static let blue: UInt32 = 0x0020_40d0

    @Test func createdWindowIsShownWhereItWasPlaced() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        let w = try app.createWindow(width: 60, height: 40, title: "hello") { x, y in UInt32(x << 16 | y << 8 | 0x42) }
        let screen = try h.settle()
        for (x, y) in [(0, 0), (59, 0), (13, 27), (59, 39)] {
            #expect(screen[w.x + x, w.y + y] == UInt32(x << 16 | y << 8 | 0x42))
        }
        let events = try app.events(w)
        #expect(events.map(\.0) == [WindowProtocol.configure, WindowProtocol.focus, WindowProtocol.frameDone])
        #expect(ints(events[0].1) == [60, 40])
        #expect(ints(events[1].1) == [1])
        // Decorated: the title bar is above the content in the focused colour.
        #expect(screen[w.x + 2, w.y - 3] == Decorations.titleFocused)
    }

    @Test func clickFocusesAndRaisesTheWindowUnderThePointer() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let a = try h.app("a")
        let b = try h.app("b")
        let wa = try a.createWindow(width: 100, height: 80) { _, _ in Self.red }
        let wb = try b.createWindow(width: 100, height: 80) { _, _ in Self.blue }
        h.onServer { $0.compositor.move(wb.id, toX: wa.x + 50, y: wa.y + 40) }
        var screen = try h.settle()
        let overlap = (wa.x + 60, wa.y + 50)
        #expect(screen[overlap.0, overlap.1] == Self.blue)
        _ = try a.events(wa)
        _ = try b.events(wb)

        try h.click(at: wa.x + 10, wa.y + 10)
        screen = try h.settle()
        #expect(screen[overlap.0, overlap.1] == Self.red)
        let aEvents = try a.events(wa)
        #expect(aEvents.map(\.0) == [
            WindowProtocol.pointerEnter, WindowProtocol.pointerMotion, WindowProtocol.focus,
            WindowProtocol.pointerButton, WindowProtocol.pointerButton,
        ])
        #expect(ints(aEvents[0].1) == [10, 10])
        #expect(ints(aEvents[2].1) == [1])
        #expect(ints(aEvents[3].1) == [10, 10, Int32(WindowProtocol.buttonLeft), 1])
        #expect(ints(aEvents[4].1) == [10, 10, Int32(WindowProtocol.buttonLeft), 0])
        let bEvents = try b.events(wb)
        #expect(bEvents.map(\.0) == [WindowProtocol.focus])
        #expect(ints(bEvents[0].1) == [0])
    }

    @Test func draggingTheTitleBarMovesTheWindow() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        let w = try app.createWindow(width: 50, height: 30) { _, _ in Self.red }
        _ = try h.settle()
        try h.moveTo(w.x + 10, w.y - 10)  // on the title bar
        try h.button(true)
        try h.moveBy(30, 20)
        try h.moveBy(5, 5)
        try h.button(false)
        let screen = try h.settle()
        #expect(screen[w.x + 35, w.y + 25] == Self.red)  // new top-left of the content
        #expect(screen[w.x + 35 + 49, w.y + 25 + 29] == Self.red)
        #expect(screen[w.x, w.y + 29] != Self.red)  // old spot uncovered
        let events = try app.events(w).map(\.0)
        #expect(!events.contains(WindowProtocol.pointerButton))  // the title bar is ui_server's
    }

    @Test func closeButtonAsksTheAppToClose() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        let w = try app.createWindow(width: 80, height: 30) { _, _ in Self.red }
        let close = h.onServer { $0.compositor.scene.window(w.id)!.closeButton }
        _ = try h.settle()
        _ = try app.events(w)
        try h.click(at: close.x + 3, close.y + 3)
        _ = try h.settle()
        #expect(try app.events(w).map(\.0) == [WindowProtocol.closeRequest])
        // The window stays until the app closes it.
        var p = PayloadWriter()
        p.u32(w.id)
        try app.send(WindowProtocol.destroyWindow, p.bytes)
        let screen = try h.settle()
        #expect(screen[w.x + 5, w.y + 5] == Renderer().background.color(atRow: w.y + 5, of: 240))
    }

    @Test func keysGoToTheFocusedWindow() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let a = try h.app("a")
        let b = try h.app("b")
        let wa = try a.createWindow(width: 40, height: 30) { _, _ in Self.red }
        let wb = try b.createWindow(width: 40, height: 30) { _, _ in Self.blue }  // focused: newest
        _ = try h.settle()
        _ = try a.events(wa)
        _ = try b.events(wb)
        try h.key(30, keysym: 0x61, text: "a")
        _ = try h.settle()
        #expect(try a.events(wa).isEmpty)
        let keys = try b.events(wb)
        #expect(keys.map(\.0) == [WindowProtocol.key])
        var r = PayloadReader(keys[0].1)
        #expect([r.u32(), r.u32(), r.u32(), r.u32()] == [30, 0x61, 0, 1])
        #expect(r.text() == "a")
    }

    /// ui_server writes the KEY event afresh: its text reaches the app as
    /// valid UTF-8 whatever bytes the source sent.
    @Test func aKeysTextReachesTheAppAsValidUTF8() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let (app, w) = try h.appWithOneWindow()
        var p = PayloadWriter()
        for field: UInt32 in [30, 0x61, 0, 1] { p.u32(field) }
        try h.kernel.send(h.input, to: h.inputHandle, opcode: WindowProtocol.inputKey, payload: p.bytes + [0x61, 0xFF, 0x62])
        _ = try h.settle()
        let keys = try app.events(w)
        #expect(keys.map(\.0) == [WindowProtocol.key])
        var r = PayloadReader(keys.first?.1 ?? [])
        #expect([r.u32(), r.u32(), r.u32(), r.u32()] == [30, 0x61, 0, 1])  // after the window id
        #expect(r.raw(5) == Array("a\u{FFFD}b".utf8))  // the bytes themselves, not a lenient decode
        #expect(r.u8() == nil)
    }

    @Test func cursorFollowsThePointerToTheScreenEdges() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        try h.moveTo(0, 0)
        var screen = try h.settle()
        #expect(screen[0, 0] == 0)  // outline tip
        #expect(screen[1, 2] == 0x00ff_ffff)  // fill
        try h.moveBy(10_000, 10_000)
        screen = try h.settle()
        #expect(screen[319, 239] == 0)
        #expect(screen[1, 2] == Renderer().background.color(atRow: 2, of: 240))
    }

    @Test func absolutePositionsCoverEveryPixel() throws {
        // [0, 1) of the output onto its 320 x 240 pixels: pixel n is
        // [n/320, (n+1)/320), so a tablet reaches the last column and row.
        let h = try UIServerHarness()
        defer { h.stop() }
        for (fx, fy, x, y) in [(0.0, 0.0, 0, 0), (0.5, 0.5, 160, 120), (319.0 / 320, 239.0 / 240, 319, 239),
                               (318.99 / 320, 238.99 / 240, 318, 238), (1.0, 1.0, 319, 239), (7.0, -1.0, 319, 0)] {
            try h.moveToFraction(fx, fy)
            _ = try h.settle()
            let cursor = h.onServer { ($0.compositor.cursor.x, $0.compositor.cursor.y) }
            #expect(cursor == (x, y), "absolute (\(fx), \(fy))")
        }
    }

    /// Input is believed only from the input endpoint, whose send cap only
    /// input sources hold: input on the window endpoint is dropped whoever
    /// sends it, the input source itself included.
    @Test func inputOnTheWindowEndpointIsNotBelievedWhoeverSendsIt() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let (app, w) = try h.appWithOneWindow()
        var p = PayloadWriter()
        for field: UInt32 in [30, 0x61, 0, 1] { p.u32(field) }
        p.text("a")
        try app.send(WindowProtocol.inputKey, p.bytes)  // pretending to be the keyboard
        let windowCap = try h.server.connect(app: h.input)
        try h.kernel.send(h.input, to: windowCap, opcode: WindowProtocol.inputKey, payload: p.bytes)
        _ = try h.settle()
        #expect(try app.events(w).isEmpty)
        // The same event through the input endpoint arrives.
        try h.key(30, keysym: 0x61, text: "a")
        _ = try h.settle()
        #expect(try app.events(w).map(\.0) == [WindowProtocol.key])
    }

    @Test func idleDesktopDrawsNothing() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        _ = try app.createWindow(width: 40, height: 30) { _, _ in Self.red }
        _ = try h.settle()
        let frames = h.backend.presentedFrames
        Thread.sleep(forTimeInterval: 0.05)
        _ = try h.settle()
        #expect(h.backend.presentedFrames == frames)
    }

    @Test func framesArePacedByFrameDone() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        let w = try app.createWindow(width: 40, height: 30) { _, _ in Self.red }
        _ = try h.settle()
        _ = try app.events(w)
        // Hold ui_server while fifty commits queue up, so it sees them together.
        let held = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        h.server.inspect { _ in
            holding.signal()
            held.wait()
        }
        holding.wait()
        for _ in 0..<50 { try app.commit(w.id, [Rect(x: 0, y: 0, width: 4, height: 4)]) }
        held.signal()
        _ = try h.settle()
        let done = try app.events(w).filter { $0.0 == WindowProtocol.frameDone }
        // Fifty commits handled in one turn: one frame, one frame-done.
        #expect(done.count == 1)
    }
}
