import Kernel

/// Input as the runtime sends it to ui_server: one IPC message per event.
/// The device side (libinput, xkbcommon, scripted input) lands with the input
/// issue; this is the message vocabulary both sides share.
public enum InputEvent: Sendable, Equatable {
    case key(keycode: UInt32, pressed: Bool)
    case pointerMotion(dx: Double, dy: Double)
    case pointerButton(button: UInt32, pressed: Bool)
}
