import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Turns actor modules into compiled modules: wasm2c, the C compiler, a
/// shared object loaded with dlopen. Objects are cached per user, keyed by
/// the module's SHA-256 and the object format (flags, the runtime's C: see
/// `Toolchain`); each is stored with a record of its own hash and the tools
/// that built it. One that does not match its record is rebuilt, never
/// loaded; one built by other tools than those here is built again with
/// these; without tools, what is cached still loads (objects compiled ahead
/// of time with `wskdesk compile`).
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
    /// Actors, or (the spec test runner's own compiler) spec test modules.
    let purpose: ModuleRewrite.Purpose
    private let state = Mutex<State>(State())
    private let builders = DispatchSemaphore(value: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    private struct State {
        var toolchain: Result<Toolchain, CompileError>?
        var cache: Result<CacheDirectory, CompileError>?
        var loaded: [String: CompiledModule] = [:]
        var builds: [String: Build] = [:]
        /// Builds that failed: not tried again by this process.
        var failed: [String: CompileError] = [:]
        var said: Set<String> = []
    }

    /// Why there is no cache, so no compiled tier (see `userDirectory`).
    private let unavailable: CompileError?

    /// A compiler caching in `directory`, finding its tools on `searchPath`
    /// (default: `$PATH`), building code that checks memory accesses by `memoryChecks`.
    public convenience init(
        directory: String, logger: Logger, searchPath: String? = nil, memoryChecks: MemoryChecks = .guardPages,
        limits: CompileLimits = .standard
    ) {
        self.init(directory: .success(directory), logger: logger, searchPath: searchPath, memoryChecks: memoryChecks, limits: limits)
    }

    init(
        directory: Result<String, CompileError>, logger: Logger, searchPath: String? = nil,
        memoryChecks: MemoryChecks = .guardPages, limits: CompileLimits = .standard, purpose: ModuleRewrite.Purpose = .actor
    ) {
        switch directory {
        case .success(let path): (self.directory, unavailable) = (path, nil)
        case .failure(let error): (self.directory, unavailable) = ("", error)
        }
        self.logger = logger
        self.searchPath = searchPath
        self.memoryChecks = memoryChecks
        self.limits = limits
        self.purpose = purpose
    }

    /// Kills every build tool running in this process, with every process it
    /// started, and starts no more: those modules stay on the interpreter.
    /// For wskdesk's shutdown (normal exit and SIGTERM), so that no compiler
    /// outlives it; their build folders are removed as the builds fail, or
    /// by the next process to use the cache.
    public static func stopAllBuilds() { Subprocess.stopAll() }

    private static let shared = Mutex<[String: ModuleCompiler]>([:])

    /// The compiler for the user's cache directory, shared by the process.
    /// Without one (`userDirectory`), actors run on the interpreter and the
    /// log says why, once.
    public static func forUser(logger: Logger, memoryChecks: MemoryChecks = .guardPages) -> ModuleCompiler {
        let directory = userDirectory
        return shared.withLock { compilers in
            let key = "\((try? directory.get()) ?? "") \(memoryChecks)"
            if let compiler = compilers[key] { return compiler }
            let compiler = ModuleCompiler(directory: directory, logger: logger, memoryChecks: memoryChecks)
            compilers[key] = compiler
            return compiler
        }
    }

    /// The user's cache folder, from the environment and the password database.
    static var userDirectory: Result<String, CompileError> {
        let passwdHome = getpwuid(geteuid()).flatMap { $0.pointee.pw_dir.map { String(cString: $0) } }
        return cacheDirectory(
            xdgCacheHome: getenv("XDG_CACHE_HOME").map { String(cString: $0) }, home: getenv("HOME").map { String(cString: $0) },
            passwdHome: passwdHome, isOwnFolder: isOwnFolder)
    }

    /// `$XDG_CACHE_HOME/wskdesk/compiled`, else `$HOME/.cache/wskdesk/compiled`,
    /// else the same under the password database's home if it is a folder of
    /// this user. Never a shared folder (such as /tmp): objects in it are
    /// loaded into wskdesk. Without any, the compiled tier is off.
    static func cacheDirectory(
        xdgCacheHome: String?, home: String?, passwdHome: String?, isOwnFolder: (String) -> Bool
    ) -> Result<String, CompileError> {
        if let xdgCacheHome, xdgCacheHome.hasPrefix("/") { return .success(xdgCacheHome + "/wskdesk/compiled") }
        if let home, home.hasPrefix("/") { return .success(home + "/.cache/wskdesk/compiled") }
        if let passwdHome, passwdHome.hasPrefix("/"), isOwnFolder(passwdHome) {
            return .success(passwdHome + "/.cache/wskdesk/compiled")
        }
        let found = passwdHome.map { "is \($0), not a folder of this user" } ?? "is not known"
        return .failure(CompileError(
            "no cache folder for compiled modules: neither XDG_CACHE_HOME nor HOME is set, and the home in the password database \(found); set HOME"))
    }

    static func isOwnFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_uid == geteuid()
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
        // A cache folder or tools that cannot be used were said once for all modules.
        let saidForAll = state.withLock { state in
            guard case .failure(let error) = result else { return false }
            return [state.cache?.failure, state.toolchain?.failure].contains { $0?.description == error.description }
        }
        if case .failure(let error) = result, !saidForAll {
            sayOnce(entry.key, "\(module.source) runs on the interpreter: \(error)")
        }
        build.finish(result)
        return result
    }

    private func build(_ entry: Entry, _ module: CheckedModule) throws(CompileError) -> CompiledModule {
        let cache = try prepareDirectory()
        let toolchain = try toolchain()
        builders.wait()
        defer { builders.signal() }
        let folder = try cache.makeBuildFolder()
        defer { cache.removeFolder(folder) }
        let build = ModuleBuild(toolchain: toolchain, module: module, directory: cache.path + "/" + folder, limits: limits, purpose: purpose)
        try build.run()
        // Hashed, stored and loaded through one descriptor: what is loaded is what the record vouches for.
        let built = try cache.openRegular(folder + "/module.so").get()
        let result = Result { () throws(CompileError) -> CompiledModule in
            // The object goes in place whole (rename), then the record that vouches for it.
            try cache.rename(folder + "/module.so", to: entry.objectName)
            let record = Record(module: entry.moduleHash, object: SHA256.hex(built.bytes), tools: build.toolchain.versionsHash)
            try writeFile(build.directory + "/record", Array(record.text.utf8))
            try cache.rename(folder + "/record", to: entry.recordName)
            return try CompiledModule(path: CacheDirectory.loadPath(of: built.fd), shownAs: entry.objectPath)
        }
        // A loaded object's descriptor stays open, as the object stays loaded:
        // its /proc/self/fd name is then never another object's (dlopen
        // knows objects by name).
        if case .failure = result { close(built.fd) }
        return try result.get()
    }

    // MARK: The cache

    /// Where a module's object and record live.
    private struct Entry {
        let key: String
        let moduleHash: String
        /// Names in the cache folder, and the object's path for messages.
        let objectName: String
        let recordName: String
        let objectPath: String
    }

    /// What vouches for a cached object: the module it was built from, its
    /// own hash, and the hash of the tools' versions that built it.
    private struct Record: Equatable {
        let module: String
        let object: String
        let tools: String

        static let header = "wskdesk compiled module"
        var text: String { "\(Record.header)\nmodule \(module)\nobject \(object)\ntools \(tools)\n" }

        init(module: String, object: String, tools: String) {
            self.module = module
            self.object = object
            self.tools = tools
        }

        /// Nil for anything else, a record of an older wskdesk too (rebuilt).
        init?(text: String) {
            let lines = text.split(separator: "\n")
            let fields = ["module ", "object ", "tools "]
            guard lines.count == 4, lines[0] == Record.header,
                zip(lines.dropFirst(), fields).allSatisfy({ line, field in line.hasPrefix(field) })
            else { return nil }
            let values = zip(lines.dropFirst(), fields).map { line, field in String(line.dropFirst(field.count)) }
            self.init(module: values[0], object: values[1], tools: values[2])
        }
    }

    private func entry(for module: CheckedModule) throws(CompileError) -> Entry {
        if let unavailable {
            sayOnce("directory", "Wasm actors run on the interpreter: \(unavailable)")
            throw unavailable
        }
        let moduleHash = SHA256.hex(module.bytes)
        var key = SHA256()
        key.update(Toolchain.objectFormat(memoryChecks))
        key.update("\nmodule \(moduleHash)")
        if purpose == .specTest { key.update("\nspec test") }
        let name = key.finalize()
        return Entry(
            key: directory + "/" + name, moduleHash: moduleHash, objectName: name + ".so", recordName: name + ".record",
            objectPath: directory + "/" + name + ".so")
    }

    /// The cached object of `entry`, loaded, if its record vouches for it.
    /// One that does not match, or is not a regular file (a link), is
    /// removed (and so rebuilt); a link's target is never touched.
    private func cachedObject(_ entry: Entry) -> CompiledModule? {
        guard let cache = try? prepareDirectory(), cache.modificationTime(entry.recordName) != nil else { return nil }
        func discard(_ why: String) -> CompiledModule? {
            sayOnce(entry.objectPath, "\(why); rebuilding it")
            cache.remove(entry.recordName)
            cache.remove(entry.objectName)
            return nil
        }
        let record: [UInt8]
        switch cache.openRegular(entry.recordName) {
        case .success(let file):
            close(file.fd)
            record = file.bytes
        case .failure(let error):
            return discard(error.description)
        }
        let object: (fd: Int32, bytes: [UInt8])
        switch cache.openRegular(entry.objectName) {
        case .success(let file): object = file
        case .failure(let error): return discard(error.description)
        }
        let recorded = Record(text: String(decoding: record, as: UTF8.self))
        guard let recorded, recorded.module == entry.moduleHash, recorded.object == SHA256.hex(object.bytes) else {
            close(object.fd)
            return discard("cached object \(entry.objectPath) does not match its record")
        }
        if let tools = try? toolchain(), recorded.tools != tools.versionsHash {
            // Built by other tools than those here (an upgrade, or compiled
            // ahead of time elsewhere): built again with these.
            close(object.fd)
            logger.debug("cached object \(entry.objectPath) was built by other tools; rebuilding it")
            cache.remove(entry.recordName)
            cache.remove(entry.objectName)
            return nil
        }
        do {
            // Its descriptor stays open while it is loaded, for ever (see build).
            let loaded = try CompiledModule(path: CacheDirectory.loadPath(of: object.fd), shownAs: entry.objectPath)
            cache.touch(entry.recordName)  // used now: see removeUnusedObjects
            return loaded
        } catch {
            close(object.fd)
            sayOnce(entry.objectPath, "\(error); rebuilding it")
            cache.remove(entry.recordName)
            return nil
        }
    }

    private func toolchain() throws(CompileError) -> Toolchain {
        let found = state.withLock { $0.toolchain }
        let toolchain = found ?? Toolchain.find(searchPath: searchPath, memoryChecks: memoryChecks)
        if found == nil {
            state.withLock { $0.toolchain = toolchain }
            if case .failure(let error) = toolchain {
                sayOnce("toolchain", "Wasm actors not compiled ahead of time (wskdesk compile) run on the interpreter: \(error)")
            }
        }
        return try toolchain.get()
    }

    /// Opens the cache folder (creating it private to the user) and checks
    /// it and the folders above it (CacheDirectory): objects in it are
    /// loaded into this process. Tidies it the first time.
    private func prepareDirectory() throws(CompileError) -> CacheDirectory {
        if let ready = state.withLock({ $0.cache }) { return try ready.get() }
        let ready = Result { () throws(CompileError) -> CacheDirectory in
            if let unavailable { throw unavailable }
            let cache = try CacheDirectory(path: directory)
            removeAbandonedBuilds(cache)
            removeUnusedObjects(cache)
            return cache
        }
        let first = state.withLock { state in
            if let earlier = state.cache { return earlier }
            state.cache = ready
            return ready
        }
        if case .failure(let error) = first { sayOnce("directory", "Wasm actors run on the interpreter: \(error)") }
        return try first.get()
    }

    /// Removes build folders left by a process that ended while it
    /// compiled: `build-<pid>-*` of a pid that no longer runs, and any an
    /// hour old (its pid may have been reused, or it predates pids in names).
    private func removeAbandonedBuilds(_ cache: CacheDirectory) {
        let hourAgo = time(nil) - 3600
        for name in cache.entries() where name.hasPrefix("build-") {
            if let owner = Self.buildOwner(name), kill(owner, 0) != 0, errno == ESRCH {
                cache.removeFolder(name)
            } else if let modified = cache.modificationTime(name), modified < hourAgo {
                cache.removeFolder(name)
            }
        }
    }

    /// The pid in a build folder's name `build-<pid>-<random>`.
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
    private func removeUnusedObjects(_ cache: CacheDirectory) {
        var records: [(name: String, used: time_t)] = []
        for name in cache.entries() where name.hasSuffix(".record") {
            if let used = cache.modificationTime(name) { records.append((name, used)) }
        }
        records.sort { $0.used > $1.used }
        let cutoff = time(nil) - Self.unusedFor
        for (n, record) in records.enumerated() where n >= Self.cacheLimit || record.used < cutoff {
            cache.remove(String(record.name.dropLast(".record".count)) + ".so")
            cache.remove(record.name)
        }
    }

    /// Logs `message` the first time `topic` comes up.
    private func sayOnce(_ topic: String, _ message: String) {
        let first = state.withLock { $0.said.insert(topic).inserted }
        if first { logger.warning("\(message)") }
    }
}

extension Result {
    /// The error, if this is a failure.
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
