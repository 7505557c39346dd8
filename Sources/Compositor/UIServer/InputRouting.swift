import Kernel
import Wire

/// Input from the input source, routed: keys to the focused window, pointer
/// events to the window under the pointer (or the one holding the grab while
/// a button is down), in window coordinates. What a press on each part of a
/// window does is the policy's call.
extension UIServerState {
    func handleInput(_ message: ReceivedMessage) {
        if blankingSwallows(message) { return }  // Blanking.swift: wakes a blanked screen
        var reader = PayloadReader(message.payload)
        switch message.opcode {
        case WindowProtocol.inputPointerMotion:
            guard let mode = reader.u32(), let x = reader.f64(), let y = reader.f64(), x.isFinite, y.isFinite else { return }
            guard !compositor.layout.isEmpty else { return }  // no output: nowhere to point
            if mode == 1 {
                // An absolute device (a VM's tablet) spans the primary
                // output's panel: [0, 1) covers it, pixel n is [n/width,
                // (n+1)/width), as libinput's transformed coordinates (a
                // device's [min, max] onto [0, 1)) mean it; 1 itself is the
                // last pixel. Scaling by width - 1 would leave the last
                // column and row out of a tablet's reach.
                guard let primary = compositor.layout.primary,
                    let point = compositor.layout.desktopPoint(output: primary.name, panelU: x, v: y)
                else { return }
                pointer.x = point.x
                pointer.y = point.y
            } else {
                // Across outputs, never off them (nor into the gaps of an L).
                let point = compositor.layout.clamp(x: pointer.x + x, y: pointer.y + y)
                pointer.x = point.x
                pointer.y = point.y
            }
            pointerMoved()
        case WindowProtocol.inputPointerButton:
            guard let button = reader.u32(), let pressed = reader.u32() else { return }
            if chooser != nil {
                // The chooser is modal: no app sees a press while it is open.
                bootWindows = nil
                if pressed != 0 { chooserPress(button) }
                return
            }
            pointerButton(button, pressed: pressed != 0)
        case WindowProtocol.inputPointerScroll:
            guard let dx = reader.f64(), let dy = reader.f64(), dx.isFinite, dy.isFinite else { return }
            if chooser != nil { return chooserScroll(dy: dy) }
            pointerScroll(dx: dx, dy: dy)
        case WindowProtocol.inputKey:
            guard let keycode = reader.u32(), let keysym = reader.u32(), let modifiers = reader.u32(),
                let pressed = reader.u32()
            else { return }
            let text = reader.text()
            // The chooser takes every press and repeat while it is open; a
            // release still goes where its press went (to an app, if the
            // press came before the chooser opened).
            if chooser != nil, pressed != 0 {
                bootWindows = nil
                return chooserKey(keysym: keysym, modifiers: modifiers, text: text)
            }
            // A key's repeats and release go where its press went: a window
            // never sees a key end that it did not see begin.
            let target: UInt32?
            switch pressed {
            case 0: target = keyTargets.removeValue(forKey: keycode)
            case 1:
                bootWindows = nil
                target = compositor.scene.focused?.id
                keyTargets[keycode] = target
            default:
                target = keyTargets[keycode].flatMap { $0 == compositor.scene.focused?.id ? $0 : nil }
            }
            guard let target else { return }
            // Written afresh, not forwarded: what an app decodes is the
            // window protocol's KEY, with its text valid UTF-8.
            var payload = PayloadWriter()
            payload.u32(target)
            payload.u32(keycode)
            payload.u32(keysym)
            payload.u32(modifiers)
            payload.u32(pressed)
            payload.text(text)
            sendEvent(to: target, WindowProtocol.key, payload.bytes)
        case _ where TouchInput.opcodes.contains(message.opcode):
            handleTouch(message)
        default:
            return
        }
    }

    var pointerPixel: (x: Int, y: Int) { (Int(pointer.x.rounded(.down)), Int(pointer.y.rounded(.down))) }

    func pointerMoved() {
        let (px, py) = pointerPixel
        compositor.setCursorVisible(true)
        compositor.moveCursor(toX: px, y: py)
        guard chooser == nil else { return }  // modal: apps see no motion
        switch pointer.grab {
        case .move(let id, let dx, let dy):
            compositor.move(id, toX: px - dx, y: py - dy)
        case .content(let id):
            sendPointer(WindowProtocol.pointerMotion, to: id) { $0.u32(self.pointer.buttons) }
        case .close, nil:
            updateHover()
            if let id = pointer.hovered {
                sendPointer(WindowProtocol.pointerMotion, to: id) { $0.u32(self.pointer.buttons) }
            }
        }
    }

    /// Tells windows when the pointer enters or leaves their content.
    func updateHover() {
        let (px, py) = pointerPixel
        var now: UInt32?
        if let (window, part) = compositor.scene.hit(x: px, y: py), part == .content { now = window.id }
        guard now != pointer.hovered else { return }
        if let old = pointer.hovered { sendPointer(WindowProtocol.pointerLeave, to: old) { _ in } }
        pointer.hovered = now
        if let new = now { sendPointer(WindowProtocol.pointerEnter, to: new) { _ in } }
    }

    func pointerButton(_ button: UInt32, pressed: Bool) {
        let bit: UInt32 = switch button {
        case WindowProtocol.buttonLeft: 1
        case WindowProtocol.buttonRight: 2
        case WindowProtocol.buttonMiddle: 4
        default: 0
        }
        let (px, py) = pointerPixel
        if pressed {
            bootWindows = nil  // someone is at the screen: windows stay where they are
            pointer.buttons |= bit
            if pointer.grab == nil, let (window, part) = compositor.scene.hit(x: px, y: py) {
                let press = policy.press(button, on: part)
                focus(window.id)
                if press.raises { compositor.raise(window.id) }
                switch press.grab {
                case .content: pointer.grab = .content(window.id)
                case .move: pointer.grab = .move(window.id, dx: px - window.x, dy: py - window.y)
                case .close: pointer.grab = .close(window.id)
                case .none: break
                }
            }
        } else {
            pointer.buttons &= ~bit
        }
        if case .content(let id) = pointer.grab {
            sendPointer(WindowProtocol.pointerButton, to: id) {
                $0.u32(button)
                $0.u32(pressed ? 1 : 0)
            }
        }
        guard pointer.buttons == 0, let grab = pointer.grab else { return }
        pointer.grab = nil
        if case .close(let id) = grab, let window = compositor.scene.window(id), window.hit(x: px, y: py) == .closeButton {
            var payload = PayloadWriter()
            payload.u32(id)
            sendEvent(to: id, WindowProtocol.closeRequest, payload.bytes)
        }
        updateHover()
    }

    func pointerScroll(dx: Double, dy: Double) {
        let target = pointer.grab.map(\.window) ?? pointer.hovered
        guard let id = target else { return }
        sendPointer(WindowProtocol.pointerScroll, to: id) {
            $0.i32(Int32(clamping: Int(dx.rounded())))
            $0.i32(Int32(clamping: Int(dy.rounded())))
        }
    }

    /// Sends a pointer event with the window id and window coordinates first.
    func sendPointer(_ opcode: UInt32, to id: UInt32, _ rest: (inout PayloadWriter) -> Void) {
        guard let window = compositor.scene.window(id) else { return }
        let (px, py) = pointerPixel
        var payload = PayloadWriter()
        payload.u32(id)
        payload.i32(Int32(px - window.x))
        payload.i32(Int32(py - window.y))
        rest(&payload)
        sendEvent(to: id, opcode, payload.bytes)
    }

    /// Gives a window keyboard focus; the old and new holders are told.
    func focus(_ id: UInt32) {
        let old = compositor.scene.focused?.id
        guard old != id else { return }
        compositor.setFocus(id)
        for observer in server.focusObservers.withLock({ $0 }) { observer(id) }
        for (window, focused) in [(old, UInt32(0)), (id, UInt32(1))] {
            guard let window else { continue }
            var payload = PayloadWriter()
            payload.u32(window)
            payload.u32(focused)
            sendEvent(to: window, WindowProtocol.focus, payload.bytes)
        }
    }
}
