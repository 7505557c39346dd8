import Dispatch
import Logging
import Synchronization

/// Limits the kernel enforces per actor.
public struct KernelLimits: Sendable {
    /// Caps one actor may hold at once.
    public var capabilitySpaceCapacity = 1024
    /// The largest shared buffer.
    public var maxBufferSize = 64 << 20
    /// Queue length of an endpoint created with capacity 0.
    public var defaultEndpointCapacity = 64
    /// The longest queue an endpoint may have.
    public var maxEndpointCapacity = 1024
    /// Bytes one actor may cause in all (`ResourceAccount`): linear memory,
    /// tables, kernel objects (buffers, endpoints), and the messages it has
    /// sent that are still queued (`Message.cost` each).
    public var actorMemoryLimit = 512 << 20
    /// Bytes all actors together may cause (`MemoryBudget`).
    public var globalMemoryBudget = 4 << 30
    /// Actors alive at once, in all.
    public var maxActors = 1024
    /// Live children (`sys_spawn`) one actor may have at once.
    public var maxChildrenPerActor = 64
    /// Ended actors whose name and exit reason `name(of:)` and
    /// `exitReason(of:)` still answer for; older ones are forgotten.
    public var endedActorsRemembered = 4096
    /// Files and directories open at once, in all actors (each holds a
    /// descriptor of the process).
    public var maxOpenFiles = 256
    /// The most entries one `sys_dir_list` call looks at; a larger directory
    /// is listed up to there.
    public var maxDirectoryEntries = 4096
    /// The largest file an actor may write or resize to (offsets are i32).
    public var maxFileSize = Int(Int32.max)

    public init() {}
}

/// Why an actor ended.
public enum ExitReason: Sendable, Equatable, CustomStringConvertible {
    case exited(code: Int32)
    case trapped(String)
    case killed(by: ActorID?)
    case shutdown
    /// It never ran: over a limit, or its thread could not be started.
    case refused(String)

    public var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .trapped(let reason): "trapped: \(reason)"
        case .killed(let by): by.map { "killed by \($0)" } ?? "killed"
        case .shutdown: "kernel shut down"
        case .refused(let reason): "not started: \(reason)"
        }
    }
}

/// How long a receive may wait.
public enum Timeout: Sendable, Equatable {
    case forever
    case poll
    case nanoseconds(UInt64)

    /// The ABI's encoding: negative = forever, 0 = poll, positive = nanoseconds.
    public init(abi value: Int64) {
        self = value < 0 ? .forever : value == 0 ? .poll : .nanoseconds(UInt64(value))
    }

    var deadline: DispatchTime? {
        switch self {
        case .forever, .poll: nil
        case .nanoseconds(let ns):
            DispatchTime(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds &+ min(ns, UInt64(Int64.max / 2)))
        }
    }
}

/// Why the host could not create an actor (`Kernel.admitActor`).
public struct ActorRefusal: Error, Sendable, CustomStringConvertible {
    /// The id the refused actor got; it is recorded as ended.
    public let id: ActorID
    public let code: SysError
    public let reason: String
    public var description: String { reason }
}

/// Live counts, for tests and diagnostics: after any actor ends they return to
/// what they were before it started.
public struct KernelCounts: Sendable, Equatable {
    public var liveActors: Int
    public var capabilities: Int
    public var objects: Int
    /// Live file and directory objects (each holds a descriptor).
    public var openFiles: Int

    public init(liveActors: Int, capabilities: Int, objects: Int, openFiles: Int = 0) {
        self.liveActors = liveActors
        self.capabilities = capabilities
        self.objects = objects
        self.openFiles = openFiles
    }
}

/// The capability kernel: actors, their capability spaces, and the objects
/// caps name. Its syscalls are methods; native actors call them directly and
/// Wasm actors reach them through the host functions in Interp. One rule set
/// for both.
///
/// All state sits behind one lock; blocking happens outside it.
public final class Kernel: Sendable {
    let state: KernelLock
    public let logger: Logger
    /// What all actors together may cause; every actor's account charges it.
    public let budget: MemoryBudget
    let launcher: Mutex<(any ModuleLauncher)?> = Mutex(nil)
    private let exitObservers: Mutex<[@Sendable (ActorID, String, ExitReason) -> Void]> = Mutex([])

    public init(limits: KernelLimits = KernelLimits(), logger: Logger = Logger(label: "wskdesk.kernel")) {
        self.state = KernelLock(KernelState(limits: limits))
        self.logger = logger
        self.budget = MemoryBudget(limit: limits.globalMemoryBudget)
    }

    func locked<R>(_ body: (KernelState) throws(SysError) -> R) throws(SysError) -> R {
        try state.withLock(body)
    }

    // MARK: Actors

    /// Creates an actor with an empty capability space. Grant its caps, then run it.
    /// `account` is what the actor's memory is charged to: one made with
    /// `makeAccount()` before the actor was created (an engine charges the
    /// instance it prepares), or a new one.
    ///
    /// Never fails: after `shutdown()`, or with `maxActors` actors alive, the
    /// actor is created already ended (`.shutdown`, `.refused`), so it never
    /// runs and every call it makes fails. Use `admitActor` to be told.
    public func createActor(name: String, account: ResourceAccount? = nil) -> ActorID {
        switch admit(name: name, account: account) {
        case .success(let id): return id
        case .failure(let refusal): return refusal.id
        }
    }

    /// Creates an actor as `createActor` does, or says why it may not run:
    /// `maxActors` actors are alive (`limitReached`, logged) or the kernel is
    /// shutting down (`shutdown`).
    public func admitActor(name: String, account: ResourceAccount? = nil) throws(ActorRefusal) -> ActorID {
        try admit(name: name, account: account).get()
    }

    private func admit(name: String, account: ResourceAccount?) -> Result<ActorID, ActorRefusal> {
        let account = account ?? makeAccount()
        let outcome: Result<ActorID, ActorRefusal> = state.withLock { state in
            if state.isShuttingDown {
                let id = state.addEndedActor(name: name, reason: .shutdown)
                return .failure(ActorRefusal(id: id, code: .shutdown, reason: "the kernel is shutting down"))
            }
            if let reason = state.actorLimitReason() {
                let id = state.addEndedActor(name: name, reason: .refused(reason))
                return .failure(ActorRefusal(id: id, code: .limitReached, reason: reason))
            }
            return .success(state.addActor(name: name, account: account).id)
        }
        if case .failure(let refusal) = outcome, refusal.code == .limitReached {
            logger.warning("\(name) not started: \(refusal.reason)")
        }
        return outcome
    }

    /// A new account with the per-actor limit, charging this kernel's budget.
    public func makeAccount() -> ResourceAccount {
        ResourceAccount(limit: state.withLock { $0.limits.actorMemoryLimit }, budget: budget)
    }

    /// What `actor`'s memory is charged to.
    public func account(of actor: ActorID) -> ResourceAccount? {
        state.withLock { $0.actors[actor]?.account }
    }

    /// The actor's name while it lives and for a while after (see
    /// `KernelLimits.endedActorsRemembered`).
    public func name(of actor: ActorID) -> String? {
        state.withLock { $0.actors[actor]?.name ?? $0.ended[actor]?.name }
    }

    public func isAlive(_ actor: ActorID) -> Bool {
        state.withLock { $0.actors[actor]?.isAlive ?? false }
    }

    /// Why the actor ended; nil while it lives, or once it is forgotten (see
    /// `KernelLimits.endedActorsRemembered`).
    public func exitReason(of actor: ActorID) -> ExitReason? {
        state.withLock { $0.actors[actor]?.exitReason ?? $0.ended[actor]?.reason }
    }

    /// Ends `actor` and releases everything it held. Idempotent.
    public func terminate(_ actor: ActorID, reason: ExitReason) {
        let ended: (String, ExitReason)? = state.withLock { state in
            guard let entry = state.terminate(actor, reason: reason) else { return nil }
            return (entry.name, reason)
        }
        guard let (name, reason) = ended else { return }
        logger.debug("\(name) (\(actor)) \(reason)")
        for observer in exitObservers.withLock({ $0 }) { observer(actor, name, reason) }
    }

    /// Called after any actor ends, on the thread that ended it.
    public func onActorExit(_ observer: @escaping @Sendable (ActorID, String, ExitReason) -> Void) {
        exitObservers.withLock { $0.append(observer) }
    }

    /// Ends every actor: each blocked one wakes with `shutdown`. Threads are the
    /// host's to join.
    public func shutdown() {
        let ids: [ActorID] = state.withLock { state in
            state.isShuttingDown = true
            return Array(state.actors.keys)
        }
        for id in ids { terminate(id, reason: .shutdown) }
    }

    public var counts: KernelCounts {
        state.withLock { state in
            KernelCounts(
                liveActors: state.actors.count, capabilities: state.liveNodes, objects: state.liveObjects,
                openFiles: state.openFiles)
        }
    }

    /// Number of caps `actor` holds.
    public func capabilityCount(of actor: ActorID) -> Int {
        state.withLock { $0.actors[actor]?.space.count ?? 0 }
    }

    // MARK: Boot-time grants (the host's side of the seed's spawn-and-grant)

    public func setLauncher(_ launcher: any ModuleLauncher) {
        self.launcher.withLock { $0 = launcher }
    }

    /// Grants `actor` the framebuffer. Handles are given out in grant order from 1.
    public func grant(_ framebuffer: Framebuffer, rights: Rights = [.read, .write, .grant], to actor: ActorID)
        throws(SysError) -> Handle
    {
        try grantObject(framebuffer, rights: rights, to: actor)
    }

    /// Grants `actor` a spawner over the modules in `directory`.
    public func grantSpawner(directory: String, rights: Rights = [.spawn, .grant], to actor: ActorID)
        throws(SysError) -> Handle
    {
        try grantSpawner(folders: [directory], rights: rights, to: actor)
    }

    /// Grants `actor` a spawner over the modules in `folders`, in order: a
    /// name is started from the last folder that holds it at that moment.
    /// `invalidArgument` when `folders` is empty.
    public func grantSpawner(folders: [String], rights: Rights = [.spawn, .grant], to actor: ActorID)
        throws(SysError) -> Handle
    {
        guard !folders.isEmpty else { throw .invalidArgument }
        return try grantObject(Spawner(folders: folders), rights: rights, to: actor)
    }

    /// Every live actor holding a spawner cap, with its name and the spawner's folders
    /// (once per distinct list an actor holds): whom to tell when a module
    /// in one of those folders changes.
    public func spawnerHolders() -> [(actor: ActorID, name: String, folders: [String])] {
        state.withLock { state in
            var holders: [(actor: ActorID, name: String, folders: [String])] = []
            for (id, entry) in state.actors.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                var seen: Set<[String]> = []
                for node in entry.space.nodes {
                    guard let spawner = node.object as? Spawner, seen.insert(spawner.folders).inserted else { continue }
                    holders.append((id, entry.name, spawner.folders))
                }
            }
            return holders
        }
    }

    /// Creates an endpoint owned by `owner` (its handle has every endpoint
    /// right; charged to its account) and grants `peer` a derived cap with
    /// `peerRights`: the seed's cross-grant. Returns both handles.
    public func connect(owner: ActorID, peer: ActorID, peerRights: Rights = [.send, .grant], capacity: Int = 0)
        throws(SysError) -> (owner: Handle, peer: Handle)
    {
        try locked { state throws(SysError) in
            try state.requireRoom(1, in: owner)
            try state.requireRoom(owner == peer ? 2 : 1, in: peer)
            let capacity = capacity == 0 ? state.limits.defaultEndpointCapacity : capacity
            let endpoint = try state.create(charging: Kernel.endpointCost(capacity: capacity), to: state.entry(owner).account) {
                Endpoint(capacity: capacity)
            }
            let ownerHandle = state.install(endpoint, rights: [.send, .receive, .grant], parent: nil, in: owner)
            let parent = try state.lookup(owner, ownerHandle)
            let peerHandle = state.install(endpoint, rights: peerRights.intersection(parent.rights), parent: parent, in: peer)
            return (ownerHandle, peerHandle)
        }
    }

    /// Grants `to` a cap derived from `from`'s `handle` with `rights`
    /// (at most the original's).
    public func grantCopy(of handle: Handle, held by: ActorID, rights: Rights? = nil, to receiver: ActorID)
        throws(SysError) -> Handle
    {
        try locked { state throws(SysError) in
            let node = try state.lookup(by, handle)
            let newRights = rights ?? node.rights
            guard node.rights.isSuperset(of: newRights) else { throw .noRights }
            try state.requireRoom(1, in: receiver)
            return state.install(node.object, rights: newRights, parent: node, in: receiver)
        }
    }

    private func grantObject(_ object: KernelObject, rights: Rights, to actor: ActorID) throws(SysError) -> Handle {
        try locked { state throws(SysError) in
            try state.requireRoom(1, in: actor)
            return state.install(object, rights: rights, parent: nil, in: actor)
        }
    }
}
