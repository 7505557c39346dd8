import Synchronization

/// The kernel lock and the state it guards.
///
/// `@unchecked Sendable`: `state` is reachable only through `withLock`, so it
/// is only ever touched by one thread at a time.
final class KernelLock: @unchecked Sendable {
    private let mutex = Mutex<Void>(())
    private let state: KernelState

    init(_ state: KernelState) { self.state = state }

    /// Runs `body` with the lock held, then signals the waiters it woke.
    func withLock<R, E: Error>(_ body: (KernelState) throws(E) -> R) throws(E) -> R {
        let (result, woken): (Result<R, E>, PendingWakes) = mutex.withLock { _ in
            let result: Result<R, E>
            do throws(E) { result = .success(try body(state)) } catch { result = .failure(error) }
            return (result, state.wakeList.take())
        }
        woken.signal()
        return try result.get()
    }
}
