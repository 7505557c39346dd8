import Dispatch

/// Nanoseconds on the monotonic clock.
@inline(__always) func nowNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Timings of one thing, in nanoseconds.
struct Samples {
    var values: [Double]

    var median: Double { percentile(50) }
    var p99: Double { percentile(99) }
    var minimum: Double { values.min() ?? 0 }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * p / 100).rounded()))
        return sorted[index]
    }
}

/// Runs `body` `count` times and times each run; a run that throws ends
/// the benchmark (a failed run measures nothing).
func sample<Failure: Error>(_ count: Int, _ body: () throws(Failure) -> Void) throws(Failure) -> Samples {
    var values: [Double] = []
    values.reserveCapacity(count)
    for _ in 0..<count {
        let t0 = nowNanoseconds()
        try body()
        values.append(Double(nowNanoseconds() - t0))
    }
    return Samples(values: values)
}

/// Times `body` once, in nanoseconds.
func time<Failure: Error>(_ body: () throws(Failure) -> Void) throws(Failure) -> Double {
    let t0 = nowNanoseconds()
    try body()
    return Double(nowNanoseconds() - t0)
}

func format(_ ns: Double) -> String {
    if ns >= 1e9 { return String(format2(ns / 1e9)) + " s" }
    if ns >= 1e6 { return String(format2(ns / 1e6)) + " ms" }
    if ns >= 1e3 { return String(format2(ns / 1e3)) + " µs" }
    return String(format2(ns)) + " ns"
}

func format2(_ x: Double) -> String {
    let scaled = (x * 100).rounded() / 100
    var s = "\(scaled)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals == 1 { s += "0" }
    }
    return s
}

/// One printed line: a figure, its baseline, and the ratio.
func report(_ name: String, _ value: Double, baseline: Double, baselineName: String, unit: (Double) -> String = format) {
    let ratio = baseline > 0 ? value / baseline : 0
    print("  \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(unit(value).padding(toLength: 11, withPad: " ", startingAt: 0)) vs \(baselineName) \(unit(baseline)): \(format2(ratio))x")
}

func section(_ title: String) {
    print("\n\(title)")
}
