import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import WAT

@testable import Interp
@testable import Kernel

/// What only the compiled tier has: its cache, tier-up, falling back to the
/// interpreter when the tools fail, and traps on many threads at once. (Every
/// other actor test runs on both tiers.)
@Suite struct CompiledTierTests {
    /// An actor that reports `value` to handle 1 and exits; a different value
    /// is a different module, with its own cache entry.
    static func reporter(_ value: Int) -> String {
        reportingActor(body: "(call $report (i64.const \(value))) (call $flush (i64.const 1))")
    }

    /// A compiler of its own over a fresh directory, and what it logs.
    static func isolatedCompiler(searchPath: String? = nil) throws -> (ModuleCompiler, LogCapture) {
        let directory = testCacheRoot + "/isolated-\(UUID().uuidString)"
        let log = LogCapture()
        return (ModuleCompiler(directory: directory, logger: log.logger, searchPath: searchPath), log)
    }

    @Test func aTamperedCacheEntryIsRebuiltNotLoaded() throws {
        let (compiler, log) = try Self.isolatedCompiler()
        let wat = Self.reporter(0x7A3)
        try runReporter(wat, value: 0x7A3, compiler: compiler, tier: .compiled)
        let objects = try FileManager.default.contentsOfDirectory(atPath: compiler.directory).filter { $0.hasSuffix(".so") }
        #expect(objects.count == 1)
        let object = compiler.directory + "/" + objects[0]
        var tampered = try Data(contentsOf: URL(fileURLWithPath: object))
        tampered[tampered.count / 2] ^= 0xFF
        // A new file in its place: this process has the old one mapped.
        try tampered.write(to: URL(fileURLWithPath: object), options: .atomic)

        // A later process (a fresh compiler on the same directory) finds it.
        let later = ModuleCompiler(directory: compiler.directory, logger: log.logger)
        try runReporter(wat, value: 0x7A3, compiler: later, tier: .compiled)
        #expect(log.messages == ["cached object \(object) does not match its record; rebuilding it"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: object)) != tampered)
        // The rebuilt entry is sound: a third look loads it without a word.
        try runReporter(wat, value: 0x7A3, compiler: ModuleCompiler(directory: compiler.directory, logger: log.logger), tier: .compiled)
        #expect(log.messages.count == 1)
    }

    @Test func objectsUnusedForAMonthAreRemovedAndUsedOnesKept() throws {
        let (compiler, log) = try Self.isolatedCompiler()
        let wat = Self.reporter(0x0D5)
        try runReporter(wat, value: 0x0D5, compiler: compiler, tier: .compiled)
        let kept = try FileManager.default.contentsOfDirectory(atPath: compiler.directory).filter { $0.hasSuffix(".record") }
        #expect(kept.count == 1)
        // An entry last used 40 days ago; the real one last used 10 days ago.
        let stale = compiler.directory + "/" + String(repeating: "0", count: 64)
        for path in [stale + ".so", stale + ".record"] { #expect(FileManager.default.createFile(atPath: path, contents: Data())) }
        let day: TimeInterval = 24 * 3600
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-40 * day)], ofItemAtPath: stale + ".record")
        let tenDaysAgo = Date().addingTimeInterval(-10 * day)
        try FileManager.default.setAttributes([.modificationDate: tenDaysAgo], ofItemAtPath: compiler.directory + "/" + kept[0])
        let later = ModuleCompiler(directory: compiler.directory, logger: log.logger)
        try runReporter(wat, value: 0x0D5, compiler: later, tier: .compiled)
        #expect(!FileManager.default.fileExists(atPath: stale + ".so") && !FileManager.default.fileExists(atPath: stale + ".record"))
        let after = try FileManager.default.contentsOfDirectory(atPath: compiler.directory).filter { !$0.hasPrefix("build-") }.sorted()
        #expect(after == [kept[0], String(kept[0].dropLast(".record".count)) + ".so"].sorted())
        let used = try FileManager.default.attributesOfItem(atPath: compiler.directory + "/" + kept[0])[.modificationDate] as? Date
        #expect(used.map { $0 > tenDaysAgo.addingTimeInterval(day) } == true, "loading marks the entry used")
        #expect(log.messages == [])
    }

    @Test func theFirstActorIsInterpretedAndTheNextCompiled() throws {
        let (compiler, log) = try Self.isolatedCompiler()
        let wat = Self.reporter(0x71E)
        let first = try runReporter(wat, value: 0x71E, compiler: compiler, tier: .auto)
        #expect(first == TierCounts(interpreted: 1, compiled: 0))
        // The object is built in the background meanwhile; until it is
        // ready, actors of the module start on the interpreter.
        #expect(eventually(timeout: .seconds(60)) {
            (try? runReporter(wat, value: 0x71E, compiler: compiler, tier: .auto)) == TierCounts(interpreted: 0, compiled: 1)
        })
        #expect(log.messages == [])
    }

    @Test func withoutWasm2cActorsStayOnTheInterpreterAndTheLogSaysWhyOnce() throws {
        let (compiler, log) = try Self.isolatedCompiler(searchPath: "/nonexistent")
        for value in 1...3 {
            let counts = try runReporter(Self.reporter(value), value: value, compiler: compiler, tier: .compiled)
            #expect(counts == TierCounts(interpreted: 1, compiled: 0))
        }
        #expect(log.messages == [
            "Wasm actors not compiled ahead of time (wskdesk compile) run on the interpreter: wasm2c is not on PATH; install wabt (Debian/Ubuntu: apt-get install wabt)",
        ])
    }

    /// An object compiled ahead of time loads on a machine without the tools
    /// (a kiosk image, the package installed without wabt and gcc); one that
    /// other tools built is built again where there are tools.
    @Test func cachedObjectsLoadWithoutToolsAndOtherToolsBuildTheirOwn() throws {
        let (compiler, log) = try Self.isolatedCompiler()
        let wat = Self.reporter(0xA07)
        #expect(try runReporter(wat, value: 0xA07, compiler: compiler, tier: .compiled) == TierCounts(interpreted: 0, compiled: 1))
        let records = try FileManager.default.contentsOfDirectory(atPath: compiler.directory).filter { $0.hasSuffix(".record") }
        #expect(records.count == 1)
        let record = compiler.directory + "/" + records[0]
        let builtHere = try String(contentsOfFile: record, encoding: .utf8)

        // No wasm2c, no compiler: the object is loaded as it is.
        let bare = ModuleCompiler(directory: compiler.directory, logger: log.logger, searchPath: "/nonexistent")
        #expect(try runReporter(wat, value: 0xA07, compiler: bare, tier: .compiled) == TierCounts(interpreted: 0, compiled: 1))
        #expect(try String(contentsOfFile: record, encoding: .utf8) == builtHere)

        // Other versions of the tools (a cc that says another version): built again, and recorded so.
        let tools = try toolsFolder(cc: "exec \(try #require(which("cc"))) \"$@\"")
        let other = ModuleCompiler(directory: compiler.directory, logger: log.logger, searchPath: tools)
        #expect(try runReporter(wat, value: 0xA07, compiler: other, tier: .compiled) == TierCounts(interpreted: 0, compiled: 1))
        func toolsLine(_ record: String) -> Substring? { record.split(separator: "\n").first { $0.hasPrefix("tools ") } }
        let builtThere = try String(contentsOfFile: record, encoding: .utf8)
        #expect(toolsLine(builtHere) != nil && toolsLine(builtThere) != nil && toolsLine(builtThere) != toolsLine(builtHere))
        #expect(log.messages == [
            "Wasm actors not compiled ahead of time (wskdesk compile) run on the interpreter: wasm2c is not on PATH; install wabt (Debian/Ubuntu: apt-get install wabt)",
            "cached object \(compiler.directory)/\(records[0].dropLast(".record".count)).so was built by other tools; rebuilding it",
        ])
    }

    @Test func aModuleTheCompilerRefusesRunsOnTheInterpreterAndTheLogSaysWhyOnce() throws {
        // wasm2c as installed, and a "cc" that knows its version but compiles nothing.
        let tools = try toolsFolder(cc: "echo \"broken cc: refusing to compile\" >&2; exit 1")
        let (compiler, log) = try Self.isolatedCompiler(searchPath: tools)
        for _ in 0..<2 {
            let counts = try runReporter(Self.reporter(0xCC), value: 0xCC, compiler: compiler, tier: .compiled)
            #expect(counts == TierCounts(interpreted: 1, compiled: 0))
        }
        #expect(log.messages == ["test runs on the interpreter: \(tools)/cc exited with status 1: broken cc: refusing to compile"])
    }

    /// Sixteen actors of one module on sixteen threads: the odd ones trap
    /// mid-computation, the even ones report. Each trap unwinds its own
    /// thread only (the runtime's jump buffer is per thread).
    @Test func compiledActorsTrapAloneOnManyThreads() throws {
        let system = TestSystem(tier: .compiled)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let wat = reportingActor(
            body: """
                (drop (call $recv (i64.const 2) (i32.const 256) (i32.const 64)))
                (local.set $n (i32.load (i32.const 280)))
                (block $done (loop $sum
                  (br_if $done (i32.ge_u (local.get $i) (i32.mul (local.get $n) (i32.const 10000))))
                  (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $sum)))
                (if (i32.and (local.get $n) (i32.const 1)) (then (drop (i32.div_u (i32.const 1) (i32.const 0)))))
                (call $report (i64.extend_i32_u (local.get $n)))
                (call $report (local.get $acc))
                (call $flush (i64.const 1))
                """,
            locals: "(local $n i32) (local $i i32) (local $acc i64)")
        let module = try system.module(wat: wat, name: "worker")
        var inboxes: [Handle] = []
        let actors = try (0..<16).map { _ in
            try system.host.spawn(module) { actor in
                try probe.grantSend(to: actor)
                inboxes.append(try system.kernel.connect(owner: actor, peer: probe.id, peerRights: [.send]).peer)
            }
        }
        for (n, inbox) in inboxes.enumerated() {
            try system.kernel.send(probe.id, to: inbox, opcode: 1, payload: bytes([UInt32(n)]))
        }
        var reports: [[Int64]] = []
        for _ in 0..<8 { reports.append(try probe.report()) }
        let expected: [[Int64]] = stride(from: 0, to: 16, by: 2).map { (n: Int) -> [Int64] in
            let count = Int64(n) * 10000
            return [Int64(n), count * (count - 1) / 2]
        }
        #expect(reports.sorted { $0[0] < $1[0] } == expected)
        for actor in actors { #expect(system.host.wait(for: actor)) }
        for (n, actor) in actors.enumerated() {
            #expect(system.kernel.exitReason(of: actor) == (n % 2 == 1 ? .trapped("integer divide by zero in _start") : .exited(code: 0)))
        }
        system.expectClean(baseline: baseline, actors: actors, natives: [probe.id])
    }

    /// Explicit checks in place of guard pages (the default, which the rest
    /// of the suite runs): the same traps, on many threads at once, and the
    /// same bytes.
    @Test func explicitChecksTrapAndComputeAsGuardPagesDo() throws {
        let compiler = ModuleCompiler(
            directory: testCacheRoot + "/explicit-checks", logger: Logger(label: "wskdesk.tests.explicit-checks"), memoryChecks: .explicit)
        let system = TestSystem(tier: .compiled, compiler: compiler)
        let baseline = system.kernel.counts
        let actors = try TrapParityTests.cases.map { (_, code, _) in
            try system.run(
                reportingActor(body: "(drop (call $buffer_create (i32.const 64))) \(code)", functions: TrapParityTests.table),
                name: "faulty")
        }
        for (actor, (name, _, reason)) in zip(actors, TrapParityTests.cases) {
            #expect(system.host.wait(for: actor))
            #expect(system.kernel.exitReason(of: actor) == .trapped("\(reason) in _start"), "\(name)")
        }
        system.expectClean(baseline: baseline, actors: actors)

        let differential = DifferentialTests()
        let interpreted = try differential.runToBuffer(
            TestSystem(tier: .interpreter), wat: DifferentialTests.compute, bytes: DifferentialTests.computeBytes)
        let checked = try differential.runToBuffer(system, wat: DifferentialTests.compute, bytes: DifferentialTests.computeBytes)
        #expect(checked == interpreted)
        #expect(system.ranOnItsTier)
    }

    /// Each module is compiled with the C in Sources/CWasmRT, embedded into
    /// wskdesk by scripts/gen-runtime-sources: the copy must be current.
    @Test func theEmbeddedRuntimeIsTheOneInSourcesCWasmRT() throws {
        var found: [String] = []
        for folder in ["Sources/CWasmRT/include", "Sources/CWasmRT/module"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: Repository.root + "/" + folder) {
                found.append(name)
                let text = try String(contentsOfFile: Repository.root + "/" + folder + "/" + name, encoding: .utf8)
                let embedded = RuntimeSources.files.first { $0.name == name }?.text
                #expect(embedded.map { $0 + "\n" } == text, "\(folder)/\(name) changed: run scripts/gen-runtime-sources")
            }
        }
        #expect(found.sorted() == RuntimeSources.files.map(\.name).sorted(), "run scripts/gen-runtime-sources")
    }

    /// Runs the reporter `wat` on a host of `tier` with `compiler`, expects
    /// its report, and says which tier ran it.
    @discardableResult
    func runReporter(_ wat: String, value: Int, compiler: ModuleCompiler, tier: TierPolicy) throws -> TierCounts {
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, tier: tier, compiler: compiler, logSink: { _, _ in })
        let probe = try Probe(kernel)
        let actor = try host.spawn(try host.load(bytes: try wat2wasm(wat), name: "test")) { actor in
            try probe.grantSend(to: actor)
        }
        #expect(try probe.report() == [Int64(value)])
        #expect(host.wait(for: actor))
        #expect(kernel.exitReason(of: actor) == .exited(code: 0))
        return host.tierCounts
    }
}

/// A folder holding the installed wasm2c and a `cc` that says it is
/// "test cc 1.0" (not the installed compiler's version) and otherwise runs `script`.
func toolsFolder(cc script: String) throws -> String {
    let tools = testCacheRoot + "/tools-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: tools + "/wasm2c", withDestinationPath: try #require(which("wasm2c")))
    try """
        #!/bin/sh
        if [ "$1" = --version ]; then echo "test cc 1.0"; exit 0; fi
        \(script)

        """.write(toFile: tools + "/cc", atomically: true, encoding: .utf8)
    chmod(tools + "/cc", 0o755)
    return tools
}

/// The path of `tool` on `PATH`.
func which(_ tool: String) -> String? {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(tool)" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}
