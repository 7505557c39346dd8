#if canImport(Glibc)
    import Glibc
#endif

/// A finished child process: its exit status and what it wrote to stdout and
/// stderr (interleaved, the first `Subprocess.outputLimit` bytes).
struct ProcessResult {
    let status: Int32
    let output: String

    var succeeded: Bool { status == 0 }
}

/// Runs the compiler's tools. posix_spawn, not Foundation: Interp does not
/// import it, and nothing here needs more than argv, a pipe and waitpid.
enum Subprocess {
    static let outputLimit = 16 << 10

    /// Runs `executable` (an absolute path) with `arguments`; the caller's
    /// thread blocks until it exits.
    static func run(_ executable: String, _ arguments: [String]) -> ProcessResult {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            return ProcessResult(status: -1, output: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        // Neither end leaks into other children; the child gets the write end as 1 and 2.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(writeEnd)
        guard spawned == 0 else {
            close(readEnd)
            return ProcessResult(status: -1, output: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        let output = readAll(readEnd)
        close(readEnd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros Swift does not import.
        let exitCode = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ProcessResult(status: exitCode, output: output)
    }

    private static func readAll(_ fd: Int32) -> String {
        var kept: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            if kept.count < outputLimit { kept += chunk[0..<min(n, outputLimit - kept.count)] }
        }
        return String(decoding: kept, as: UTF8.self)
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
