import Foundation
import Logging
import TestSupport
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// `--idle-blank`: the real ui_server on the headless backend (which cannot
/// turn its panel off, so it shows a black frame) blanks after the idle
/// time, and the input that wakes it goes no further than waking it.
@Suite(.serialized) struct BlankingTests {
    let log = LogCapture()

    func harness(idleSeconds: Int = 1) throws -> UIServerHarness {
        try UIServerHarness(logger: log.logger) { $0.blankWhenIdle(seconds: idleSeconds) }
    }

    func isBlanked(_ h: UIServerHarness) -> Bool {
        h.onServer { $0.blanking?.isBlanked == true }
    }

    /// Waits (without asserting how long it takes) until the screen is
    /// blanked; returns the screen then.
    func blanked(_ h: UIServerHarness) throws -> Screen {
        try #require(eventually(timeout: .seconds(20)) { isBlanked(h) }, "the screen never blanked")
        return try h.settle()
    }

    func key(_ h: UIServerHarness, _ keycode: UInt32, _ pressed: UInt32) throws {
        var p = PayloadWriter()
        p.u32(keycode)
        p.u32(0x61)
        p.u32(0)
        p.u32(pressed)
        p.text(pressed == 1 ? "a" : "")
        try h.kernel.send(h.input, to: h.inputHandle, opcode: WindowProtocol.inputKey, payload: p.bytes)
    }

    /// The (keycode, pressed) of each key event among `events`.
    func keys(_ events: [(UInt32, [UInt8])]) -> [[UInt32]] {
        events.filter { $0.0 == WindowProtocol.key }.map { _, payload in
            var r = PayloadReader(payload)
            let keycode = r.u32()!
            _ = (r.u32(), r.u32())
            return [keycode, r.u32()!]
        }
    }

    func buttons(_ events: [(UInt32, [UInt8])]) -> [[Int32]] {
        events.filter { $0.0 == WindowProtocol.pointerButton }.map { ints($0.1) }
    }

    @Test func blanksToBlackAfterTheIdleTimeAndAKeyWakesItWithoutReachingTheApp() throws {
        let h = try harness()
        defer { h.stop() }
        let (app, window) = try h.appWithOneWindow()
        let lit = try h.settle()
        #expect(lit[window.x + 5, window.y + 5] == 0xd0_2020)

        let dark = try blanked(h)
        #expect(dark.pixels.allSatisfy { $0 == 0 }, "the headless output is not black while blanked")
        #expect(log.messages.contains("outputs blanked after 1 s idle (HEADLESS-1 black)"), "\(log.messages)")

        // The waking key: its press, a repeat and its release go nowhere;
        // the next key is the app's.
        try key(h, 30, 1)
        try key(h, 30, 2)
        try key(h, 30, 0)
        try key(h, 48, 1)
        try key(h, 48, 0)
        let woken = try h.settle()
        #expect(keys(try app.events(window)) == [[48, 1], [48, 0]])
        #expect(!isBlanked(h))
        #expect(woken.pixels == lit.pixels, "the screen after waking differs from before blanking")
        #expect(log.messages.contains("outputs woken by a key"), "\(log.messages)")
    }

    @Test func aButtonPressWakesTheScreenAndItAndItsReleaseAreSwallowed() throws {
        let h = try harness()
        defer { h.stop() }
        let (app, window) = try h.appWithOneWindow()
        try h.moveTo(window.x + 10, window.y + 10)  // over the window: a press there would reach it
        _ = try h.settle()
        _ = try app.events(window)

        _ = try blanked(h)
        try h.button(true)
        try h.button(false)
        try h.button(true)
        try h.button(false)
        _ = try h.settle()
        #expect(buttons(try app.events(window)) == [[10, 10, Int32(WindowProtocol.buttonLeft), 1], [10, 10, Int32(WindowProtocol.buttonLeft), 0]])
        #expect(log.messages.contains("outputs woken by a button"), "\(log.messages)")
    }

    @Test func motionAndScrollingWakeTheScreenAndAreSwallowed() throws {
        let h = try harness()
        defer { h.stop() }
        let (app, window) = try h.appWithOneWindow()
        try h.moveTo(window.x + 10, window.y + 10)
        _ = try h.settle()
        _ = try app.events(window)

        _ = try blanked(h)
        try h.moveBy(5, 0)
        _ = try h.settle()
        #expect(!isBlanked(h))
        #expect(h.onServer { $0.pointerPixel.x } == window.x + 10, "the waking motion moved the pointer")
        #expect(try app.events(window).isEmpty)

        _ = try blanked(h)
        var p = PayloadWriter()
        p.f64(0)
        p.f64(3)
        try h.kernel.send(h.input, to: h.inputHandle, opcode: WindowProtocol.inputPointerScroll, payload: p.bytes)
        _ = try h.settle()
        #expect(!isBlanked(h))
        #expect(try app.events(window).isEmpty, "the waking scroll reached the app")
        #expect(log.messages.contains("outputs woken by pointer motion"), "\(log.messages)")
        #expect(log.messages.contains("outputs woken by a scroll"), "\(log.messages)")
    }

    /// A key held since before the dark ends where it began: its release
    /// wakes the screen and reaches the app, which never keeps a key down.
    @Test func theReleaseOfAKeyPressedBeforeTheDarkReachesTheApp() throws {
        let h = try harness()
        defer { h.stop() }
        let (app, window) = try h.appWithOneWindow()
        try key(h, 42, 1)
        _ = try h.settle()
        #expect(keys(try app.events(window)) == [[42, 1]])
        _ = try blanked(h)
        try key(h, 42, 0)
        _ = try h.settle()
        #expect(keys(try app.events(window)) == [[42, 0]])
        #expect(!isBlanked(h))
    }

    @Test func aTouchDownWakesTheScreen() throws {
        let h = try harness()
        defer { h.stop() }
        _ = try h.appWithOneWindow()
        _ = try blanked(h)
        var down = PayloadWriter()
        down.u32(1)  // device
        down.u32(0)  // slot
        down.f64(0.5)
        down.f64(0.5)
        down.u32(0)
        down.u32(0)
        down.text("")
        try h.kernel.send(h.input, to: h.inputHandle, opcode: WindowProtocol.inputTouchDown, payload: down.bytes)
        _ = try h.settle()
        #expect(!isBlanked(h))
        #expect(log.messages.contains("outputs woken by a touch"), "\(log.messages)")
        // Its up and the frame after are the waking touch's: swallowed.
        #expect(h.onServer { $0.blanking?.swallowedTouches.count } == 1)
        var up = PayloadWriter()
        up.u32(1)
        up.u32(0)
        try h.kernel.send(h.input, to: h.inputHandle, opcode: WindowProtocol.inputTouchUp, payload: up.bytes)
        _ = try h.settle()
        #expect(h.onServer { $0.blanking?.swallowedTouches.count } == 0)
    }

    @Test func inputThatKeepsComingKeepsTheScreenLit() throws {
        let h = try harness(idleSeconds: 2)
        defer { h.stop() }
        _ = try h.appWithOneWindow()
        // Input every 100 ms for three idle periods: never blanked.
        let until = ContinuousClock.now + .seconds(6)
        var step = 1.0
        while ContinuousClock.now < until {
            try h.moveBy(step, 0)
            step = -step
            #expect(!isBlanked(h))
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(!log.messages.contains { $0.hasPrefix("outputs blanked") }, "blanked while input kept coming")
        // And once it stops, it does blank.
        _ = try blanked(h)
    }
}
