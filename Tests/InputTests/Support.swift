import Input
import Logging
import Synchronization

/// evdev key codes the tests use (linux/input-event-codes.h).
enum Key {
    static let escape: UInt32 = 1
    static let backspace: UInt32 = 14
    static let q: UInt32 = 16
    static let e: UInt32 = 18
    static let y: UInt32 = 21
    static let equal: UInt32 = 13
    static let leftCtrl: UInt32 = 29
    static let a: UInt32 = 30
    static let leftShift: UInt32 = 42
    static let z: UInt32 = 44
    static let c: UInt32 = 46
    static let leftAlt: UInt32 = 56
    static let capsLock: UInt32 = 58
    static let f1: UInt32 = 59
    static let f3: UInt32 = 61
    static let sysrq: UInt32 = 99  // Print
    static let rightAlt: UInt32 = 100
    static let delete: UInt32 = 111
    static let leftMeta: UInt32 = 125
}

/// A sink that keeps what it gets.
final class RecordingSink: InputSink {
    private let events = Mutex<[InputEvent]>([])

    func deliver(_ event: InputEvent) {
        events.withLock { $0.append(event) }
    }

    var all: [InputEvent] { events.withLock { $0 } }

    var keys: [KeyEvent] {
        all.compactMap { if case .key(let k) = $0 { k } else { nil } }
    }

    func take() -> [InputEvent] {
        events.withLock { list in
            defer { list.removeAll() }
            return list
        }
    }
}

/// Binding actions seen.
final class ActionRecorder: Sendable {
    private let list = Mutex<[BindingAction]>([])
    var handler: @Sendable (BindingAction) -> Void { { action in self.list.withLock { $0.append(action) } } }
    var all: [BindingAction] { list.withLock { $0 } }
}

/// A clock the test moves by hand (nanoseconds).
final class ManualClock: Sendable {
    private let value = Atomic<UInt64>(1_000_000_000)
    var now: UInt64 { value.load(ordering: .relaxed) }
    func advance(milliseconds: UInt64) { value.add(milliseconds * 1_000_000, ordering: .relaxed) }
    var read: @Sendable () -> UInt64 { { self.now } }
}

let quietLogger: Logger = {
    var logger = Logger(label: "test.input")
    logger.logLevel = .critical
    return logger
}()

/// Keymaps are compiled once per layout for the whole run (a compile takes
/// tens of milliseconds).
enum Keymaps {
    private static let cache = Mutex<[String: Keymap]>([:])

    static func layout(_ layout: String, variant: String? = nil) throws -> Keymap {
        let key = layout + "(" + (variant ?? "") + ")"
        if let keymap = cache.withLock({ $0[key] }) { return keymap }
        let keymap = try Keymap(names: KeymapNames(layout: layout, variant: variant), logger: quietLogger)
        cache.withLock { $0[key] = keymap }
        return keymap
    }

    static var us: Keymap { get throws { try layout("us") } }
    static var de: Keymap { get throws { try layout("de") } }
}

/// A pipeline on `keymap` with a recording sink and a hand-moved clock.
struct PipelineRig {
    let sink = RecordingSink()
    let actions = ActionRecorder()
    let clock = ManualClock()
    let pipeline: InputPipeline

    init(
        keymap: Keymap, compose: ComposeTable? = nil, configuration: InputConfiguration = InputConfiguration(),
        interceptor: (any KeyInterceptor)? = nil
    ) {
        pipeline = InputPipeline(
            keyboard: KeyboardState(keymap: keymap, compose: compose), configuration: configuration, sink: sink,
            clock: clock.read, logger: quietLogger, interceptor: interceptor, onBinding: actions.handler)
    }

    func press(_ code: UInt32) { pipeline.handle(.key(code: code, pressed: true)) }
    func release(_ code: UInt32) { pipeline.handle(.key(code: code, pressed: false)) }
    func tap(_ code: UInt32) {
        press(code)
        release(code)
    }
}
