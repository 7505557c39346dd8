import Compositor
import Foundation
import Interp
import Kernel
import Logging
import Synchronization
import TestSupport
import Testing
import WAT

@testable import wskdesk

/// Kiosk mode on the headless backend: the app is restarted with backoff when
/// it traps or stops reading its events, and rapid failures are said on screen.
@Suite(.serialized) struct KioskTests {
    struct Rig {
        let kernel = Kernel()
        let host: WasmActorHost
        let server: UIServer
        let supervisor: KioskSupervisor

        init(app wat: String, policy: RestartPolicy, quit: @escaping @Sendable () -> Void = {}) throws {
            var logger = Logger(label: "test.kiosk")
            logger.logLevel = .critical
            host = WasmActorHost(kernel: kernel, logSink: { _, _ in })
            server = try UIServer(kernel: kernel, backend: HeadlessBackend(width: 64, height: 48), policy: KioskPolicy(), logger: logger)
            let server = self.server
            Thread { server.run() }.start()
            let module = try host.load(bytes: try wat2wasm(wat), name: "kioskapp")
            let grants = ManifestGrants(kernel: kernel, server: server, actorsDir: Repository.builtActor(""))
            supervisor = KioskSupervisor(
                kernel: kernel, host: host, server: server, module: module, app: Manifest.kioskApp("kioskapp"),
                grants: grants, policy: policy, logger: logger, quit: quit)
        }

        func stop() {
            supervisor.stop()
            server.stop()
            _ = host.shutdown()
        }
    }

    static let crashing = """
        (module (memory (export "memory") 1) (func (export "_start") unreachable))
        """

    /// Opens an 8x8 window, then spins on sys_yield and never reads an event.
    static let hanging = """
        (module
          (import "env" "sys_buffer_create" (func $buffer (param i32) (result i64)))
          (import "env" "sys_cap_call" (func $call (param i64 i32 i32 i32 i64 i32 i32 i64) (result i64)))
          (import "env" "sys_yield" (func $yield))
          (memory (export "memory") 1)
          (data (i32.const 0) "\\08\\00\\00\\00\\08\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00")
          (func (export "_start")
            (drop (call $call (i64.const 1) (i32.const 0x100) (i32.const 0) (i32.const 16)
                              (call $buffer (i32.const 256)) (i32.const 64) (i32.const 256) (i64.const -1)))
            (loop $forever (call $yield) (br $forever))))
        """

    @Test func backoffDoublesUpToItsMaximum() {
        let policy = RestartPolicy(initialBackoff: 0.5, maximumBackoff: 4)
        #expect((1...6).map { policy.backoff(afterFailures: $0) } == [0.5, 1, 2, 4, 4, 4])
    }

    @Test func aCrashingAppIsRestartedAndRapidFailuresAreShown() throws {
        var policy = RestartPolicy()
        policy.initialBackoff = 0.02
        policy.maximumBackoff = 0.1
        policy.rapidFailures = 3
        policy.hangTimeout = 0
        let rig = try Rig(app: Self.crashing, policy: policy)
        defer { rig.stop() }
        rig.supervisor.start()
        #expect(waitUntil(seconds: 10) { rig.supervisor.launches >= 4 })
        #expect(waitUntil(seconds: 5) { rig.server.query { $0.compositor.overlay } != nil })
        let overlay = rig.server.query { $0.compositor.overlay }
        #expect(overlay??.lines.first?.hasPrefix("kioskapp keeps failing") == true)
        #expect(overlay??.lines.contains { $0.contains("unreachable") } == true)
    }

    @Test func anAppThatStopsReadingItsEventsIsRestarted() throws {
        var policy = RestartPolicy()
        policy.initialBackoff = 0.02
        policy.hangTimeout = 0.3
        let rig = try Rig(app: Self.hanging, policy: policy)
        defer { rig.stop() }
        rig.supervisor.start()
        let first = try #require(waitFor(seconds: 5) { rig.supervisor.currentApp })
        #expect(waitUntil(seconds: 10) { rig.supervisor.launches >= 2 })
        #expect(rig.kernel.exitReason(of: first) == .killed(by: nil))
    }

    @Test func theAdminBoxRestartsTheAppAtOnceOrQuits() throws {
        var policy = RestartPolicy()
        policy.initialBackoff = 30  // a restart counted as a failure would wait this long
        policy.hangTimeout = 0
        let quits = Atomic<Int>(0)
        let rig = try Rig(app: Self.hanging, policy: policy) { quits.add(1, ordering: .relaxed) }
        defer { rig.stop() }
        var takesKeys: [Bool] = []
        rig.supervisor.start()
        let first = try #require(waitFor(seconds: 5) { rig.supervisor.currentApp })
        let overlay = { rig.server.query { $0.compositor.overlay?.lines } ?? nil }

        takesKeys.append(rig.supervisor.takesKeys)
        rig.supervisor.toggleAdmin()
        takesKeys.append(rig.supervisor.takesKeys)
        #expect(waitUntil(seconds: 5) { overlay()?.first == "wskdesk kiosk" })
        rig.supervisor.adminKey(0x61)  // 'a': the box takes it, nothing happens
        rig.supervisor.adminKey(0xff1b)  // Escape closes the box
        takesKeys.append(rig.supervisor.takesKeys)
        #expect(waitUntil(seconds: 5) { overlay() == nil })
        #expect(rig.supervisor.currentApp == first)

        rig.supervisor.toggleAdmin()
        rig.supervisor.adminKey(0x72)  // r: restart now, not after a backoff
        takesKeys.append(rig.supervisor.takesKeys)
        #expect(waitUntil(seconds: 5) { rig.supervisor.launches == 2 && rig.supervisor.currentApp != nil })
        #expect(rig.kernel.exitReason(of: first) == .killed(by: nil))
        #expect(overlay() == nil)

        rig.supervisor.toggleAdmin()
        rig.supervisor.adminKey(0x71)  // q
        #expect(quits.load(ordering: .relaxed) == 1)
        #expect(takesKeys == [false, true, false, false])
    }

    /// The chord reaches the kiosk through `--bind` and the input path: the
    /// admin box opens and its Q ends wskdesk.
    @Test func anAdminChordBoundOnTheCommandLineOpensTheBox() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-kiosk-admin-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/admin.txt"
        try "wait 500\nkey ctrl+alt+Delete\nwait 200\nkey q\n".write(toFile: script, atomically: true, encoding: .utf8)
        let log = dir + "/log"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wskdeskBinary)
        process.arguments = [
            "run", "--backend", "headless", "--size", "320x240", "--keep-running", "--actors", Repository.root + "/build/actors",
            "--kiosk", "hello", "--bind", "ctrl+alt+Delete=admin", "--input-script", script, "--log-file", log,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ended = waitUntil(seconds: 30) { !process.isRunning }
        if !ended { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(ended, "wskdesk quit from the admin box")
        #expect(process.terminationStatus == 0)
        #expect(text.contains("admin box: quitting"), "\(text.suffix(600))")
    }
}

func waitFor<T>(seconds: Double, _ value: () -> T?) -> T? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let v = value() { return v }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return value()
}
