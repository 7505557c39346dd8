import Foundation
import Kernel
import Logging
import Synchronization
import Wire

/// The window protocol's input messages (docs/protocol.md, "Input"), as the
/// input source sends them to ui_server. Input does not import the
/// compositor, so the opcodes are restated here from `WindowProtocol`;
/// `InputMessageTests` fails if they drift.
public enum InputMessage {
    /// mode u32 (0 relative, 1 absolute), x f64, y f64.
    public static let pointerMotion: UInt32 = 0x0300
    /// button u32, pressed u32.
    public static let pointerButton: UInt32 = 0x0301
    /// dx f64, dy f64.
    public static let pointerScroll: UInt32 = 0x0302
    /// keycode u32, keysym u32, modifiers u32, pressed u32, UTF-8 text.
    public static let key: UInt32 = 0x0303
    /// device u32, slot u32, x f64, y f64 (0...1 of the device), widthMM u32,
    /// heightMM u32, output hint UTF-8.
    public static let touchDown: UInt32 = 0x0304
    /// device u32, slot u32, x f64, y f64.
    public static let touchMotion: UInt32 = 0x0305
    /// device u32, slot u32.
    public static let touchUp: UInt32 = 0x0306
    /// device u32.
    public static let touchCancel: UInt32 = 0x0307
    /// device u32.
    public static let touchFrame: UInt32 = 0x0308

    /// The message for an event: opcode and little-endian payload.
    public static func encode(_ event: InputEvent) -> (opcode: UInt32, payload: [UInt8]) {
        var w = PayloadWriter()
        switch event {
        case .key(let key):
            w.u32(key.keycode)
            w.u32(key.keysym.rawValue)
            w.u32(key.modifiers.rawValue)
            w.u32(key.state.rawValue)
            w.text(key.text)
            return (Self.key, w.bytes)
        case .pointerMotion(let dx, let dy):
            w.u32(0)
            w.f64(dx)
            w.f64(dy)
            return (pointerMotion, w.bytes)
        case .pointerMotionAbsolute(let x, let y):
            w.u32(1)
            w.f64(x)
            w.f64(y)
            return (pointerMotion, w.bytes)
        case .pointerButton(let button, let pressed):
            w.u32(button)
            w.u32(pressed ? 1 : 0)
            return (pointerButton, w.bytes)
        case .pointerScroll(let dx, let dy):
            w.f64(dx)
            w.f64(dy)
            return (pointerScroll, w.bytes)
        case .touch(let touch):
            return encode(touch)
        }
    }

    private static func encode(_ touch: TouchEvent) -> (opcode: UInt32, payload: [UInt8]) {
        var w = PayloadWriter()
        w.u32(touch.device)
        switch touch {
        case .down(let device, let slot, let x, let y):
            w.u32(slot)
            w.f64(x)
            w.f64(y)
            w.u32(device.widthMM)
            w.u32(device.heightMM)
            w.text(device.outputHint)
            return (touchDown, w.bytes)
        case .motion(_, let slot, let x, let y):
            w.u32(slot)
            w.f64(x)
            w.f64(y)
            return (touchMotion, w.bytes)
        case .up(_, let slot):
            w.u32(slot)
            return (touchUp, w.bytes)
        case .cancel:
            return (touchCancel, w.bytes)
        case .frame:
            return (touchFrame, w.bytes)
        }
    }
}

/// Sends input events to ui_server as IPC messages, from the input source
/// actor (registered with `UIServer.connect(inputSource:)`).
///
/// ui_server's queue may be full for a moment (an app flooding it): then the
/// sink retries for up to `patience` before it drops the event, so a key
/// release is not lost to a short burst. It blocks the calling input thread
/// meanwhile, never a shared pool.
public final class KernelInputSink: InputSink {
    public let kernel: Kernel
    public let actor: ActorID
    public let target: Handle
    private let logger: Logger
    private let patience: Duration
    private let warned = Atomic<Bool>(false)

    public init(kernel: Kernel, actor: ActorID, target: Handle, patience: Duration = .seconds(1), logger: Logger) {
        self.kernel = kernel
        self.actor = actor
        self.target = target
        self.patience = patience
        self.logger = logger
    }

    public func deliver(_ event: InputEvent) {
        let (opcode, payload) = InputMessage.encode(event)
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        while true {
            do {
                try kernel.send(actor, to: target, opcode: opcode, payload: payload)
                return
            } catch .queueFull where clock.now < deadline {
                Thread.sleep(forTimeInterval: 0.0002)
            } catch {
                // ui_server is gone (shutdown) or stuck: say so once.
                if !warned.exchange(true, ordering: .relaxed) {
                    logger.warning("input event dropped: ui_server did not take it (\(error))")
                }
                return
            }
        }
    }
}
