import CSeat
import CShim
import Dispatch
import Foundation
import Logging
import Synchronization

/// The seat, through libseat (logind, seatd, or as root its builtin backend):
/// it opens the DRM and input devices for an ordinary user and tells wskdesk
/// when the VT is switched away and back.
final class Session: @unchecked Sendable {
    // `seat` is set once in init and only used under `lock` afterwards;
    // callbacks are set before `start()`.
    private var seat: OpaquePointer?
    private let lock = Mutex<Void>(())
    private let logger: Logger
    private let enabled = Atomic<Bool>(false)
    /// The seat was ours once: later enables are returns to our VT.
    private let wasEnabled = Atomic<Bool>(false)
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)
    /// libseat keeps this pointer, not a copy, and calls through it on every
    /// VT switch for as long as the seat is open: it must outlive the seat.
    /// (A pointer to a local in init worked for the first enable only; the
    /// first switch away called garbage and killed wskdesk.)
    private let listener: UnsafeMutablePointer<libseat_seat_listener>

    /// Called when the VT is switched away: stop using the devices; the
    /// session gives them up when it returns. Both hooks run with `lock`
    /// held, on whichever thread is in libseat — the session thread, or one
    /// opening or closing a device (libseat runs queued events there too) —
    /// so they must not open or close devices themselves, only ask for it.
    var onDisable: @Sendable () -> Void = {}
    /// Called when the VT is switched back: devices may be used again.
    var onEnable: @Sendable () -> Void = {}

    /// Opens the seat and waits until it is ours.
    init(logger: Logger) throws(DesktopError) {
        self.logger = logger
        listener = .allocate(capacity: 1)
        listener.initialize(to: libseat_seat_listener(
            enable_seat: { _, data in Unmanaged<Session>.fromOpaque(data!).takeUnretainedValue().enabledByLibseat() },
            disable_seat: { _, data in Unmanaged<Session>.fromOpaque(data!).takeUnretainedValue().disabledByLibseat() }))
        SeatLog.route(to: logger)
        let opened = libseat_open_seat(listener, Unmanaged.passUnretained(self).toOpaque())
        guard let opened else {
            let reason = String(cString: strerror(errno))
            let tried = SeatLog.recentErrors().map { "\n  libseat: \($0)" }.joined()
            throw DesktopError(description: "no seat available (\(reason)): run wskdesk from a VT with logind or seatd running, or as root\(tried)")
        }
        seat = opened
        let deadline = Date().addingTimeInterval(5)
        while !enabled.load(ordering: .acquiring) && Date() < deadline {
            _ = libseat_dispatch(opened, 100)
        }
        guard enabled.load(ordering: .acquiring) else {
            libseat_close_seat(opened)
            seat = nil
            throw DesktopError(description: "the seat was not given to wskdesk within 5 s: is another session active on this VT?")
        }
        logger.info("seat \(String(cString: libseat_seat_name(opened))) is ours")
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

    /// Watches the seat for VT switches on a thread of its own.
    func start() {
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) {
                let fd = lock.withLock { _ in seat.map { libseat_get_fd($0) } ?? -1 }
                guard fd >= 0 else { break }
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 200) > 0 {
                    lock.withLock { _ in if let seat { _ = libseat_dispatch(seat, 0) } }
                }
            }
            done.signal()
        }
        thread.name = "session"
        thread.start()
    }

    /// Opens a device node through the seat.
    func openDevice(_ path: String) throws -> Int32 {
        var fd: Int32 = -1
        let id = lock.withLock { _ in seat.map { libseat_open_device($0, path, &fd) } ?? -1 }
        guard id >= 0, fd >= 0 else {
            throw DesktopError(description: "the seat refused to open \(path): \(String(cString: strerror(errno)))")
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
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        _ = done.wait(timeout: .now() + 1)
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
            onEnable()
        }
    }

    private func disabledByLibseat() {
        enabled.store(false, ordering: .releasing)
        logger.info("switching away from our VT")
        onDisable()
        if let seat { _ = libseat_disable_seat(seat) }
    }
}

/// libseat's own log, which it would print to stderr: its errors while it
/// looks for a backend (logind, seatd, builtin) are only news when none
/// works, so they go to the debug log and are kept for that message.
enum SeatLog {
    private static let state = Mutex<(logger: Logger?, errors: [String])>((nil, []))

    static func route(to logger: Logger) {
        state.withLock { $0 = (logger, []) }
        libseat_set_log_level(LIBSEAT_LOG_LEVEL_INFO)
        wsk_libseat_set_log_sink { _, level, line in
            guard let line else { return }
            let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
            let logger = SeatLog.state.withLock { s in
                if level == Int32(LIBSEAT_LOG_LEVEL_ERROR.rawValue) { s.errors = (s.errors + [text]).suffix(4) }
                return s.logger
            }
            logger?.debug("libseat: \(text)")
        }
    }

    /// The last few errors libseat reported.
    static func recentErrors() -> [String] {
        state.withLock { $0.errors }
    }
}
