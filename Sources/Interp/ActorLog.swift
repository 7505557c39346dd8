import Dispatch
import Kernel
import Synchronization

/// One actor's `sys_log`: each line escaped (`LogText`) and handed to the
/// sink tagged with the actor's name, at most at the rate `ActorLog.Rate`
/// allows. Lines over the rate are dropped and counted; the next line that
/// passes, or the actor's end, says how many ("N lines suppressed"), so a
/// flooding actor costs the host a bounded amount of log whatever it does.
final class ActorLog: Sendable {
    let name: String
    let rate: LogRate
    private let sink: LogSink
    private let now: @Sendable () -> UInt64
    private let state: Mutex<State>

    private struct State {
        var lines: Double
        var bytes: Double
        var refilled: UInt64
        var suppressedLines = 0
        var suppressedBytes = 0
    }

    /// `now` gives monotonic nanoseconds (tests pass their own clock).
    init(name: String, sink: @escaping LogSink, rate: LogRate = LogRate(),
         now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds })
    {
        self.name = LogText.escaped(name)
        self.sink = sink
        self.rate = rate
        self.now = now
        self.state = Mutex(State(lines: Double(rate.burstLines), bytes: Double(rate.burstBytes), refilled: now()))
    }

    /// Logs `text` (raw actor bytes, decoded) if the rate allows.
    func write(_ text: String) {
        let cost = Double(text.utf8.count)
        let (allowed, note) = state.withLock { state -> (Bool, String?) in
            refill(&state)
            guard state.lines >= 1, state.bytes >= cost else {
                state.suppressedLines += 1
                state.suppressedBytes += text.utf8.count
                return (false, nil)
            }
            state.lines -= 1
            state.bytes -= cost
            return (true, takeNote(&state))
        }
        guard allowed else { return }
        if let note { sink(name, note) }
        sink(name, LogText.escaped(text))
    }

    /// Says how many lines were dropped since the last one logged; called
    /// when the actor ends.
    func flush() {
        if let note = state.withLock({ takeNote(&$0) }) { sink(name, note) }
    }

    private func refill(_ state: inout State) {
        let current = now()
        let seconds = Double(current &- state.refilled) / 1e9
        guard seconds > 0 else { return }
        state.refilled = current
        state.lines = min(Double(rate.burstLines), state.lines + seconds * Double(rate.linesPerSecond))
        state.bytes = min(Double(rate.burstBytes), state.bytes + seconds * Double(rate.bytesPerSecond))
    }

    private func takeNote(_ state: inout State) -> String? {
        guard state.suppressedLines > 0 else { return nil }
        defer { (state.suppressedLines, state.suppressedBytes) = (0, 0) }
        let lines = state.suppressedLines == 1 ? "1 line" : "\(state.suppressedLines) lines"
        return "\(lines) (\(state.suppressedBytes) bytes) suppressed: over the log rate limit of "
            + "\(rate.linesPerSecond) lines and \(rate.bytesPerSecond >> 10) KiB a second"
    }
}

/// How fast one actor may log: a token bucket in lines and in bytes, `burst`
/// at once, refilled at `perSecond`. The defaults let an app log a few
/// hundred lines at start and ten a second after that: journald allows a
/// service about 333 a second, but a desktop runs dozens of actors into one
/// log.
public struct LogRate: Sendable, Equatable {
    public var burstLines = 200
    public var linesPerSecond = 10
    public var burstBytes = 128 << 10
    public var bytesPerSecond = 16 << 10

    public init() {}

    /// No limit, for tests that compare every line two runs logged.
    public static let unlimited: LogRate = {
        var rate = LogRate()
        rate.burstLines = Int(Int32.max)
        rate.linesPerSecond = Int(Int32.max)
        rate.burstBytes = Int(Int32.max)
        rate.bytesPerSecond = Int(Int32.max)
        return rate
    }()
}
