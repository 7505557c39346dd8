/// Everything the kernel knows, behind the kernel lock (see `Kernel`).
///
/// Each operation decodes first — handle, object type, rights, bounds, room,
/// limits — and throws the precise error before it changes anything; a memory
/// charge is the last check, and only then does it act, in steps that cannot
/// fail.
final class KernelState {
    let limits: KernelLimits
    /// Live actors (and, while `terminate` runs, the one being ended).
    var actors: [ActorID: ActorEntry] = [:]
    /// What is kept of ended actors: see `EndedActors`.
    var ended: EndedActors
    var nextActorID: UInt32 = 1
    var isShuttingDown = false
    var liveObjects = 0
    var liveNodes = 0
    /// Live file and directory objects (each holds a descriptor).
    var openFiles = 0
    /// The accounts the kernel itself has charged (for objects and held
    /// messages) and not yet released in full; each keeps the amount in
    /// `kernelCharged`, so invariants can check the charges add up.
    var chargedAccounts: [ObjectIdentifier: ResourceAccount] = [:]
    /// Nodes `destroy` has visited so far, live or already destroyed: a
    /// structural measure of its work (tests check it is what was destroyed).
    var nodesVisited = 0
    /// Waiters woken under the lock, signalled after it (see `Waiter`).
    let wakeList = WakeList()

    init(limits: KernelLimits) {
        self.limits = limits
        self.ended = EndedActors(capacity: limits.endedActorsRemembered)
    }

    // MARK: Actors

    func entry(_ id: ActorID) throws(SysError) -> ActorEntry {
        guard let entry = actors[id], entry.isAlive else { throw .shutdown }
        return entry
    }

    /// Why no actor may be created now, or nil if one may: the global actor
    /// limit, or actor ids used up (after 4 billion actors).
    func actorLimitReason() -> String? {
        if actors.count >= limits.maxActors {
            return "\(actors.count) actors are alive, the most the kernel runs at once (maxActors)"
        }
        if nextActorID == UInt32.max { return "actor ids are used up" }
        return nil
    }

    /// Why `parent` may not spawn a child now, or nil if it may.
    func spawnLimitReason(_ parent: ActorEntry) -> String? {
        if parent.liveChildren >= limits.maxChildrenPerActor {
            return "\(parent.liveChildren) of its children are alive, the most one actor may have (maxChildrenPerActor)"
        }
        return actorLimitReason()
    }

    /// Adds a live actor. The caller checked `actorLimitReason()`.
    func addActor(name: String, account: ResourceAccount, parent: ActorEntry? = nil) -> ActorEntry {
        precondition(nextActorID < UInt32.max)
        let id = ActorID(rawValue: nextActorID)
        nextActorID += 1
        let entry = ActorEntry(
            id: id, name: name, capacity: limits.capabilitySpaceCapacity, account: account, wakeList: wakeList)
        if let parent {
            entry.parent = parent.id
            parent.liveChildren += 1
        }
        actors[id] = entry
        return entry
    }

    /// Records an actor that never ran (created after shutdown, or refused).
    func addEndedActor(name: String, reason: ExitReason) -> ActorID {
        let id = ActorID(rawValue: nextActorID)
        if nextActorID < UInt32.max { nextActorID += 1 }
        ended.add(id, EndedActor(name: name, reason: reason))
        return id
    }

    // MARK: Capabilities

    /// The node behind `handle` in `actor`'s space, of one of `kinds`, with `rights`.
    func lookup(_ actor: ActorID, _ handle: Handle, rights: Rights = [], kinds: ObjectKinds? = nil)
        throws(SysError) -> CapabilityNode
    {
        try lookup(entry(actor), handle, rights: rights, kinds: kinds)
    }

    /// `lookup` for a caller whose entry is at hand (the message path looks
    /// its caller up once).
    func lookup(_ entry: ActorEntry, _ handle: Handle, rights: Rights = [], kinds: ObjectKinds? = nil)
        throws(SysError) -> CapabilityNode
    {
        guard let node = entry.space.lookup(handle) else { throw .invalidHandle }
        if let kinds, !kinds.contains(ObjectKinds(node.object.kind)) { throw .wrongType }
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

    /// Moves an in-flight node into `entry`'s space. The caller checked there is room.
    func deliver(_ node: CapabilityNode?, to entry: ActorEntry) -> Handle {
        guard let node, node.isAlive else { return .null }
        let handle = try! entry.space.insert(node)
        node.location = .space(entry.id, handle)
        return handle
    }

    func requireRoom(_ slots: Int, in actor: ActorID) throws(SysError) {
        try requireRoom(slots, in: entry(actor))
    }

    func requireRoom(_ slots: Int, in entry: ActorEntry) throws(SysError) {
        guard entry.space.count + slots <= entry.space.capacity else { throw .noSpace }
    }

    /// Destroys `root` and everything derived from it, in every actor, and any
    /// object whose last cap that was (with the messages it held). Every node
    /// it destroys is detached from its parent at once, so no live node keeps
    /// a dead one. Work: one step per node destroyed and per message dropped.
    /// Never fails; never recurses.
    func destroy(_ root: CapabilityNode) {
        guard root.isAlive else { return }
        var pending = [root]
        while let node = pending.popLast() {
            nodesVisited += 1
            guard node.isAlive else { continue }
            node.detachFromParent()
            while let child = node.detachFirstChild() { pending.append(child) }
            if case .space(let actor, let handle) = node.location, let entry = actors[actor] {
                entry.space.remove(handle)
                // A receiver blocked through this handle must look again.
                if let waiter = entry.waiter, waiter.handle == handle {
                    waiter.queuedOn?.removeWaiter(waiter)
                    waiter.wake()
                }
            }
            node.location = .destroyed
            liveNodes -= 1
            let object = node.object
            object.capabilityCount -= 1
            if object.capabilityCount == 0 {
                liveObjects -= 1
                if object.holdsDescriptor { openFiles -= 1 }
                if let account = object.chargedTo {
                    release(object.chargedBytes, from: account)
                    object.chargedTo = nil
                }
                for message in object.close() { pending += drop(message) }
            }
        }
    }

    /// Gives back what an undelivered message was charged; returns its
    /// in-flight caps for the caller to destroy.
    func drop(_ message: Message) -> [CapabilityNode] {
        discharge(message)
        return message.heldCaps
    }

    /// Destroys an undelivered message's caps and gives back its charge.
    func dropAndDestroy(_ message: Message?) {
        guard let message else { return }
        for node in drop(message) { destroy(node) }
    }

    // MARK: Memory

    /// Charges `bytes` to `account` (and the global budget) for the kernel;
    /// `noMemory` and nothing charged if either has no room.
    func charge(_ bytes: Int, to account: ResourceAccount) throws(SysError) {
        guard account.charge(bytes) == nil else { throw .noMemory }
        guard bytes > 0 else { return }  // an empty buffer costs nothing
        if account.kernelCharged == 0 { chargedAccounts[ObjectIdentifier(account)] = account }
        account.kernelCharged += bytes
    }

    func release(_ bytes: Int, from account: ResourceAccount) {
        guard bytes > 0 else { return }
        precondition(account.kernelCharged >= bytes, "the kernel released more than it charged")
        account.kernelCharged -= bytes
        if account.kernelCharged == 0 { chargedAccounts[ObjectIdentifier(account)] = nil }
        account.release(bytes)
    }

    /// Charges `bytes` to `account`, then makes the object they pay for
    /// (not before: a refused charge allocates nothing). The last check of a create.
    func create<Object: KernelObject>(charging bytes: Int, to account: ResourceAccount, _ make: () -> Object)
        throws(SysError) -> Object
    {
        try charge(bytes, to: account)
        let object = make()
        object.chargedTo = account
        object.chargedBytes = bytes
        return object
    }

    /// Charges a message about to be queued to its sender: the last check of a send.
    func chargeMessage(payloadBytes: Int, to sender: ActorEntry) throws(SysError) -> ResourceAccount {
        try charge(Message.cost(payloadBytes: payloadBytes), to: sender.account)
        return sender.account
    }

    func discharge(_ message: Message) {
        if let account = message.charge { release(message.cost, from: account) }
    }

    // MARK: Messages

    /// The endpoint a send-capable cap reaches, and whether it is a reply.
    func sendTarget(_ node: CapabilityNode) -> KernelObject {
        if let actor = node.object as? ActorObject { return actor.endpoint }
        return node.object
    }

    /// Decodes the optional cap to transfer: it needs the grant right.
    func transferable(_ actor: ActorID, _ handle: Handle) throws(SysError) -> CapabilityNode? {
        try transferable(entry(actor), handle)
    }

    func transferable(_ entry: ActorEntry, _ handle: Handle) throws(SysError) -> CapabilityNode? {
        guard !handle.isNull else { return nil }
        return try lookup(entry, handle, rights: .grant)
    }

    /// The live actor blocked in `waiter` if it can take a message of
    /// `wireSize` bytes carrying `caps` caps straight away.
    func handOffReceiver(wireSize: Int, caps: Int, waiter: Waiter) -> ActorEntry? {
        guard wireSize <= waiter.capacity, let entry = actors[waiter.actor], entry.isAlive,
            entry.space.count + caps <= entry.space.capacity
        else { return nil }
        return entry
    }

    /// Gives `message` straight to `receiver`, blocked in `waiter` (the
    /// caller checked with `handOffReceiver`); the waiter then returns
    /// without taking the lock again.
    func handOff(_ message: Message, to receiver: ActorEntry, waiting waiter: Waiter) {
        waiter.delivered = receive(message, by: receiver)
        if receiver.waiter === waiter { receiver.waiter = nil }
        waiter.wake()
    }

    /// Delivers `message` to `actor` (the caller checked there is room for
    /// its caps) and gives back what it was charged.
    func receive(_ message: Message, by actor: ActorID) -> ReceivedMessage {
        receive(message, by: actors[actor]!)
    }

    func receive(_ message: Message, by entry: ActorEntry) -> ReceivedMessage {
        discharge(message)
        return ReceivedMessage(
            sender: message.sender, opcode: message.opcode, payload: message.payload,
            cap: deliver(message.cap, to: entry), reply: deliver(message.reply, to: entry))
    }

    // MARK: Shutdown of one actor

    /// Ends `actor`: wakes it if blocked, destroys all its caps (and so
    /// everything derived from them), abandons its pending call, and keeps
    /// only its name and exit reason (see `EndedActors`).
    /// Work: its caps and everything derived from them.
    func terminate(_ actor: ActorID, reason: ExitReason) -> ActorEntry? {
        guard let entry = actors[actor], entry.isAlive else { return nil }
        entry.exitReason = reason
        if let waiter = entry.waiter {
            entry.waiter = nil
            waiter.queuedOn?.removeWaiter(waiter)
            waiter.wake()
        }
        if let reply = entry.pendingCall {
            entry.pendingCall = nil
            reply.giveUp(in: self)
        }
        for node in entry.space.nodes { destroy(node) }
        if let parent = entry.parent { actors[parent]?.liveChildren -= 1 }
        actors[actor] = nil
        ended.add(actor, EndedActor(name: entry.name, reason: reason))
        return entry
    }
}

/// What a receive found.
public enum Receipt: Sendable, Equatable {
    case message(ReceivedMessage)
    /// The first message needs `needed` bytes; it stays queued.
    case tooSmall(opcode: UInt32, needed: Int)
}

/// Per-actor kernel bookkeeping for a live actor. Only touched with the
/// kernel lock held.
final class ActorEntry {
    let id: ActorID
    let name: String
    var space: CapabilitySpace
    /// What the actor's memory is charged to; outlives the entry.
    let account: ResourceAccount
    var exitReason: ExitReason?
    /// Set while the actor is blocked, so terminating it can wake it.
    var waiter: Waiter?
    /// The waiter the actor blocks with, reused for every wait.
    private let ownWaiter: Waiter
    /// The reply object of a `sys_cap_call` in progress.
    var pendingCall: Reply?
    /// The actor that spawned this one (`sys_spawn`), if any.
    var parent: ActorID?
    /// Children spawned by this actor that are still alive.
    var liveChildren = 0
    /// A refused spawn has been logged; later ones are not.
    var spawnRefusalLogged = false

    init(id: ActorID, name: String, capacity: Int, account: ResourceAccount, wakeList: WakeList) {
        self.id = id
        self.name = name
        self.account = account
        self.space = CapabilitySpace(capacity: capacity)
        self.ownWaiter = Waiter(actor: id, wakeList: wakeList)
    }

    /// A waiter for a thread of this actor about to block: its own, unless
    /// another thread of the actor is blocked with it. Give it back with
    /// `Waiter.release()` when the blocking call returns.
    func claimWaiter(wakeList: WakeList) -> Waiter {
        if ownWaiter.claim() { return ownWaiter }
        let extra = Waiter(actor: id, wakeList: wakeList)
        _ = extra.claim()
        return extra
    }

    var isAlive: Bool { exitReason == nil }
}

/// What is kept of an ended actor.
struct EndedActor {
    let name: String
    let reason: ExitReason
}

/// The names and exit reasons of the most recently ended actors, at most
/// `capacity` of them: enough for the host to learn why an actor it just
/// watched end did so (`Kernel.exitReason(of:)`, logs), while a process that
/// starts and ends actors for ever keeps a bounded amount. The oldest record
/// goes first. Hosts that must know every exit use `Kernel.onActorExit`.
struct EndedActors {
    private var records: [ActorID: EndedActor] = [:]
    private var order: [ActorID]
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        order = []
        order.reserveCapacity(min(capacity, 1024))
    }

    var count: Int { records.count }

    subscript(id: ActorID) -> EndedActor? { records[id] }

    mutating func add(_ id: ActorID, _ record: EndedActor) {
        if order.count < capacity {
            order.append(id)
        } else {
            records[order[next]] = nil
            order[next] = id
            next = (next + 1) % capacity
        }
        records[id] = record
    }
}
