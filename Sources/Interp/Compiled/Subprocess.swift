import CSubprocess

#if canImport(Glibc)
    import Glibc
#endif

/// What one run of a build tool may use. The defaults are far above what a
/// real actor needs (wskdesk's own paint and fractal apps, 80-100 KB of
/// Wasm, compile in a few seconds with well under 500 MiB) and low enough
/// that a hostile module cannot hold a core, the machine's memory or its
/// disk: the audit's 718 KB module ran cc for 243 s, 20 000 nested loops made
/// a 1.2 GB module.c.
public struct CompileLimits: Sendable, Equatable {
    /// CPU time of each process of the build (wasm2c, cc1, as, ld...), seconds.
    public var cpuSeconds: UInt64 = 60
    /// Address space of each process, bytes: gcc -O2 on a large module stays well under it.
    public var addressSpace: UInt64 = 2 << 30
    /// The largest file a tool may write (module.c, the object), bytes.
    public var outputFile: UInt64 = 256 << 20
    /// Wall clock for one tool, seconds: twice its CPU time, for a loaded machine.
    public var wallClockSeconds: UInt64 = 120
    /// Modules larger than this, or with more functions, are not compiled at
    /// all: they could not be within the limits above (gcc's time grows with
    /// the number of functions), so they stay on the interpreter at once.
    public var moduleBytes: Int = 16 << 20
    public var functions: Int = 50_000

    public init() {}

    public static let standard = CompileLimits()
}

/// A finished tool: what it printed (stdout and stderr interleaved, the
/// first `Subprocess.outputLimit` bytes) and, unless it exited 0, what went
/// wrong in plain words.
struct ProcessResult {
    let output: String
    /// nil when it exited with status 0; else e.g. "exited with status 1:
    /// error: ...", "stopped: used more than 60 s of CPU time".
    let problem: String?

    var succeeded: Bool { problem == nil }
}

/// Runs the compiler's tools through CSubprocess: each in a process group of
/// its own with `CompileLimits`, killed with the group at its timeout or at
/// `stopAll` (wskdesk's shutdown).
enum Subprocess {
    static let outputLimit = 16 << 10

    /// Runs `executable` (an absolute path) with `arguments`, in this
    /// process's environment or `environment` ("NAME=value" each); the
    /// caller's thread blocks until it and every process it started are done.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String]? = nil, limits: CompileLimits = .standard
    ) -> ProcessResult {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        let envp = environment.map { $0.map { strdup($0) } + [nil] }
        defer { for variable in envp ?? [] { free(variable) } }
        var bounds = wsk_subprocess_limits(
            cpu_seconds: limits.cpuSeconds, address_space: limits.addressSpace, file_size: limits.outputFile,
            timeout_ms: limits.wallClockSeconds * 1000)
        var output = [UInt8](repeating: 0, count: outputLimit)
        var result = wsk_subprocess_result()
        output.withUnsafeMutableBufferPointer { buffer in
            if let envp {
                wsk_subprocess_run(executable, argv, envp, &bounds, buffer.baseAddress, UInt64(buffer.count), &result)
            } else {
                wsk_subprocess_run(executable, argv, environ, &bounds, buffer.baseAddress, UInt64(buffer.count), &result)
            }
        }
        let text = String(decoding: output[0..<Int(result.output_length)], as: UTF8.self)
        return ProcessResult(output: text, problem: problem(result, limits: limits, output: text))
    }

    /// This process's environment with `name` set to `value`.
    static func environment(setting name: String, to value: String) -> [String] {
        var variables: [String] = []
        var next = environ
        while let variable = next.pointee {
            let text = String(cString: variable)
            if !text.hasPrefix(name + "=") { variables.append(text) }
            next += 1
        }
        return variables + [name + "=" + value]
    }

    /// Kills every tool running now, with its group, and starts no more.
    static func stopAll() { wsk_subprocess_stop_all() }

    private static func problem(_ result: wsk_subprocess_result, limits: CompileLimits, output: String) -> String? {
        let status = result.wait_status
        let what: String
        if result.start_error != 0 {
            what = "could not be started: \(String(cString: strerror(result.start_error)))"
        } else if result.stopped != 0 {
            what = "stopped: wskdesk is shutting down"
        } else if result.timed_out != 0 {
            what = "stopped after \(limits.wallClockSeconds) s"
        } else if wsk_subprocess_exited(status) != 0 {
            let code = wsk_subprocess_exit_code(status)
            if code == 0 { return nil }
            what = "exited with status \(code)"
        } else {
            let signal = wsk_subprocess_signal(status)
            switch signal {
            case SIGXCPU: what = "stopped: used more than \(limits.cpuSeconds) s of CPU time"
            case SIGXFSZ: what = "stopped: wrote more than \(bytesText(limits.outputFile))"
            case SIGKILL: what = "was killed (SIGKILL: over its CPU time, or out of memory)"
            default: what = "crashed: signal \(signal) (\(String(cString: strsignal(signal))))"
            }
        }
        guard let line = firstLine(output) else { return what + ", printing nothing" }
        return what + ": " + line
    }

    /// The first line with text, at most 300 bytes, control bytes escaped:
    /// it goes into a log line.
    static func firstLine(_ output: String) -> String? {
        guard let line = output.split(whereSeparator: \.isNewline).first(where: { !$0.allSatisfy(\.isWhitespace) }) else {
            return nil
        }
        var text = ""
        for scalar in line.unicodeScalars.prefix(300) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                text += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text.trimmingSpaces
    }

    static func bytesText(_ bytes: UInt64) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// The absolute path of `name` on `searchPath` (default: `$PATH`), or
    /// `name` itself when it has a slash.
    static func find(_ name: String, in searchPath: String? = nil) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = searchPath ?? getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
