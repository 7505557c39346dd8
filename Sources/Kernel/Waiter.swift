import Dispatch
import Synchronization

/// One blocked thread: an actor waiting for a message on an endpoint or for an
/// answer on a reply object.
///
/// The wake-up is a counting semaphore (a futex underneath on Linux). Before
/// sleeping, the waiter spins briefly on an atomic flag: on a round trip
/// between two actors on two cores the answer usually comes within that time,
/// and a spin costs far less than a sleep and a wake.
final class Waiter: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let signalled = Atomic<Bool>(false)
    let actor: ActorID

    init(actor: ActorID) { self.actor = actor }

    /// Wake the waiter. Call at most once per wait, with the kernel lock held.
    func wake() {
        signalled.store(true, ordering: .releasing)
        semaphore.signal()
    }

    /// Sleep until woken or until `deadline` (nil: forever). Returns false on timeout.
    func wait(until deadline: DispatchTime?) -> Bool {
        for _ in 0..<Waiter.spinIterations {
            if signalled.load(ordering: .acquiring) { break }
        }
        if let deadline {
            return semaphore.wait(timeout: deadline) == .success
        }
        semaphore.wait()
        return true
    }

    /// After a timeout, with the kernel lock held: if a wake raced the timeout,
    /// consume its signal so the semaphore is balanced.
    func absorbLateWake() -> Bool {
        guard signalled.load(ordering: .acquiring) else { return false }
        semaphore.wait()
        return true
    }

    static let spinIterations = 2_000
}
