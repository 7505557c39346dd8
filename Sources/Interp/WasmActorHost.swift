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

    public init() {}
}

/// Runs Wasm actors for a kernel: loads and checks modules, instantiates them
/// on the interpreter tier, runs each `_start` on its own thread, and turns
/// however it ends into `Kernel.terminate`. Also the kernel's `ModuleLauncher`
/// for `sys_spawn`.
public final class WasmActorHost: ModuleLauncher, Sendable {
    public let kernel: Kernel
    public let limits: ActorLimits
    let tier: any ExecutionTier
    let logSink: LogSink
    private let contexts = Mutex<[ActorID: ActorContext]>([:])
    private let threads = Mutex<[ActorID: ActorThread]>([:])

    public init(kernel: Kernel, limits: ActorLimits = ActorLimits(), logSink: LogSink? = nil) {
        self.kernel = kernel
        self.limits = limits
        self.tier = InterpreterEngine(limits: limits)
        let logger = kernel.logger
        self.logSink = logSink ?? { name, line in logger.info("\(line)", metadata: ["actor": "\(name)"]) }
        kernel.setLauncher(self)
        kernel.onActorExit { [weak self] actor, _, _ in
            self?.contexts.withLock { $0[actor] }?.markEnded()
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
        return try ModuleCheck.check(bytes: bytes, name: name ?? moduleName(path), source: path)
    }

    /// Checks a module given as bytes (tests, WAT).
    public func load(bytes: [UInt8], name: String) throws(ModuleLoadError) -> CheckedModule {
        try ModuleCheck.check(bytes: bytes, name: name, source: name)
    }

    /// Instantiates a checked module, ready to start.
    public func prepare(_ module: CheckedModule) throws(ModuleLoadError) -> any PreparedActor {
        let context = ActorContext(kernel: kernel, name: module.name, logSink: logSink)
        let instance = try tier.instantiate(module, context: context)
        return PreparedWasmActor(host: self, context: context, instance: instance)
    }

    // MARK: Running

    /// Creates the actor, lets `grant` give it its boot caps (handles 1, 2, ...
    /// in grant order), and starts it.
    @discardableResult
    public func spawn(_ module: CheckedModule, grant: (ActorID) throws -> Void = { _ in }) throws -> ActorID {
        let prepared = try prepare(module)
        let actor = kernel.createActor(name: module.name)
        do {
            try grant(actor)
        } catch {
            kernel.terminate(actor, reason: .trapped("boot grants failed: \(error)"))
            throw error
        }
        prepared.start(in: kernel, as: actor)
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

    func run(_ prepared: PreparedWasmActor, as actor: ActorID) {
        prepared.context.bind(actor)
        contexts.withLock { $0[actor] = prepared.context }
        // The kernel may have ended the actor before it got here (killed, or a
        // shutdown racing a spawn); its exit observer found no context then.
        guard kernel.isAlive(actor) else {
            contexts.withLock { _ = $0.removeValue(forKey: actor) }
            return
        }
        let thread = ActorThread(stackBytes: limits.threadStackBytes) { [kernel] in
            let outcome = prepared.context.isEnded ? .terminated : prepared.instance.run()
            let reason: ExitReason? = switch outcome {
            case .returned: .exited(code: 0)
            case .exited(let code): .exited(code: code)
            case .trapped(let why): .trapped(why)
            case .terminated: nil  // the kernel already recorded why
            }
            if let reason { kernel.terminate(actor, reason: reason) }
            self.contexts.withLock { _ = $0.removeValue(forKey: actor) }
            self.threads.withLock { $0[actor] }?.finished()
        }
        threads.withLock { $0[actor] = thread }
        if !thread.start() {
            kernel.terminate(actor, reason: .trapped("could not start a thread"))
            threads.withLock { _ = $0.removeValue(forKey: actor) }
        }
    }

    /// Actor threads still running.
    public var runningThreads: Int {
        threads.withLock { $0.values.filter { !$0.isFinished }.count }
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
    let instance: any RunnableActor

    func start(in kernel: Kernel, as actor: ActorID) {
        host.run(self, as: actor)
    }
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
