import Foundation
import Input
import Interp
import Logging
import Synchronization
import TestSupport
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// Input end to end: a script, through real xkbcommon and the input
/// pipeline, as IPC messages from the registered input source to the
/// headless ui_server, and on to the apps — the exact events they get.
@Suite(.serialized) struct ScriptedInputTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test.input")
        logger.logLevel = .critical
        return logger
    }()

    static let usKeymap: Keymap = try! Keymap(names: KeymapNames(layout: "us"), logger: quiet)

    /// The input side as wskdesk wires it: pipeline -> KernelInputSink ->
    /// ui_server, from the harness's registered input source. The clock is
    /// the test's, so repeats come only when it says.
    final class Input: Sendable {
        let pipeline: InputPipeline
        let now: Clock

        final class Clock: Sendable {
            let value = Atomic<UInt64>(1_000_000_000)
        }

        init(_ h: UIServerHarness, repeatDelay: Int = 500) {
            let sink = KernelInputSink(kernel: h.kernel, actor: h.input, target: h.inputHandle, logger: quiet)
            let now = Clock()
            self.now = now
            let clock: @Sendable () -> UInt64 = { now.value.load(ordering: .relaxed) }
            pipeline = InputPipeline(
                keyboard: KeyboardState(keymap: usKeymap),
                configuration: InputConfiguration(repeatDelay: repeatDelay, repeatRate: 10), sink: sink, clock: clock,
                logger: quiet)
            let pipeline = self.pipeline
            h.server.onFocusChange { _ in pipeline.stopRepeat() }
        }

        func play(_ script: String, width: Int = 320, height: Int = 240) throws {
            let steps = try InputScript(parsing: script).steps(keymap: usKeymap, width: width, height: height)
            ScriptPlayer.play(steps, into: { pipeline.handle($0) }, sleep: { _ in })
        }

        func advance(milliseconds: UInt64) {
            now.value.add(milliseconds * 1_000_000, ordering: .relaxed)
        }
    }

    /// An event as the app got it, readable in a failure message.
    struct Seen: Equatable, CustomStringConvertible {
        let opcode: UInt32
        let fields: [Int32]
        let text: String

        static func key(_ keycode: UInt32, _ keysym: UInt32, mods: UInt32, _ pressed: UInt32, _ text: String = "") -> Seen {
            Seen(opcode: WindowProtocol.key, fields: [keycode, keysym, mods, pressed].map { Int32(bitPattern: $0) }, text: text)
        }
        static func pointer(_ opcode: UInt32, _ fields: Int32...) -> Seen { Seen(opcode: opcode, fields: fields, text: "") }

        var description: String {
            let name = WindowProtocol.allOpcodes.first { $0.value == opcode }?.name ?? "\(opcode)"
            return "\(name)\(fields)\(text.isEmpty ? "" : " \(text.debugDescription)")"
        }
    }

    static func seen(_ events: [(UInt32, [UInt8])]) -> [Seen] {
        events.filter { $0.0 != WindowProtocol.frameDone }.map { opcode, payload in
            if opcode == WindowProtocol.key {
                var r = PayloadReader(payload)
                let fields = [r.u32()!, r.u32()!, r.u32()!, r.u32()!].map { Int32(bitPattern: $0) }
                return Seen(opcode: opcode, fields: fields, text: r.text())
            }
            return Seen(opcode: opcode, fields: ints(payload), text: "")
        }
    }

    @Test func aScriptedSessionReachesTheAppExactly() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("echo")
        let w = try app.createWindow(width: 100, height: 80) { _, _ in 0x0020_4060 }
        _ = try h.settle()
        _ = try app.events(w)
        let input = Input(h)
        let (x, y) = (w.x, w.y)
        try input.play("""
            move \(x + 10) \(y + 20)
            click
            type "Hi"
            key ctrl+c
            scroll 2
            drag \(x + 5) \(y + 5) \(x + 40) \(y + 30)
            """)
        _ = try h.settle()
        let shiftL: UInt32 = 0xffe1, controlL: UInt32 = 0xffe3
        let left = Int32(WindowProtocol.buttonLeft)
        let expected: [Seen] = [
            .pointer(WindowProtocol.pointerEnter, 10, 20),
            .pointer(WindowProtocol.pointerMotion, 10, 20, 0),
            .pointer(WindowProtocol.pointerButton, 10, 20, left, 1),
            .pointer(WindowProtocol.pointerButton, 10, 20, left, 0),
            .key(42, shiftL, mods: 0, 1),
            .key(35, 0x48, mods: WindowProtocol.modShift, 1, "H"),
            .key(35, 0x48, mods: WindowProtocol.modShift, 0),
            .key(42, shiftL, mods: WindowProtocol.modShift, 0),
            .key(23, 0x69, mods: 0, 1, "i"),
            .key(23, 0x69, mods: 0, 0),
            .key(29, controlL, mods: 0, 1),
            .key(46, 0x63, mods: WindowProtocol.modCtrl, 1),  // Ctrl+C types nothing; the keysym says c
            .key(46, 0x63, mods: WindowProtocol.modCtrl, 0),
            .key(29, controlL, mods: WindowProtocol.modCtrl, 0),
            .pointer(WindowProtocol.pointerScroll, 10, 20, 0, 2),
            .pointer(WindowProtocol.pointerMotion, 5, 5, 0),
            .pointer(WindowProtocol.pointerButton, 5, 5, left, 1),
            .pointer(WindowProtocol.pointerMotion, 22, 17, 1),
            .pointer(WindowProtocol.pointerMotion, 40, 30, 1),
            .pointer(WindowProtocol.pointerButton, 40, 30, left, 0),
        ]
        let got = Self.seen(try app.events(w))
        #expect(got == expected)
    }

    @Test func theQuitBindingNeverReachesTheApp() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("echo")
        let w = try app.createWindow(width: 50, height: 40) { _, _ in 0 }
        _ = try h.settle()
        _ = try app.events(w)
        let quits = Mutex(0)
        let sink = KernelInputSink(kernel: h.kernel, actor: h.input, target: h.inputHandle, logger: Self.quiet)
        let pipeline = InputPipeline(keyboard: KeyboardState(keymap: Self.usKeymap), sink: sink, logger: Self.quiet) { action in
            if action == .quit { quits.withLock { $0 += 1 } }
        }
        let steps = try InputScript(parsing: "key ctrl+alt+BackSpace").steps(keymap: Self.usKeymap, width: 320, height: 240)
        ScriptPlayer.play(steps) { pipeline.handle($0) }
        _ = try h.settle()
        #expect(quits.withLock { $0 } == 1)
        let keycodes = Self.seen(try app.events(w)).map { $0.fields[0] }
        #expect(keycodes == [29, 56, 56, 29])  // Ctrl and Alt, never BackSpace
    }

    @Test func repeatsGoToTheFocusedWindowAndStopWhenFocusMoves() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let a = try h.app("a")
        let b = try h.app("b")
        let wa = try a.createWindow(width: 60, height: 40) { _, _ in 0x0000_00ff }
        let input = Input(h, repeatDelay: 500)
        _ = try h.settle()
        _ = try a.events(wa)

        try input.play("keydown a")
        input.advance(milliseconds: 500)
        input.pipeline.tick()  // the first repeat
        _ = try h.settle()
        // A new window takes the focus while a is held (no button involved).
        let wb = try b.createWindow(width: 60, height: 40) { _, _ in 0x00ff_0000 }
        _ = try h.settle()
        #expect(input.pipeline.repeatingKey == nil)  // ui_server told the input side
        input.advance(milliseconds: 500)
        input.pipeline.tick()
        try input.play("keyup a")
        _ = try h.settle()

        let aSeen = Self.seen(try a.events(wa)).filter { $0.opcode == WindowProtocol.key || $0.opcode == WindowProtocol.focus }
        #expect(aSeen == [
            .key(30, 0x61, mods: 0, 1, "a"),
            .key(30, 0x61, mods: 0, 2, "a"),
            .pointer(WindowProtocol.focus, 0),
            .key(30, 0x61, mods: 0, 0),  // the release goes where the press went
        ])
        let bSeen = Self.seen(try b.events(wb))
        #expect(!bSeen.contains { $0.opcode == WindowProtocol.key })
    }

    @Test func uiServerDropsRepeatsAndReleasesOfKeysItDidNotSendTheWindow() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        let w = try app.createWindow(width: 40, height: 30) { _, _ in 0 }
        _ = try h.settle()
        _ = try app.events(w)
        func key(_ code: UInt32, _ pressed: UInt32) throws {
            var p = PayloadWriter()
            for v in [code, 0x61, 0, pressed] { p.u32(v) }
            try h.kernel.send(h.input, to: h.inputHandle, opcode: WindowProtocol.inputKey, payload: p.bytes)
        }
        try key(30, 2)  // a repeat of a key never pressed
        try key(30, 0)  // its release
        try h.kernel.send(h.input, to: h.inputHandle, opcode: WindowProtocol.inputKey, payload: [1, 2, 3])  // short
        try key(31, 1)
        try key(31, 2)
        try key(31, 0)
        _ = try h.settle()
        #expect(Self.seen(try app.events(w)).map { $0.fields[3] } == [1, 2, 0])
    }

    // MARK: The Rust demo app

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var sink: LogSink { { name, line in if name == "demo" { self.lines.withLock { $0.append(line) } } } }
        var all: [String] { lines.withLock { $0 } }

        func wait(for predicate: ([String]) -> Bool) -> [String] {
            for _ in 0..<500 {
                let now = all
                if predicate(now) { return now }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return all
        }
    }

    @Test func theDemoAppLogsTypedKeysAndDrawsADotWhereClicked() throws {
        let path = Repository.builtActor("demo.wasm")
        try #require(FileManager.default.fileExists(atPath: path), "build the actors first: scripts/build-actors")

        let h = try UIServerHarness(width: 640, height: 400)
        defer { h.stop() }
        let log = Lines()
        let host = WasmActorHost(kernel: h.kernel, logSink: log.sink)
        defer { _ = host.shutdown(timeout: .seconds(5)) }
        let demo = try host.spawn(try host.load(path: path)) { _ = try h.server.connect(app: $0) }
        defer { h.kernel.terminate(demo, reason: .shutdown) }

        let opened = log.wait { $0.contains { $0.hasPrefix("demo: window ") } }
        let line = try #require(opened.first { $0.hasPrefix("demo: window ") })
        // "demo: window 1 at X,Y"
        let position = try #require(line.split(separator: " ").last?.split(separator: ",").compactMap { Int($0) })
        try #require(position.count == 2)
        let (x, y) = (position[0], position[1])
        // The demo's picture is up: its background at the window's top left.
        var screen = try h.settle()
        for _ in 0..<200 where screen[x, y] != 0x0033_6699 {
            Thread.sleep(forTimeInterval: 0.01)
            screen = try h.settle()
        }
        #expect(screen[x, y] == 0x0033_6699)

        let input = Input(h)
        try input.play("""
            type "hi!"
            key Return
            click \(x + 200) \(y + 150)
            move 5 5
            """, width: 640, height: 400)
        let lines = log.wait { $0.contains("key !") }
        #expect(lines.filter { $0.hasPrefix("key ") } == ["key h", "key i", "key !"])  // Return types no text

        let red: UInt32 = 0x00ff_0000
        for _ in 0..<200 where screen[x + 200, y + 150] != red {
            Thread.sleep(forTimeInterval: 0.01)
            screen = try h.settle()
        }
        for dy in -3...3 {
            for dx in -3...3 {
                let inside = abs(dx) <= 2 && abs(dy) <= 2
                #expect((screen[x + 200 + dx, y + 150 + dy] == red) == inside, "(\(dx), \(dy))")
            }
        }
    }
}
