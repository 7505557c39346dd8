import Dispatch
import Synchronization

/// How an actor blocks: waiting for a message on an endpoint or for an
/// answer on a reply object.
///
/// Each actor has one waiter, reused for every wait (`claim`, `arm`,
/// `release`): blocking allocates nothing. Only if two threads of one native
/// actor block at once does the second get a waiter of its own.
///
/// Waking is deferred: `wake()` (called with the kernel lock held) only queues
/// the waiter, and the kernel lock signals it after unlocking, so the woken
/// thread does not run straight into the lock its waker still holds.
///
/// Before sleeping, the waiter spins for a few microseconds on its state
/// word: on a round trip between two actors on two cores the answer usually
/// comes within that time, and a spin costs far less than a sleep and a
/// wake. Only a waiter that went to sleep costs its waker a semaphore post
/// (a futex wake underneath).
///
/// The state word holds the wait's generation and its phase. Every wake is
/// tagged with the generation it was meant for, so a wake that arrives after
/// its wait ended (a timeout raced it) is ignored instead of cutting a later
/// wait short; and the semaphore is posted only for a waiter that is
/// sleeping and taken by it, so it is back at zero whenever the waiter is
/// idle.
///
/// `@unchecked Sendable`: `delivered` is written by the waker with the kernel
/// lock held before the signal, and read by the waiter only after it (the
/// state word's release/acquire orders the two) or with the lock held. The
/// wait's parameters and the queue links (`queuedOn`, `next`, `previous`)
/// are only touched with the kernel lock held.
final class Waiter: @unchecked Sendable {
    let actor: ActorID
    /// The handle the actor receives through (nil for a call's answer): when
    /// that cap is destroyed, the waiter is woken to look again.
    private(set) var handle: Handle?
    /// Bytes the waiter can take: a sender hands it a message that fits
    /// directly, so it need not take the kernel lock again after waking.
    private(set) var capacity = 0
    var delivered: ReceivedMessage?
    /// Which wait this is (30 bits, wrapping).
    private(set) var generation: UInt32 = 0
    /// `generation << 2 | phase`.
    private let state = Atomic<UInt32>(0)
    private let semaphore = DispatchSemaphore(value: 0)
    /// Taken by the thread that blocks with this waiter.
    private let busy = Atomic<Bool>(false)
    private let wakeList: WakeList
    static let spinNanoseconds: UInt64 = 20_000

    private static let waiting: UInt32 = 0
    private static let signalled: UInt32 = 1
    private static let sleeping: UInt32 = 2
    private static let generationMask: UInt32 = 0x3fff_ffff

    /// The endpoint whose waiter queue holds this waiter, and its neighbours
    /// there (see `WaiterQueue`).
    fileprivate(set) var queuedOn: Endpoint?
    fileprivate var next: Waiter?
    fileprivate weak var previous: Waiter?

    init(actor: ActorID, wakeList: WakeList) {
        self.actor = actor
        self.wakeList = wakeList
    }

    /// Takes this waiter for the calling thread; false if another thread of
    /// the same actor is blocked with it.
    func claim() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    /// Gives the waiter back once the blocking call is over and the waiter
    /// is in no queue.
    func release() {
        busy.store(false, ordering: .releasing)
    }

    /// Starts a new wait. Call with the kernel lock held, before queueing the
    /// waiter anywhere a waker can find it.
    func arm(handle: Handle?, capacity: Int) {
        self.handle = handle
        self.capacity = capacity
        delivered = nil
        generation = (generation &+ 1) & Waiter.generationMask
        state.store(generation << 2 | Waiter.waiting, ordering: .releasing)
    }

    /// Wake the waiter once the kernel lock is released. Call with the lock held.
    func wake() {
        wakeList.append(Wake(waiter: self, generation: generation))
    }

    /// Called by the kernel lock after unlocking: ends wait `generation` if
    /// it is still the current one and not yet signalled.
    fileprivate func signal(generation: UInt32) {
        var current = state.load(ordering: .acquiring)
        while current >> 2 == generation, current & 3 != Waiter.signalled {
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: generation << 2 | Waiter.signalled, ordering: .acquiringAndReleasing)
            if exchanged {
                if current & 3 == Waiter.sleeping { semaphore.signal() }
                return
            }
            current = original
        }
    }

    /// Blocks the thread that armed the waiter until the wait is signalled or
    /// until `deadline` (nil: forever). Returns false on timeout.
    func wait(until deadline: DispatchTime?) -> Bool {
        let waiting = generation << 2 | Waiter.waiting
        let sleeping = generation << 2 | Waiter.sleeping
        if spinUntilSignalled(waiting: waiting) { return true }
        guard state.compareExchange(expected: waiting, desired: sleeping, ordering: .acquiringAndReleasing).exchanged
        else { return true }  // signalled after the spin gave up
        guard let deadline else {
            semaphore.wait()
            return true
        }
        if semaphore.wait(timeout: deadline) == .success { return true }
        // Timed out. Unless a signal got in first, no post will come now.
        if state.compareExchange(expected: sleeping, desired: waiting, ordering: .acquiringAndReleasing).exchanged {
            return false
        }
        semaphore.wait()  // the signal that raced the timeout posted: take it
        return true
    }

    /// Spins for up to `spinNanoseconds` while the state is `waiting`; true if
    /// it was signalled. An actor answering a request usually answers within
    /// that time. Bounded, so a waiter with nothing coming soon costs a few
    /// microseconds of CPU at most.
    private func spinUntilSignalled(waiting: UInt32) -> Bool {
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            for _ in 0..<256 {
                if state.load(ordering: .acquiring) != waiting { return true }
            }
            if DispatchTime.now().uptimeNanoseconds - start > Waiter.spinNanoseconds { return false }
        }
    }
}

/// A wake queued under the kernel lock: which waiter, for which of its waits.
struct Wake {
    let waiter: Waiter
    let generation: UInt32
}

/// Waiters to signal once the kernel lock is released. Usually none or one,
/// kept without an array.
///
/// `@unchecked Sendable`: only touched with the kernel lock held.
final class WakeList: @unchecked Sendable {
    private var first: Wake?
    private var more: [Wake] = []

    func append(_ wake: Wake) {
        if first == nil { first = wake } else { more.append(wake) }
    }

    /// Empties the list, handing its wakes to the caller to signal.
    func take() -> PendingWakes {
        defer { first = nil }
        guard first != nil else { return PendingWakes(first: nil, more: []) }
        var taken: [Wake] = []
        swap(&taken, &more)
        return PendingWakes(first: first, more: taken)
    }
}

/// Wakes taken from a `WakeList`, signalled after the kernel lock is released.
struct PendingWakes {
    let first: Wake?
    let more: [Wake]

    func signal() {
        guard let first else { return }
        first.waiter.signal(generation: first.generation)
        for wake in more { wake.waiter.signal(generation: wake.generation) }
    }
}

/// The receivers blocked on one endpoint, first come first served: an
/// intrusive doubly-linked list, so adding, taking the first and removing any
/// one waiter are O(1). Only touched with the kernel lock held.
struct WaiterQueue {
    private(set) var first: Waiter?
    private var last: Waiter?

    var isEmpty: Bool { first == nil }

    mutating func append(_ waiter: Waiter, on endpoint: Endpoint) {
        precondition(waiter.queuedOn == nil, "a waiter waits on one endpoint at a time")
        waiter.queuedOn = endpoint
        waiter.previous = last
        if let last { last.next = waiter } else { first = waiter }
        last = waiter
    }

    /// Removes `waiter`, which must be in this queue.
    mutating func remove(_ waiter: Waiter) {
        if let previous = waiter.previous { previous.next = waiter.next } else { first = waiter.next }
        if let next = waiter.next { next.previous = waiter.previous } else { last = waiter.previous }
        waiter.queuedOn = nil
        waiter.next = nil
        waiter.previous = nil
    }

    /// Empties the queue and returns what it held, first to last.
    mutating func removeAll() -> [Waiter] {
        var all: [Waiter] = []
        while let waiter = first {
            remove(waiter)
            all.append(waiter)
        }
        return all
    }
}

extension Kernel {
    /// The one blocking loop of receive and call. `attempt` looks under the
    /// kernel lock: it returns the outcome, throws, or, to wait, blocks the
    /// caller in the waiter it is handed (the caller's own, claimed the first
    /// time) and returns nil. The caller then sleeps until woken or the
    /// deadline passes: a message handed straight to it is the outcome
    /// (`delivered`); otherwise `unblock` takes the waiter back from where it
    /// waited, under the lock, and `attempt` looks again, told whether the
    /// time is up.
    func waitFor<Outcome>(
        _ caller: ActorID, timeout: Timeout, delivered: (ReceivedMessage) -> Outcome,
        _ attempt: (KernelState, ActorEntry, _ expired: Bool, _ waiter: () -> Waiter) throws(SysError) -> Outcome?,
        unblock: (Waiter) -> Void
    ) throws(SysError) -> Outcome {
        let deadline = timeout.deadline
        var expired = timeout == .poll
        var waiter: Waiter?
        defer { waiter?.release() }
        while true {
            let outcome: Outcome? = try locked { state throws(SysError) in
                let entry = try state.entry(caller)
                return try attempt(state, entry, expired) {
                    let claimed = waiter ?? entry.claimWaiter(wakeList: state.wakeList)
                    waiter = claimed
                    return claimed
                }
            }
            if let outcome { return outcome }
            guard let waiter else { preconditionFailure("asked to wait without blocking in a waiter") }
            let woken = waiter.wait(until: deadline)
            if woken, let message = waiter.delivered { return delivered(message) }
            let handedOff: ReceivedMessage? = state.withLock { state in
                unblock(waiter)
                if let entry = state.actors[caller], entry.waiter === waiter { entry.waiter = nil }
                return waiter.delivered
            }
            if let handedOff { return delivered(handedOff) }
            if !woken { expired = true }
        }
    }
}
