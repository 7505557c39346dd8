/// Key repeat as a state machine with the clock passed in: which key
/// repeats, and when next. No timers, no threads — `InputPipeline` asks it
/// what is due, and the tests drive it with made-up times.
///
/// One key repeats at a time: the last one pressed, if it repeats at all.
/// Releasing it, pressing anything else (a key or a button), or `stop()`
/// (focus changed, session paused) ends the repeat. Nothing repeats after
/// its key went up: no stuck keys.
public struct KeyRepeat: Sendable, Equatable {
    /// Nanoseconds from press to the first repeat.
    public var delay: UInt64
    /// Nanoseconds between repeats; 0 disables repeat.
    public var interval: UInt64

    /// The key repeating (evdev code) and when it next repeats.
    public private(set) var key: UInt32?
    public private(set) var deadline: UInt64?

    /// `delay` in milliseconds, `rate` in repeats per second (0: no repeat).
    public init(delayMilliseconds: Int, rate: Double) {
        delay = UInt64(max(0, delayMilliseconds)) * 1_000_000
        interval = rate > 0 && rate.isFinite ? UInt64((1e9 / min(rate, 1000)).rounded()) : 0
    }

    public var isEnabled: Bool { interval > 0 }

    /// A key went down at `now`: it repeats from `now + delay` if
    /// `repeats`; any other repeat ends.
    public mutating func pressed(_ code: UInt32, repeats: Bool, at now: UInt64) {
        guard repeats, isEnabled else {
            stop()
            return
        }
        key = code
        deadline = now &+ delay
    }

    /// A key went up: if it was the repeating one, the repeat ends.
    public mutating func released(_ code: UInt32) {
        if key == code { stop() }
    }

    public mutating func stop() {
        key = nil
        deadline = nil
    }

    /// The key to repeat now, if its time has come; the next repeat is then
    /// `interval` later. A late caller gets one repeat, not a burst: the
    /// next one is scheduled from `now` if the regular slot has passed too.
    public mutating func due(at now: UInt64) -> UInt32? {
        guard let key, let deadline, now >= deadline else { return nil }
        let next = deadline &+ interval
        self.deadline = next > now ? next : now &+ interval
        return key
    }
}
