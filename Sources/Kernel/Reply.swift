/// A one-shot answer slot: `sys_cap_call` creates one and sends the callee a
/// cap to it with the request; the callee's single send on that cap is the
/// answer the caller is waiting for.
///
/// Only touched with the kernel lock held.
final class Reply: KernelObject, @unchecked Sendable {
    override var kind: ObjectKind { .reply }
    let caller: ActorID
    var state: State = .pending
    var waiter: Waiter?
    /// The answer did not fit the caller's buffer and waits behind a
    /// receive-only cap in the caller's space.
    var isParked = false

    enum State {
        /// The callee has not answered yet.
        case pending
        /// The answer is here, waiting for the caller to take it.
        case answered(Message)
        /// The caller took the answer, gave up waiting, or died.
        case finished
        /// The callee dropped its cap (released it or died) without answering.
        case dropped
    }

    init(caller: ActorID) { self.caller = caller }

    /// The caller stops waiting; a later answer is refused with `peerClosed`.
    /// Returns an answer nobody will take, for the kernel to drop.
    func abandon() -> Message? {
        defer { state = .finished; waiter = nil }
        if case .answered(let message) = state { return message }
        return nil
    }

    override func close() -> [Message] {
        switch state {
        case .pending:
            state = .dropped
            waiter?.wake()
            waiter = nil
            return []
        case .answered(let message):
            // The callee's cap went with its answer; the caller still takes or
            // abandons it. Only a parked answer whose cap is gone is lost.
            guard isParked else { return [] }
            state = .finished
            return [message]
        case .finished, .dropped:
            return []
        }
    }
}
