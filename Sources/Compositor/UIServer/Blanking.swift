import Dispatch
import Kernel
import Synchronization
import Threads
import Wire

/// Blanking (`--idle-blank SECONDS`, for kiosks and desktops alike): after
/// that long with no input event every output goes dark — its panel off
/// (DPMS) where the output can, a black frame where it cannot. The first
/// input after that wakes the screen and does nothing else: the key, button
/// or touch that woke it is swallowed together with its repeats and its
/// release, so a tap on a dark kiosk never presses the button that happens
/// to be under the finger. Pointer motion and scrolling wake it too, and
/// are swallowed the same way.
///
/// Loop-only, like the rest of `UIServerState`; the timer thread only pokes
/// the loop when the time may be up.
final class Blanking {
    let seconds: Int
    let timer: IdleTimer
    var isBlanked = false
    /// What the waking press began, swallowed until it ends.
    var swallowedKeys: Set<UInt32> = []
    var swallowedButtons: Set<UInt32> = []
    var swallowedTouches: Set<TouchPoint> = []
    /// Per touch device: whether every touch event since its last frame was
    /// swallowed, so that the frame closing them is swallowed too.
    var touchFrameSwallowed: [UInt32: Bool] = [:]

    struct TouchPoint: Hashable {
        let device: UInt32
        let slot: UInt32
    }

    init(seconds: Int, timer: IdleTimer) {
        self.seconds = seconds
        self.timer = timer
    }
}

extension UIServer {
    /// Blanks the outputs after `seconds` (above 0) without input. Call
    /// before `run()`.
    public func blankWhenIdle(seconds: Int) {
        precondition(seconds > 0, "--idle-blank takes a whole number of seconds above 0")
        idleBlankSeconds.store(seconds, ordering: .releasing)
    }
}

extension UIServerState {
    /// Starts counting idle time if `blankWhenIdle` was asked for (from `UIServer.run`).
    func startBlanking() {
        let seconds = server.idleBlankSeconds.load(ordering: .acquiring)
        guard seconds > 0 else { return }
        let blanking = Blanking(seconds: seconds, timer: IdleTimer(seconds: seconds))
        self.blanking = blanking
        blanking.timer.start(server)
    }

    func stopBlanking() {
        blanking?.timer.stop()
    }

    /// The timer says the idle time may be up.
    func idleTimeUp() {
        guard let blanking, !blanking.isBlanked else { return }
        guard blanking.timer.isDue else { return blanking.timer.wake() }  // input came meanwhile
        guard !compositor.isSuspended else {
            // On another VT nobody can give input: count afresh once back.
            blanking.timer.restart()
            return blanking.timer.wake()
        }
        guard !frameInFlight else {
            // Not with a page flip still on its way to a panel about to be
            // switched off: once it is there.
            blanking.timer.restart(after: .milliseconds(50))
            return blanking.timer.wake()
        }
        blanking.timer.pause()
        blanking.isBlanked = true
        compositor.setBlanked(true)
        let how = compositor.heads.map { "\($0.name) \($0.blank == .panelOff ? "off" : "black")" }
        logger.info("outputs blanked after \(blanking.seconds) s idle (\(how.isEmpty ? "none lit" : how.joined(separator: ", ")))")
    }

    /// Lights the outputs again; `cause` says what woke them, for the log.
    private func wakeOutputs(by cause: String) {
        guard let blanking, blanking.isBlanked else { return }
        blanking.isBlanked = false
        for head in compositor.setBlanked(false) {
            logger.warning("\(head.name): could not turn the panel on again (DPMS)")
        }
        blanking.timer.resume()
        logger.info("outputs woken by \(cause)")
    }

    /// The hook at the top of input handling: true when `message` is only
    /// for waking the screen (or ends what woke it) and goes no further.
    /// Every input event counts as activity.
    func blankingSwallows(_ message: ReceivedMessage) -> Bool {
        guard let blanking else { return false }
        blanking.timer.restart()
        var reader = PayloadReader(message.payload)
        switch message.opcode {
        case WindowProtocol.inputKey:
            guard let keycode = reader.u32(), reader.u32() != nil, reader.u32() != nil, let pressed = reader.u32()
            else { return false }
            // The waking key's repeats and release.
            if blanking.swallowedKeys.contains(keycode) {
                if pressed == 0 { blanking.swallowedKeys.remove(keycode) }
                return true
            }
            return pressWakes(pressed == 1, by: "a key") { blanking.swallowedKeys.insert(keycode) }
        case WindowProtocol.inputPointerButton:
            guard let button = reader.u32(), let pressed = reader.u32() else { return false }
            if pressed == 0, blanking.swallowedButtons.remove(button) != nil { return true }
            return pressWakes(pressed != 0, by: "a button") { blanking.swallowedButtons.insert(button) }
        case WindowProtocol.inputPointerMotion:
            return pressWakes(true, by: "pointer motion") {}
        case WindowProtocol.inputPointerScroll:
            return pressWakes(true, by: "a scroll") {}
        case WindowProtocol.inputTouchDown, WindowProtocol.inputTouchMotion, WindowProtocol.inputTouchUp:
            guard let device = reader.u32(), let slot = reader.u32() else { return false }
            let point = Blanking.TouchPoint(device: device, slot: slot)
            let swallowed: Bool
            if blanking.swallowedTouches.contains(point) {
                if message.opcode == WindowProtocol.inputTouchUp { blanking.swallowedTouches.remove(point) }
                swallowed = true
            } else {
                swallowed = pressWakes(message.opcode == WindowProtocol.inputTouchDown, by: "a touch") {
                    blanking.swallowedTouches.insert(point)
                }
            }
            blanking.touchFrameSwallowed[device] = swallowed && blanking.touchFrameSwallowed[device] != false
            return swallowed
        case WindowProtocol.inputTouchCancel:
            // Delivered: it ends the device's touches an app saw, and the
            // swallowed ones with them.
            guard let device = reader.u32() else { return false }
            blanking.swallowedTouches = blanking.swallowedTouches.filter { $0.device != device }
            _ = pressWakes(false, by: "a touch") {}
            return false
        case WindowProtocol.inputTouchFrame:
            guard let device = reader.u32() else { return false }
            return blanking.touchFrameSwallowed.removeValue(forKey: device) == true
        default:
            return false
        }
    }

    /// While blanked any input wakes the screen. A press (`begins`) is then
    /// swallowed and `track` remembers it, to swallow its end too; anything
    /// else that ends something begun before the dark (a release of a key
    /// held since) is delivered, so that no app is left with a key or button
    /// down. Returns whether to swallow.
    private func pressWakes(_ begins: Bool, by cause: String, track: () -> Void) -> Bool {
        guard let blanking, blanking.isBlanked else { return false }
        wakeOutputs(by: cause)
        guard begins else { return false }
        track()
        return true
    }
}

/// Tells ui_server's loop when the idle time may be up. No tick: it sleeps
/// until the deadline, and input only moves the deadline (an atomic store
/// per event): waking at the old deadline, it finds the new one and sleeps
/// on. Once it has told the loop it sleeps until woken.
final class IdleTimer: Sendable {
    private let idleNanoseconds: UInt64
    /// When the time is up, in `DispatchTime` uptime nanoseconds; 0 while
    /// the outputs are blanked (nothing to count).
    private let deadline = Atomic<UInt64>(0)
    private let thread = ServiceThread(name: "ui_server idle")

    init(seconds: Int) {
        idleNanoseconds = UInt64(seconds) * 1_000_000_000
    }

    func start(_ server: UIServer) {
        restart()
        thread.start { [weak server, self] thread in
            while thread.isRunning {
                let due = self.deadline.load(ordering: .acquiring)
                if due == 0 {
                    thread.sleep()
                } else if DispatchTime.now().uptimeNanoseconds < due {
                    thread.sleep(until: DispatchTime(uptimeNanoseconds: due))
                } else {
                    guard let server else { return }
                    server.inspect { $0.idleTimeUp() }
                    thread.sleep()  // until the loop has looked (`wake`)
                }
            }
        }
    }

    /// Whether the deadline has passed.
    var isDue: Bool {
        let due = deadline.load(ordering: .acquiring)
        return due != 0 && DispatchTime.now().uptimeNanoseconds >= due
    }

    /// Counts from now: input came.
    func restart(after delay: Duration? = nil) {
        let wait = delay.map { UInt64($0 / .nanoseconds(1)) } ?? idleNanoseconds
        deadline.store(DispatchTime.now().uptimeNanoseconds + wait, ordering: .releasing)
    }

    /// Stops counting (the outputs are blanked).
    func pause() { deadline.store(0, ordering: .releasing) }

    /// Counts again from now (the outputs woke).
    func resume() {
        restart()
        wake()
    }

    /// Makes the timer look at its deadline again.
    func wake() { thread.wake() }

    func stop() { thread.stop() }
}
