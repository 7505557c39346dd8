import Dispatch
import Synchronization

/// One blocked thread: an actor waiting for a message on an endpoint or for an
/// answer on a reply object.
///
/// Waking is deferred: `wake()` (called with the kernel lock held) only queues
/// the waiter, and the kernel lock signals it after unlocking, so the woken
/// thread does not run straight into the lock its waker still holds.
///
/// The wake-up is a counting semaphore (a futex underneath on Linux). Before
/// sleeping, the waiter spins for a few microseconds on an atomic flag: on a
/// round trip between two actors on two cores the answer usually comes within
/// that time, and a spin costs far less than a sleep and a wake.
///
/// `@unchecked Sendable`: `delivered` is written by the waker with the kernel
/// lock held before `signal()`, and read by the waiter only after the signal
/// (the semaphore and the atomic flag order the two) or with the lock held.
/// The queue links (`queuedOn`, `next`, `previous`) are only touched with the
/// kernel lock held.
final class Waiter: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let signalled = Atomic<Bool>(false)
    let actor: ActorID
    /// The handle the actor receives through (nil for a call's answer): when
    /// that cap is destroyed, the waiter is woken to look again.
    let handle: Handle?
    /// Bytes the waiter can take: a sender hands it a message that fits
    /// directly, so it need not take the kernel lock again after waking.
    let capacity: Int
    var delivered: ReceivedMessage?
    private let wakeList: WakeList
    static let spinNanoseconds: UInt64 = 20_000

    /// The endpoint whose waiter queue holds this waiter, and its neighbours
    /// there (see `WaiterQueue`).
    fileprivate(set) var queuedOn: Endpoint?
    fileprivate var next: Waiter?
    fileprivate weak var previous: Waiter?

    init(actor: ActorID, handle: Handle? = nil, capacity: Int, wakeList: WakeList) {
        self.actor = actor
        self.handle = handle
        self.capacity = capacity
        self.wakeList = wakeList
    }

    /// Wake the waiter once the kernel lock is released. Call with the lock held.
    func wake() {
        wakeList.append(self)
    }

    /// Called by the kernel lock after unlocking.
    func signal() {
        signalled.store(true, ordering: .releasing)
        semaphore.signal()
    }

    /// Sleep until woken or until `deadline` (nil: forever). Returns false on timeout.
    func wait(until deadline: DispatchTime?) -> Bool {
        if !spinUntilSignalled() {
            if let deadline {
                return semaphore.wait(timeout: deadline) == .success
            }
        }
        semaphore.wait()
        return true
    }

    /// Spins for up to `spinNanoseconds` on the flag; true if it was set.
    /// An actor answering a request usually answers within that time, and a
    /// spin is far cheaper than a sleep and a wake-up. Bounded, so a waiter
    /// with nothing coming soon costs a few microseconds of CPU at most.
    private func spinUntilSignalled() -> Bool {
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            for _ in 0..<64 {
                if signalled.load(ordering: .acquiring) { return true }
            }
            if DispatchTime.now().uptimeNanoseconds - start > Waiter.spinNanoseconds { return false }
        }
    }

    /// After a timeout, with the kernel lock held: if a wake raced the timeout,
    /// consume its signal so the semaphore is balanced. A wake still queued in
    /// the wake list will signal a semaphore nobody waits on, which is harmless.
    func absorbLateWake() -> Bool {
        guard signalled.load(ordering: .acquiring) else { return false }
        semaphore.wait()
        return true
    }
}

/// Waiters to signal once the kernel lock is released.
///
/// `@unchecked Sendable`: only touched with the kernel lock held.
final class WakeList: @unchecked Sendable {
    private var waiters: [Waiter] = []

    func append(_ waiter: Waiter) { waiters.append(waiter) }

    func take() -> [Waiter] {
        guard !waiters.isEmpty else { return [] }
        defer { waiters.removeAll(keepingCapacity: true) }
        return waiters
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
