import Dispatch

/// What `sys_cap_info` reports about a cap.
public struct CapabilityInfo: Sendable, Equatable {
    public let kind: ObjectKind
    public let rights: Rights
    /// Buffer: bytes. Framebuffer: `width << 32 | height`. Endpoint: capacity.
    /// Actor: its id. Otherwise 0.
    public let size: UInt64
}

/// The syscalls. Each takes the calling actor first; every argument is
/// untrusted. Errors are `SysError`; nothing changes when one is thrown.
extension Kernel {
    // MARK: Messages

    /// Sends a message on an endpoint, actor or reply cap, optionally passing
    /// one cap (the receiver gets its own handle, derived from the sender's).
    /// Never blocks: a full queue is `queueFull` and nothing is sent. A
    /// message the kernel must hold (queued, or an answer not yet taken) is
    /// charged to the sender until it is received or dropped; `noMemory` and
    /// nothing sent if the sender's account or the global budget is full.
    public func send(_ caller: ActorID, to handle: Handle, opcode: UInt32, payload: [UInt8], cap: Handle = .null)
        throws(SysError)
    {
        guard payload.count <= ABI.maxPayload else { throw .invalidArgument }
        try locked { state throws(SysError) in
            let sender = try state.entry(caller)
            let node = try state.lookup(sender, handle, rights: .send, kinds: [.endpoint, .actor, .reply])
            let passed = try state.transferable(sender, cap)
            let caps = passed == nil ? 0 : 1
            let message = { (charge: ResourceAccount?) in
                Message(
                    sender: caller, opcode: opcode, payload: payload,
                    cap: passed.map { state.makeInFlight($0.object, rights: $0.rights, parent: $0) }, reply: nil,
                    charge: charge)
            }
            switch state.sendTarget(node) {
            case let endpoint as Endpoint:
                try endpoint.send(from: sender, payloadBytes: payload.count, caps: caps, in: state, message)
            case let reply as Reply:
                try reply.answer(from: sender, node: node, payloadBytes: payload.count, caps: caps, in: state, message)
            default:
                preconditionFailure("lookup admitted an object that cannot receive")
            }
        }
    }

    /// Receives the first message of an endpoint (or a parked call answer),
    /// waiting up to `timeout`. A message larger than `capacity` bytes stays
    /// queued and `.tooSmall` says how much room it needs.
    public func receive(_ caller: ActorID, from handle: Handle, capacity: Int, timeout: Timeout = .forever)
        throws(SysError) -> Receipt
    {
        var blockedOn: Endpoint?
        return try waitFor(caller, timeout: timeout, delivered: { .message($0) }) { state, entry, expired, waiter throws(SysError) in
            let node = try state.lookup(entry, handle, rights: .receive, kinds: [.endpoint, .reply])
            if let reply = node.object as? Reply {
                return try reply.take(node: node, by: entry, capacity: capacity, in: state)
            }
            let endpoint = node.object as! Endpoint
            if let receipt = try endpoint.take(for: entry, capacity: capacity, in: state) { return receipt }
            if endpoint.isClosed { throw .peerClosed }
            if expired { throw timeout == .poll ? .wouldBlock : .timedOut }
            endpoint.block(entry, in: waiter(), handle: handle, capacity: capacity)
            blockedOn = endpoint
            return nil
        } unblock: { waiter in
            blockedOn?.removeWaiter(waiter)
        }
    }

    /// Sends a request with a fresh reply cap and waits up to `timeout` for the
    /// answer. An answer larger than `capacity` is parked: `.tooSmall` is
    /// returned and the caller holds a reply cap (in `ReceivedMessage.reply`
    /// of a later receive — see `callParked`) to fetch it with a larger buffer.
    /// The request is charged to the caller while queued, the answer to the
    /// callee until the caller takes it (see `send`).
    public func call(
        _ caller: ActorID, to handle: Handle, opcode: UInt32, payload: [UInt8], cap: Handle = .null,
        capacity: Int, timeout: Timeout = .forever
    ) throws(SysError) -> CallOutcome {
        guard payload.count <= ABI.maxPayload else { throw .invalidArgument }
        let reply: Reply = try locked { state throws(SysError) in
            let entry = try state.entry(caller)
            let node = try state.lookup(entry, handle, rights: .send, kinds: [.endpoint, .actor])
            let passed = try state.transferable(entry, cap)
            guard let endpoint = state.sendTarget(node) as? Endpoint else { throw .wrongType }
            let reply = Reply(caller: caller)
            // The request carries the reply cap, and perhaps one more.
            try endpoint.send(from: entry, payloadBytes: payload.count, caps: passed == nil ? 1 : 2, in: state) { charge in
                Message(
                    sender: caller, opcode: opcode, payload: payload,
                    cap: passed.map { state.makeInFlight($0.object, rights: $0.rights, parent: $0) },
                    reply: state.makeInFlight(reply, rights: [.send], parent: nil), charge: charge)
            }
            entry.pendingCall = reply
            return reply
        }
        return try waitFor(caller, timeout: timeout, delivered: { .answer($0) }) { state, entry, expired, waiter throws(SysError) in
            if let outcome = try reply.collect(by: entry, capacity: capacity, in: state) { return outcome }
            if expired {
                entry.pendingCall = nil
                reply.giveUp(in: state)
                throw timeout == .poll ? .wouldBlock : .timedOut
            }
            reply.block(entry, in: waiter(), capacity: capacity)
            return nil
        } unblock: { waiter in
            if reply.waiter === waiter { reply.waiter = nil }
        }
    }

    // MARK: Buffers and files

    /// Copies bytes at `offset` of a buffer, framebuffer or file into
    /// `destination`; returns how many. A buffer's range must lie inside it
    /// (all of `destination` is filled); a file gives fewer bytes at its
    /// end and none past it.
    @discardableResult
    public func read(_ caller: ActorID, from handle: Handle, offset: Int, into destination: UnsafeMutableRawBufferPointer)
        throws(SysError) -> Int
    {
        switch try memoryFor(caller, handle, rights: .read, offset: offset, length: destination.count) {
        case .buffer(let buffer):
            buffer.read(at: offset, into: destination)
            return destination.count
        case .file(let file):
            return try file.read(at: offset, into: destination)
        }
    }

    /// Copies `source` into a buffer, framebuffer or file at `offset`. A
    /// file grows as far as the write reaches (up to `maxFileSize`).
    public func write(_ caller: ActorID, to handle: Handle, offset: Int, from source: UnsafeRawBufferPointer)
        throws(SysError)
    {
        switch try memoryFor(caller, handle, rights: .write, offset: offset, length: source.count) {
        case .buffer(let buffer): buffer.write(at: offset, from: source)
        case .file(let file): try file.write(at: offset, from: source)
        }
    }

    /// What `read` and `write` copy from or to.
    private enum Memory {
        case buffer(SharedBuffer)
        case file(FileObject)
    }

    /// Checks under the lock, copies outside it: the object stays alive for the
    /// copy even if the cap is revoked meanwhile.
    private func memoryFor(_ caller: ActorID, _ handle: Handle, rights: Rights, offset: Int, length: Int)
        throws(SysError) -> Memory
    {
        try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle, rights: rights, kinds: [.buffer, .framebuffer, .file])
            if let file = node.object as? FileObject {
                guard offset >= 0, length >= 0 else { throw .invalidArgument }
                guard offset <= state.limits.maxFileSize, length <= state.limits.maxFileSize - offset else { throw .outOfBounds }
                return .file(file)
            }
            let buffer = node.object as! SharedBuffer
            try buffer.checkRange(offset: offset, length: length)
            return .buffer(buffer)
        }
    }

    /// `(width << 32) | height` of the first framebuffer cap the caller holds, or 0.
    public func framebufferInfo(_ caller: ActorID) -> Int64 {
        state.withLock { state in
            guard let entry = state.actors[caller], entry.isAlive else { return 0 }
            for node in entry.space.nodes {
                if let fb = node.object as? Framebuffer { return Int64(fb.width) << 32 | Int64(fb.height) }
            }
            return 0
        }
    }

    /// A zero-filled buffer of `size` bytes, charged to the caller's account
    /// (`size` bytes) until its last cap is gone.
    public func createBuffer(_ caller: ActorID, size: Int) throws(SysError) -> Handle {
        try locked { state throws(SysError) in
            guard size >= 0, size <= state.limits.maxBufferSize else { throw .invalidArgument }
            try state.requireRoom(1, in: caller)
            let buffer = try state.create(charging: size, to: state.entry(caller).account) { SharedBuffer(size: size) }
            return state.install(buffer, rights: [.read, .write, .grant], parent: nil, in: caller)
        }
    }

    /// Bytes charged for an endpoint: a fixed part plus a slot per message.
    static func endpointCost(capacity: Int) -> Int { 4096 + capacity * 256 }

    /// An endpoint queueing at most `capacity` messages (0: the default),
    /// charged to the caller's account until its last cap is gone.
    public func createEndpoint(_ caller: ActorID, capacity: Int = 0) throws(SysError) -> Handle {
        try locked { state throws(SysError) in
            guard capacity >= 0, capacity <= state.limits.maxEndpointCapacity else { throw .invalidArgument }
            let capacity = capacity == 0 ? state.limits.defaultEndpointCapacity : capacity
            try state.requireRoom(1, in: caller)
            let endpoint = try state.create(charging: Kernel.endpointCost(capacity: capacity), to: state.entry(caller).account) {
                Endpoint(capacity: capacity)
            }
            return state.install(endpoint, rights: [.send, .receive, .grant], parent: nil, in: caller)
        }
    }

    // MARK: Capabilities

    /// Removes the cap and everything derived from it, in every actor.
    public func release(_ caller: ActorID, _ handle: Handle) throws(SysError) {
        try locked { state throws(SysError) in
            state.destroy(try state.lookup(caller, handle))
        }
    }

    /// A new cap to the same object with `rights` (a subset), derived from
    /// `handle`: revoking or releasing `handle` removes it too. Needs grant.
    public func derive(_ caller: ActorID, _ handle: Handle, rights: Rights) throws(SysError) -> Handle {
        try locked { state throws(SysError) in
            guard Rights.all.isSuperset(of: rights) else { throw .invalidArgument }
            let node = try state.lookup(caller, handle, rights: .grant)
            guard node.rights.isSuperset(of: rights) else { throw .noRights }
            try state.requireRoom(1, in: caller)
            return state.install(node.object, rights: rights, parent: node, in: caller)
        }
    }

    /// Removes everything derived from `handle`, in every actor; `handle` stays.
    public func revoke(_ caller: ActorID, _ handle: Handle) throws(SysError) {
        try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle)
            while let child = node.detachFirstChild() { state.destroy(child) }
        }
    }

    public func info(_ caller: ActorID, _ handle: Handle) throws(SysError) -> CapabilityInfo {
        try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle)
            return CapabilityInfo(kind: node.object.kind, rights: node.rights, size: node.object.infoSize)
        }
    }

    // MARK: Actors

    /// Starts module `name` from the last of the spawner's folders that holds
    /// `name.wasm` (`Spawner.folder(for:in:)`). The new actor gets
    /// its boot endpoint as handle 1 (charged to the child's account) and, if
    /// `grant` is not null, a cap derived from it as handle 2. Returns an
    /// actor cap (send, kill, grant).
    ///
    /// `limitReached` when the caller has `maxChildrenPerActor` live children
    /// or `maxActors` actors are alive (logged once per caller). A child
    /// whose thread cannot be started is undone — ended, its caps and the
    /// caller's actor cap released — and the launcher's error returned.
    public func spawn(_ caller: ActorID, spawner handle: Handle, module name: String, grant: Handle = .null)
        throws(SysError) -> Handle
    {
        let folders: [String] = try decodeSpawn(caller, spawner: handle, grant: grant)
        guard Spawner.isValidModuleName(name) else { throw .invalidArgument }
        guard let launcher = launcher.withLock({ $0 }) else { throw .notFound }
        // Outside the lock: it looks at the file system.
        let directory = Spawner.folder(for: name, in: folders)
        let prepared: any PreparedActor
        switch launcher.prepare(module: name, directory: directory) {
        case .success(let actor): prepared = actor
        case .failure(let failure):
            if failure.code == .notFound && folders.count > 1 {
                // No folder holds it: the launcher was shown the last one only.
                logger.warning("spawn \(name) failed: no module \(name).wasm in \(folders.joined(separator: ", "))")
            } else {
                logger.warning("spawn \(name) from \(directory) failed: \(failure.reason)")
            }
            throw failure.code
        }
        let account = prepared.account ?? makeAccount()
        let (child, actorHandle, actorObject): (ActorID, Handle, ActorObject) = try locked { state throws(SysError) in
            // Decode again: the caller's caps, and the number of actors, may
            // have changed while loading.
            _ = try state.lookup(caller, handle, rights: .spawn, kinds: [.spawner])
            let passed = try state.transferable(caller, grant)
            try state.requireRoom(1, in: caller)
            let parent = try state.entry(caller)
            if state.spawnLimitReason(parent) != nil { throw .limitReached }
            let capacity = state.limits.defaultEndpointCapacity
            let endpoint = try state.create(charging: Kernel.endpointCost(capacity: capacity), to: account) {
                Endpoint(capacity: capacity)
            }
            let child = state.addActor(name: name, account: account, parent: parent).id
            _ = state.install(endpoint, rights: [.send, .receive, .grant], parent: nil, in: child)
            if let passed { _ = state.install(passed.object, rights: passed.rights, parent: passed, in: child) }
            let actorObject = ActorObject(target: child, endpoint: endpoint)
            let actorHandle = state.install(actorObject, rights: [.send, .kill, .grant], parent: nil, in: caller)
            return (child, actorHandle, actorObject)
        }
        do throws(SpawnFailure) {
            try prepared.start(in: self, as: child)
        } catch {
            logger.warning("spawn \(name) from \(directory) failed: \(error.reason)")
            terminate(child, reason: .refused(error.reason))
            state.withLock { state in
                // The caller's actor cap, unless the caller let go of it meanwhile.
                if let node = state.actors[caller]?.space.lookup(actorHandle), node.object === actorObject {
                    state.destroy(node)
                }
            }
            throw error.code
        }
        return actorHandle
    }

    /// The first decode of `spawn`: handles, rights, room and limits, before
    /// the module is loaded. Returns the spawner's folders.
    private func decodeSpawn(_ caller: ActorID, spawner handle: Handle, grant: Handle)
        throws(SysError) -> [String]
    {
        let decoded: Result<[String], SysError>
        var refusal: String?
        decoded = state.withLock { state in
            Result { () throws(SysError) in
                let node = try state.lookup(caller, handle, rights: .spawn, kinds: [.spawner])
                _ = try state.transferable(caller, grant)
                try state.requireRoom(1, in: caller)
                let entry = try state.entry(caller)
                if let reason = state.spawnLimitReason(entry) {
                    if !entry.spawnRefusalLogged {
                        entry.spawnRefusalLogged = true
                        refusal = "\(entry.name) (\(caller)) may not spawn: \(reason) (further refusals are not logged)"
                    }
                    throw .limitReached
                }
                return (node.object as! Spawner).folders
            }
        }
        if let refusal { logger.warning("\(refusal)") }
        return try decoded.get()
    }

    /// Ends the actor an actor cap names. Needs the kill right.
    public func kill(_ caller: ActorID, _ handle: Handle) throws(SysError) {
        let target: ActorID = try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle, rights: .kill, kinds: [.actor])
            return (node.object as! ActorObject).target
        }
        terminate(target, reason: .killed(by: caller))
    }

    /// Monotonic time in nanoseconds.
    public func now() -> Int64 {
        Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds)
    }
}

/// The result of `call`.
public enum CallOutcome: Sendable, Equatable {
    case answer(ReceivedMessage)
    /// The answer needs `needed` bytes; receive it from `reply` with a larger buffer.
    case parked(opcode: UInt32, needed: Int, reply: Handle)
}

/// Direct, read-only access to a shared buffer's bytes for a native actor
/// (ui_server reads window surfaces without copying them). The mapping keeps
/// the memory alive even if the cap is revoked meanwhile; whoever maps checks
/// the cap again when it matters (on every commit).
public struct BufferMapping: @unchecked Sendable {
    // Holds the buffer object so its storage outlives any revocation; bytes are
    // shared memory by design (see SharedBuffer).
    private let buffer: SharedBuffer
    init(buffer: SharedBuffer) { self.buffer = buffer }
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer.storage[0..<buffer.byteCount]) }
    public var count: Int { buffer.byteCount }
}

extension Kernel {
    /// How far the receiver of an endpoint has got: messages waiting, and
    /// messages taken so far. A native supervisor sees an actor that stopped
    /// reading its events when `taken` stays put while messages wait.
    public func queueProgress(_ caller: ActorID, _ handle: Handle) throws(SysError) -> (queued: Int, taken: UInt64) {
        try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle, kinds: [.endpoint])
            let endpoint = node.object as! Endpoint
            return (endpoint.count, endpoint.taken)
        }
    }

    /// Maps the buffer behind `handle` for a native actor. Needs `rights`.
    public func mapBuffer(_ caller: ActorID, _ handle: Handle, rights: Rights = .read) throws(SysError) -> BufferMapping {
        try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle, rights: rights, kinds: [.buffer])
            return BufferMapping(buffer: node.object as! SharedBuffer)
        }
    }
}
