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

// MARK: Answering and collecting, with the kernel lock held

extension Reply {
    /// The callee's answer, its one send on the reply cap `node`: straight to
    /// the caller if it waits and can take it now, else kept (charged to
    /// `sender`) for the caller to collect. The cap is used up either way.
    func answer(
        from sender: ActorEntry, node: CapabilityNode, payloadBytes: Int, caps: Int, in kernel: KernelState,
        _ make: (ResourceAccount?) -> Message
    ) throws(SysError) {
        guard case .pending = state else { throw .peerClosed }
        let wireSize = ABI.messageHeaderSize + payloadBytes
        if let waiter, let receiver = kernel.handOffReceiver(wireSize: wireSize, caps: caps, waiter: waiter) {
            kernel.handOff(make(nil), to: receiver, waiting: waiter)
            state = .finished
            receiver.pendingCall = nil
        } else {
            state = .answered(make(try kernel.chargeMessage(payloadBytes: payloadBytes, to: sender)))
            waiter?.wake()
        }
        waiter = nil
        kernel.destroy(node)
    }

    /// What `caller`, waiting on this reply, finds: the answer if it fits in
    /// `capacity` bytes; if not, the answer parked behind a receive-only cap
    /// in the caller's space (`take`); `peerClosed` if the callee dropped it;
    /// nil while it is pending.
    func collect(by caller: ActorEntry, capacity: Int, in kernel: KernelState) throws(SysError) -> CallOutcome? {
        switch state {
        case .pending:
            return nil
        case .dropped, .finished:
            caller.pendingCall = nil
            throw .peerClosed
        case .answered(let message):
            caller.pendingCall = nil
            let fits = message.wireSize <= capacity
            // No slot for the answer's cap, or for the parked answer's: the
            // answer cannot be delivered and is dropped whole.
            do throws(SysError) {
                try kernel.requireRoom(fits ? message.heldCapCount : 1, in: caller)
            } catch {
                giveUp(in: kernel)
                throw error
            }
            guard fits else {
                isParked = true
                let handle = kernel.install(self, rights: [.receive], parent: nil, in: caller.id)
                return .parked(opcode: message.opcode, needed: message.wireSize, reply: handle)
            }
            state = .finished
            return .answer(kernel.receive(message, by: caller))
        }
    }

    /// Takes a parked answer for `caller` through its receive-only cap `node`.
    func take(node: CapabilityNode, by caller: ActorEntry, capacity: Int, in kernel: KernelState) throws(SysError) -> Receipt {
        guard case .answered(let message) = state else { throw .peerClosed }
        guard message.wireSize <= capacity else { return .tooSmall(opcode: message.opcode, needed: message.wireSize) }
        try kernel.requireRoom(message.heldCapCount, in: caller)
        state = .finished
        let received = kernel.receive(message, by: caller)
        kernel.destroy(node)
        return .message(received)
    }

    /// Queues `caller`, blocked in `waiter`, for the answer.
    func block(_ caller: ActorEntry, in waiter: Waiter, capacity: Int) {
        waiter.arm(handle: nil, capacity: capacity)
        self.waiter = waiter
        caller.waiter = waiter
    }

    /// The caller stops waiting (it timed out, cannot take the answer, or
    /// ended): an answer already here is dropped with the caps it carries,
    /// and a later one is refused with `peerClosed`.
    func giveUp(in kernel: KernelState) {
        kernel.dropAndDestroy(abandon())
    }
}
