import CSeat
import CLogSinks
import Dispatch
import Foundation
import Logging
import Synchronization
import Threads

/// The seat, through libseat (logind, seatd, or as root its builtin backend):
/// it opens the DRM and input devices for an ordinary user and tells wskdesk
/// when the VT is switched away and back.
final class Session: @unchecked Sendable {
    // Unchecked for `seat`, a C pointer libseat owns: set once in init and
    // only used under `lock` afterwards.
    private var seat: OpaquePointer?
    private let lock = Mutex<Void>(())
    private let logger: Logger
    private let enabled = Atomic<Bool>(false)
    /// The seat was ours once: later enables are returns to our VT.
    private let wasEnabled = Atomic<Bool>(false)
    private let thread = ServiceThread(name: "session")
    /// libseat keeps this pointer, not a copy, and calls through it on every
    /// VT switch for as long as the seat is open: it must outlive the seat.
    /// (A pointer to a local in init worked for the first enable only; the
    /// first switch away called garbage and killed wskdesk.)
    private let listener: UnsafeMutablePointer<libseat_seat_listener>

    /// What the session tells the desktop, given to `start`. Until then a
    /// switch away or back (while devices open) tells no one.
    struct Hooks: Sendable {
        /// The VT was switched away: stop using the devices; the session
        /// gives them up when this returns. `disabled` and `enabled` run with
        /// `lock` held, on whichever thread is in libseat — the session
        /// thread, or one opening or closing a device (libseat runs queued
        /// events there too) — so they must not open or close devices
        /// themselves, only ask for it.
        var disabled: @Sendable () -> Void = {}
        /// The VT was switched back: devices may be used again.
        var enabled: @Sendable () -> Void = {}
        /// Once, on the session thread: the seat's connection broke (seatd
        /// or logind gone), and the devices with it. Its argument says so.
        var lost: @Sendable (String) -> Void = { _ in }
    }

    private let hooks = Mutex(Hooks())

    /// The libseat backend that gave the seat: "seatd", "logind", "builtin".
    private(set) var backend = ""

    /// How long the seat may take to become ours once opened.
    static let enableTimeout = 5

    /// Opens the seat and waits until it is ours. Each backend is asked in
    /// turn (`SeatBackend.candidates`), so that the error names what each
    /// one said.
    init(logger: Logger) throws(DesktopError) {
        self.logger = logger
        listener = .allocate(capacity: 1)
        listener.initialize(to: libseat_seat_listener(
            enable_seat: { _, data in Unmanaged<Session>.fromOpaque(data!).takeUnretainedValue().enabledByLibseat() },
            disable_seat: { _, data in Unmanaged<Session>.fromOpaque(data!).takeUnretainedValue().disabledByLibseat() }))
        SeatLog.route(to: logger)
        let isRoot = getuid() == 0
        var attempts: [SeatAttempt] = []
        for name in SeatBackend.candidates(named: ProcessInfo.processInfo.environment["LIBSEAT_BACKEND"], isRoot: isRoot) {
            let opened = Self.withBackend(name) { libseat_open_seat(listener, Unmanaged.passUnretained(self).toOpaque()) }
            let code = errno
            let said = SeatLog.takeLines()
            if let opened {
                seat = opened
                backend = name
                break
            }
            attempts.append(SeatAttempt(backend: name, errno: code, said: said))
        }
        guard let opened = seat else { throw DesktopError(description: SeatMessages.noSeat(attempts, isRoot: isRoot)) }
        let deadline = Date().addingTimeInterval(TimeInterval(Self.enableTimeout))
        var broken = false
        while !enabled.load(ordering: .acquiring) && !broken && Date() < deadline {
            broken = libseat_dispatch(opened, 100) < 0
        }
        guard enabled.load(ordering: .acquiring) else {
            let said = SeatLog.takeLines()
            libseat_close_seat(opened)
            seat = nil
            throw DesktopError(description: broken ? SeatMessages.lost(backend: backend, said: said)
                : SeatMessages.notEnabled(backend: backend, seconds: Self.enableTimeout, said: said))
        }
        logger.info("seat \(String(cString: libseat_seat_name(opened))) is ours (libseat's \(backend) backend)")
    }

    /// Runs `body` with LIBSEAT_BACKEND set to `name` (libseat reads it in
    /// libseat_open_seat), then puts the variable back as it was.
    private static func withBackend<T>(_ name: String, _ body: () -> T) -> T {
        let before = getenv("LIBSEAT_BACKEND").map { String(cString: $0) }
        setenv("LIBSEAT_BACKEND", name, 1)
        defer {
            if let before { setenv("LIBSEAT_BACKEND", before, 1) } else { unsetenv("LIBSEAT_BACKEND") }
        }
        return body()
    }

    deinit {
        // After close(), or a failed init: libseat no longer holds `listener`.
        lock.withLock { _ in
            if let seat { libseat_close_seat(seat) }
            seat = nil
        }
        listener.deinitialize(count: 1)
        listener.deallocate()
    }

    /// Watches the seat for VT switches on a thread of its own, and for its
    /// loss: libseat_dispatch failing, or the connection hanging up (seatd's
    /// socket, logind's bus).
    func start(_ hooks: Hooks) {
        self.hooks.withLock { $0 = hooks }
        thread.start { [self] thread in
            if let reason = watch(while: thread) {
                logger.debug("the seat's connection broke: \(reason)")
                self.hooks.withLock { $0 }.lost(SeatMessages.lost(backend: backend, said: SeatLog.takeLines()))
            }
        }
    }

    /// Dispatches the seat's events until `close()`; returns why it stopped
    /// early when the seat's connection broke.
    private func watch(while thread: ServiceThread) -> String? {
        while thread.isRunning {
            let fd = lock.withLock { _ in seat.map { libseat_get_fd($0) } ?? -1 }
            guard fd >= 0 else { return "libseat has no connection" }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            // What is queued is dispatched first: a last disable comes before the hangup.
            let dispatched = lock.withLock { _ in seat.map { libseat_dispatch($0, 0) } ?? 0 }
            if dispatched < 0 { return "libseat_dispatch: \(String(cString: strerror(errno)))" }
            if pfd.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return "hangup on fd \(fd)" }
        }
        return nil
    }

    /// Opens a device node through the seat.
    func openDevice(_ path: String) throws -> Int32 {
        var fd: Int32 = -1
        let id = lock.withLock { _ in seat.map { libseat_open_device($0, path, &fd) } ?? -1 }
        guard id >= 0, fd >= 0 else {
            let code = errno
            throw DesktopError(description: SeatMessages.deviceRefused(path, errno: code, said: SeatLog.takeLines()))
        }
        devices.withLock { $0[fd] = id }
        return fd
    }

    func closeDevice(_ fd: Int32) {
        guard let id = devices.withLock({ $0.removeValue(forKey: fd) }) else {
            Glibc.close(fd)
            return
        }
        lock.withLock { _ in if let seat { _ = libseat_close_device(seat, id) } }
        Glibc.close(fd)
    }

    private let devices = Mutex<[Int32: Int32]>([:])

    /// Ctrl+Alt+Fn: ask the seat to switch to VT `number`.
    func switchTo(vt number: Int) {
        lock.withLock { _ in
            if let seat, libseat_switch_session(seat, Int32(number)) != 0 {
                logger.warning("cannot switch to VT \(number): \(String(cString: strerror(errno)))")
            }
        }
    }

    func close() {
        if thread.cancel() { thread.join(timeout: .now() + 1) }
        lock.withLock { _ in
            if let seat { libseat_close_seat(seat) }
            seat = nil
        }
    }

    // MARK: libseat's callbacks (on the thread in libseat, `lock` held)

    private func enabledByLibseat() {
        enabled.store(true, ordering: .releasing)
        // Not `enabled` to tell the first enable from a return: a switch
        // away clears it, so every return looked like the first and the
        // desktop never came back.
        if wasEnabled.exchange(true, ordering: .acquiringAndReleasing) {
            logger.info("back on our VT")
            hooks.withLock { $0 }.enabled()
        }
    }

    private func disabledByLibseat() {
        enabled.store(false, ordering: .releasing)
        logger.info("switching away from our VT")
        hooks.withLock { $0 }.disabled()
        if let seat { _ = libseat_disable_seat(seat) }
    }
}

/// libseat's own log, which it would print to stderr: its lines go to the
/// debug log, and its errors (and "Could not ..." lines, which it logs at
/// info level for a missing seatd socket) are kept for the next message
/// that needs to say what libseat said.
enum SeatLog {
    private static let state = Mutex<(logger: Logger?, lines: [String])>((nil, []))
    /// At most this many kept lines: the newest.
    static let kept = 6

    static func route(to logger: Logger) {
        state.withLock { $0 = (logger, []) }
        libseat_set_log_level(LIBSEAT_LOG_LEVEL_INFO)
        wsk_libseat_set_log_sink { _, level, line in
            guard let line else { return }
            let text = SeatLog.withoutSourceLocation(String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines))
            let logger = SeatLog.state.withLock { s in
                if SeatLog.isWorthSaying(text, isError: level == Int32(LIBSEAT_LOG_LEVEL_ERROR.rawValue)) { s.lines = (s.lines + [text]).suffix(SeatLog.kept) }
                return s.logger
            }
            logger?.debug("libseat: \(text)")
        }
    }

    /// Whether a line of libseat's says why something failed. "Backend 'X'
    /// failed to open seat: ..." only repeats what the message says already.
    static func isWorthSaying(_ text: String, isError: Bool) -> Bool {
        (isError || text.hasPrefix("Could not")) && !text.hasPrefix("Backend '")
    }

    /// libseat starts each line with where in its source it was logged
    /// ("[libseat/backend/seatd.c:64] "): of no use to a user.
    static func withoutSourceLocation(_ line: String) -> String {
        guard line.hasPrefix("["), let end = line.range(of: "] ") else { return line }
        return String(line[end.upperBound...])
    }

    /// The lines kept since the last call, oldest first; forgets them.
    static func takeLines() -> [String] {
        state.withLock { s in
            defer { s.lines = [] }
            return s.lines
        }
    }
}
