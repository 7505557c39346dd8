import Foundation
import Logging
import TestSupport
import Testing
import WAT

@testable import Interp
@testable import Kernel

/// The system cache (issue #16, item 5): root compiles the shipped actors
/// into it (`wskdesk compile --system`, the package's install step) and every
/// user's wskdesk loads them from it after its own cache, so no user waits for
/// a compile. A temporary folder stands in for /var/cache/wskdesk/compiled.
///
/// Root must own the system cache and every folder above it (or they are
/// sticky, as /tmp): the tests make such folders, so they run as root (as
/// they do here, and in the fresh-machine check). An unsafe system cache is
/// made by handing a folder or file to another uid, or opening its mode.
@Suite(.enabled(if: geteuid() == 0, "the system cache must belong to root: these tests make one"))
struct SystemCacheTests {
    /// A uid no one on the machine has: an ordinary user who is not root.
    static let otherUser: uid_t = 54_321

    static func wasm(_ value: Int) throws -> [UInt8] {
        try wat2wasm(reportingActor(body: "(call $report (i64.const \(value))) (call $flush (i64.const 1))"))
    }

    /// A system cache stand-in (root's, 0755, under root's folders), filled
    /// by root's compiler with the module of `value` built by the tools on
    /// `searchPath` (default `$PATH`).
    static func systemCache(with value: Int, searchPath: String? = nil) throws -> String {
        let folder = testCacheRoot + "/system-\(UUID().uuidString)/compiled"
        let root = try ModuleCompiler.forSystem(logger: LogCapture().logger, directory: folder, searchPath: searchPath)
        let host = WasmActorHost(kernel: Kernel(), tier: .interpreter, compiler: root, logSink: { _, _ in })
        #expect(try host.compileAheadOfTime(host.load(bytes: wasm(value), name: "test")).built)
        return folder
    }

    /// A user's compiler: its own cache, fresh, then `system`.
    static func user(system: String?, searchPath: String? = nil) -> (ModuleCompiler, LogCapture) {
        let log = LogCapture()
        let directory = testCacheRoot + "/user-\(UUID().uuidString)"
        return (ModuleCompiler(directory: directory, systemDirectory: system, logger: log.logger, searchPath: searchPath), log)
    }

    /// Runs the module of `value` once on `tier`: which tier ran it.
    static func run(_ value: Int, compiler: ModuleCompiler, tier: TierPolicy = .auto) throws -> TierCounts {
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, tier: tier, compiler: compiler, logSink: { _, _ in })
        let probe = try Probe(kernel)
        let actor = try host.spawn(try host.load(bytes: try wasm(value), name: "test")) { try probe.grantSend(to: $0) }
        #expect(try probe.report() == [Int64(value)])
        #expect(host.wait(for: actor))
        return host.tierCounts
    }

    /// Where `compiler` finds the module of `value`, and whether it had to build it.
    static func lookup(_ value: Int, compiler: ModuleCompiler) throws -> (path: String, built: Bool) {
        let host = WasmActorHost(kernel: Kernel(), tier: .interpreter, compiler: compiler, logSink: { _, _ in })
        return try host.compileAheadOfTime(host.load(bytes: wasm(value), name: "test"))
    }

    static func files(in folder: String, ending suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(suffix) }
    }

    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    /// Root's compile makes the cache and its files readable by all, written by root only.
    @Test func rootsCompileMakesACacheEveryUserCanRead() throws {
        let system = try Self.systemCache(with: 0x5E0)
        #expect(try Self.mode(system) == 0o755)
        let names = Self.files(in: system, ending: ".so") + Self.files(in: system, ending: ".record")
        #expect(names.count == 2)
        for name in names { #expect(try Self.mode(system + "/" + name) == 0o644, "\(name)") }
    }

    /// A user's first start runs the system's object at once (the `.auto`
    /// tier: no background compile), and nothing is built in its own cache.
    @Test func aUsersFirstStartRunsTheSystemsObjectWithoutCompiling() throws {
        let system = try Self.systemCache(with: 0x5E1)
        let (compiler, log) = Self.user(system: system)
        #expect(try Self.run(0x5E1, compiler: compiler) == TierCounts(interpreted: 0, compiled: 1))
        #expect(Self.files(in: compiler.directory, ending: ".so").isEmpty)
        #expect(log.messages.isEmpty)
    }

    /// Without tools, or without a cache of its own, a user still loads the system's objects.
    @Test func withoutToolsOrAUserCacheTheSystemsObjectsStillLoad() throws {
        let system = try Self.systemCache(with: 0x5E2)
        let (bare, _) = Self.user(system: system, searchPath: "/nonexistent")
        #expect(try Self.run(0x5E2, compiler: bare) == TierCounts(interpreted: 0, compiled: 1))
        let homeless = ModuleCompiler(
            directory: .failure(CompileError("no cache folder (test)")), systemDirectory: system, logger: LogCapture().logger)
        #expect(try Self.run(0x5E2, compiler: homeless) == TierCounts(interpreted: 0, compiled: 1))
        #expect(try Self.run(0x5E3, compiler: homeless) == TierCounts(interpreted: 1, compiled: 0), "not in the system cache")
    }

    /// The user's cache first, then the system's, then a build in the user's cache.
    @Test func theUsersCacheIsReadBeforeTheSystems() throws {
        let system = try Self.systemCache(with: 0x5E4)
        let (compiler, _) = Self.user(system: system)
        let systemObject = try Self.lookup(0x5E4, compiler: compiler)
        #expect(systemObject.path.hasPrefix(system + "/") && !systemObject.built)

        // The same module built in the user's own cache: that one is used.
        let own = ModuleCompiler(directory: compiler.directory, logger: LogCapture().logger)
        let built = try Self.lookup(0x5E4, compiler: own)
        #expect(built.path.hasPrefix(compiler.directory + "/") && built.built)
        let later = ModuleCompiler(directory: compiler.directory, systemDirectory: system, logger: LogCapture().logger)
        let again = try Self.lookup(0x5E4, compiler: later)
        #expect(again.path == built.path && !again.built)

        // A module the system cache lacks is built in the user's.
        let other = try Self.lookup(0x5E5, compiler: later)
        #expect(other.path.hasPrefix(compiler.directory + "/") && other.built)
    }

    /// An object of the system cache built by other tools than those here
    /// is passed over: the user's cache builds its own, and the system's is
    /// left as it was. The log says so once (not per actor), with the fix:
    /// until root compiles the system cache again, every actor is compiled
    /// per user and waits on the interpreter.
    @Test func aSystemObjectBuiltByOtherToolsIsNotUsedNorChanged() throws {
        let tools = try toolsFolder(cc: "exec \(try #require(which("cc"))) \"$@\"")
        let system = try Self.systemCache(with: 0x5E6, searchPath: tools)
        let root = try ModuleCompiler.forSystem(logger: LogCapture().logger, directory: system, searchPath: tools)
        #expect(try Self.lookup(0x5E9, compiler: root).built)
        let before = try Self.snapshot(system)
        let (compiler, log) = Self.user(system: system)
        let found = try Self.lookup(0x5E6, compiler: compiler)
        #expect(found.path.hasPrefix(compiler.directory + "/") && found.built)
        #expect(try Self.lookup(0x5E9, compiler: compiler).built)
        #expect(try Self.snapshot(system) == before)
        let said = log.messages(atLeast: .info)
        #expect(said.count == 1, "\(said)")
        #expect(said.first?.contains("the compiled actors in the system cache \(system) were built by other tools") == true)
        #expect(said.first?.contains("sudo wskdesk compile --system") == true)
    }

    /// Each file of a folder with its contents and modification time.
    static func snapshot(_ folder: String) throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let path = folder + "/" + name
            let date = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
            files[name] = "\(SHA256.hex(Array(try Data(contentsOf: URL(fileURLWithPath: path))))) \(String(describing: date))"
        }
        return files
    }

    /// No system cache at all is no news.
    @Test func aMissingSystemCacheIsNotMentioned() throws {
        let (compiler, log) = Self.user(system: testCacheRoot + "/no-such-\(UUID().uuidString)/compiled")
        #expect(try Self.run(0x5E7, compiler: compiler, tier: .compiled) == TierCounts(interpreted: 0, compiled: 1))
        #expect(log.messages.isEmpty)
    }

    /// Ways an ordinary user could have changed what the system cache holds.
    enum Sabotage: String, CaseIterable, CustomTestStringConvertible {
        case cacheOwnedByAUser, cacheWritableByOthers, folderAboveWritableByOthers, folderAboveOwnedByAUser
        case cacheIsALinkToAUsersFolder, objectOwnedByAUser, objectWritableByOthers, objectIsALink, recordOwnedByAUser

        var testDescription: String { rawValue }

        /// Does it to `system`; says what the log says of it.
        func apply(to system: String) throws -> String {
            let above = (system as NSString).deletingLastPathComponent
            let object = system + "/" + SystemCacheTests.files(in: system, ending: ".so")[0]
            let record = system + "/" + SystemCacheTests.files(in: system, ending: ".record")[0]
            func give(_ path: String) throws {
                guard lchown(path, SystemCacheTests.otherUser, SystemCacheTests.otherUser) == 0 else {
                    throw CompileError("cannot chown \(path): \(String(cString: strerror(errno)))")
                }
            }
            let unused = "the system cache of compiled actors is not used:"
            switch self {
            case .cacheOwnedByAUser:
                try give(system)
                return "\(unused) \(system) does not belong to root; the system cache is not used"
            case .cacheWritableByOthers:
                chmod(system, 0o777)
                return "\(unused) \(system) is writable by other users than root; the system cache is not used"
            case .folderAboveWritableByOthers:
                chmod(above, 0o777)
                return "\(unused) \(above) is writable by other users than root; the system cache is not used"
            case .folderAboveOwnedByAUser:
                try give(above)
                return "\(unused) \(above) does not belong to root; the system cache is not used"
            case .cacheIsALinkToAUsersFolder:
                // The user's copy of the cache, which the user could change at will.
                let copy = above + "/copy"
                try FileManager.default.copyItem(atPath: system, toPath: copy)
                try give(copy)
                try FileManager.default.removeItem(atPath: system)
                try FileManager.default.createSymbolicLink(atPath: system, withDestinationPath: copy)
                return "\(unused) \(system) does not belong to root; the system cache is not used"
            case .objectOwnedByAUser:
                try give(object)
                return "\(object) is not a regular file of root; not using it"
            case .objectWritableByOthers:
                chmod(object, 0o666)
                return "\(object) is writable by other users than root; not using it"
            case .objectIsALink:
                let target = above + "/object.so"
                try FileManager.default.moveItem(atPath: object, toPath: target)
                try FileManager.default.createSymbolicLink(atPath: object, withDestinationPath: target)
                return "\(object) is a symbolic link; not using it"
            case .recordOwnedByAUser:
                try give(record)
                return "\(record) is not a regular file of root; not using it"
            }
        }
    }

    /// A system cache an ordinary user could have changed is not loaded
    /// from (the actor runs on the interpreter, as no tools are here to
    /// build it), the log says why once, and nothing of it is changed.
    @Test(arguments: Sabotage.allCases) func anUnsafeSystemCacheIsRefused(_ sabotage: Sabotage) throws {
        let system = try Self.systemCache(with: 0x5E8)
        let said = try sabotage.apply(to: system)
        let before = try Self.snapshot(system)
        let (compiler, log) = Self.user(system: system, searchPath: "/nonexistent")
        for _ in 0..<2 {
            #expect(try Self.run(0x5E8, compiler: compiler, tier: .compiled) == TierCounts(interpreted: 1, compiled: 0))
        }
        #expect(log.messages.filter { !$0.hasPrefix("Wasm actors not compiled ahead of time") } == [said])
        #expect(try Self.snapshot(system) == before)
    }
}
