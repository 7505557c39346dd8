import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Turns actor modules into compiled modules: wasm2c, the C compiler, a
/// shared object loaded with dlopen. Objects are cached per user, keyed by
/// the module's SHA-256 and the toolchain's identity (tool versions, flags,
/// the runtime's C); each is stored with a record of its own hash, and one
/// that does not match its record is rebuilt, never loaded.
///
/// Callers validate a module before asking for its object (the compiled tier
/// does, as the interpreter would). One compiler per cache directory serves
/// every host of the process: a module is built once however many actors
/// want it at the same time, and at most one build per core runs at once.
public final class ModuleCompiler: Sendable {
    public let directory: String
    let logger: Logger
    /// Where to look for the tools; nil for `$PATH`.
    let searchPath: String?
    public let memoryChecks: MemoryChecks
    /// What each build may use (Subprocess); tests lower them.
    let limits: CompileLimits
    private let state = Mutex<State>(State())
    private let builders = DispatchSemaphore(value: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    private struct State {
        var toolchain: Result<Toolchain, CompileError>?
        var directoryReady: Result<Void, CompileError>?
        var loaded: [String: CompiledModule] = [:]
        var builds: [String: Build] = [:]
        /// Builds that failed: not tried again by this process.
        var failed: [String: CompileError] = [:]
        var said: Set<String> = []
    }

    /// A compiler caching in `directory`, finding its tools on `searchPath`
    /// (default: `$PATH`), building code that checks memory accesses by `memoryChecks`.
    public init(
        directory: String, logger: Logger, searchPath: String? = nil, memoryChecks: MemoryChecks = .guardPages,
        limits: CompileLimits = .standard
    ) {
        self.directory = directory
        self.logger = logger
        self.searchPath = searchPath
        self.memoryChecks = memoryChecks
        self.limits = limits
    }

    /// Kills every build tool running in this process, with every process it
    /// started, and starts no more: those modules stay on the interpreter.
    /// For wskdesk's shutdown (normal exit and SIGTERM), so that no compiler
    /// outlives it; their build folders are removed as the builds fail, or
    /// by the next process to use the cache.
    public static func stopAllBuilds() { Subprocess.stopAll() }

    private static let shared = Mutex<[String: ModuleCompiler]>([:])

    /// The compiler for the user's cache directory, shared by the process.
    public static func forUser(logger: Logger, memoryChecks: MemoryChecks = .guardPages) -> ModuleCompiler {
        let directory = defaultDirectory
        return shared.withLock { compilers in
            let key = "\(directory) \(memoryChecks)"
            if let compiler = compilers[key] { return compiler }
            let compiler = ModuleCompiler(directory: directory, logger: logger, memoryChecks: memoryChecks)
            compilers[key] = compiler
            return compiler
        }
    }

    /// `$XDG_CACHE_HOME/wskdesk/compiled`, else `~/.cache/wskdesk/compiled`.
    public static var defaultDirectory: String {
        if let cache = getenv("XDG_CACHE_HOME").map({ String(cString: $0) }), cache.hasPrefix("/") {
            return cache + "/wskdesk/compiled"
        }
        let home = getenv("HOME").map { String(cString: $0) } ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_dir) } ?? "/tmp"
        return home + "/.cache/wskdesk/compiled"
    }

    // MARK: Asking for objects

    /// The module's object if it is loaded or cached: never builds.
    func readyObject(for module: CheckedModule) -> CompiledModule? {
        guard let entry = try? entry(for: module) else { return nil }
        let known = state.withLock { state in (state.loaded[entry.key], state.builds[entry.key] != nil) }
        if let loaded = known.0 { return loaded }
        guard !known.1, let object = cachedObject(entry) else { return nil }
        return state.withLock { state in
            if let loaded = state.loaded[entry.key] { return loaded }
            state.loaded[entry.key] = object
            return object
        }
    }

    /// The module's object, built now if need be (or waited for, when another
    /// thread is building it).
    func object(for module: CheckedModule) throws(CompileError) -> CompiledModule {
        let entry = try entry(for: module)
        switch claim(entry) {
        case .ready(let object): return object
        case .failed(let error): throw error
        case .building(let build): return try build.wait().get()
        case .mine(let build): return try run(build, entry, module).get()
        }
    }

    /// Starts building the module's object on a thread of its own, unless it
    /// is ready or being built; the next actor of this module gets it.
    func compileInBackground(_ module: CheckedModule) {
        guard let entry = try? entry(for: module), case .mine(let build) = claim(entry) else { return }
        let started = startDetachedThread { _ = self.run(build, entry, module) }
        if !started { _ = run(build, entry, module) }
    }

    /// Compiles `module` ahead of time (`wskdesk compile`): says where the
    /// object is and whether it was built now.
    public func precompile(_ module: CheckedModule) throws(CompileError) -> (path: String, built: Bool) {
        let entry = try entry(for: module)
        if readyObject(for: module) != nil { return (entry.objectPath, false) }
        _ = try object(for: module)
        return (entry.objectPath, true)
    }

    // MARK: Builds

    /// One build of one key, which other threads can wait for.
    private final class Build: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let outcome = Mutex<Result<CompiledModule, CompileError>?>(nil)

        func finish(_ result: Result<CompiledModule, CompileError>) {
            outcome.withLock { $0 = result }
            done.signal()
        }

        func wait() -> Result<CompiledModule, CompileError> {
            done.wait()
            done.signal()  // for the next waiter
            return outcome.withLock { $0! }
        }
    }

    private enum Claim {
        case ready(CompiledModule)
        case failed(CompileError)
        case building(Build)
        case mine(Build)
    }

    private func claim(_ entry: Entry) -> Claim {
        state.withLock { state in
            if let object = state.loaded[entry.key] { return .ready(object) }
            if let error = state.failed[entry.key] { return .failed(error) }
            if let build = state.builds[entry.key] { return .building(build) }
            let build = Build()
            state.builds[entry.key] = build
            return .mine(build)
        }
    }

    /// Loads the cached object or builds one, then tells the waiters.
    private func run(_ build: Build, _ entry: Entry, _ module: CheckedModule) -> Result<CompiledModule, CompileError> {
        let result = Result { () throws(CompileError) -> CompiledModule in
            if let object = cachedObject(entry) { return object }
            return try self.build(entry, module)
        }
        state.withLock { state in
            state.builds[entry.key] = nil
            switch result {
            case .success(let object): state.loaded[entry.key] = object
            case .failure(let error): state.failed[entry.key] = error
            }
        }
        if case .failure(let error) = result {
            sayOnce(entry.key, "\(module.source) runs on the interpreter: \(error)")
        }
        build.finish(result)
        return result
    }

    private func build(_ entry: Entry, _ module: CheckedModule) throws(CompileError) -> CompiledModule {
        try prepareDirectory()
        builders.wait()
        defer { builders.signal() }
        var template = Array((directory + "/build-\(getpid())-XXXXXX").utf8CString)
        guard let work = mkdtemp(&template) else {
            throw CompileError("cannot create a build directory in \(directory): \(String(cString: strerror(errno)))")
        }
        let workDirectory = String(cString: work)
        defer { removeDirectory(workDirectory) }
        let build = ModuleBuild(toolchain: try toolchain(), module: module, directory: workDirectory, limits: limits)
        try build.run()
        let objectHash = try SHA256.hex(readFile(build.objectPath, or: "the object just built"))
        // The object goes in place whole (rename), then the record that vouches for it.
        guard rename(build.objectPath, entry.objectPath) == 0 else {
            throw CompileError("cannot store \(entry.objectPath): \(String(cString: strerror(errno)))")
        }
        let record = Record(module: entry.moduleHash, object: objectHash)
        try writeFile(workDirectory + "/record", Array(record.text.utf8))
        guard rename(workDirectory + "/record", entry.recordPath) == 0 else {
            throw CompileError("cannot store \(entry.recordPath): \(String(cString: strerror(errno)))")
        }
        return try CompiledModule(path: entry.objectPath)
    }

    // MARK: The cache

    /// Where a module's object and record live.
    private struct Entry {
        let key: String
        let moduleHash: String
        let objectPath: String
        let recordPath: String
    }

    /// What vouches for a cached object: the module it was built from and its own hash.
    private struct Record: Equatable {
        let module: String
        let object: String

        static let header = "wskdesk compiled module"
        var text: String { "\(Record.header)\nmodule \(module)\nobject \(object)\n" }

        init(module: String, object: String) {
            self.module = module
            self.object = object
        }

        init?(text: String) {
            let lines = text.split(separator: "\n")
            guard lines.count == 3, lines[0] == Record.header, lines[1].hasPrefix("module "), lines[2].hasPrefix("object ")
            else { return nil }
            self.init(module: String(lines[1].dropFirst(7)), object: String(lines[2].dropFirst(7)))
        }
    }

    private func entry(for module: CheckedModule) throws(CompileError) -> Entry {
        let moduleHash = SHA256.hex(module.bytes)
        var key = SHA256()
        key.update(try toolchain().identity)
        key.update("\nmodule \(moduleHash)")
        let name = directory + "/" + key.finalize()
        return Entry(key: name, moduleHash: moduleHash, objectPath: name + ".so", recordPath: name + ".record")
    }

    /// The cached object of `entry`, loaded, if its record vouches for it.
    /// One that does not match is removed (and so rebuilt).
    private func cachedObject(_ entry: Entry) -> CompiledModule? {
        guard (try? prepareDirectory()) != nil,
            let recorded = try? readFile(entry.recordPath)
        else { return nil }
        let record = Record(text: String(decoding: recorded, as: UTF8.self))
        let objectHash = (try? readFile(entry.objectPath)).map { SHA256.hex($0) }
        guard let record, record == Record(module: entry.moduleHash, object: objectHash ?? "") else {
            sayOnce(entry.objectPath, "cached object \(entry.objectPath) does not match its record; rebuilding it")
            unlink(entry.recordPath)
            unlink(entry.objectPath)
            return nil
        }
        do {
            let object = try CompiledModule(path: entry.objectPath)
            utimensat(AT_FDCWD, entry.recordPath, nil, 0)  // used now: see removeUnusedObjects
            return object
        } catch {
            sayOnce(entry.objectPath, "\(error); rebuilding it")
            unlink(entry.recordPath)
            return nil
        }
    }

    private func toolchain() throws(CompileError) -> Toolchain {
        let found = state.withLock { $0.toolchain }
        let toolchain = found ?? Toolchain.find(searchPath: searchPath, memoryChecks: memoryChecks)
        if found == nil {
            state.withLock { $0.toolchain = toolchain }
            if case .failure(let error) = toolchain {
                sayOnce("toolchain", "Wasm actors run on the interpreter: \(error)")
            }
        }
        return try toolchain.get()
    }

    /// Creates the cache directory, private to the user, and checks that it
    /// is: objects in it are loaded into this process.
    private func prepareDirectory() throws(CompileError) {
        if let ready = state.withLock({ $0.directoryReady }) { return try ready.get() }
        let ready = Result { () throws(CompileError) in
            var path = ""
            for part in directory.split(separator: "/") {
                path += "/" + part
                if mkdir(path, 0o700) != 0, errno != EEXIST {
                    throw CompileError("cannot create \(path): \(String(cString: strerror(errno)))")
                }
            }
            var info = stat()
            guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw CompileError("\(directory) is not a directory")
            }
            guard info.st_uid == geteuid() else {
                throw CompileError("\(directory) belongs to another user; compiled modules are not loaded from it")
            }
            if info.st_mode & 0o077 != 0, chmod(directory, 0o700) != 0 {
                throw CompileError("\(directory) is open to other users and cannot be made private")
            }
            removeAbandonedBuilds()
            removeUnusedObjects()
        }
        state.withLock { $0.directoryReady = ready }
        if case .failure(let error) = ready { sayOnce("directory", "Wasm actors run on the interpreter: \(error)") }
        try ready.get()
    }

    /// Removes build directories left by a process that ended while it
    /// compiled: `build-<pid>-*` of a pid that no longer runs, and any an
    /// hour old (its pid may have been reused, or it predates pids in names).
    private func removeAbandonedBuilds() {
        let hourAgo = time(nil) - 3600
        for name in directoryEntries(directory) where name.hasPrefix("build-") {
            var info = stat()
            let path = directory + "/" + name
            if let owner = Self.buildOwner(name), kill(owner, 0) != 0, errno == ESRCH {
                removeDirectory(path)
            } else if stat(path, &info) == 0, info.st_mtim.tv_sec < hourAgo {
                removeDirectory(path)
            }
        }
    }

    /// The pid in a build directory's name `build-<pid>-XXXXXX`.
    static func buildOwner(_ name: String) -> pid_t? {
        let parts = name.split(separator: "-")
        guard parts.count == 3, parts[0] == "build", let pid = pid_t(parts[1]), pid > 0 else { return nil }
        return pid
    }

    /// Objects not loaded for this long are removed; so are the oldest
    /// beyond `cacheLimit` objects, so that a cache used while actors change
    /// (each build a new module) does not grow without end.
    static let unusedFor: time_t = 30 * 24 * 3600
    static let cacheLimit = 256

    /// Prunes the cache, once per process: a record's modification time is
    /// when its object was last built or loaded.
    private func removeUnusedObjects() {
        var records: [(path: String, used: time_t)] = []
        for name in directoryEntries(directory) where name.hasSuffix(".record") {
            var info = stat()
            let path = directory + "/" + name
            if stat(path, &info) == 0 { records.append((path, info.st_mtim.tv_sec)) }
        }
        records.sort { $0.used > $1.used }
        let cutoff = time(nil) - Self.unusedFor
        for (n, record) in records.enumerated() where n >= Self.cacheLimit || record.used < cutoff {
            unlink(String(record.path.dropLast(".record".count)) + ".so")
            unlink(record.path)
        }
    }

    /// Logs `message` the first time `topic` comes up.
    private func sayOnce(_ topic: String, _ message: String) {
        let first = state.withLock { $0.said.insert(topic).inserted }
        if first { logger.warning("\(message)") }
    }
}

private func readFile(_ path: String, or what: String) throws(CompileError) -> [UInt8] {
    do {
        return try readFile(path)
    } catch {
        throw CompileError("\(what) (\(path)): \(error.description)")
    }
}
