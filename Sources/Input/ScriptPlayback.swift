import Foundation

/// One thing a script does when played: a device event, or a pause.
public enum ScriptStep: Sendable, Equatable {
    case event(DeviceEvent)
    case wait(milliseconds: Int)
}

extension InputScript {
    /// Reads and parses a script file.
    public init(contentsOf path: String) throws(InputScriptError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputScriptError(script: path, line: 0, message: "cannot read it: \(error.localizedDescription)")
        }
        try self.init(parsing: text, name: path)
    }

    /// The script as device events for `keymap` on an output of `width` ×
    /// `height` pixels: keysyms become the keys (and modifiers) that type
    /// them, pixels become absolute positions; touch lines keep their
    /// fractions of the touchscreen (ui_server maps it to an output). A key the keymap cannot type
    /// is an error at its line, before anything is played.
    public func steps(keymap: Keymap, width: Int, height: Int) throws(InputScriptError) -> [ScriptStep] {
        var out: [ScriptStep] = []
        for line in lines {
            do {
                try Self.append(line.command, keymap: keymap, width: width, height: height, to: &out)
            } catch {
                throw InputScriptError(script: name, line: line.number, message: error.message)
            }
        }
        return out
    }

    /// The order modifier keys go down in (and up in reverse).
    static let modifierOrder: [Modifiers] = [.ctrl, .alt, .shift, .logo, .altGr]

    private static func append(_ command: Command, keymap: Keymap, width: Int, height: Int, to out: inout [ScriptStep])
        throws(LineError)
    {
        func emit(_ event: DeviceEvent) { out.append(.event(event)) }
        func moveTo(_ p: Point) {
            // The centre of the pixel: ui_server maps [0, 1) onto the width.
            emit(.pointerMotionAbsolute(x: min(1, (Double(p.x) + 0.5) / Double(max(1, width))),
                                        y: min(1, (Double(p.y) + 0.5) / Double(max(1, height)))))
        }
        func tap(_ keysym: Keysym, holding extra: Modifiers, what: String) throws(LineError) {
            guard let stroke = keymap.stroke(for: keysym) else {
                throw LineError("no key in the keymap (\(keymap.names)) types \(what)")
            }
            var held: [UInt32] = []
            for modifier in modifierOrder where stroke.modifiers.union(extra).contains(modifier) {
                guard let key = keymap.key(for: modifier) else {
                    throw LineError("the keymap (\(keymap.names)) has no key for \(modifier)")
                }
                held.append(key)
            }
            for key in held { emit(.key(code: key, pressed: true)) }
            emit(.key(code: stroke.keycode, pressed: true))
            emit(.key(code: stroke.keycode, pressed: false))
            for key in held.reversed() { emit(.key(code: key, pressed: false)) }
        }
        func plainKey(_ keysym: Keysym) throws(LineError) -> UInt32 {
            guard let stroke = keymap.stroke(for: keysym) else {
                throw LineError("no key in the keymap (\(keymap.names)) gives \(keysym.name)")
            }
            guard stroke.modifiers.isEmpty else {
                throw LineError("\(keysym.name) needs \(stroke.modifiers): hold them with their own keydown lines and name the key's plain symbol")
            }
            return stroke.keycode
        }

        switch command {
        case .key(let combos):
            for combo in combos { try tap(combo.keysym, holding: combo.modifiers, what: combo.keysym.name) }
        case .keyDown(let keysym):
            emit(.key(code: try plainKey(keysym), pressed: true))
        case .keyUp(let keysym):
            emit(.key(code: try plainKey(keysym), pressed: false))
        case .type(let text):
            for scalar in text.unicodeScalars {
                guard let keysym = Keysym(typing: scalar) else {
                    throw LineError("no keysym for \(String(scalar).debugDescription) (U+\(String(scalar.value, radix: 16, uppercase: true)))")
                }
                try tap(keysym, holding: [], what: String(scalar).debugDescription)
            }
        case .move(let p):
            moveTo(p)
        case .moveBy(let dx, let dy):
            emit(.pointerMotion(dx: dx, dy: dy))
        case .click(let button, let at):
            if let at { moveTo(at) }
            emit(.pointerButton(button: button, pressed: true))
            emit(.pointerButton(button: button, pressed: false))
        case .press(let button):
            emit(.pointerButton(button: button, pressed: true))
        case .release(let button):
            emit(.pointerButton(button: button, pressed: false))
        case .drag(let from, let to, let button):
            moveTo(from)
            emit(.pointerButton(button: button, pressed: true))
            // Through the pixels between, as a hand would: one move per 16 px.
            let distance = max(abs(to.x - from.x), abs(to.y - from.y))
            let moves = min(64, max(1, distance / 16))
            for i in 1...moves {
                moveTo(Point(from.x + (to.x - from.x) * i / moves, from.y + (to.y - from.y) * i / moves))
            }
            emit(.pointerButton(button: button, pressed: false))
        case .scroll(let dx, let dy):
            emit(.pointerScroll(dx: Double(dx), dy: Double(dy)))
        case .wait(let ms):
            out.append(.wait(milliseconds: ms))
        case .touch(let touch):
            let device = TouchDevice.script
            switch touch {
            case .down(let slot, let x, let y): emit(.touch(.down(device, slot: slot, x: x, y: y)))
            case .move(let slot, let x, let y): emit(.touch(.motion(device: device.id, slot: slot, x: x, y: y)))
            case .up(let slot): emit(.touch(.up(device: device.id, slot: slot)))
            case .cancel: emit(.touch(.cancel(device: device.id)))
            case .frame: emit(.touch(.frame(device: device.id)))
            }
        }
    }
}

public enum ScriptPlayer {
    /// Plays steps in order: events into `handle` (an `InputPipeline`),
    /// waits with `sleep` (real time by default; tests pass their own).
    public static func play(_ steps: [ScriptStep], into handle: (DeviceEvent) -> Void,
                            sleep: (Int) -> Void = { Thread.sleep(forTimeInterval: Double($0) / 1000) })
    {
        for step in steps {
            switch step {
            case .event(let event): handle(event)
            case .wait(let ms): sleep(ms)
            }
        }
    }
}
