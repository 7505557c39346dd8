import Dispatch
import Foundation
import Logging
import Synchronization
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// A ui_server running on its own thread, with an input source and native
/// apps that speak the window protocol through the kernel exactly as Wasm
/// apps do. The harnesses below give it its outputs.
class RunningUIServer: @unchecked Sendable {
    // Set up before the server thread starts; only read afterwards.
    let kernel: Kernel
    let server: UIServer
    let input: ActorID
    let inputHandle: Handle
    private let stopped = DispatchSemaphore(value: 0)

    init(kernel: Kernel, server: UIServer) throws {
        self.kernel = kernel
        self.server = server
        input = kernel.createActor(name: "input")
        inputHandle = try server.connect(inputSource: input)
        let thread = Thread { [server, stopped] in
            server.run()
            stopped.signal()
        }
        thread.start()
    }

    func stop() {
        server.stop()
        #expect(stopped.wait(timeout: .now() + 5) == .success, "ui_server did not stop")
    }

    func app(_ name: String) throws -> TestApp {
        let actor = kernel.createActor(name: name)
        return TestApp(kernel: kernel, actor: actor, ui: try server.connect(app: actor))
    }

    /// `body`'s answer, computed on ui_server's loop.
    func onServer<T: Sendable>(_ body: @escaping @Sendable (UIServerState) -> T) -> T {
        guard let answer = server.query(timeoutNanoseconds: 5_000_000_000, body) else {
            preconditionFailure("ui_server did not answer within 5 s")
        }
        return answer
    }
}

/// A ui_server on one headless output.
final class UIServerHarness: RunningUIServer, @unchecked Sendable {
    let backend: HeadlessBackend

    /// `configure` sees the server before it runs (options such as `blankWhenIdle`).
    init(width: Int = 320, height: Int = 240, policy: any WindowPolicy = DesktopPolicy(), logger: Logger? = nil,
         configure: (UIServer) -> Void = { _ in }) throws {
        backend = HeadlessBackend(width: width, height: height)
        var quiet = Logger(label: "test.ui_server")
        quiet.logLevel = .critical
        let kernel = Kernel()
        let server = try UIServer(kernel: kernel, backend: backend, policy: policy, logger: logger ?? quiet)
        configure(server)
        try super.init(kernel: kernel, server: server)
    }

    /// An app with one plain 40 × 30 window, drawn and focused, whose first
    /// events (configure, focus, frame done) are already read.
    func appWithOneWindow() throws -> (app: TestApp, window: TestApp.Created) {
        let app = try app("app")
        let window = try app.createWindow(width: 40, height: 30) { _, _ in 0x00d0_2020 }
        _ = try settle()
        _ = try app.events(window)
        return (app, window)
    }

    // MARK: Input, as the input source sends it

    func moveTo(_ x: Int, _ y: Int) throws {
        var p = PayloadWriter()
        p.u32(1)
        p.f64((Double(x) + 0.5) / Double(backend.width))
        p.f64((Double(y) + 0.5) / Double(backend.height))
        try kernel.send(input, to: inputHandle, opcode: WindowProtocol.inputPointerMotion, payload: p.bytes)
    }

    /// Absolute motion to (x, y) as fractions of the output, as libinput
    /// reports a tablet's position.
    func moveToFraction(_ x: Double, _ y: Double) throws {
        var p = PayloadWriter()
        p.u32(1)
        p.f64(x)
        p.f64(y)
        try kernel.send(input, to: inputHandle, opcode: WindowProtocol.inputPointerMotion, payload: p.bytes)
    }

    func moveBy(_ dx: Double, _ dy: Double) throws {
        var p = PayloadWriter()
        p.u32(0)
        p.f64(dx)
        p.f64(dy)
        try kernel.send(input, to: inputHandle, opcode: WindowProtocol.inputPointerMotion, payload: p.bytes)
    }

    func button(_ pressed: Bool, _ button: UInt32 = WindowProtocol.buttonLeft) throws {
        var p = PayloadWriter()
        p.u32(button)
        p.u32(pressed ? 1 : 0)
        try kernel.send(input, to: inputHandle, opcode: WindowProtocol.inputPointerButton, payload: p.bytes)
    }

    func click(at x: Int, _ y: Int) throws {
        try moveTo(x, y)
        try button(true)
        try button(false)
    }

    func key(_ keycode: UInt32, keysym: UInt32, text: String) throws {
        var p = PayloadWriter()
        p.u32(keycode)
        p.u32(keysym)
        p.u32(0)
        p.u32(1)
        p.text(text)
        try kernel.send(input, to: inputHandle, opcode: WindowProtocol.inputKey, payload: p.bytes)
    }

    // MARK: Waiting for the screen

    /// Waits until every request sent so far is handled and drawn, then
    /// returns a copy of the screen.
    func settle() throws -> Screen {
        let syncer = try app("sync")
        defer { kernel.terminate(syncer.actor, reason: .exited(code: 0)) }
        // Bounded by time, not by tries: a frame in flight keeps ui_server
        // busy for a while, and the machine may be loaded.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            do {
                try syncer.sync()
            } catch SysError.queueFull {
                Thread.sleep(forTimeInterval: 0.001)  // a flood is being drained
                continue
            }
            let result = Mutex<Screen?>(nil)
            let done = DispatchSemaphore(value: 0)
            server.inspect { server in
                if server.isIdle {
                    result.withLock { $0 = Screen(server.compositor.heads[0].backend.frontBuffer()) }
                }
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 5) == .success)
            if let screen = result.withLock({ $0 }) { return screen }
            Thread.sleep(forTimeInterval: 0.001)
        }
        throw HarnessError("ui_server never became idle within 10 s")
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A copy of the screen.
struct Screen: Sendable {
    let width: Int
    let height: Int
    let pixels: [UInt32]

    init(_ buffer: PixelBuffer) {
        width = buffer.width
        height = buffer.height
        var pixels = [UInt32](repeating: 0, count: buffer.width * buffer.height)
        for y in 0..<buffer.height {
            for x in 0..<buffer.width { pixels[y * buffer.width + x] = buffer.row(y)[x] & 0x00ff_ffff }
        }
        self.pixels = pixels
    }

    subscript(x: Int, y: Int) -> UInt32 { pixels[y * width + x] }
}

/// A native app speaking the window protocol.
struct TestApp: Sendable {
    let kernel: Kernel
    let actor: ActorID
    let ui: Handle

    struct Created: Sendable {
        let id: UInt32
        let x: Int
        let y: Int
        let events: Handle
        let surface: Handle
    }

    /// Creates a window whose surface holds `pattern`, and commits it.
    func createWindow(width: Int, height: Int, title: String = "app", flags: UInt32 = 0,
                      format: UInt32 = WindowProtocol.formatXRGB8888, commit: Bool = true,
                      pattern: (Int, Int) -> UInt32) throws -> Created {
        let surface = try kernel.createBuffer(actor, size: width * height * 4)
        try fill(surface, width: width, height: height, pattern)
        var p = PayloadWriter()
        p.u32(UInt32(width))
        p.u32(UInt32(height))
        p.u32(flags)
        p.u32(format)
        p.text(title)
        let answer = try callAnswer(WindowProtocol.createWindow, p.bytes, cap: surface)
        guard answer.opcode == WindowProtocol.windowCreated else {
            var r = PayloadReader(answer.payload)
            throw HarnessError("create refused: \(r.i32() ?? 0) \(r.text())")
        }
        var r = PayloadReader(answer.payload)
        let created = Created(id: r.u32()!, x: Int(r.i32()!), y: Int(r.i32()!), events: answer.cap, surface: surface)
        if commit { try self.commit(created.id) }
        return created
    }

    func fill(_ surface: Handle, width: Int, height: Int, _ pattern: (Int, Int) -> UInt32) throws {
        var pixels = [UInt32](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width { pixels[y * width + x] = pattern(x, y) } }
        try pixels.withUnsafeBytes { bytes in
            try Result { () throws(SysError) in try kernel.write(actor, to: surface, offset: 0, from: bytes) }.get()
        }
    }

    func commit(_ id: UInt32, _ rects: [Rect] = []) throws {
        var p = PayloadWriter()
        p.u32(id)
        for r in rects {
            p.i32(Int32(r.x))
            p.i32(Int32(r.y))
            p.i32(Int32(r.width))
            p.i32(Int32(r.height))
        }
        try kernel.send(actor, to: ui, opcode: WindowProtocol.commit, payload: p.bytes)
    }

    func send(_ opcode: UInt32, _ payload: [UInt8], cap: Handle = .null) throws {
        try kernel.send(actor, to: ui, opcode: opcode, payload: payload, cap: cap)
    }

    /// A `sys_cap_call` to ui_server; the answer.
    func callAnswer(_ opcode: UInt32, _ payload: [UInt8], cap: Handle = .null) throws -> ReceivedMessage {
        let outcome = try kernel.call(actor, to: ui, opcode: opcode, payload: payload, cap: cap, capacity: 4096,
                                      timeout: .nanoseconds(5_000_000_000))
        guard case .answer(let answer) = outcome else { throw HarnessError("no answer: \(outcome)") }
        return answer
    }

    func sync() throws {
        let answer = try callAnswer(WindowProtocol.sync, [])
        guard answer.opcode == WindowProtocol.syncDone else { throw HarnessError("sync answered \(answer.opcode)") }
    }

    /// The events queued for a window so far, as (opcode, payload after the window id).
    func events(_ window: Created) throws -> [(UInt32, [UInt8])] {
        var all: [(UInt32, [UInt8])] = []
        while true {
            let receipt: Receipt
            do {
                receipt = try kernel.receive(actor, from: window.events, capacity: 4096, timeout: .poll)
            } catch SysError.wouldBlock {
                return all
            }
            guard case .message(let m) = receipt else { return all }
            var r = PayloadReader(m.payload)
            #expect(r.u32() == window.id)
            all.append((m.opcode, Array(m.payload.dropFirst(4))))
        }
    }
}

/// Little-endian i32s of a payload.
func ints(_ bytes: [UInt8]) -> [Int32] {
    var r = PayloadReader(bytes)
    var out: [Int32] = []
    while let v = r.i32() { out.append(v) }
    return out
}
