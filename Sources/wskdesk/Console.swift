import CVT
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A terminal's state as wskdesk found it: what must be given back.
struct ConsoleState: Equatable {
    var terminal: Glibc.termios
    /// KDGETMODE and KDGKBMODE, when the terminal is a virtual terminal.
    var displayMode: Int32?
    var keyboardMode: Int32?

    static func == (a: ConsoleState, b: ConsoleState) -> Bool {
        a.displayMode == b.displayMode && a.keyboardMode == b.keyboardMode
            && withUnsafeBytes(of: a.terminal) { x in withUnsafeBytes(of: b.terminal) { y in x.elementsEqual(y) } }
    }

    /// The state of the terminal open at `fd`.
    static func capture(_ fd: Int32) -> ConsoleState? {
        var t = Glibc.termios()
        guard tcgetattr(fd, &t) == 0 else { return nil }
        var display: Int32 = 0
        var keyboard: Int32 = 0
        let isVT = wsk_vt_get_display_mode(fd, &display) == 0
        let hasKeyboard = wsk_vt_get_keyboard_mode(fd, &keyboard) == 0
        return ConsoleState(terminal: t, displayMode: isVT ? display : nil, keyboardMode: hasKeyboard ? keyboard : nil)
    }

    /// Gives the terminal back: text mode, its keyboard mode, its termios if
    /// `takeOver` changed them, and everything typed meanwhile thrown away so
    /// it never runs in the shell.
    func restore(_ fd: Int32) {
        if let displayMode { _ = wsk_vt_set_display_mode(fd, displayMode) }
        if let keyboardMode {
            _ = wsk_vt_set_keyboard_mode(fd, keyboardMode)
        } else {
            var t = terminal
            _ = tcsetattr(fd, TCSANOW, &t)
        }
        _ = tcflush(fd, TCIFLUSH)
    }

    /// Takes the terminal for the desktop. On a VT: graphics mode and the
    /// keyboard off (keys come through libinput, never through the tty),
    /// and the termios left as they are — after a SIGKILL the shell behind
    /// wskdesk wakes as the guard does and sets its line editor's modes,
    /// which a restore of the termios would undo (every key echoed twice).
    /// On any other terminal: no echo, no line editing and no signal keys.
    func takeOver(_ fd: Int32) {
        if displayMode != nil { _ = wsk_vt_set_display_mode(fd, wsk_vt_graphics_mode()) }
        if keyboardMode != nil {
            _ = wsk_vt_set_keyboard_mode(fd, wsk_vt_keyboard_off())
        } else {
            var raw = terminal
            raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
            _ = tcsetattr(fd, TCSANOW, &raw)
        }
        _ = tcflush(fd, TCIFLUSH)
    }

    // MARK: Passing the state to the guard process as one argument

    var encoded: String {
        let bytes = withUnsafeBytes(of: terminal) { Array($0) }
        return [displayMode.map(String.init) ?? "-", keyboardMode.map(String.init) ?? "-",
                bytes.map { String(format: "%02x", $0) }.joined()].joined(separator: ":")
    }

    init?(encoded: String) {
        let parts = encoded.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].count == MemoryLayout<Glibc.termios>.size * 2 else { return nil }
        var t = Glibc.termios()
        let hex = Array(parts[2].utf8)
        var ok = true
        withUnsafeMutableBytes(of: &t) { raw in
            for i in 0..<raw.count {
                guard let byte = UInt8(String(decoding: hex[2 * i..<2 * i + 2], as: UTF8.self), radix: 16) else {
                    ok = false
                    return
                }
                raw[i] = byte
            }
        }
        guard ok else { return nil }
        self.terminal = t
        self.displayMode = Int32(parts[0])
        self.keyboardMode = Int32(parts[1])
    }

    init(terminal: Glibc.termios, displayMode: Int32?, keyboardMode: Int32?) {
        self.terminal = terminal
        self.displayMode = displayMode
        self.keyboardMode = keyboardMode
    }
}

/// Holds the console for the desktop and guarantees it is given back.
///
/// A separate, tiny process (`wskdesk console-guard`) is started first with
/// the console's original state. It waits on a pipe whose other end only
/// wskdesk holds; when wskdesk ends in any way — a normal quit, a signal, a
/// crash, SIGKILL — the pipe closes and the guard restores the console,
/// flushes typed input, and after an abnormal end prints the last log lines.
final class ConsoleGuard {
    let fd: Int32
    let original: ConsoleState
    private let pipeWrite: Int32
    private let guardPID: pid_t
    private var released = false

    /// Takes over the terminal `path` (a VT, or any tty). Returns nil with a
    /// reason when it cannot.
    init(terminal path: String, logFile: String?) throws(DesktopError) {
        fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DesktopError(description: "cannot open the console \(path): \(String(cString: strerror(errno)))")
        }
        guard let state = ConsoleState.capture(fd) else {
            close(fd)
            throw DesktopError(description: "\(path) is not a terminal: pass --console with a VT such as /dev/tty1")
        }
        original = state
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
            close(fd)
            throw DesktopError(description: "cannot make a pipe for the console guard: \(String(cString: strerror(errno)))")
        }
        pipeWrite = ends[1]
        var arguments = ["wskdesk", "console-guard", "--terminal=\(path)", "--state=\(state.encoded)"]
        if let logFile { arguments.append("--log-file=\(logFile)") }
        do {
            guardPID = try Self.spawn(arguments, pipeRead: ends[0])
        } catch {
            close(ends[0])
            close(ends[1])
            close(fd)
            throw error
        }
        close(ends[0])
        state.takeOver(fd)
    }

    /// Gives the console back now (the guard will do it again, harmlessly).
    func release() {
        guard !released else { return }
        released = true
        original.restore(fd)
        var clean: UInt8 = ConsoleGuardCommand.cleanExitByte
        _ = write(pipeWrite, &clean, 1)
        close(pipeWrite)
        var status: Int32 = 0
        _ = waitpid(guardPID, &status, 0)
        close(fd)
    }

    deinit { release() }

    private static func spawn(_ arguments: [String], pipeRead: Int32) throws(DesktopError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeRead, ConsoleGuardCommand.pipeFD)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, nil, argv, environ)
        guard rc == 0 else {
            throw DesktopError(description: "cannot start the console guard: \(String(cString: strerror(rc)))")
        }
        return pid
    }
}
