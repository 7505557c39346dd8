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
/// After the user's cache, a compiler looks in the system cache
/// (`systemDirectory`: root's, filled by the package's install step with
/// `wskdesk compile --system`), read-only: an object there is loaded if its
/// record vouches for it and, when tools are here, they built it; otherwise
/// it is passed over (never removed or rebuilt by a user) and the module is
/// built in the user's cache as if it were not there.
///
/// Callers validate a module before asking for its object (the compiled tier
/// does, as the interpreter would). One compiler per cache directory serves
/// every host of the process: a module is built once however many actors
/// want it at the same time, and at most one build per core runs at once.
public final class ModuleCompiler: Sendable {
    public let directory: String
    /// The system cache read after `directory`, or nil for none.
    public let systemDirectory: String?
    /// Whether `directory` is the system cache itself, written by root
    /// (`wskdesk compile --system`).
    let writesSystemCache: Bool
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
        var systemCache: Result<CacheDirectory, CompileError>?
        var loaded: [String: CompiledModule] = [:]
        var builds: [String: Build] = [:]
        /// Builds that failed: not tried again by this process.
        var failed: [String: CompileError] = [:]
        var said: Set<String> = []
    }

    /// Why there is no cache, so no compiled tier (see `userDirectory`).
    private let unavailable: CompileError?

    /// A compiler caching in `directory`, then looking in `systemDirectory`
    /// (none by default), finding its tools on `searchPath` (default:
    /// `$PATH`), building code that checks memory accesses by `memoryChecks`.
    public convenience init(
        directory: String, systemDirectory: String? = nil, logger: Logger, searchPath: String? = nil,
        memoryChecks: MemoryChecks = .guardPages, limits: CompileLimits = .standard
    ) {
        self.init(
            directory: .success(directory), systemDirectory: systemDirectory, logger: logger, searchPath: searchPath,
            memoryChecks: memoryChecks, limits: limits)
    }

    init(
        directory: Result<String, CompileError>, systemDirectory: String? = nil, writesSystemCache: Bool = false,
        logger: Logger, searchPath: String? = nil, memoryChecks: MemoryChecks = .guardPages, limits: CompileLimits = .standard,
        purpose: ModuleRewrite.Purpose = .actor
    ) {
        switch directory {
        case .success(let path): (self.directory, unavailable) = (path, nil)
        case .failure(let error): (self.directory, unavailable) = ("", error)
        }
        self.systemDirectory = systemDirectory
        self.writesSystemCache = writesSystemCache
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

    /// The compiler for the user's cache directory, then the system cache,
    /// shared by the process. Without a user cache (`userDirectory`), actors
    /// not in the system cache run on the interpreter and the log says why, once.
    public static func forUser(logger: Logger, memoryChecks: MemoryChecks = .guardPages) -> ModuleCompiler {
        let directory = userDirectory
        return shared.withLock { compilers in
            let key = "\((try? directory.get()) ?? "") \(memoryChecks)"
            if let compiler = compilers[key] { return compiler }
            let compiler = ModuleCompiler(
                directory: directory, systemDirectory: systemDirectory, logger: logger, memoryChecks: memoryChecks)
            compilers[key] = compiler
            return compiler
        }
    }

    /// The system cache: compiled by root (the package's install step runs
    /// `wskdesk compile --system` on the shipped actors), read by every user.
    public static let systemDirectory = "/var/cache/wskdesk/compiled"

    /// The compiler that writes the system cache (`wskdesk compile
    /// --system`); root only. `directory` stands in for `systemDirectory` (tests).
    public static func forSystem(
        logger: Logger, directory: String = systemDirectory, searchPath: String? = nil, memoryChecks: MemoryChecks = .guardPages
    ) throws(CompileError) -> ModuleCompiler {
        guard geteuid() == 0 else {
            throw CompileError("only root may write the system cache \(directory): run it with sudo")
        }
        return ModuleCompiler(
            directory: .success(directory), writesSystemCache: true, logger: logger, searchPath: searchPath, memoryChecks: memoryChecks)
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
        guard !known.1, let object = cachedObject(entry) ?? systemObject(entry) else { return nil }
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

    /// Whether an object of `module` is loaded, or was built in the user's
    /// or the system cache. Callers validate a module before they ask for
    /// its object, so if one was built the module's bodies are valid
    /// (`ModuleFacts`). Only a hint, and safe to be wrong: a module taken for
    /// valid still has each body validated when it is first called.
    func builtBefore(_ module: CheckedModule) -> Bool {
        guard let entry = try? entry(for: module) else { return false }
        if state.withLock({ $0.loaded[entry.key] != nil }) { return true }
        let folders = (unavailable == nil ? [directory] : []) + (systemDirectory.map { [$0] } ?? [])
        return folders.contains { access($0 + "/" + entry.recordName, F_OK) == 0 }
    }

    /// Compiles `module` ahead of time (`wskdesk compile`): says where the
    /// object is (the system cache's, if that one serves) and whether it was built now.
    public func precompile(_ module: CheckedModule) throws(CompileError) -> (path: String, built: Bool) {
        if let ready = readyObject(for: module) { return (ready.path, false) }
        return (try object(for: module).path, true)
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
            if let object = cachedObject(entry) ?? systemObject(entry) { return object }
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
            let record = Record(module: entry.moduleHash, object: SHA256.hex(built.bytes), tools: build.toolchain.versionsHash)
            try writeFile(build.directory + "/record", Array(record.text.utf8))
            if writesSystemCache {
                // For every user to read, whatever the umask (the build folder is root's, 0700).
                guard fchmod(built.fd, 0o644) == 0, chmod(build.directory + "/record", 0o644) == 0 else {
                    throw CompileError("cannot make \(build.directory)'s files readable by all: \(String(cString: strerror(errno)))")
                }
            }
            // The object goes in place whole (rename), then the record that vouches for it.
            try cache.rename(folder + "/module.so", to: entry.objectName)
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
        /// The object's path in the system cache, if there is one.
        let systemObjectPath: String?
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
        // Without a cache of its own, a compiler may still load the system's objects.
        if let unavailable, systemDirectory == nil {
            sayOnce("directory", "Wasm actors run on the interpreter: \(unavailable)")
            throw unavailable
        }
        let moduleHash = module.sha256
        var key = SHA256()
        key.update(Toolchain.objectFormat(memoryChecks))
        key.update("\nmodule \(moduleHash)")
        if purpose == .specTest { key.update("\nspec test") }
        let name = key.finalize()
        return Entry(
            key: name, moduleHash: moduleHash, objectName: name + ".so", recordName: name + ".record",
            objectPath: directory + "/" + name + ".so", systemObjectPath: systemDirectory.map { $0 + "/" + name + ".so" })
    }

    /// The object of `entry` in `cache`, open, if its record vouches for it
    /// (the module's hash and its own), with the record; else why not.
    private func vouchedObject(_ entry: Entry, in cache: CacheDirectory, shownAs path: String)
        -> Result<(fd: Int32, record: Record), CompileError>
    {
        let record: [UInt8]
        switch cache.openRegular(entry.recordName) {
        case .success(let file):
            close(file.fd)
            record = file.bytes
        case .failure(let error):
            return .failure(error)
        }
        let object: (fd: Int32, bytes: [UInt8])
        switch cache.openRegular(entry.objectName) {
        case .success(let file): object = file
        case .failure(let error): return .failure(error)
        }
        let recorded = Record(text: String(decoding: record, as: UTF8.self))
        guard let recorded, recorded.module == entry.moduleHash, recorded.object == SHA256.hex(object.bytes) else {
            close(object.fd)
            return .failure(CompileError("cached object \(path) does not match its record"))
        }
        return .success((object.fd, recorded))
    }

    /// Whether the tools here, if any, are other than those that built `record`'s object.
    private func otherTools(built record: Record) -> Bool {
        guard let tools = try? toolchain() else { return false }
        return record.tools != tools.versionsHash
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
        let object: (fd: Int32, record: Record)
        switch vouchedObject(entry, in: cache, shownAs: entry.objectPath) {
        case .success(let vouched): object = vouched
        case .failure(let error): return discard(error.description)
        }
        if otherTools(built: object.record) {
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

    /// The object of `entry` in the system cache, loaded, if its record
    /// vouches for it and the tools here (if any) built it. Anything else
    /// there is passed over, never changed: the user's cache builds its own.
    private func systemObject(_ entry: Entry) -> CompiledModule? {
        guard let path = entry.systemObjectPath, let cache = systemCache(), cache.modificationTime(entry.recordName) != nil
        else { return nil }
        let object: (fd: Int32, record: Record)
        switch vouchedObject(entry, in: cache, shownAs: path) {
        case .success(let vouched): object = vouched
        case .failure(let error):
            sayOnce(path, "\(error); not using it")
            return nil
        }
        if otherTools(built: object.record), let tools = try? toolchain() {
            close(object.fd)
            // Once, plainly: every shipped actor is then compiled again per
            // user (on the interpreter until it is), which root can fix.
            sayOnce(
                "system tools",
                "the compiled actors in the system cache \(cache.path) were built by other tools than "
                    + "\(tools.compiler) and \(tools.wasm2c) here, so they are not used: each is compiled again "
                    + "into your own cache, and runs on the interpreter until then. To compile the system cache "
                    + "with these tools: sudo dpkg-reconfigure wskdesk (the package), or sudo wskdesk compile --system FOLDER (the folder of those actors)")
            return nil
        }
        do {
            // Its descriptor stays open while it is loaded, for ever (see build).
            return try CompiledModule(path: CacheDirectory.loadPath(of: object.fd), shownAs: path)
        } catch {
            close(object.fd)
            sayOnce(path, "\(error); not using it")
            return nil
        }
    }

    /// The system cache, open read-only, if there is one and it is root's
    /// alone (CacheDirectory); a missing one is no news, an unsafe one is
    /// said once.
    private func systemCache() -> CacheDirectory? {
        guard let systemDirectory else { return nil }
        if let ready = state.withLock({ $0.systemCache }) { return try? ready.get() }
        let opened = Result { () throws(CompileError) -> CacheDirectory in
            try CacheDirectory(path: systemDirectory, kind: .system(writable: false))
        }
        let first = state.withLock { state in
            if let earlier = state.systemCache { return earlier }
            state.systemCache = opened
            return opened
        }
        if case .failure(let error) = first, access(systemDirectory, F_OK) == 0 || errno != ENOENT {
            sayOnce("system directory", "the system cache of compiled actors is not used: \(error)")
        }
        return try? first.get()
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

    /// Opens the cache folder (creating it private to the user, or readable
    /// by all for the system cache written by root) and checks
    /// it and the folders above it (CacheDirectory): objects in it are
    /// loaded into this process. Tidies it the first time.
    private func prepareDirectory() throws(CompileError) -> CacheDirectory {
        if let ready = state.withLock({ $0.cache }) { return try ready.get() }
        let ready = Result { () throws(CompileError) -> CacheDirectory in
            if let unavailable { throw unavailable }
            let cache = try CacheDirectory(path: directory, kind: writesSystemCache ? .system(writable: true) : .user)
            removeAbandonedBuilds(cache)
            // Users cannot mark the system cache's objects used: they stay
            // until the package's next install step replaces them.
            if !writesSystemCache { removeUnusedObjects(cache) }
            return cache
        }
        let first = state.withLock { state in
            if let earlier = state.cache { return earlier }
            state.cache = ready
            return ready
        }
        if case .failure(let error) = first {
            let which = systemDirectory == nil ? "Wasm actors" : "Wasm actors not in the system cache"
            sayOnce("directory", "\(which) run on the interpreter: \(error)")
        }
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
