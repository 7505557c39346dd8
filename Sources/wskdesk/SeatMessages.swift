#if canImport(Glibc)
    import Glibc
#endif

/// The ways libseat can reach a seat, in the order wskdesk asks them (its own
/// order, seatd then logind, then the embedded seatd that only root can use).
enum SeatBackend: String, CaseIterable, Sendable {
    case seatd, logind, builtin

    /// What `Session` tries: the one `LIBSEAT_BACKEND` names, else seatd and
    /// logind, and for root libseat's embedded seatd too. An ordinary user
    /// never gets the embedded one: it cannot take a VT, so it opened a seat
    /// that was never enabled and wskdesk waited 5 s to say the wrong thing.
    static func candidates(named: String?, isRoot: Bool) -> [String] {
        if let named, !named.isEmpty { return [named] }
        return isRoot ? allCases.map(\.rawValue) : [seatd.rawValue, logind.rawValue]
    }
}

/// One backend libseat was asked to open the seat with, and how it failed.
struct SeatAttempt: Equatable, Sendable {
    var backend: String
    /// errno as libseat left it.
    var errno: Int32
    /// What libseat logged meanwhile (its errors and "Could not ..." lines).
    var said: [String]
}

/// The seat's messages: what libseat, seatd or logind said, in plain words,
/// with what to do. Composed here, away from libseat, so they can be tested.
enum SeatMessages {
    /// The exit status when the seat is lost while wskdesk runs, so that a
    /// service manager (systemd's `Restart=always`) starts it again.
    static let lostExitStatus: Int32 = 3

    /// No backend gave wskdesk a seat: one line (the log keeps a message
    /// on one line), each backend's cause and remedy in the order tried.
    static func noSeat(_ attempts: [SeatAttempt], isRoot: Bool) -> String {
        let causes = attempts.map(cause(of:)).joined(separator: "; ")
        let asRoot = isRoot ? "" : " (as root, wskdesk would open the devices itself)"
        return "no seat for wskdesk: \(causes)\(asRoot)"
    }

    /// The seat was opened through `backend` but not made wskdesk's in time.
    static func notEnabled(backend: String, seconds: Int, said: [String]) -> String {
        let what: String
        switch SeatBackend(rawValue: backend) {
        case .seatd:
            what = "seatd did not make the seat wskdesk's within \(seconds) s: another program (a compositor, an X server) "
                + "is active on it, or this VT is not the one on screen. Run wskdesk on a VT of its own, from that VT"
        case .logind:
            what = "logind did not make this session active within \(seconds) s: it is not the session on screen. "
                + "Run wskdesk from the VT you logged in on, while that VT is on screen"
        default:
            what = "the seat was not given to wskdesk within \(seconds) s (libseat's \(backend) backend): "
                + "is another program active on this VT? Run wskdesk on a VT of its own"
        }
        return what + quoted(said)
    }

    /// The seat's connection broke while wskdesk ran.
    static func lost(backend: String, said: [String]) -> String {
        let who = switch SeatBackend(rawValue: backend) {
        case .seatd: "seatd went away (its connection closed)"
        case .logind: "the connection to logind (the system bus) closed"
        case .builtin: "libseat's embedded seatd went away"
        case nil: "libseat's \(backend) backend stopped answering"
        }
        return "lost the seat: \(who), so the display and input devices are gone"
            + quoted(said) + ". wskdesk exits with status \(lostExitStatus) for its service manager to start it again"
    }

    /// The seat would not open `path`.
    static func deviceRefused(_ path: String, errno code: Int32, said: [String]) -> String {
        "the seat refused to open \(path): \(describe(code))" + quoted(said)
    }

    // MARK: Each backend's failure

    /// One line: what `attempt` says went wrong, and what to do about it.
    static func cause(of attempt: SeatAttempt) -> String {
        let quote = quoted(attempt.said)
        switch (SeatBackend(rawValue: attempt.backend), attempt.errno) {
        case (.seatd, ENOENT), (.seatd, ECONNREFUSED):
            return "seatd is not running\(quote): start it, "
                + "e.g. `sudo systemctl enable --now seatd` (Debian runs `seatd -g video`)"
        case (.seatd, EACCES), (.seatd, EPERM):
            return "seatd refused you its socket\(quote): join the group seatd runs with "
                + "(Debian: `sudo adduser $USER video`), then log in again"
        case (.seatd, EBUSY):
            return "seatd's seat is taken: another program (a compositor, an X server) is active on it\(quote): "
                + "quit it, or run wskdesk on another VT"
        case (.logind, EBUSY):
            return "logind: another program already controls this session\(quote): quit it, or log in on another VT"
        case (.logind, _):
            return "logind gave no session\(quote): log in on a VT (not through su or ssh) of a system running systemd-logind"
        case (.builtin, _):
            return "libseat's embedded seatd failed\(quote)"
        default:
            return "\(attempt.backend): \(describe(attempt.errno))\(quote)"
        }
    }

    /// " (libseat: A; B)", or nothing when libseat said nothing.
    private static func quoted(_ said: [String]) -> String {
        said.isEmpty ? "" : " (libseat: \(said.joined(separator: "; ")))"
    }

    private static func describe(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}
