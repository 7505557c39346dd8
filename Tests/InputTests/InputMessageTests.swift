import Compositor
import Kernel
import Testing
import Wire

@testable import Input

/// Input restates the few protocol numbers it sends (it does not import the
/// compositor); these fail when they drift from `WindowProtocol`.
@Suite struct InputMessageTests {
    @Test func opcodesAgreeWithTheWindowProtocol() {
        #expect(InputMessage.pointerMotion == WindowProtocol.inputPointerMotion)
        #expect(InputMessage.pointerButton == WindowProtocol.inputPointerButton)
        #expect(InputMessage.pointerScroll == WindowProtocol.inputPointerScroll)
        #expect(InputMessage.key == WindowProtocol.inputKey)
    }

    @Test func modifierBitsAgreeWithTheWindowProtocol() {
        let pairs: [(Modifiers, UInt32)] = [
            (.shift, WindowProtocol.modShift), (.capsLock, WindowProtocol.modCapsLock), (.ctrl, WindowProtocol.modCtrl),
            (.alt, WindowProtocol.modAlt), (.logo, WindowProtocol.modLogo), (.altGr, WindowProtocol.modAltGr),
            (.numLock, WindowProtocol.modNumLock),
        ]
        for (ours, theirs) in pairs { #expect(ours.rawValue == theirs, "\(ours)") }
        #expect(Modifiers.names.count == pairs.count)
        #expect(LibInputSource.buttonLeft == WindowProtocol.buttonLeft)
        #expect(InputScript.buttonNames["left"] == WindowProtocol.buttonLeft)
        #expect(InputScript.buttonNames["right"] == WindowProtocol.buttonRight)
        #expect(InputScript.buttonNames["middle"] == WindowProtocol.buttonMiddle)
    }

    /// Each event encodes as docs/protocol.md lays it out, read back with
    /// ui_server's own reader.
    @Test func payloadsHaveTheDocumentedLayout() {
        let key = InputMessage.encode(.key(KeyEvent(keycode: 30, keysym: Keysym(rawValue: 0x41), text: "A",
                                                    modifiers: [.shift, .capsLock], state: .repeated)))
        #expect(key.opcode == WindowProtocol.inputKey)
        var r = PayloadReader(key.payload)
        #expect([r.u32(), r.u32(), r.u32(), r.u32()] == [30, 0x41, 3, 2])
        #expect(r.text() == "A")

        let rel = InputMessage.encode(.pointerMotion(dx: 1.5, dy: -2))
        r = PayloadReader(rel.payload)
        #expect(rel.opcode == WindowProtocol.inputPointerMotion)
        #expect(r.u32() == 0 && r.f64() == 1.5 && r.f64() == -2 && r.remaining == 0)

        let abs = InputMessage.encode(.pointerMotionAbsolute(x: 0.25, y: 1))
        r = PayloadReader(abs.payload)
        #expect(r.u32() == 1 && r.f64() == 0.25 && r.f64() == 1 && r.remaining == 0)

        let button = InputMessage.encode(.pointerButton(button: 0x111, pressed: true))
        r = PayloadReader(button.payload)
        #expect(button.opcode == WindowProtocol.inputPointerButton)
        #expect(r.u32() == 0x111 && r.u32() == 1 && r.remaining == 0)

        let scroll = InputMessage.encode(.pointerScroll(dx: 0, dy: -3))
        r = PayloadReader(scroll.payload)
        #expect(scroll.opcode == WindowProtocol.inputPointerScroll)
        #expect(r.f64() == 0 && r.f64() == -3 && r.remaining == 0)
    }

    @Test func kernelSinkSendsToTheTarget() throws {
        let kernel = Kernel()
        let source = kernel.createActor(name: "input")
        let server = kernel.createActor(name: "server")
        let (inbox, toServer) = try kernel.connect(owner: server, peer: source, capacity: 4)
        let sink = KernelInputSink(kernel: kernel, actor: source, target: toServer, patience: .milliseconds(20), logger: quietLogger)
        sink.deliver(.pointerButton(button: 0x110, pressed: true))
        guard case .message(let m) = try kernel.receive(server, from: inbox, capacity: 256, timeout: .poll) else {
            Issue.record("nothing received")
            return
        }
        #expect(m.sender == source)
        #expect(m.opcode == WindowProtocol.inputPointerButton)
        // A full queue: the sink waits its patience, then drops (and never hangs).
        for _ in 0..<10 { sink.deliver(.pointerMotion(dx: 1, dy: 1)) }
        var received = 0
        while case .message? = try? kernel.receive(server, from: inbox, capacity: 256, timeout: .poll) { received += 1 }
        #expect(received == 4)
    }
}
