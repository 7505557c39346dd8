import Dispatch
import Foundation
import Logging
import Synchronization
import Threads

/// Key repeat and bindings settings.
public struct InputConfiguration: Sendable, Equatable {
    /// Milliseconds a key is held before it repeats.
    public var repeatDelay: Int
    /// Repeats per second; 0 turns repeat off.
    public var repeatRate: Double
    public var bindings: Bindings

    /// sway's and X's defaults: 600 ms, 25 per second.
    public init(repeatDelay: Int = 600, repeatRate: Double = 25, bindings: Bindings = .standard()) {
        self.repeatDelay = repeatDelay
        self.repeatRate = repeatRate
        self.bindings = bindings
    }
}

/// Takes key presses before the focused app while it wants them (the kiosk's
/// admin box). Bindings still come first; the releases of keys it took go
/// nowhere, and keys held when it starts are still released to the app.
/// Asked on input threads: neither member may block.
public protocol KeyInterceptor: AnyObject, Sendable {
    /// Whether presses go to `take` now, not to the app.
    var takesKeys: Bool { get }
    func take(_ key: KeyEvent)
}

/// Where every device event goes — libinput's and a script's alike: the
/// keyboard state turns key codes into keysyms and text, bindings are taken
/// out, key repeat is generated, and the result goes to the sink in order.
///
/// Any thread may call `handle`; events are processed one at a time, and
/// delivered to the sink under the same lock, so the sink sees them in the
/// order they were handled. Binding actions run after the lock is let go.
public final class InputPipeline: Sendable {
    // Only ever touched inside `state`'s lock, which is what makes sending
    // the (non-Sendable) keyboard state into it safe.
    private struct State: @unchecked Sendable {
        var keyboard: KeyboardState
        var repeater: KeyRepeat
        /// Keys whose press the sink got (their release goes too).
        var keysDown: [UInt32] = []
        /// Keys a binding took: their release is swallowed too.
        var swallowed: Set<UInt32> = []
        var buttonsDown: [UInt32] = []
        /// Touch slots down, by device: what a cancel ends.
        var touchesDown: [UInt32: Set<UInt32>] = [:]
        /// The `stopEpoch` last acted on.
        var seenStopEpoch: UInt64 = 0
        var leds: KeyboardLEDs = []
    }

    private let state: Mutex<State>
    private let sink: any InputSink
    private let bindings: Bindings
    private let clock: @Sendable () -> UInt64
    private let onBinding: @Sendable (BindingAction) -> Void
    private let interceptor: (any KeyInterceptor)?
    let logger: Logger
    /// Bumped by `stopRepeat()` without taking `state`: the ui_server thread
    /// may call it while an input thread waits on ui_server's full queue.
    private let stopEpoch = Atomic<UInt64>(0)
    private let timer: RepeatTimer

    /// `clock` is monotonic nanoseconds; `onBinding` runs on the input thread
    /// that saw the key.
    public init(
        keyboard: KeyboardState, configuration: InputConfiguration = InputConfiguration(), sink: any InputSink,
        clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds },
        logger: Logger = Logger(label: "wskdesk.input"),
        interceptor: (any KeyInterceptor)? = nil,
        onBinding: @escaping @Sendable (BindingAction) -> Void = { _ in }
    ) {
        state = Mutex(State(keyboard: keyboard, repeater: KeyRepeat(delayMilliseconds: configuration.repeatDelay, rate: configuration.repeatRate)))
        self.sink = sink
        self.bindings = configuration.bindings
        self.clock = clock
        self.logger = logger
        self.onBinding = onBinding
        self.interceptor = interceptor
        timer = RepeatTimer()
    }

    // MARK: Events

    /// Handles one event; returns the keyboard lights when it changed them
    /// (Caps Lock, Num Lock), for the device source to set.
    @discardableResult
    public func handle(_ event: DeviceEvent) -> KeyboardLEDs? {
        var action: BindingAction?
        var grabbed: KeyEvent?
        var leds: KeyboardLEDs?
        var repeatMayChange = false
        let grab = interceptor.flatMap { $0.takesKeys ? $0 : nil }
        state.withLock { state in
            syncStop(&state)
            switch event {
            case .key(let code, let pressed):
                repeatMayChange = true
                switch key(code, pressed: pressed, grabbed: grab != nil, &state) {
                case .handled: break
                case .bound(let bound): action = bound
                case .grabbed(let event): grabbed = event
                }
                let now = state.keyboard.leds
                if now != state.leds {
                    state.leds = now
                    leds = now
                }
            case .pointerButton(let button, let pressed):
                if pressed {
                    state.repeater.stop()
                    guard !state.buttonsDown.contains(button) else { return }
                    state.buttonsDown.append(button)
                } else {
                    guard let i = state.buttonsDown.firstIndex(of: button) else { return }
                    state.buttonsDown.remove(at: i)
                }
                sink.deliver(.pointerButton(button: button, pressed: pressed))
            case .pointerMotion(let dx, let dy):
                sink.deliver(.pointerMotion(dx: dx, dy: dy))
            case .pointerMotionAbsolute(let x, let y):
                sink.deliver(.pointerMotionAbsolute(x: x, y: y))
            case .pointerScroll(let dx, let dy):
                sink.deliver(.pointerScroll(dx: dx, dy: dy))
            case .touch(let touch):
                // Not keys: no bindings, no repeat. Only whole lives go out,
                // so ui_server never sees a finger end it did not see begin.
                if let touch = Self.follow(touch, &state.touchesDown) { sink.deliver(.touch(touch)) }
            }
        }
        if repeatMayChange { timer.poke() }  // not for every motion event
        if let grabbed, let grab { grab.take(grabbed) }
        if let action {
            logger.debug("binding: \(action)")
            onBinding(action)
        }
        return leds
    }

    /// The touch event to pass on, if any: a second down of a slot that is
    /// down, and motion, up or cancel of slots that are not, are dropped.
    private static func follow(_ touch: TouchEvent, _ down: inout [UInt32: Set<UInt32>]) -> TouchEvent? {
        switch touch {
        case .down(let device, let slot, _, _):
            guard down[device.id, default: []].insert(slot).inserted else { return nil }
        case .motion(let device, let slot, _, _):
            guard down[device]?.contains(slot) == true else { return nil }
        case .up(let device, let slot):
            guard down[device]?.remove(slot) != nil else { return nil }
            if down[device]?.isEmpty == true { down[device] = nil }
        case .cancel(let device):
            guard down.removeValue(forKey: device) != nil else { return nil }
        case .frame:
            break
        }
        return touch
    }

    /// Where a key event went.
    private enum KeyOutcome {
        /// Sent to the app, or nothing to send.
        case handled
        case bound(BindingAction)
        case grabbed(KeyEvent)
    }

    private func key(_ code: UInt32, pressed: Bool, grabbed: Bool, _ state: inout State) -> KeyOutcome {
        if pressed {
            // A second press without a release (two keyboards, a script)
            // would count the key twice in xkb.
            guard !state.keysDown.contains(code), !state.swallowed.contains(code) else { return .handled }
            let event = state.keyboard.update(keycode: code, pressed: true)
            let base = state.keyboard.keymap.baseKeysym(code)
            if let action = bindings.action(keysym: event.keysym, baseKeysym: base, modifiers: event.modifiers) {
                state.swallowed.insert(code)
                state.repeater.stop()
                return .bound(action)
            }
            if grabbed {
                state.swallowed.insert(code)
                state.repeater.stop()
                return .grabbed(event)
            }
            state.keysDown.append(code)
            sink.deliver(.key(event))
            state.repeater.pressed(code, repeats: state.keyboard.keymap.repeats(code), at: clock())
        } else {
            state.repeater.released(code)
            if state.swallowed.remove(code) != nil {
                _ = state.keyboard.update(keycode: code, pressed: false)
                return .handled
            }
            // Only keys whose press went out are released: after `suspend()`
            // the real release of a key held then is not news to anyone.
            guard let i = state.keysDown.firstIndex(of: code) else { return .handled }
            state.keysDown.remove(at: i)
            sink.deliver(.key(state.keyboard.update(keycode: code, pressed: false)))
        }
        return .handled
    }

    // MARK: Repeat

    /// Stops the key repeat now. Never blocks; any thread (ui_server calls it
    /// when focus moves, the session when it pauses).
    public func stopRepeat() {
        stopEpoch.add(1, ordering: .releasing)
        timer.poke()
    }

    private func syncStop(_ state: inout State) {
        let epoch = stopEpoch.load(ordering: .acquiring)
        if epoch != state.seenStopEpoch {
            state.seenStopEpoch = epoch
            state.repeater.stop()
        }
        // A key held as the interceptor starts taking keys repeats no more:
        // its repeats would reach the app behind the interceptor's back.
        if state.repeater.key != nil, interceptor?.takesKeys == true { state.repeater.stop() }
    }

    /// Sends the repeat that is due, if one is, and returns when the next
    /// is (monotonic ns), or nil if no key repeats. The repeat timer thread
    /// calls it; tests call it with their own clock.
    @discardableResult
    public func tick() -> UInt64? {
        state.withLock { state in
            syncStop(&state)
            if let code = state.repeater.due(at: clock()) {
                sink.deliver(.key(state.keyboard.repeated(keycode: code)))
            }
            return state.repeater.deadline
        }
    }

    /// The key repeating now, if any.
    public var repeatingKey: UInt32? {
        state.withLock { state in
            syncStop(&state)
            return state.repeater.key
        }
    }

    /// Starts the thread that sends repeats on time.
    public func startRepeatTimer() {
        timer.start { [weak self] in self?.tick() }
    }

    // MARK: Session

    /// Lets go of everything: repeat stops, every key and button held is
    /// released to the sink, every touchscreen with a finger down is
    /// cancelled, the keyboard forgets its modifiers and locks.
    /// For a paused session (VT switch) or a keyboard that went away.
    /// Returns the keyboard lights when that changed them.
    @discardableResult
    public func releaseAll() -> KeyboardLEDs? {
        state.withLock { state in
            state.repeater.stop()
            for code in state.keysDown.reversed() {
                sink.deliver(.key(state.keyboard.update(keycode: code, pressed: false)))
            }
            for button in state.buttonsDown.reversed() {
                sink.deliver(.pointerButton(button: button, pressed: false))
            }
            for device in state.touchesDown.keys.sorted() {
                sink.deliver(.touch(.cancel(device: device)))
                sink.deliver(.touch(.frame(device: device)))
            }
            state.keysDown = []
            state.buttonsDown = []
            state.touchesDown = [:]
            state.swallowed = []
            state.keyboard.reset()
            guard state.leds != state.keyboard.leds else { return nil }
            state.leds = state.keyboard.leds
            return state.leds
        }
    }

    /// Stops the repeat thread (the pipeline still works without it).
    public func stop() {
        timer.stop()
    }

    deinit {
        // Not `stop()`: the last reference may go on the timer thread itself.
        timer.cancel()
    }
}

/// A thread that calls `tick` whenever the next repeat is due, sleeping in
/// between; `poke` makes it look again (a key went down, repeat stopped).
/// Its own thread: it sleeps, so it must not sit on a shared pool.
final class RepeatTimer: Sendable {
    private let thread = ServiceThread(name: "input repeat")

    func start(_ tick: @escaping @Sendable () -> UInt64??) {
        thread.start { thread in
            while thread.isRunning {
                guard let next = tick() else { break }  // the pipeline is gone
                thread.sleep(until: next.map { DispatchTime(uptimeNanoseconds: $0) } ?? .distantFuture)
            }
        }
    }

    func poke() {
        if thread.isRunning { thread.wake() }
    }

    /// Ends the thread and waits for it.
    func stop() { thread.stop() }

    /// Ends the thread without waiting.
    func cancel() { thread.cancel() }
}
