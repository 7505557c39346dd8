import Dispatch
import Kernel
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Limits on one Wasm actor.
public struct ActorLimits: Sendable {
    /// Linear memory an actor may grow to.
    public var memoryBytes = 256 << 20
    /// Table elements an actor may grow to.
    public var tableElements = 100_000
    /// The watchdog: Wasm instructions an actor may run between two host calls
    /// before it is ended. About a second of interpreted code.
    public var fuelPerCall: UInt64 = 500_000_000
    /// The interpreter's own stack for Wasm frames; deep recursion traps past it.
    public var interpreterStackBytes = 1 << 20
    /// Native stack of each actor thread.
    public var threadStackBytes = 8 << 20
    /// How fast it may log (`sys_log`); lines past the rate are counted and dropped.
    public var logRate = LogRate()

    public init() {}
}

/// Which engine runs an actor. Both give the same results, traps and limits.
public enum TierPolicy: String, Sendable, CaseIterable {
    /// WasmKit's interpreter: starts at once.
    case interpreter
    /// Compiled code, built first if it is not cached (the spawn waits for
    /// it); the interpreter when it cannot be built.
    case compiled
    /// Compiled code when the module's object is ready; otherwise the
    /// interpreter at once, while the object is built for the module's next actor.
    case auto
}

/// How many actors each tier has instantiated.
public struct TierCounts: Sendable, Equatable {
    public var interpreted: Int
    public var compiled: Int

    public init(interpreted: Int = 0, compiled: Int = 0) {
        self.interpreted = interpreted
        self.compiled = compiled
    }
}

/// Runs Wasm actors for a kernel: loads and checks modules, instantiates them
/// on a tier (`TierPolicy`), runs each `_start` on its own thread, and turns
/// however it ends into `Kernel.terminate`. Also the kernel's `ModuleLauncher`
/// for `sys_spawn`.
public final class WasmActorHost: ModuleLauncher, Sendable {
    public let kernel: Kernel
    public let limits: ActorLimits
    /// The tier of actors whose spawn does not name one.
    public let tier: TierPolicy
    let interpreter: InterpreterEngine
    let compiled: CompiledEngine
    let logSink: LogSink
    /// Actors whose thread runs or is about to: entries go when it ends.
    private let running = Mutex<[ActorID: PreparedWasmActor]>([:])
    private let threads = Mutex<[ActorID: ActorThread]>([:])
    private let counts = Mutex(TierCounts())
    /// "name tier" of each module whose tier the log has named: once each.
    private let announced = Mutex<Set<String>>([])
    /// Modules loaded before, so that loading one again costs a lookup.
    private let checked = Mutex(CheckedModules())

    /// `compiler` defaults to the one for the user's cache directory.
    public init(
        kernel: Kernel, limits: ActorLimits = ActorLimits(), tier: TierPolicy = .auto, compiler: ModuleCompiler? = nil,
        logSink: LogSink? = nil
    ) {
        self.kernel = kernel
        self.limits = limits
        self.tier = tier
        self.interpreter = InterpreterEngine(limits: limits)
        self.compiled = CompiledEngine(
            limits: limits, compiler: compiler ?? ModuleCompiler.forUser(logger: kernel.logger), interpreter: interpreter)
        let logger = kernel.logger
        self.logSink = logSink ?? { name, line in logger.info("\(line)", metadata: ["actor": "\(name)"]) }
        kernel.setLauncher(self)
        kernel.onActorExit { [weak self] actor, _, _ in
            guard let ended = self?.running.withLock({ $0[actor] }) else { return }
            ended.context.markEnded()
            ended.slot.interrupt()
        }
    }

    // MARK: Loading

    /// Reads and checks a module file.
    public func load(path: String, name: String? = nil) throws(ModuleLoadError) -> CheckedModule {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            throw ModuleLoadError(source: path, problems: [error.description])
        }
        return try check(bytes, name: name ?? moduleName(path), source: path)
    }

    /// Checks a module given as bytes (tests, WAT).
    public func load(bytes: [UInt8], name: String) throws(ModuleLoadError) -> CheckedModule {
        try check(bytes, name: name, source: name)
    }

    /// `ModuleCheck.check`, once for the same bytes while they are remembered.
    private func check(_ bytes: [UInt8], name: String, source: String) throws(ModuleLoadError) -> CheckedModule {
        if let known = checked.withLock({ $0.find(bytes, name: name, source: source) }) { return known }
        let module = try ModuleCheck.check(bytes: bytes, name: name, source: source)
        checked.withLock { $0.remember(module) }
        return module
    }

    /// How many modules are remembered as checked (tests).
    var checkedCount: Int { checked.withLock { $0.count } }

    /// Instantiates a checked module on `tier` (the host's by default), ready
    /// to start; its memory is charged to the account it brings to the kernel.
    /// `program` is what a WASI program finds as its arguments and
    /// environment (an actor of the "env" ABI alone never sees it).
    public func prepare(_ module: CheckedModule, tier: TierPolicy? = nil, program: ProgramArguments = ProgramArguments())
        throws(ModuleLoadError) -> any PreparedActor
    {
        if let problem = program.problem { throw ModuleLoadError(source: module.source, problems: [problem]) }
        if !module.facts.bodiesValidated, compiled.compiler.builtBefore(module) { module.facts.recordBodiesValidated() }
        let context = ActorContext(
            kernel: kernel, name: module.name, account: kernel.makeAccount(), logSink: logSink, logRate: limits.logRate,
            program: program)
        let instance: any RunnableActor
        switch tier ?? self.tier {
        case .interpreter:
            instance = try interpreter.instantiate(module, context: context)
        case .compiled:
            instance = try compiled.instantiate(module, context: context)
        case .auto:
            if let ready = try compiled.instantiateIfReady(module, context: context) {
                instance = ready
            } else {
                instance = try interpreter.instantiate(module, context: context)
                compiled.compiler.compileInBackground(module)
            }
        }
        let isCompiled = instance is CompiledActor
        counts.withLock { counts in
            if isCompiled { counts.compiled += 1 } else { counts.interpreted += 1 }
        }
        let tierName = isCompiled ? "compiled" : "on the interpreter"
        if announced.withLock({ $0.insert("\(module.name) \(tierName)").inserted }) {
            kernel.logger.info("\(module.name) runs \(tierName)")
        }
        return PreparedWasmActor(host: self, context: context, slot: InstanceSlot(instance))
    }

    /// Validates `module` as the interpreter would and compiles it into the
    /// compiler's cache (`wskdesk compile`). Says where the object is and
    /// whether it was built now or found there.
    public func compileAheadOfTime(_ module: CheckedModule) throws -> (path: String, built: Bool) {
        try interpreter.validate(module)
        return try compiled.compiler.precompile(module)
    }

    /// How many actors each tier has instantiated so far.
    public var tierCounts: TierCounts { counts.withLock { $0 } }

    // MARK: Running

    /// Creates the actor, lets `grant` give it its boot caps (handles 1, 2, ...
    /// in grant order), and starts it.
    @discardableResult
    public func spawn(
        _ module: CheckedModule, tier: TierPolicy? = nil, program: ProgramArguments = ProgramArguments(),
        grant: (ActorID) throws -> Void = { _ in }
    ) throws -> ActorID {
        let prepared = try prepare(module, tier: tier, program: program)
        let actor = try kernel.admitActor(name: module.name, account: prepared.account)
        do {
            try grant(actor)
        } catch {
            kernel.terminate(actor, reason: .trapped("boot grants failed: \(error)"))
            throw error
        }
        try prepared.start(in: kernel, as: actor)
        return actor
    }

    public func prepare(module name: String, directory: String) -> Result<any PreparedActor, SpawnFailure> {
        let path = directory + "/" + name + ".wasm"
        guard access(path, R_OK) == 0 else {
            return .failure(SpawnFailure(code: .notFound, reason: "no module \(path)"))
        }
        do {
            return .success(try prepare(load(path: path, name: name)))
        } catch {
            return .failure(SpawnFailure(code: .loadFailed, reason: error.description))
        }
    }

    /// Starts `actor`'s thread. If the system refuses one, the actor is ended
    /// (never having run) and the refusal thrown.
    func run(_ prepared: PreparedWasmActor, as actor: ActorID) throws(SpawnFailure) {
        prepared.context.bind(actor)
        running.withLock { $0[actor] = prepared }
        // The kernel may have ended the actor before it got here (killed, or a
        // shutdown racing a spawn); its exit observer found no entry then.
        guard kernel.isAlive(actor) else {
            running.withLock { _ = $0.removeValue(forKey: actor) }
            prepared.slot.free()
            return
        }
        let thread = ActorThread(stackBytes: limits.threadStackBytes) { [kernel] in
            // Frees the instance, and with it the actor's memory, before anyone hears it finished.
            let outcome = prepared.slot.runOnce(context: prepared.context)
            let reason: ExitReason? = switch outcome {
            case .returned: .exited(code: 0)
            case .exited(let code): .exited(code: code)
            case .trapped(let why): .trapped(why)
            case .terminated: nil  // the kernel already recorded why
            }
            if let reason { kernel.terminate(actor, reason: reason) }
            self.running.withLock { _ = $0.removeValue(forKey: actor) }
            self.threads.withLock { $0.removeValue(forKey: actor) }?.finished()
        }
        threads.withLock { $0[actor] = thread }
        do throws(ThreadStartError) {
            try thread.start()
        } catch {
            let reason = "could not start a thread for \(prepared.context.name): \(error)"
            threads.withLock { _ = $0.removeValue(forKey: actor) }
            running.withLock { _ = $0.removeValue(forKey: actor) }
            prepared.slot.free()
            kernel.terminate(actor, reason: .refused(reason))
            throw SpawnFailure(code: .limitReached, reason: reason)
        }
    }

    /// Actor threads still running.
    public var runningThreads: Int {
        threads.withLock { $0.values.filter { !$0.isFinished }.count }
    }

    /// Entries the host keeps for actors (threads, running instances): none
    /// once every actor has ended.
    var liveEntries: (threads: Int, running: Int) {
        (threads.withLock { $0.count }, running.withLock { $0.count })
    }

    /// Waits for `actor`'s thread to end. Returns false on timeout.
    @discardableResult
    public func wait(for actor: ActorID, timeout: Duration = .seconds(10)) -> Bool {
        guard let thread = threads.withLock({ $0[actor] }) else { return true }
        return thread.join(timeout: timeout)
    }

    /// Ends every actor and joins every thread.
    public func shutdown(timeout: Duration = .seconds(10)) -> Bool {
        kernel.shutdown()
        let all = threads.withLock { $0 }
        var ok = true
        for (_, thread) in all where !thread.join(timeout: timeout) { ok = false }
        threads.withLock { $0 = $0.filter { !$0.value.isFinished } }
        return ok
    }
}

struct PreparedWasmActor: PreparedActor {
    let host: WasmActorHost
    let context: ActorContext
    let slot: InstanceSlot

    var account: ResourceAccount? { context.account }

    func start(in kernel: Kernel, as actor: ActorID) throws(SpawnFailure) {
        try host.run(self, as: actor)
    }
}

/// The one reference to an actor's instance that lasts: its thread runs it, a
/// kill interrupts it, and emptying the slot frees it (and gives its memory
/// back) on the actor's own thread, before the host says the thread finished.
/// A prepared actor never started frees it when the slot goes.
final class InstanceSlot: Sendable {
    private let instance: Mutex<(any RunnableActor)?>

    init(_ instance: any RunnableActor) { self.instance = Mutex(instance) }

    /// Asks the instance to stop; under the lock, so it cannot be freed meanwhile.
    func interrupt() { instance.withLock { $0?.interrupt() } }

    /// Runs the instance unless the kernel ended the actor first, then frees it.
    func runOnce(context: ActorContext) -> RunOutcome {
        guard let actor = instance.withLock({ $0 }) else { return .terminated }
        let outcome = context.isEnded ? .terminated : actor.run()
        free()
        return outcome
    }

    func free() { instance.withLock { $0 = nil } }
}

private func moduleName(_ path: String) -> String {
    var name = path.split(separator: "/").last.map(String.init) ?? path
    if name.hasSuffix(".wasm") { name.removeLast(5) }
    return name
}

struct FileError: Error, CustomStringConvertible {
    let description: String
}

func readFile(_ path: String) throws(FileError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw FileError(description: "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileError(description: "cannot read: \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
        guard bytes.count <= 256 << 20 else { throw FileError(description: "larger than 256 MiB: not an actor module") }
    }
    return bytes
}
