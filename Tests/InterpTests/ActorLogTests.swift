import Dispatch
import Synchronization
import Testing

@testable import Interp
@testable import Kernel

/// `sys_log` cannot forge host lines, drive the terminal or flood the log.
@Suite struct ActorLogTests {
    /// What a log line of `bytes` must read: each byte below 0x80 printable or
    /// escaped, each byte above it (invalid UTF-8 on its own) U+FFFD. Written
    /// out here, independently of `LogText`.
    static func expectedLine(_ bytes: [UInt8]) -> String {
        bytes.map { byte -> String in
            switch byte {
            case 0x00: "\\0"
            case 0x09: "\\t"
            case 0x0a: "\\n"
            case 0x0d: "\\r"
            case 0x1b: "\\e"
            case 0x5c: "\\\\"
            case 0x01...0x1f, 0x7f: "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            case 0x80...: "\u{FFFD}"
            default: String(UnicodeScalar(byte))
            }
        }.joined()
    }

    static func isPlain(_ line: String) -> Bool {
        !line.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }
    }

    @Test(arguments: Tier.allCases) func everyByteValueIsLoggedAsOneLineOfPlainText(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let allBytes = (0...255).map { UInt8($0) }
        let forged = Array("x\n2026-12-06T03:00:00+0000 critical wskdesk : [wskdesk] FAKE: root shell\u{1b}[2J\u{1b}]0;owned\u{07}".utf8)
        let data = { (bytes: [UInt8]) in bytes.map { "\\" + (($0 < 16 ? "0" : "") + String($0, radix: 16)) }.joined() }
        let actor = try system.run(
            reportingActor(
                body: """
                    (call $log (i32.const 0x100) (i32.const 256))
                    (call $log (i32.const 0x300) (i32.const \(forged.count)))
                    """,
                data: #"(data (i32.const 0x100) "\#(data(allBytes))") (data (i32.const 0x300) "\#(data(forged))")"#),
            name: "forger")
        #expect(system.host.wait(for: actor))
        let lines = system.log.lines(of: "forger")
        #expect(lines == [Self.expectedLine(allBytes), Self.expectedLine(forged)])
        #expect(lines.allSatisfy(Self.isPlain))
        #expect(lines.count == 2 && lines[1].hasPrefix("x\\n2026-12-06T03:00:00+0000 critical") && lines[1].contains("\\e[2J\\e]0;owned\\x07"))
    }

    @Test func unicodeThatCouldReorderOrBreakALineIsEscapedAndTheRestKept() {
        #expect(LogText.escaped("caf\u{E9} \u{1F3A8} \u{202E}gnp.exe \u{2028}next \u{85}") == "caf\u{E9} \u{1F3A8} \\u{202e}gnp.exe \\u{2028}next \\x85")
        // The handler's pass escapes controls but keeps backslashes: escaped text goes through unchanged.
        let once = LogText.escaped("a\\b\nc")
        #expect(once == "a\\\\b\\nc")
        #expect(LogText.controlsEscaped(once) == once)
        #expect(LogText.controlsEscaped("a\\b\nc") == "a\\b\\nc")
    }

    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let nanoseconds = Atomic<UInt64>(1_000)
        func advance(seconds: Double) { nanoseconds.add(UInt64(seconds * 1e9), ordering: .relaxed) }
        var now: @Sendable () -> UInt64 { { self.nanoseconds.load(ordering: .relaxed) } }
    }

    @Test func aFloodIsCutToTheRateAndWhatWasDroppedIsCounted() {
        let clock = ManualClock()
        let sink = LogRecorder()
        let log = ActorLog(name: "flood", sink: sink.sink, now: clock.now)
        for n in 0..<1000 { log.write("line \(n)") }
        #expect(sink.lines(of: "flood") == (0..<200).map { "line \($0)" })
        log.write("still too soon")

        clock.advance(seconds: 1)  // ten more lines
        for n in 0..<11 { log.write("later \(n)") }
        // 801 lines dropped first: "line 200"..."line 999" (8 bytes each) and "still too soon" (14).
        let note = "801 lines (6414 bytes) suppressed: over the log rate limit of 10 lines and 16 KiB a second"
        #expect(Array(sink.lines(of: "flood").dropFirst(200)) == [note] + (0..<10).map { "later \($0)" })
        log.flush()  // "later 10" was dropped
        #expect(sink.lines(of: "flood").last == "1 line (8 bytes) suppressed: over the log rate limit of 10 lines and 16 KiB a second")
        log.flush()
        #expect(sink.lines(of: "flood").count == 200 + 1 + 10 + 1)
    }

    @Test func longLinesAreLimitedByBytesToo() {
        let clock = ManualClock()
        let sink = LogRecorder()
        let log = ActorLog(name: "wide", sink: sink.sink, now: clock.now)
        let line = String(repeating: "w", count: 4096)
        for _ in 0..<100 { log.write(line) }
        #expect(sink.lines(of: "wide").count == (128 << 10) / 4096)
        clock.advance(seconds: 0.25)  // 4 KiB: one more line
        log.write(line)
        log.write(line)
        #expect(Array(sink.lines(of: "wide").dropFirst(32)) == [
            "68 lines (278528 bytes) suppressed: over the log rate limit of 10 lines and 16 KiB a second", line,
        ])
    }

    /// A real actor logging in a tight loop: the log gets the burst and what
    /// the rate refills while it runs, each refilled line after a note of
    /// what was dropped before it, and a last note when the actor ends;
    /// together they account for every call.
    @Test(arguments: Tier.allCases) func aFloodingActorCostsTheLogABoundedNumberOfLines(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let calls = 100_000
        let started = DispatchTime.now()
        let actor = try system.run(
            reportingActor(
                body: """
                    (loop $again
                        (call $log (i32.const 0x100) (i32.const 5))
                        (local.set $n (i32.add (local.get $n) (i32.const 1)))
                        (br_if $again (i32.lt_u (local.get $n) (i32.const \(calls)))))
                    """,
                locals: "(local $n i32)",
                data: #"(data (i32.const 0x100) "flood")"#),
            name: "flooder")
        #expect(system.host.wait(for: actor, timeout: .seconds(60)))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let lines = system.log.lines(of: "flooder")
        let logged = lines.filter { $0 == "flood" }.count
        let notes = lines.filter { $0 != "flood" }
        #expect(logged >= 200 && Double(logged) <= 200 + 10 * seconds + 1)
        #expect(notes.count >= 1 && notes.count <= logged - 200 + 1)
        #expect(notes.allSatisfy { $0.hasSuffix(" suppressed: over the log rate limit of 10 lines and 16 KiB a second") })
        let suppressed = notes.compactMap { Int($0.prefix { $0 != " " }) }.reduce(0, +)
        #expect(suppressed + logged == calls, "\(notes)")
    }
}
