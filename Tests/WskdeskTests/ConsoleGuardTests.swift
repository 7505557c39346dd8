import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built wskdesk executable, beside this test bundle.
let wskdeskBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("wskdesk").path
}()

/// A pseudo-terminal pair: the test types on `master` as a user would.
struct PseudoTerminal {
    let master: Int32
    let slave: Int32
    let path: String

    init() throws {
        let m = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard m >= 0 else { throw POSIXError(.ENODEV) }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        // TIOCSPTLCK and TIOCGPTN (asm-generic/ioctls.h): unlock, then ask which pts it is.
        guard ioctl(m, 0x4004_5431, &unlock) == 0, ioctl(m, 0x8004_5430, &number) == 0 else { throw POSIXError(.ENODEV) }
        master = m
        path = "/dev/pts/\(number)"
        slave = open(path, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw POSIXError(.ENODEV) }
    }

    var localFlags: tcflag_t {
        var t = termios()
        tcgetattr(slave, &t)
        return t.c_lflag
    }

    /// Whether input typed on the terminal is waiting to be read.
    var hasPendingInput: Bool {
        var pfd = pollfd(fd: slave, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) > 0 && pfd.revents & Int16(POLLIN) != 0
    }

    func type(_ text: String) {
        _ = text.withCString { write(master, $0, strlen($0)) }
    }

    /// What the terminal showed (output written to it), without waiting long.
    func output() -> String {
        var all = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { break }
            let n = read(master, &buffer, buffer.count)
            if n <= 0 { break }
            all += buffer[0..<n]
        }
        return String(decoding: all, as: UTF8.self)
    }
}

func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return condition()
}

/// The console is handed back on every exit path — even SIGKILL, through the
/// guard process — with keys typed meanwhile thrown away.
@Suite(.serialized) struct ConsoleGuardTests {
    func startDesktop(on tty: PseudoTerminal, log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wskdeskBinary)
        process.arguments = [
            "run", "--backend", "headless", "--size", "64x48", "--keep-running", "--console", tty.path,
            "--actors", Repository.root + "/build/actors", "--app", "hello", "--log-file", log,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(arguments: [SIGKILL, SIGTERM])
    func consoleIsRestoredAndTypedKeysFlushed(signal sig: Int32) throws {
        let tty = try PseudoTerminal()
        defer {
            close(tty.slave)
            close(tty.master)
        }
        let before = tty.localFlags
        #expect(before & tcflag_t(ECHO) != 0 && before & tcflag_t(ICANON) != 0)
        let log = NSTemporaryDirectory() + "wskdesk-console-\(getpid())-\(sig).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let desktop = try startDesktop(on: tty, log: log)
        // wskdesk took the terminal: no echo, no line editing.
        #expect(waitUntil(seconds: 20) { tty.localFlags & tcflag_t(ECHO) == 0 })
        #expect(waitUntil(seconds: 10) { (try? String(contentsOfFile: log, encoding: .utf8))?.contains("headless output") == true })
        tty.type("touch /tmp/wskdesk-leaked-keys\n")
        #expect(waitUntil(seconds: 5) { tty.hasPendingInput })
        kill(desktop.processIdentifier, sig)
        desktop.waitUntilExit()
        #expect(waitUntil(seconds: 10) { tty.localFlags == before }, "terminal modes restored")
        #expect(!tty.hasPendingInput, "keys typed while wskdesk ran were flushed")
        let shown = tty.output()
        if sig == SIGKILL {
            #expect(shown.contains("wskdesk ended unexpectedly"))
            #expect(shown.contains("headless output"), "the last log lines are shown")
        } else {
            #expect(!shown.contains("unexpectedly"), "a clean stop says nothing")
        }
    }
}
