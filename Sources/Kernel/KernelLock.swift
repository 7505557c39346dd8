import Synchronization

/// The kernel lock and the state it guards.
///
/// `@unchecked Sendable`: `state` is reachable only through `withLock`, so it
/// is only ever touched by one thread at a time.
final class KernelLock: @unchecked Sendable {
    private let mutex = Mutex<Void>(())
    private let state: KernelState

    init(_ state: KernelState) { self.state = state }

    func withLock<R, E: Error>(_ body: (KernelState) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = mutex.withLock { _ in
            do throws(E) { return .success(try body(state)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
