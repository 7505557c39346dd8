/// The input vocabulary. Devices (libinput, a script) produce `DeviceEvent`s:
/// raw key codes, pointer deltas and touch points. `InputPipeline` turns them into
/// `InputEvent`s — keys with keysym, text and modifiers from xkbcommon, key
/// repeat, bindings taken out — and hands them to an `InputSink`, which
/// sends them to ui_server as IPC messages (`KernelInputSink`).

/// What a device reports, before any keymap.
public enum DeviceEvent: Sendable, Equatable {
    /// An evdev key code (`KEY_A` = 30) went down or up.
    case key(code: UInt32, pressed: Bool)
    /// Relative motion in pixels (libinput's accelerated deltas).
    case pointerMotion(dx: Double, dy: Double)
    /// Absolute position, 0...1 of the output (tablets, VM tablets).
    case pointerMotionAbsolute(x: Double, y: Double)
    /// A Linux `BTN_*` button.
    case pointerButton(button: UInt32, pressed: Bool)
    /// Whole scroll steps; positive dy is down, positive dx is right.
    case pointerScroll(dx: Double, dy: Double)
    /// A touchscreen: passed on to ui_server as it is, which maps it to an
    /// output and routes it (docs/protocol.md, "Touch").
    case touch(TouchEvent)
}

/// What goes to ui_server.
public enum InputEvent: Sendable, Equatable {
    case key(KeyEvent)
    case pointerMotion(dx: Double, dy: Double)
    case pointerMotionAbsolute(x: Double, y: Double)
    case pointerButton(button: UInt32, pressed: Bool)
    case pointerScroll(dx: Double, dy: Double)
    case touch(TouchEvent)
}

/// A touchscreen event. A finger is named by its device and slot from down
/// to up (or the device's cancel); x and y are in [0, 1] of the device's
/// area after libinput's calibration (`LIBINPUT_CALIBRATION_MATRIX`), left
/// to right and top to bottom as the panel is scanned out, whatever the
/// output's rotation. The down carries what ui_server needs to choose the
/// output the device is glued to.
public enum TouchEvent: Sendable, Equatable {
    case down(TouchDevice, slot: UInt32, x: Double, y: Double)
    case motion(device: UInt32, slot: UInt32, x: Double, y: Double)
    case up(device: UInt32, slot: UInt32)
    /// Every finger of the device is gone without lifting (libinput took
    /// them back: a palm, the device suspended or unplugged).
    case cancel(device: UInt32)
    /// The end of one set of changes that happened together (two fingers
    /// moving in the same scan).
    case frame(device: UInt32)

    /// The device it came from.
    public var device: UInt32 {
        switch self {
        case .down(let device, _, _, _): device.id
        case .motion(let device, _, _, _), .up(let device, _), .cancel(let device), .frame(let device): device
        }
    }
}

/// A touchscreen as ui_server's output mapping sees it.
public struct TouchDevice: Sendable, Equatable {
    /// Unique while the input source runs: libinput's devices count from 1
    /// as they are added; 0 is a script's.
    public var id: UInt32
    /// The touch area in millimetres; 0 when the device does not say.
    public var widthMM: UInt32
    public var heightMM: UInt32
    /// The output udev says the device belongs to (`WL_OUTPUT`), "" for none.
    public var outputHint: String

    public init(id: UInt32, widthMM: UInt32 = 0, heightMM: UInt32 = 0, outputHint: String = "") {
        self.id = id
        self.widthMM = widthMM
        self.heightMM = heightMM
        self.outputHint = outputHint
    }

    /// The touch device of input scripts ("script touch"): no size, no hint,
    /// so it maps as `--touch-output` or the built-in or primary output says.
    public static let script = TouchDevice(id: 0)
}

/// A key as apps see it.
public struct KeyEvent: Sendable, Equatable, CustomStringConvertible {
    /// evdev key code.
    public var keycode: UInt32
    public var keysym: Keysym
    /// What the key types; empty for keys that type nothing printable
    /// (Return, BackSpace, Ctrl+C, a dead key): those are told by keysym.
    public var text: String
    /// The modifiers in effect when the key went down (or up, or repeated).
    public var modifiers: Modifiers
    public var state: KeyState

    public init(keycode: UInt32, keysym: Keysym, text: String, modifiers: Modifiers, state: KeyState) {
        self.keycode = keycode
        self.keysym = keysym
        self.text = text
        self.modifiers = modifiers
        self.state = state
    }

    public var description: String {
        "key \(keycode) \(keysym) \(state) mods \(modifiers) \(text.debugDescription)"
    }
}

/// The `pressed` field of KEY: 0 up, 1 down, 2 repeat.
public enum KeyState: UInt32, Sendable, Equatable {
    case released = 0
    case pressed = 1
    case repeated = 2
}

/// Modifier bits of KEY events. The values are the protocol's `MOD_*`
/// (docs/protocol.md, actors/sdk/src/protocol.rs); `InputMessageTests`
/// checks them against `WindowProtocol`.
public struct Modifiers: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// xkb "Shift".
    public static let shift = Modifiers(rawValue: 1 << 0)
    /// xkb "Lock": Caps Lock is on.
    public static let capsLock = Modifiers(rawValue: 1 << 1)
    /// xkb "Control".
    public static let ctrl = Modifiers(rawValue: 1 << 2)
    /// xkb "Mod1".
    public static let alt = Modifiers(rawValue: 1 << 3)
    /// xkb "Mod4": the Super/Windows key.
    public static let logo = Modifiers(rawValue: 1 << 4)
    /// xkb "Mod5": AltGr (ISO_Level3_Shift) in xkb-data's layouts.
    public static let altGr = Modifiers(rawValue: 1 << 5)
    /// xkb "Mod2": Num Lock is on.
    public static let numLock = Modifiers(rawValue: 1 << 6)

    /// The modifiers a binding compares; the locks do not count.
    public static let held: Modifiers = [.shift, .ctrl, .alt, .logo, .altGr]

    static let names: [(Modifiers, String)] = [
        (.shift, "shift"), (.capsLock, "capslock"), (.ctrl, "ctrl"), (.alt, "alt"),
        (.logo, "logo"), (.altGr, "altgr"), (.numLock, "numlock"),
    ]

    public var description: String {
        let parts = Self.names.filter { contains($0.0) }.map(\.1)
        return parts.isEmpty ? "none" : parts.joined(separator: "+")
    }
}

/// An xkb keysym (`XKB_KEY_*`). Names and Unicode come from xkbcommon
/// (`Keysym+XKB.swift`).
public struct Keysym: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let noSymbol = Keysym(rawValue: 0)
    public static let backSpace = Keysym(rawValue: 0xff08)
    public static let returnKey = Keysym(rawValue: 0xff0d)
    public static let print = Keysym(rawValue: 0xff61)
    /// F1; F2 ... F12 follow.
    public static let f1 = Keysym(rawValue: 0xffbe)
    public static let shiftL = Keysym(rawValue: 0xffe1)
    public static let controlL = Keysym(rawValue: 0xffe3)
    public static let altL = Keysym(rawValue: 0xffe9)
    public static let superL = Keysym(rawValue: 0xffeb)
    public static let isoLevel3Shift = Keysym(rawValue: 0xfe03)

    /// F`n`, 1...35.
    public static func function(_ n: Int) -> Keysym {
        precondition((1...35).contains(n))
        return Keysym(rawValue: f1.rawValue + UInt32(n - 1))
    }
}

/// Where input events go: ui_server (`KernelInputSink`), or a recorder in
/// tests. Called from input threads, one event at a time, in order.
public protocol InputSink: Sendable {
    func deliver(_ event: InputEvent)
}
