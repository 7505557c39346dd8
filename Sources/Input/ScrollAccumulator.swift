/// Turns libinput's scroll values into whole steps, the protocol's unit.
///
/// Wheels report in 120ths of a notch (`v120`; high-resolution wheels send
/// fractions); fingers on a touchpad and continuous sources (a button held
/// while moving) report in pointer-motion units, where `unitsPerStep` make
/// a step — libinput's own wheel-equivalent is 15. The remainder is kept
/// for the next event, and dropped when the direction turns or the finger
/// lifts, so a step never lags.
public struct ScrollAccumulator: Sendable, Equatable {
    public var unitsPerStep: Double
    /// What is not yet a whole step, in the source's own units.
    private var wheelX = 0.0, wheelY = 0.0
    private var fingerX = 0.0, fingerY = 0.0

    public init(unitsPerStep: Double = 15) {
        self.unitsPerStep = unitsPerStep
    }

    /// A wheel moved by `v120` (120 = one notch) on each axis.
    public mutating func wheel(v120 dx: Double, _ dy: Double) -> (dx: Double, dy: Double)? {
        let x = Self.add(dx, to: &wheelX, per: 120)
        let y = Self.add(dy, to: &wheelY, per: 120)
        return x == 0 && y == 0 ? nil : (x, y)
    }

    /// Fingers or a continuous source moved by `dx`, `dy` units. A stop
    /// (libinput sends 0 on both axes when the fingers lift) clears the
    /// remainder.
    public mutating func continuous(_ dx: Double, _ dy: Double) -> (dx: Double, dy: Double)? {
        if dx == 0 && dy == 0 {
            (fingerX, fingerY) = (0, 0)
            return nil
        }
        let x = Self.add(dx, to: &fingerX, per: unitsPerStep)
        let y = Self.add(dy, to: &fingerY, per: unitsPerStep)
        return x == 0 && y == 0 ? nil : (x, y)
    }

    /// Adds `value` to `pending` and takes the whole steps out of it.
    private static func add(_ value: Double, to pending: inout Double, per step: Double) -> Double {
        guard value.isFinite, value != 0, step > 0 else { return 0 }
        if pending != 0, (value > 0) != (pending > 0) { pending = 0 }  // turned round
        pending += value
        // A hair of tolerance so three thirds of a step make one.
        let steps = (pending / step + (pending > 0 ? 1e-9 : -1e-9)).rounded(.towardZero)
        pending -= steps * step
        if abs(pending) < 1e-9 * step { pending = 0 }
        return steps
    }
}
