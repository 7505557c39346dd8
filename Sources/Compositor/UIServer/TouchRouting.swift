import Kernel
import Wire

/// Touchscreens: which output a device's touches land on, and where each
/// touch goes (docs/protocol.md, "Touch").
///
/// A touch goes to the window whose content was under its down point, for
/// its whole life, like a pointer grab. A window created with `flagTouch`
/// gets TOUCH_* events with ids ui_server numbers; any other window, a
/// title bar, a close button or the desktop gets pointer emulation of one
/// finger at a time: the pointer jumps to it, the left button goes down,
/// follows it, and comes up when it lifts — so a press on a title bar drags
/// the window exactly as the mouse would, and paint draws under a finger.
/// The cursor hides while a finger is down; the mouse brings it back.

/// A touchscreen as its INPUT_TOUCH_DOWN describes it: what decides its output.
public struct Touchscreen: Sendable, Equatable {
    /// The touch area in millimetres; 0 when unknown.
    public var widthMM: Int
    public var heightMM: Int
    /// udev's `WL_OUTPUT` for the device: a connector name, or "".
    public var outputHint: String

    public init(widthMM: Int = 0, heightMM: Int = 0, outputHint: String = "") {
        self.widthMM = widthMM
        self.heightMM = heightMM
        self.outputHint = outputHint
    }
}

/// The outputs touches may land on: the layout lit now, and the monitors
/// behind it (built in or not, their size), which the mapping asks about.
public struct TouchOutputs: Sendable {
    public var layout: OutputLayout
    public var monitors: [Monitor]

    public init(layout: OutputLayout, monitors: [Monitor] = []) {
        self.layout = layout
        self.monitors = monitors
    }
}

/// Which output a touchscreen is glued to, without udev rules.
public enum TouchMapping {
    /// Why an output was chosen, for the log.
    public enum Reason: String, Sendable {
        case flag = "--touch-output"
        case hint = "udev's output hint (WL_OUTPUT)"
        case builtIn = "the built-in output"
        case size = "the output of its size"
        case primary = "the primary output"
    }

    /// A size matches when width and height are each within this fraction
    /// of the monitor's.
    public static let sizeTolerance = 0.10

    /// The output `screen`'s touches land on, in this order: `forced`
    /// (`--touch-output`) when it names a lit output; else the device's output
    /// hint when it names one; else the built-in output; else an output whose
    /// physical size is the device's (the primary first, if it is one);
    /// else the primary. Output names compare ignoring case. Nil with no
    /// output lit.
    public static func output(for screen: Touchscreen, forced: String?, outputs: TouchOutputs)
        -> (name: String, reason: Reason)?
    {
        let layout = outputs.layout
        guard let primary = layout.primary else { return nil }
        func lit(_ name: String) -> OutputPlacement? {
            layout.outputs.first { $0.name.lowercased() == name.lowercased() }
        }
        if let forced, let output = lit(forced) { return (output.name, .flag) }
        if !screen.outputHint.isEmpty, let output = lit(screen.outputHint) { return (output.name, .hint) }
        let monitors = outputs.monitors.compactMap { monitor in lit(monitor.connector).map { (monitor, $0) } }
        if let (_, output) = monitors.first(where: { $0.0.isBuiltIn }) { return (output.name, .builtIn) }
        if screen.widthMM > 0, screen.heightMM > 0 {
            func near(_ a: Int, _ b: Int) -> Bool { b > 0 && Double(abs(a - b)) <= sizeTolerance * Double(b) }
            let sized = monitors.filter { near(screen.widthMM, $0.0.widthMM) && near(screen.heightMM, $0.0.heightMM) }.map(\.1)
            if let output = sized.first(where: \.primary) ?? sized.first { return (output.name, .size) }
        }
        return (primary.name, .primary)
    }
}

/// A touch message from the input endpoint, decoded.
enum TouchInput: Equatable {
    /// u and v: 0...1 of the touchscreen's panel.
    case down(device: UInt32, slot: UInt32, u: Double, v: Double, screen: Touchscreen)
    case motion(device: UInt32, slot: UInt32, u: Double, v: Double)
    case up(device: UInt32, slot: UInt32)
    case cancel(device: UInt32)
    case frame(device: UInt32)

    static let opcodes: Set<UInt32> = [
        WindowProtocol.inputTouchDown, WindowProtocol.inputTouchMotion, WindowProtocol.inputTouchUp,
        WindowProtocol.inputTouchCancel, WindowProtocol.inputTouchFrame,
    ]

    /// Nil for a payload too short, or a position that is not a number.
    init?(opcode: UInt32, payload: [UInt8]) {
        var r = PayloadReader(payload)
        guard let device = r.u32() else { return nil }
        switch opcode {
        case WindowProtocol.inputTouchDown:
            guard let slot = r.u32(), let u = r.f64(), let v = r.f64(), u.isFinite, v.isFinite,
                let width = r.u32(), let height = r.u32()
            else { return nil }
            let screen = Touchscreen(widthMM: Int(width), heightMM: Int(height), outputHint: r.text(limit: 64))
            self = .down(device: device, slot: slot, u: u, v: v, screen: screen)
        case WindowProtocol.inputTouchMotion:
            guard let slot = r.u32(), let u = r.f64(), let v = r.f64(), u.isFinite, v.isFinite else { return nil }
            self = .motion(device: device, slot: slot, u: u, v: v)
        case WindowProtocol.inputTouchUp:
            guard let slot = r.u32() else { return nil }
            self = .up(device: device, slot: slot)
        case WindowProtocol.inputTouchCancel:
            self = .cancel(device: device)
        case WindowProtocol.inputTouchFrame:
            self = .frame(device: device)
        default:
            return nil
        }
    }
}

/// ui_server's touches: the fingers down and where each goes.
struct TouchState {
    /// `--touch-output`: the output every touchscreen maps to, while it is lit.
    var forcedOutput: String?
    var fingers: [Finger.Key: Finger] = [:]
    /// The finger driving the pointer now, if one is.
    var emulating: Finger.Key?
    /// The next TOUCH_DOWN id; 0 is never used.
    var nextID: UInt32 = 1
    /// By device: the windows sent touch events since its last frame.
    var unframed: [UInt32: Set<UInt32>] = [:]
    /// By device: the output it mapped to last (nil: none), to log changes.
    var mapped: [UInt32: String?] = [:]

    struct Finger {
        struct Key: Hashable {
            let device: UInt32
            let slot: UInt32
        }
        /// The output its down mapped to; its motion maps there too.
        let output: String
        var target: Target
    }

    enum Target: Equatable {
        /// A `flagTouch` window, and the id it knows the finger by.
        case window(UInt32, id: UInt32)
        /// The pointer follows this finger (pointer emulation).
        case pointer
        /// Nobody: a second finger on a window that only knows the pointer,
        /// a press on the file chooser, or a window whose touches were cancelled.
        case nobody
    }

    mutating func freshID() -> UInt32 {
        if nextID == 0 { nextID = 1 }
        defer { nextID &+= 1 }
        return nextID
    }
}

extension UIServer {
    /// Maps every touchscreen to the output called `name` while it is lit
    /// (`wskdesk --touch-output`); nil goes back to the automatic choice.
    public func mapTouchscreens(to name: String?) {
        inspect { $0.touch.forcedOutput = name }
    }
}

extension UIServerState {
    /// The outputs touches map onto: those lit, and their monitors.
    var touchOutputs: TouchOutputs {
        TouchOutputs(layout: compositor.layout, monitors: litMonitors)
    }

    /// An INPUT_TOUCH_* message.
    func handleTouch(_ message: ReceivedMessage) {
        guard let input = TouchInput(opcode: message.opcode, payload: message.payload) else { return }
        routeTouch(input, outputs: touchOutputs)
    }

    func routeTouch(_ input: TouchInput, outputs: TouchOutputs) {
        switch input {
        case .down(let device, let slot, let u, let v, let screen):
            let key = TouchState.Finger.Key(device: device, slot: slot)
            guard touch.fingers[key] == nil, let output = touchOutput(device, screen, outputs),
                let point = outputs.layout.desktopPoint(output: output, panelU: u, v: v)
            else { return }
            touch.fingers[key] = TouchState.Finger(output: output, target: touchDown(key, at: point))
        case .motion(let device, let slot, let u, let v):
            let key = TouchState.Finger.Key(device: device, slot: slot)
            // An output gone under a finger: its motion goes nowhere until it lifts.
            guard let finger = touch.fingers[key],
                let point = outputs.layout.desktopPoint(output: finger.output, panelU: u, v: v)
            else { return }
            switch finger.target {
            case .window(let window, let id):
                sendTouch(WindowProtocol.touchMotion, to: window, device: device, id: id, at: point)
            case .pointer:
                movePointer(to: point)
            case .nobody:
                break
            }
        case .up(let device, let slot):
            guard let finger = touch.fingers.removeValue(forKey: TouchState.Finger.Key(device: device, slot: slot)) else { return }
            switch finger.target {
            case .window(let window, let id):
                sendTouch(WindowProtocol.touchUp, to: window, device: device, id: id, at: nil)
            case .pointer:
                touch.emulating = nil
                pointerButton(WindowProtocol.buttonLeft, pressed: false)
            case .nobody:
                break
            }
        case .cancel(let device):
            let keys = touch.fingers.keys.filter { $0.device == device }
            var cancelled: Set<UInt32> = []
            for key in keys {
                switch touch.fingers.removeValue(forKey: key)?.target {
                case .window(let window, _): cancelled.insert(window)
                case .pointer:
                    touch.emulating = nil
                    pointerButton(WindowProtocol.buttonLeft, pressed: false)
                case .nobody, nil: break
                }
            }
            for window in cancelled.sorted() {
                var payload = PayloadWriter()
                payload.u32(window)
                sendEvent(to: window, WindowProtocol.touchCancel, payload.bytes)
                // The window forgot every finger, other devices' too.
                for (key, finger) in touch.fingers where finger.target.window == window {
                    touch.fingers[key]?.target = .nobody
                }
                for other in touch.unframed.keys { touch.unframed[other]?.remove(window) }
            }
        case .frame(let device):
            for window in (touch.unframed.removeValue(forKey: device) ?? []).sorted() {
                var payload = PayloadWriter()
                payload.u32(window)
                sendEvent(to: window, WindowProtocol.touchFrame, payload.bytes)
            }
        }
    }

    /// The output a device's touch lands on; logs when that changes, and
    /// when there is none.
    private func touchOutput(_ device: UInt32, _ screen: Touchscreen, _ outputs: TouchOutputs) -> String? {
        let choice = TouchMapping.output(for: screen, forced: touch.forcedOutput, outputs: outputs)
        if let before = touch.mapped[device], before == choice?.name { return choice?.name }  // nothing new to say
        touch.mapped[device] = .some(choice?.name)
        guard let choice else {
            logger.warning("touch device \(device): no output to map it to; its touches are dropped until an output is lit")
            return nil
        }
        var note = ""
        if let forced = touch.forcedOutput, choice.reason != .flag { note = " (--touch-output \(forced) is not lit)" }
        logger.info("touch device \(device) maps to \(choice.name), by \(choice.reason.rawValue)\(note)")
        return choice.name
    }

    /// Where a new finger goes: the file chooser, a `flagTouch` window, or
    /// the pointer.
    private func touchDown(_ key: TouchState.Finger.Key, at point: (x: Double, y: Double)) -> TouchState.Target {
        bootWindows = nil  // someone is at the screen: windows stay where they are
        compositor.setCursorVisible(false)
        if chooser != nil {
            // The chooser is modal: a finger is a click on it.
            movePointer(to: point)
            chooserPress(WindowProtocol.buttonLeft)
            return .nobody
        }
        if let (window, part) = compositor.scene.hit(x: Int(point.x), y: Int(point.y)), part == .content,
            windows[window.id]?.takesTouch == true
        {
            let press = policy.press(WindowProtocol.buttonLeft, on: part)
            focus(window.id)
            if press.raises { compositor.raise(window.id) }
            let id = touch.freshID()
            sendTouch(WindowProtocol.touchDown, to: window.id, device: key.device, id: id, at: point)
            return .window(window.id, id: id)
        }
        // One finger drives the pointer, and only while the mouse is not
        // holding a button: a second finger would tear the grab apart.
        guard touch.emulating == nil, pointer.buttons == 0, pointer.grab == nil else { return .nobody }
        touch.emulating = key
        movePointer(to: point)
        pointerButton(WindowProtocol.buttonLeft, pressed: true)
        return .pointer
    }

    /// The pointer to a finger, its cursor kept hidden.
    private func movePointer(to point: (x: Double, y: Double)) {
        pointer.x = point.x
        pointer.y = point.y
        pointerMoved()
        compositor.setCursorVisible(false)
    }

    /// TOUCH_DOWN, TOUCH_MOTION (with `at`) or TOUCH_UP to a window, in its
    /// content coordinates; the window then awaits the device's frame.
    private func sendTouch(_ opcode: UInt32, to id: UInt32, device: UInt32, id touchID: UInt32, at point: (x: Double, y: Double)?) {
        guard let window = compositor.scene.window(id) else { return }
        var payload = PayloadWriter()
        payload.u32(id)
        payload.u32(touchID)
        if let point {
            payload.i32(Int32(clamping: Int(point.x.rounded(.down)) - window.x))
            payload.i32(Int32(clamping: Int(point.y.rounded(.down)) - window.y))
        }
        sendEvent(to: id, opcode, payload.bytes)
        touch.unframed[device, default: []].insert(id)
    }
}

extension TouchState.Target {
    var window: UInt32? {
        if case .window(let id, _) = self { return id }
        return nil
    }
}
