/// A bounded message queue. Sending never blocks: a full queue refuses the
/// message with `queueFull` and nothing is lost; receivers block, poll or wait
/// with a deadline.
///
/// Only touched with the kernel lock held.
final class Endpoint: KernelObject, @unchecked Sendable {
    override var kind: ObjectKind { .endpoint }
    let capacity: Int
    private(set) var queue: [Message] = []
    private var head = 0
    private(set) var isClosed = false
    /// Messages taken off the queue so far (received or handed off).
    private(set) var taken: UInt64 = 0
    private var waiters: [Waiter] = []

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        queue.reserveCapacity(min(capacity, 16))
    }

    override var infoSize: UInt64 { UInt64(capacity) }

    var count: Int { queue.count - head }
    var queuedMessages: ArraySlice<Message> { queue[head...] }
    var first: Message? { head < queue.count ? queue[head] : nil }

    func enqueue(_ message: Message) throws(SysError) {
        guard !isClosed else { throw .peerClosed }
        guard count < capacity else { throw .queueFull }
        queue.append(message)
        if let waiter = waiters.first {
            waiters.removeFirst()
            waiter.wake()
        }
    }

    func dequeue() -> Message {
        precondition(head < queue.count)
        let message = queue[head]
        head += 1
        taken &+= 1
        if head > 32, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return message
    }

    func addWaiter(_ waiter: Waiter) { waiters.append(waiter) }

    /// The receiver that would get a message sent now, if one is blocked and
    /// nothing is queued ahead of it.
    var handoffCandidate: Waiter? { count == 0 ? waiters.first : nil }

    func removeFirstWaiter() {
        waiters.removeFirst()
        taken &+= 1  // the message went straight to it
    }

    func removeWaiter(_ waiter: Waiter) {
        if let i = waiters.firstIndex(where: { $0 === waiter }) { waiters.remove(at: i) }
    }

    /// Wake every blocked receiver so it can look again (its cap may be gone).
    func wakeAll() {
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.wake() }
    }

    override func close() -> [CapabilityNode] {
        isClosed = true
        wakeAll()
        var held: [CapabilityNode] = []
        while head < queue.count { held += dequeue().heldCaps }
        queue = []
        head = 0
        return held
    }
}
