import AppProtocols
import Dispatch
import Foundation
import Interp
import Logging
import Synchronization
import TestSupport
import Testing
import Wire

@testable import Compositor
@testable import Kernel

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects every actor's `sys_log` lines, and waits for one.
final class LogRecorder: Sendable {
    private let lines = Mutex<[(actor: String, line: String)]>([])

    var sink: LogSink { { actor, line in self.lines.withLock { $0.append((actor, line)) } } }

    func lines(of actor: String) -> [String] { lines.withLock { $0.filter { $0.actor == actor }.map(\.line) } }

    /// The first line of `actor` containing `text`, after the first `skip`
    /// such lines, waiting up to `seconds`.
    func wait(for text: String, from actor: String, skipping skip: Int = 0, seconds: Double = 60) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let found = lines(of: actor).filter { $0.contains(text) }
            if found.count > skip { return found[skip] }
            Thread.sleep(forTimeInterval: 0.01)
        } while Date() < deadline
        return nil
    }
}

/// A headless desktop as wskdesk boots it — kernel, Wasm host, ui_server —
/// plus an input source the test drives, and a recorder of the apps' logs.
final class DesktopHarness: @unchecked Sendable {
    // Set up before the server thread starts; only read afterwards.
    let kernel = Kernel()
    let host: WasmActorHost
    let log = LogRecorder()
    let backend: HeadlessBackend
    let server: UIServer
    let input: ActorID
    let inputHandle: Handle
    /// The native actor boot configurations come from.
    let desktop: ActorID
    private let stopped = DispatchSemaphore(value: 0)

    init(width: Int = 1024, height: Int = 640, limits: ActorLimits = ActorLimits()) throws {
        // The interpreter, always: what the tests see must not depend on
        // whether compiled code happens to be cached.
        host = WasmActorHost(kernel: kernel, limits: limits, tier: .interpreter, logSink: log.sink)
        backend = HeadlessBackend(width: width, height: height)
        var logger = Logger(label: "test.ui_server")
        logger.logLevel = .critical
        server = try UIServer(kernel: kernel, backend: backend, policy: DesktopPolicy(), logger: logger)
        input = kernel.createActor(name: "input")
        inputHandle = try server.connect(inputSource: input)
        desktop = kernel.createActor(name: "wskdesk")
        let thread = Thread { [server, stopped] in
            server.run()
            stopped.signal()
        }
        thread.start()
    }

    /// Ends every actor and ui_server.
    func stop() {
        _ = host.shutdown(timeout: .seconds(10))
        server.stop()
        #expect(stopped.wait(timeout: .now() + 10) == .success, "ui_server did not stop")
    }

    /// Starts `build/actors/<app>.wasm` as the desktop does paint and
    /// fractal: handle 1 ui_server, 2 a spawner over `plugins`, 3 `config`.
    @discardableResult
    func start(_ app: String, plugins: String, config: BootConfig) throws -> ActorID {
        let module = try host.load(path: Repository.builtActor(app + ".wasm"))
        return try host.spawn(module) { [self] actor in
            _ = try server.connect(app: actor)
            try AppBoot.grant(to: actor, plugins: plugins, config: config, from: desktop, kernel: kernel)
        }
    }

    /// The content rectangle (screen coordinates) of `actor`'s first window,
    /// once it is shown; waits up to `seconds`.
    func window(of actor: ActorID, seconds: Double = 60) throws -> Rect {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let found: Rect? = onServer { server in
                server.compositor.scene.windows.first { $0.owner == actor && $0.mapped }?.contentRect
            }
            if let found { return found }
            Thread.sleep(forTimeInterval: 0.01)
        } while Date() < deadline
        throw HarnessError("\(actor) showed no window")
    }

    // MARK: Input, as an input source sends it

    /// Puts the pointer on screen pixel (x, y): absolute motion to its centre.
    func move(to x: Int, _ y: Int) throws {
        var p = PayloadWriter()
        p.u32(1)
        p.f64((Double(x) + 0.5) / Double(backend.width))
        p.f64((Double(y) + 0.5) / Double(backend.height))
        try send(WindowProtocol.inputPointerMotion, p.bytes)
    }

    func button(_ pressed: Bool, _ button: UInt32 = WindowProtocol.buttonLeft) throws {
        var p = PayloadWriter()
        p.u32(button)
        p.u32(pressed ? 1 : 0)
        try send(WindowProtocol.inputPointerButton, p.bytes)
    }

    func click(_ x: Int, _ y: Int) throws {
        try move(to: x, y)
        try button(true)
        try button(false)
    }

    /// Presses and releases `button` at `points[0]`, moving through the rest.
    func drag(_ points: [(Int, Int)], button: UInt32 = WindowProtocol.buttonLeft) throws {
        try move(to: points[0].0, points[0].1)
        try self.button(true, button)
        for (x, y) in points.dropFirst() { try move(to: x, y) }
        try self.button(false, button)
    }

    func scroll(dy: Double) throws {
        var p = PayloadWriter()
        p.f64(0)
        p.f64(dy)
        try send(WindowProtocol.inputPointerScroll, p.bytes)
    }

    /// A key press and release: `keysym` (printable keys: their ASCII code), its text.
    func key(_ keysym: UInt32, text: String = "", modifiers: UInt32 = 0) throws {
        for pressed: UInt32 in [1, 0] {
            var p = PayloadWriter()
            p.u32((keysym & 0xff) + 8)  // some keycode, the same for press and release
            p.u32(keysym)
            p.u32(modifiers)
            p.u32(pressed)
            p.text(pressed == 1 ? text : "")
            try send(WindowProtocol.inputKey, p.bytes)
        }
    }

    /// Types printable ASCII characters, one key each.
    func type(_ text: String) throws {
        for c in text.unicodeScalars { try key(c.value, text: String(c)) }
    }

    private func send(_ opcode: UInt32, _ payload: [UInt8]) throws {
        for _ in 0..<1000 {
            do {
                return try kernel.send(input, to: inputHandle, opcode: opcode, payload: payload)
            } catch SysError.queueFull {
                Thread.sleep(forTimeInterval: 0.001)
            }
        }
        throw HarnessError("ui_server's queue stayed full")
    }

    // MARK: The screen

    /// A copy of the screen as last presented.
    func screen() -> Screen {
        onServer { server in Screen(server.compositor.heads[0].backend.frontBuffer()) }
    }

    /// Waits until `rect` of the screen holds `expected` (row after row),
    /// up to `seconds`; the last look at it either way.
    func waitForScreen(_ rect: Rect, toShow expected: [UInt32], seconds: Double = 60) -> [UInt32] {
        let deadline = Date().addingTimeInterval(seconds)
        var seen: [UInt32] = []
        repeat {
            seen = screen().pixels(in: rect)
            if seen == expected { return seen }
            Thread.sleep(forTimeInterval: 0.02)
        } while Date() < deadline
        return seen
    }

    /// Runs `body` on the ui_server thread and returns its result.
    func onServer<T: Sendable>(_ body: @escaping @Sendable (UIServerState) -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        server.inspect { server in
            result.withLock { $0 = body(server) }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}

/// A copy of the screen, `0x00RRGGBB` per pixel.
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

    func pixels(in r: Rect) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(r.width * r.height)
        for y in r.y..<r.maxY {
            let start = y * width + r.x
            out.append(contentsOf: pixels[start..<start + r.width])
        }
        return out
    }
}

/// Where two pictures of `width` pixels a row first differ, and how many
/// pixels do: for a failure message.
func difference(_ a: [UInt32], _ b: [UInt32], width: Int) -> String {
    guard a.count == b.count else { return "sizes differ: \(a.count) vs \(b.count) pixels" }
    let diffs = zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }
    guard let first = diffs.first else { return "identical" }
    let hex = { (v: UInt32) in String(v, radix: 16) }
    return "\(diffs.count) pixels differ; first at (\(first.offset % width), \(first.offset / width)): "
        + "\(hex(first.element.0)) vs \(hex(first.element.1))"
}

/// A directory of copies of built plugins under new names, removed on deinit.
final class PluginFolder {
    let path: String

    /// `files`: module name in the folder -> path under build/actors.
    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "wskdesk-plugins-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, source) in files {
            try FileManager.default.copyItem(atPath: Repository.builtActor(source), toPath: path + "/" + name + ".wasm")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
