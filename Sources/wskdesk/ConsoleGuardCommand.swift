import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `wskdesk console-guard` (internal): the process that hands the console
/// back when wskdesk ends, however it ends. See `ConsoleGuard`.
struct ConsoleGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-guard",
        abstract: "Internal: restores the console when wskdesk ends.",
        shouldDisplay: false
    )

    /// wskdesk holds the pipe's other end; it arrives here as this descriptor.
    static let pipeFD: Int32 = 3
    /// Written by wskdesk before a clean exit: no need to show the log.
    static let cleanExitByte: UInt8 = 0x51

    @Option(help: "The terminal to restore.")
    var terminal: String

    @Option(help: "The terminal's original state, as wskdesk captured it.")
    var state: String

    @Option(help: "wskdesk's log, whose last lines are shown after a crash.")
    var logFile: String?

    mutating func run() throws {
        // Outlive wskdesk's process group and its signals.
        _ = setsid()
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGTTOU, SIGQUIT] { signal(sig, SIG_IGN) }
        guard let original = ConsoleState(encoded: state) else { throw ExitCode(2) }
        let fd = open(terminal, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw ExitCode(2) }

        var clean = false
        var byte: UInt8 = 0
        while true {
            let n = read(Self.pipeFD, &byte, 1)
            if n == 1 {
                clean = clean || byte == Self.cleanExitByte
                continue
            }
            if n < 0 && errno == EINTR { continue }
            break  // EOF: wskdesk is gone
        }
        original.restore(fd)
        if !clean {
            var text = "\r\nwskdesk ended unexpectedly; the console was restored.\r\n"
            if let logFile, let lines = lastLines(of: logFile, count: 15), !lines.isEmpty {
                text += "Last lines of \(logFile):\r\n" + lines.joined(separator: "\r\n") + "\r\n"
            }
            _ = text.withCString { write(fd, $0, strlen($0)) }
        }
        close(fd)
    }

    private func lastLines(of path: String, count: Int) -> [String]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: end > 8192 ? end - 8192 : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        return Array(String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(count).map(String.init))
    }
}
