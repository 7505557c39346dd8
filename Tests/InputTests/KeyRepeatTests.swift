import Testing

@testable import Input

/// Key repeat: the pure state machine with made-up times, then the pipeline
/// that drives it with a hand-moved clock. No timers, no sleeping.
@Suite struct KeyRepeatTests {
    static let ms: UInt64 = 1_000_000

    @Test func startsAfterTheDelayThenKeepsTheRate() {
        var r = KeyRepeat(delayMilliseconds: 500, rate: 20)  // a repeat every 50 ms
        #expect(r.interval == 50 * Self.ms)
        r.pressed(30, repeats: true, at: 1000 * Self.ms)
        #expect(r.deadline == 1500 * Self.ms)
        #expect(r.due(at: 1499 * Self.ms) == nil)
        #expect(r.due(at: 1500 * Self.ms) == 30)
        #expect(r.due(at: 1500 * Self.ms) == nil)  // once per slot
        #expect(r.deadline == 1550 * Self.ms)
        #expect(r.due(at: 1549 * Self.ms) == nil)
        #expect(r.due(at: 1550 * Self.ms) == 30)
        #expect(r.due(at: 1600 * Self.ms) == 30)
        #expect(r.deadline == 1650 * Self.ms)
    }

    @Test func aLateCallerGetsOneRepeatNotABurst() {
        var r = KeyRepeat(delayMilliseconds: 100, rate: 10)
        r.pressed(30, repeats: true, at: 0)
        #expect(r.due(at: 1000 * Self.ms) == 30)
        #expect(r.due(at: 1000 * Self.ms) == nil)
        #expect(r.deadline == 1100 * Self.ms)
    }

    @Test func stopsOnReleaseOnlyOfItsOwnKey() {
        var r = KeyRepeat(delayMilliseconds: 100, rate: 10)
        r.pressed(30, repeats: true, at: 0)
        r.released(31)
        #expect(r.key == 30)
        r.released(30)
        #expect(r.key == nil)
        #expect(r.deadline == nil)
        #expect(r.due(at: 10_000 * Self.ms) == nil)
    }

    @Test func anotherKeyTakesOverOrStopsIt() {
        var r = KeyRepeat(delayMilliseconds: 100, rate: 10)
        r.pressed(30, repeats: true, at: 0)
        r.pressed(31, repeats: true, at: 50 * Self.ms)
        #expect(r.key == 31)
        #expect(r.deadline == 150 * Self.ms)
        r.released(30)  // the old key's release changes nothing
        #expect(r.key == 31)
        r.pressed(42, repeats: false, at: 60 * Self.ms)  // Shift does not repeat, and ends 31's
        #expect(r.key == nil)
    }

    @Test func rateZeroMeansNoRepeat() {
        var r = KeyRepeat(delayMilliseconds: 100, rate: 0)
        r.pressed(30, repeats: true, at: 0)
        #expect(r.key == nil)
        #expect(!r.isEnabled)
    }

    // MARK: Through the pipeline

    static let config = InputConfiguration(repeatDelay: 400, repeatRate: 25)  // every 40 ms

    @Test func pipelineRepeatsTheHeldKeyUntilReleased() throws {
        let rig = PipelineRig(keymap: try Keymaps.us, configuration: Self.config)
        rig.press(Key.a)
        #expect(rig.pipeline.tick() == rig.clock.now + 400 * Self.ms)
        rig.clock.advance(milliseconds: 399)
        rig.pipeline.tick()
        rig.clock.advance(milliseconds: 1)
        rig.pipeline.tick()
        rig.clock.advance(milliseconds: 40)
        rig.pipeline.tick()
        rig.release(Key.a)
        rig.clock.advance(milliseconds: 1000)
        #expect(rig.pipeline.tick() == nil)
        let keys = rig.sink.keys
        #expect(keys.map(\.state) == [.pressed, .repeated, .repeated, .released])
        #expect(keys.map(\.text) == ["a", "a", "a", ""])
        #expect(keys.allSatisfy { $0.keycode == Key.a && $0.keysym.name == "a" })
    }

    @Test func modifiersDoNotRepeatAndAShiftedRepeatStaysShifted() throws {
        let rig = PipelineRig(keymap: try Keymaps.us, configuration: Self.config)
        rig.press(Key.leftShift)
        rig.clock.advance(milliseconds: 1000)
        rig.pipeline.tick()
        #expect(rig.sink.keys.count == 1)  // Shift went down, nothing repeated
        rig.press(Key.a)
        rig.clock.advance(milliseconds: 400)
        rig.pipeline.tick()
        #expect(rig.sink.keys.last == KeyEvent(keycode: Key.a, keysym: Keysym(rawValue: 0x41), text: "A", modifiers: .shift, state: .repeated))
    }

    @Test func anotherKeyOrAButtonStopsTheRepeat() throws {
        let rig = PipelineRig(keymap: try Keymaps.us, configuration: Self.config)
        rig.press(Key.a)
        rig.press(Key.c)  // c takes over
        #expect(rig.pipeline.repeatingKey == Key.c)
        rig.pipeline.handle(.pointerButton(button: 0x110, pressed: true))
        #expect(rig.pipeline.repeatingKey == nil)
        rig.clock.advance(milliseconds: 5000)
        rig.pipeline.tick()
        #expect(!rig.sink.keys.contains { $0.state == .repeated })
    }

    @Test func focusChangeOrPauseStopsTheRepeat() throws {
        let rig = PipelineRig(keymap: try Keymaps.us, configuration: Self.config)
        rig.press(Key.a)
        rig.clock.advance(milliseconds: 400)
        rig.pipeline.tick()
        rig.pipeline.stopRepeat()  // what ui_server's focus change calls
        rig.clock.advance(milliseconds: 400)
        #expect(rig.pipeline.tick() == nil)
        #expect(rig.sink.keys.map(\.state) == [.pressed, .repeated])
        // Pressing again after the stop repeats again.
        rig.release(Key.a)
        rig.press(Key.a)
        #expect(rig.pipeline.repeatingKey == Key.a)
    }

    @Test func releaseAllLetsGoOfEverythingAndForgetsTheModifiers() throws {
        let rig = PipelineRig(keymap: try Keymaps.us, configuration: Self.config)
        rig.press(Key.leftShift)
        rig.press(Key.a)
        rig.pipeline.handle(.pointerButton(button: 0x110, pressed: true))
        _ = rig.sink.take()
        rig.pipeline.releaseAll()
        let released = rig.sink.take()
        #expect(released.count == 3)
        guard case .key(let a) = released[0], case .key(let shift) = released[1] else {
            Issue.record("expected two key releases, got \(released)")
            return
        }
        #expect([a.keycode, shift.keycode] == [Key.a, Key.leftShift])
        #expect([a.state, shift.state] == [.released, .released])
        #expect(released[2] == .pointerButton(button: 0x110, pressed: false))
        #expect(rig.pipeline.repeatingKey == nil)
        // The real releases afterwards are not news; the keyboard starts clean.
        rig.release(Key.a)
        rig.release(Key.leftShift)
        rig.pipeline.handle(.pointerButton(button: 0x110, pressed: false))
        #expect(rig.sink.take().isEmpty)
        rig.tap(Key.a)
        #expect(rig.sink.keys.first?.text == "a")
    }

    @Test func theTimerThreadRepeatsOnItsOwn() async throws {
        // The one test with real time: the thread exists and stops. It checks
        // that repeats come, not how punctually.
        let sink = RecordingSink()
        let pipeline = InputPipeline(
            keyboard: KeyboardState(keymap: try Keymaps.us),
            configuration: InputConfiguration(repeatDelay: 10, repeatRate: 200), sink: sink, logger: quietLogger)
        pipeline.startRepeatTimer()
        pipeline.handle(.key(code: Key.a, pressed: true))
        for _ in 0..<500 where !sink.keys.contains(where: { $0.state == .repeated }) {
            try await Task.sleep(for: .milliseconds(2))
        }
        pipeline.handle(.key(code: Key.a, pressed: false))
        pipeline.stop()
        let keys = sink.keys
        #expect(keys.contains { $0.state == .repeated })
        #expect(keys.last?.state == .released)
        let count = keys.count
        try await Task.sleep(for: .milliseconds(30))
        #expect(sink.keys.count == count)  // nothing after the release
    }
}
