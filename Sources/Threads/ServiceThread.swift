import Dispatch
import Foundation
import Synchronization

/// A thread of its own for one loop that blocks (on the display, a device, a
/// timer, a seat), which must not sit on a shared pool: started once,
/// woken, asked to stop, and joined.
///
/// The loop (`start`'s body) runs until it returns; a loop that sleeps
/// between rounds sleeps with `sleep(until:)`, which says whether to go on.
/// `stop()` ends it from any other thread and waits for it.
public final class ServiceThread: Sendable {
    public let name: String
    private let started = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    public init(name: String) { self.name = name }

    /// Runs `body` on a new thread, given this one to sleep and to ask
    /// whether it should go on. Once only: a second call does nothing.
    public func start(_ body: @escaping @Sendable (ServiceThread) -> Void) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            body(self)
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Whether `start` was called.
    public var hasStarted: Bool { started.load(ordering: .acquiring) }

    /// Whether the loop should go on (`stop` or `cancel` not called yet).
    public var isRunning: Bool { running.load(ordering: .acquiring) }

    /// Sleeps until `wake()` or `deadline`; returns whether to go on.
    @discardableResult
    public func sleep(until deadline: DispatchTime = .distantFuture) -> Bool {
        if isRunning { _ = wakeUp.wait(timeout: deadline) }
        return isRunning
    }

    /// Wakes the loop if it sleeps (or makes its next sleep return at once).
    public func wake() { wakeUp.signal() }

    /// Asks the loop to end and waits until it has. Not from the loop itself.
    public func stop() {
        guard cancel() else { return }
        join()
    }

    /// Asks the loop to end without waiting; whether it was running.
    @discardableResult
    public func cancel() -> Bool {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return false }
        wakeUp.signal()
        return true
    }

    /// Waits until the loop has returned (at once if it has, or never
    /// started); false if `timeout` passed first.
    @discardableResult
    public func join(timeout: DispatchTime = .distantFuture) -> Bool {
        guard started.load(ordering: .acquiring) else { return true }
        guard finished.wait(timeout: timeout) == .success else { return false }
        finished.signal()  // for whoever joins next
        return true
    }
}
