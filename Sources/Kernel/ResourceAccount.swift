import Synchronization

/// The memory every actor together may cause: linear memory, tables, kernel
/// objects, queued message payloads. One per kernel; each actor's
/// `ResourceAccount` charges it as well as the actor's own limit, so no
/// number of actors, each within its limit, can take the host's memory.
public final class MemoryBudget: Sendable {
    /// Bytes all actors together may hold.
    public let limit: Int
    private let charged = Atomic<Int>(0)

    public init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    /// Bytes charged now, over all actors.
    public var used: Int { charged.load(ordering: .relaxed) }

    /// Charges `bytes` if they fit; false (nothing charged) if they do not.
    fileprivate func charge(_ bytes: Int) -> Bool {
        var current = charged.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else { return false }
            let (exchanged, original) = charged.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    fileprivate func release(_ bytes: Int) {
        let before = charged.subtract(bytes, ordering: .relaxed).oldValue
        precondition(before >= bytes, "memory budget released more than was charged")
    }
}

/// What one actor has caused, in bytes, against its own limit and the
/// kernel's `MemoryBudget`. Everything that holds memory because of an actor
/// charges its account and releases the same bytes when that memory is freed
/// — which may be after the actor has ended (its instance is torn down on its
/// own thread), so the account outlives the actor's kernel entry.
///
/// Thread-safe without the kernel lock: an engine charges linear memory
/// growth from the actor's own thread.
///
/// `@unchecked Sendable`: `kernelCharged` is only touched with the kernel
/// lock held; the rest is constant or atomic.
public final class ResourceAccount: @unchecked Sendable {
    /// Bytes this actor may hold.
    public let limit: Int
    public let budget: MemoryBudget
    private let charged = Atomic<Int>(0)
    /// The part of `used` the kernel charged (objects, held messages): the
    /// kernel's ledger, kept here so charging a message needs no lookup.
    var kernelCharged = 0

    public init(limit: Int, budget: MemoryBudget) {
        precondition(limit > 0)
        self.limit = limit
        self.budget = budget
    }

    /// Bytes charged now.
    public var used: Int { charged.load(ordering: .relaxed) }

    /// Charges `bytes` to this actor and to the budget if both have room;
    /// returns which one refused, and charges nothing, if not.
    public func charge(_ bytes: Int) -> ChargeRefusal? {
        precondition(bytes >= 0)
        var current = charged.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else { return .actorLimit }
            let (exchanged, original) = charged.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
        guard budget.charge(bytes) else {
            charged.subtract(bytes, ordering: .relaxed)
            return .globalBudget
        }
        return nil
    }

    /// Gives back `bytes` charged earlier.
    public func release(_ bytes: Int) {
        precondition(bytes >= 0)
        let before = charged.subtract(bytes, ordering: .relaxed).oldValue
        precondition(before >= bytes, "an actor's account released more than was charged")
        budget.release(bytes)
    }
}

/// Which limit refused a charge.
public enum ChargeRefusal: Sendable, Equatable {
    /// The actor's own limit (`ResourceAccount.limit`).
    case actorLimit
    /// The budget of all actors together (`MemoryBudget.limit`).
    case globalBudget
}
