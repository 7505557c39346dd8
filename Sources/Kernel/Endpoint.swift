/// A bounded message queue. Sending never blocks: a full queue refuses the
/// message with `queueFull` and nothing is lost; receivers block, poll or wait
/// with a deadline.
///
/// Every operation is O(1) (amortized for the ring's growth, which is bounded
/// by `capacity`), except `close`, which pays once per message and waiter.
///
/// Only touched with the kernel lock held.
final class Endpoint: KernelObject, @unchecked Sendable {
    override var kind: ObjectKind { .endpoint }
    let capacity: Int
    /// The queue: a ring of `count` messages from `head`, grown by doubling
    /// up to `capacity` slots.
    private var ring: [Message?] = []
    private var head = 0
    private(set) var count = 0
    private(set) var isClosed = false
    /// Messages taken off the queue so far (received or handed off).
    private(set) var taken: UInt64 = 0
    private var waiters = WaiterQueue()

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    override var infoSize: UInt64 { UInt64(capacity) }

    /// The queued messages, first to last (for invariants; O(count)).
    var queuedMessages: [Message] { (0..<count).map { ring[(head + $0) % ring.count]! } }
    var first: Message? { count > 0 ? ring[head] : nil }

    /// Queues `message` and wakes the first waiting receiver. The caller
    /// checked the endpoint is open and not full.
    func enqueue(_ message: Message) {
        precondition(!isClosed && count < capacity)
        if count == ring.count { grow() }
        ring[(head + count) % ring.count] = message
        count += 1
        if let waiter = waiters.first {
            waiters.remove(waiter)
            waiter.wake()
        }
    }

    private func grow() {
        let size = min(capacity, max(4, ring.count * 2))
        var larger = [Message?](repeating: nil, count: size)
        for i in 0..<count { larger[i] = ring[(head + i) % ring.count] }
        ring = larger
        head = 0
    }

    func dequeue() -> Message {
        precondition(count > 0)
        let message = ring[head]!
        ring[head] = nil
        head = (head + 1) % ring.count
        count -= 1
        taken &+= 1
        return message
    }

    func addWaiter(_ waiter: Waiter) { waiters.append(waiter, on: self) }

    /// The receiver that would get a message sent now, if one is blocked and
    /// nothing is queued ahead of it.
    var handoffCandidate: Waiter? { count == 0 ? waiters.first : nil }

    func removeFirstWaiter() {
        if let waiter = waiters.first { waiters.remove(waiter) }
        taken &+= 1  // the message went straight to it
    }

    /// Removes `waiter` if it waits here. O(1).
    func removeWaiter(_ waiter: Waiter) {
        if waiter.queuedOn === self { waiters.remove(waiter) }
    }

    /// Wake every blocked receiver so it can look again.
    func wakeAll() {
        for waiter in waiters.removeAll() { waiter.wake() }
    }

    override func close() -> [Message] {
        isClosed = true
        wakeAll()
        var held: [Message] = []
        while count > 0 { held.append(dequeue()) }
        ring = []
        head = 0
        return held
    }
}

// MARK: Sending and receiving, with the kernel lock held

extension Endpoint {
    /// Sends the message `make` builds (given what it is charged to) from
    /// `sender`: straight to the first blocked receiver if nothing is queued
    /// ahead of it and it can take the message now, uncharged; else queued,
    /// charged to `sender` until it is taken. `caps` is how many caps the
    /// message carries.
    func send(
        from sender: ActorEntry, payloadBytes: Int, caps: Int, in kernel: KernelState,
        _ make: (ResourceAccount?) -> Message
    ) throws(SysError) {
        guard !isClosed else { throw .peerClosed }
        guard count < capacity else { throw .queueFull }
        let wireSize = ABI.messageHeaderSize + payloadBytes
        if let waiter = handoffCandidate, let receiver = kernel.handOffReceiver(wireSize: wireSize, caps: caps, waiter: waiter) {
            kernel.handOff(make(nil), to: receiver, waiting: waiter)
            removeFirstWaiter()
        } else {
            enqueue(make(try kernel.chargeMessage(payloadBytes: payloadBytes, to: sender)))
        }
    }

    /// Takes the first message for `receiver` if it fits in `capacity` bytes;
    /// nil if none is queued.
    func take(for receiver: ActorEntry, capacity: Int, in kernel: KernelState) throws(SysError) -> Receipt? {
        guard let message = first else { return nil }
        guard message.wireSize <= capacity else { return .tooSmall(opcode: message.opcode, needed: message.wireSize) }
        try kernel.requireRoom(message.heldCapCount, in: receiver)
        _ = dequeue()
        return .message(kernel.receive(message, by: receiver))
    }

    /// Queues `receiver`, blocked in `waiter`, for the next message sent here.
    func block(_ receiver: ActorEntry, in waiter: Waiter, handle: Handle, capacity: Int) {
        waiter.arm(handle: handle, capacity: capacity)
        addWaiter(waiter)
        receiver.waiter = waiter
    }
}
