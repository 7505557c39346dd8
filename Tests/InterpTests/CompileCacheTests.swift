import Foundation
import Logging
import TestSupport
import Testing
import WAT

@testable import Interp
@testable import Kernel

/// The compiled tier's cache cannot be turned against wskdesk (issue #13,
/// item 9): every file in it is opened relative to the checked folder
/// without following links, the folders above it are checked, and there is
/// no fallback to a shared folder when HOME is unset.
@Suite struct CompileCacheTests {
    static func isolated() -> (ModuleCompiler, LogCapture) {
        let log = LogCapture()
        return (ModuleCompiler(directory: testCacheRoot + "/cache-\(UUID().uuidString)", logger: log.logger), log)
    }

    static func run(_ value: Int, compiler: ModuleCompiler) throws -> TierCounts {
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, tier: .compiled, compiler: compiler, logSink: { _, _ in })
        let probe = try Probe(kernel)
        let wat = reportingActor(body: "(call $report (i64.const \(value))) (call $flush (i64.const 1))")
        let actor = try host.spawn(try host.load(bytes: try wat2wasm(wat), name: "test")) { try probe.grantSend(to: $0) }
        #expect(try probe.report() == [Int64(value)])
        #expect(host.wait(for: actor))
        return host.tierCounts
    }

    /// A file outside the cache with an old modification time, and what it holds.
    static func victim() throws -> (path: String, date: Date) {
        let path = testCacheRoot + "/victim-\(UUID().uuidString)"
        try Data("not an object".utf8).write(to: URL(fileURLWithPath: path))
        let date = Date(timeIntervalSince1970: 1_000_000_000)
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
        return (path, date)
    }

    /// A symlink planted in place of an object or a record is not followed:
    /// the entry is rebuilt, the link replaced, and its target untouched.
    @Test(arguments: [".so", ".record"]) func aPlantedSymlinkIsNotFollowed(suffix: String) throws {
        let (compiler, log) = Self.isolated()
        #expect(try Self.run(0x5A, compiler: compiler) == TierCounts(interpreted: 0, compiled: 1))
        let names = try FileManager.default.contentsOfDirectory(atPath: compiler.directory).filter { $0.hasSuffix(suffix) }
        #expect(names.count == 1)
        let planted = compiler.directory + "/" + names[0]
        let victim = try Self.victim()
        try FileManager.default.removeItem(atPath: planted)
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: victim.path)

        let later = ModuleCompiler(directory: compiler.directory, logger: log.logger)
        #expect(try Self.run(0x5A, compiler: later) == TierCounts(interpreted: 0, compiled: 1))
        #expect(log.messages == ["\(planted) is a symbolic link; rebuilding it"])
        #expect(try FileManager.default.attributesOfItem(atPath: planted)[.type] as? FileAttributeType == .typeRegular)
        #expect(try String(contentsOfFile: victim.path, encoding: .utf8) == "not an object")
        #expect(try FileManager.default.attributesOfItem(atPath: victim.path)[.modificationDate] as? Date == victim.date)
    }

    /// Objects are built hardened: no executable stack, relocations
    /// resolved at load and then read-only (readelf on a built object).
    @Test func objectsAreBuiltHardened() throws {
        let (compiler, _) = Self.isolated()
        #expect(try Self.run(0x5C, compiler: compiler) == TierCounts(interpreted: 0, compiled: 1))
        let names = try FileManager.default.contentsOfDirectory(atPath: compiler.directory).filter { $0.hasSuffix(".so") }
        #expect(names.count == 1)
        let readelf = Process()
        readelf.executableURL = URL(fileURLWithPath: try #require(which("readelf")))
        readelf.arguments = ["-lWd", compiler.directory + "/" + names[0]]
        let pipe = Pipe()
        readelf.standardOutput = pipe
        try readelf.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        readelf.waitUntilExit()
        let lines = output.split(separator: "\n")
        let stack = lines.first { $0.contains("GNU_STACK") }.map { $0.split(separator: " ").dropLast().last }
        #expect(stack == "RW", "the stack's flags")
        #expect(lines.contains { $0.contains("GNU_RELRO") })
        #expect(lines.contains { $0.contains("(FLAGS)") && $0.contains("BIND_NOW") })
    }

    /// A folder above the cache that others may write to (no sticky bit)
    /// could have the cache swapped under wskdesk: the compiled tier is off.
    @Test func aCacheUnderAFolderOthersMayWriteIsRefused() throws {
        let open = testCacheRoot + "/open-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
        chmod(open, 0o777)
        let log = LogCapture()
        let compiler = ModuleCompiler(directory: open + "/wskdesk/compiled", logger: log.logger)
        #expect(try Self.run(0x5B, compiler: compiler) == TierCounts(interpreted: 1, compiled: 0))
        #expect(log.messages == [
            "Wasm actors run on the interpreter: \(open) is writable by other users; the cache in it could be replaced under wskdesk"
        ])
    }

    /// Where the user's cache is; never a shared folder.
    @Test func theCacheFolderComesFromXDGHomeOrThePasswordDatabaseOnly() {
        func choose(_ xdg: String?, _ home: String?, _ passwd: String?, own: Bool) -> String {
            switch ModuleCompiler.cacheDirectory(xdgCacheHome: xdg, home: home, passwdHome: passwd, isOwnFolder: { _ in own }) {
            case .success(let path): path
            case .failure(let error): "error: \(error)"
            }
        }
        #expect(choose("/c", "/h", "/p", own: true) == "/c/wskdesk/compiled")
        #expect(choose("relative", "/h", "/p", own: true) == "/h/.cache/wskdesk/compiled")
        #expect(choose(nil, nil, "/p", own: true) == "/p/.cache/wskdesk/compiled")
        #expect(choose(nil, "", "/p", own: true) == "/p/.cache/wskdesk/compiled")
        #expect(choose(nil, nil, "/p", own: false) == "error: no cache folder for compiled modules: neither XDG_CACHE_HOME nor HOME is set, and the home in the password database is /p, not a folder of this user; set HOME")
        #expect(choose(nil, nil, nil, own: true) == "error: no cache folder for compiled modules: neither XDG_CACHE_HOME nor HOME is set, and the home in the password database is not known; set HOME")
    }

    /// Without a cache folder the compiled tier is off, said once.
    @Test func withoutACacheFolderActorsAreInterpretedAndTheLogSaysWhyOnce() throws {
        let log = LogCapture()
        let compiler = ModuleCompiler(directory: .failure(CompileError("no cache folder (test)")), logger: log.logger)
        for value in 1...2 {
            #expect(try Self.run(value, compiler: compiler) == TierCounts(interpreted: 1, compiled: 0))
        }
        #expect(log.messages == ["Wasm actors run on the interpreter: no cache folder (test)"])
    }
}
