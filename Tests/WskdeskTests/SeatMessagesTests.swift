import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import wskdesk

/// What wskdesk says when it gets no seat, or loses it: the cause libseat,
/// seatd or logind gave, and what to do. Composed without a seat, from what
/// libseat 0.7 logs in each case (its lines are copied from a real run).
@Suite struct SeatMessagesTests {
    static let noSocket = "Could not connect to socket /run/seatd.sock: No such file or directory"
    static let noLogindSession = "Could not get primary session for user: No data available"

    @Test func anOrdinaryUserIsNeverOfferedTheEmbeddedSeatd() {
        // libseat's embedded seatd cannot take a VT for an ordinary user: it
        // opened a seat that never came, and wskdesk waited 5 s to say so.
        #expect(SeatBackend.candidates(named: nil, isRoot: false) == ["seatd", "logind"])
        #expect(SeatBackend.candidates(named: nil, isRoot: true) == ["seatd", "logind", "builtin"])
        #expect(SeatBackend.candidates(named: "", isRoot: false) == ["seatd", "logind"])
        #expect(SeatBackend.candidates(named: "logind", isRoot: true) == ["logind"], "LIBSEAT_BACKEND is obeyed")
    }

    @Test func noSeatdAndNoLogindSaysBothAndWhatToDo() {
        let message = SeatMessages.noSeat([
            SeatAttempt(backend: "seatd", errno: ENOENT, said: [Self.noSocket]),
            SeatAttempt(backend: "logind", errno: ENODATA, said: [Self.noLogindSession]),
        ], isRoot: false)
        #expect(message == "no seat for wskdesk: "
            + "seatd is not running (libseat: \(Self.noSocket)): start it, "
            + "e.g. `sudo systemctl enable --now seatd` (Debian runs `seatd -g video`); "
            + "logind gave no session (libseat: \(Self.noLogindSession)): "
            + "log in on a VT (not through su or ssh) of a system running systemd-logind "
            + "(as root, wskdesk would open the devices itself)")
        #expect(!message.contains("\n"), "one log line")
    }

    @Test func aSocketSeatdKeepsFromYouSaysWhichGroupToJoin() {
        let said = ["Could not connect to socket /run/seatd.sock: Permission denied"]
        #expect(SeatMessages.cause(of: SeatAttempt(backend: "seatd", errno: EACCES, said: said))
            == "seatd refused you its socket (libseat: \(said[0])): "
            + "join the group seatd runs with (Debian: `sudo adduser $USER video`), then log in again")
    }

    @Test func aSeatTakenBySomeoneElseIsSaidSo() {
        #expect(SeatMessages.cause(of: SeatAttempt(backend: "seatd", errno: EBUSY, said: []))
            == "seatd's seat is taken: another program (a compositor, an X server) is active on it: "
            + "quit it, or run wskdesk on another VT")
        #expect(SeatMessages.cause(of: SeatAttempt(backend: "logind", errno: EBUSY, said: []))
            == "logind: another program already controls this session: quit it, or log in on another VT")
    }

    @Test func anUnknownBackendQuotesTheSystemsWords() {
        #expect(SeatMessages.cause(of: SeatAttempt(backend: "noop", errno: EINVAL, said: ["No backend matched name 'noop'"]))
            == "noop: Invalid argument (libseat: No backend matched name 'noop')")
    }

    @Test func theTimeoutNamesTheBackendAndWhatLibseatSaid() {
        let said = ["Could not enable client: seat already has an active client"]
        #expect(SeatMessages.notEnabled(backend: "seatd", seconds: 5, said: said)
            == "seatd did not make the seat wskdesk's within 5 s: another program (a compositor, an X server) "
            + "is active on it, or this VT is not the one on screen. Run wskdesk on a VT of its own, from that VT "
            + "(libseat: \(said[0]))")
        #expect(SeatMessages.notEnabled(backend: "logind", seconds: 5, said: [])
            == "logind did not make this session active within 5 s: it is not the session on screen. "
            + "Run wskdesk from the VT you logged in on, while that VT is on screen")
        // The old text blamed another session for every cause.
        #expect(!SeatMessages.notEnabled(backend: "seatd", seconds: 5, said: []).contains("is another session active"))
    }

    @Test func losingTheSeatSaysWhoWentAndTheExitStatus() {
        let said = ["Could not read from connection: Broken pipe"]
        #expect(SeatMessages.lost(backend: "seatd", said: said)
            == "lost the seat: seatd went away (its connection closed), so the display and input devices are gone "
            + "(libseat: \(said[0])). wskdesk exits with status 3 for its service manager to start it again")
        #expect(SeatMessages.lostExitStatus == 3)
        #expect(SeatMessages.lost(backend: "logind", said: []).hasPrefix(
            "lost the seat: the connection to logind (the system bus) closed, so"))
    }

    @Test func aRefusedDeviceSaysWhatTheSeatSaid() {
        #expect(SeatMessages.deviceRefused("/dev/input/event3", errno: EPERM, said: ["Could not open file: Permission denied"])
            == "the seat refused to open /dev/input/event3: Operation not permitted (libseat: Could not open file: Permission denied)")
    }

    @Test func libseatsErrorsAndCouldNotLinesAreKeptItsChatterIsNot() {
        #expect(SeatLog.isWorthSaying("No backend was able to open a seat", isError: true))
        #expect(SeatLog.isWorthSaying(Self.noSocket, isError: false), "libseat logs a missing socket at info level")
        #expect(!SeatLog.isWorthSaying("Seat opened with backend 'seatd'", isError: false))
        #expect(!SeatLog.isWorthSaying("Enabling seat", isError: false))
        #expect(!SeatLog.isWorthSaying("Backend 'seatd' failed to open seat: No such file or directory", isError: true),
                "the message names the backend already")
    }

    @Test func libseatsSourceLocationsAreDropped() {
        #expect(SeatLog.withoutSourceLocation("[libseat/backend/seatd.c:64] \(Self.noSocket)") == Self.noSocket)
        #expect(SeatLog.withoutSourceLocation("Enabling seat") == "Enabling seat")
    }

    @Test func theManPageDocumentsTheSeatLossStatus() {
        let page = Manual.page(date: "test")
        #expect(page.contains(".SH \"EXIT STATUS\"\n.TP\n0\n"))
        #expect(page.contains(".TP\n3\nthe seat was lost while wskdesk ran (seatd or logind went away)"))
    }
}
