/// Everything the kernel knows, behind the kernel lock (see `Kernel`).
///
/// Each operation decodes first — handle, object type, rights, bounds, quota,
/// room — and throws the precise error before it changes anything; only then
/// does it act, in steps that cannot fail.
final class KernelState {
    let limits: KernelLimits
    var actors: [ActorID: ActorEntry] = [:]
    var nextActorID: UInt32 = 1
    var isShuttingDown = false
    var liveObjects = 0
    var liveNodes = 0
    /// Waiters woken under the lock, signalled after it (see `Waiter`).
    let wakeList = WakeList()

    init(limits: KernelLimits) { self.limits = limits }

    // MARK: Actors

    func entry(_ id: ActorID) throws(SysError) -> ActorEntry {
        guard let entry = actors[id], entry.isAlive else { throw .shutdown }
        return entry
    }

    func addActor(name: String, account: ResourceAccount) -> ActorID {
        let id = ActorID(rawValue: nextActorID)
        nextActorID += 1
        actors[id] = ActorEntry(id: id, name: name, capacity: limits.capabilitySpaceCapacity, account: account)
        return id
    }

    // MARK: Capabilities

    /// The node behind `handle` in `actor`'s space, of one of `kinds`, with `rights`.
    func lookup(_ actor: ActorID, _ handle: Handle, rights: Rights = [], kinds: Set<ObjectKind>? = nil)
        throws(SysError) -> CapabilityNode
    {
        let entry = try entry(actor)
        guard let node = entry.space.lookup(handle) else { throw .invalidHandle }
        if let kinds, !kinds.contains(node.object.kind) { throw .wrongType }
        guard node.rights.isSuperset(of: rights) else { throw .noRights }
        return node
    }

    /// Puts a new node for `object` in `actor`'s space. The caller checked there is room.
    func install(_ object: KernelObject, rights: Rights, parent: CapabilityNode?, in actor: ActorID) -> Handle {
        let entry = actors[actor]!
        if object.capabilityCount == 0 { liveObjects += 1 }
        let node = CapabilityNode(object: object, rights: rights, parent: parent, location: .inFlight)
        liveNodes += 1
        let handle = try! entry.space.insert(node)
        node.location = .space(actor, handle)
        return handle
    }

    /// A node that travels in a message until it is delivered or dropped.
    func makeInFlight(_ object: KernelObject, rights: Rights, parent: CapabilityNode?) -> CapabilityNode {
        if object.capabilityCount == 0 { liveObjects += 1 }
        liveNodes += 1
        return CapabilityNode(object: object, rights: rights, parent: parent, location: .inFlight)
    }

    /// Moves an in-flight node into `actor`'s space. The caller checked there is room.
    func deliver(_ node: CapabilityNode?, to actor: ActorID) -> Handle {
        guard let node, node.isAlive else { return .null }
        let handle = try! actors[actor]!.space.insert(node)
        node.location = .space(actor, handle)
        return handle
    }

    func requireRoom(_ slots: Int, in actor: ActorID) throws(SysError) {
        let space = try entry(actor).space
        guard space.count + slots <= space.capacity else { throw .noSpace }
    }

    /// Destroys `root` and everything derived from it, in every actor, and any
    /// object whose last cap that was. Never fails; never recurses.
    func destroy(_ root: CapabilityNode) {
        guard root.isAlive else { return }
        root.detachFromParent()
        var pending = [root]
        while let node = pending.popLast() {
            guard node.isAlive else { continue }
            pending += node.removeAllChildren()
            if case .space(let actor, let handle) = node.location {
                actors[actor]?.space.remove(handle)
                // A receiver blocked through this handle must look again.
                (node.object as? Endpoint)?.wakeAll()
            }
            node.location = .destroyed
            liveNodes -= 1
            let object = node.object
            object.capabilityCount -= 1
            if object.capabilityCount == 0 {
                liveObjects -= 1
                if let owner = object.quotaOwner {
                    actors[owner]?.quotaUsed -= object.quotaBytes
                }
                pending += object.close()
            }
        }
    }

    // MARK: Quota

    func charge(_ bytes: Int, to actor: ActorID) throws(SysError) {
        let entry = try entry(actor)
        guard bytes <= limits.memoryQuota - entry.quotaUsed else { throw .noMemory }
    }

    func create<Object: KernelObject>(_ object: Object, charging bytes: Int, to actor: ActorID) -> Object {
        object.quotaOwner = actor
        object.quotaBytes = bytes
        actors[actor]!.quotaUsed += bytes
        return object
    }

    // MARK: Messages

    /// The endpoint a send-capable cap reaches, and whether it is a reply.
    func sendTarget(_ node: CapabilityNode) -> KernelObject {
        if let actor = node.object as? ActorObject { return actor.endpoint }
        return node.object
    }

    /// Decodes the optional cap to transfer: it needs the grant right.
    func transferable(_ actor: ActorID, _ handle: Handle) throws(SysError) -> CapabilityNode? {
        guard !handle.isNull else { return nil }
        return try lookup(actor, handle, rights: .grant)
    }

    /// Takes the first message of `endpoint` for `actor` if it fits in `capacity` bytes.
    func take(from endpoint: Endpoint, for actor: ActorID, capacity: Int) throws(SysError) -> Receipt? {
        guard let message = endpoint.first else { return nil }
        guard message.wireSize <= capacity else {
            return .tooSmall(opcode: message.opcode, needed: message.wireSize)
        }
        try requireRoom(message.heldCaps.count, in: actor)
        _ = endpoint.dequeue()
        return .message(receive(message, by: actor))
    }

    /// Gives `message` straight to `waiter` if it fits and there is room for
    /// its caps; the waiter then returns without taking the lock again.
    func handOff(_ message: Message, to waiter: Waiter) -> Bool {
        guard message.wireSize <= waiter.capacity,
            let entry = actors[waiter.actor], entry.isAlive,
            entry.space.count + message.heldCaps.count <= entry.space.capacity
        else { return false }
        waiter.delivered = receive(message, by: waiter.actor)
        if entry.waiter === waiter { entry.waiter = nil }
        waiter.wake()
        return true
    }

    func receive(_ message: Message, by actor: ActorID) -> ReceivedMessage {
        ReceivedMessage(
            sender: message.sender, opcode: message.opcode, payload: message.payload,
            cap: deliver(message.cap, to: actor), reply: deliver(message.reply, to: actor))
    }

    // MARK: Shutdown of one actor

    /// Ends `actor`: wakes it if blocked, destroys all its caps (and so
    /// everything derived from them), abandons its pending calls.
    func terminate(_ actor: ActorID, reason: ExitReason) -> ActorEntry? {
        guard let entry = actors[actor], entry.isAlive else { return nil }
        entry.exitReason = reason
        if let waiter = entry.waiter {
            entry.waiter = nil
            waiter.wake()
        }
        if let reply = entry.pendingCall {
            entry.pendingCall = nil
            for node in reply.abandon() { destroy(node) }
        }
        for node in entry.space.nodes { destroy(node) }
        return entry
    }
}

/// What a receive found.
public enum Receipt: Sendable, Equatable {
    case message(ReceivedMessage)
    /// The first message needs `needed` bytes; it stays queued.
    case tooSmall(opcode: UInt32, needed: Int)
}

/// Per-actor kernel bookkeeping. Only touched with the kernel lock held.
final class ActorEntry {
    let id: ActorID
    let name: String
    var space: CapabilitySpace
    /// What the actor's memory is charged to; outlives the entry.
    let account: ResourceAccount
    var quotaUsed = 0
    var exitReason: ExitReason?
    /// Set while the actor is blocked, so terminating it can wake it.
    var waiter: Waiter?
    /// The reply object of a `sys_cap_call` in progress.
    var pendingCall: Reply?

    init(id: ActorID, name: String, capacity: Int, account: ResourceAccount) {
        self.id = id
        self.name = name
        self.account = account
        self.space = CapabilitySpace(capacity: capacity)
    }

    var isAlive: Bool { exitReason == nil }
}
