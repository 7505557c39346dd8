import Foundation
import Logging
import TestSupport
import Testing
import WAT

@testable import Interp
@testable import Kernel

/// Compiling is bounded (issue #13, items 5 and 8): each tool runs in a
/// process group of its own with CPU, memory and output limits and a
/// timeout; a tool that goes past one is stopped with its whole group, the
/// log says which limit in plain words, the actor runs on the interpreter
/// and the build folder is gone. Limits here are test-only low ones.
@Suite struct CompileLimitTests {
    /// A compiler over a fresh directory with `limits`, finding its tools on `searchPath`.
    static func compiler(limits: CompileLimits, searchPath: String? = nil) -> (ModuleCompiler, LogCapture) {
        let log = LogCapture()
        let directory = testCacheRoot + "/limits-\(UUID().uuidString)"
        return (ModuleCompiler(directory: directory, logger: log.logger, searchPath: searchPath, limits: limits), log)
    }

    /// Runs a reporter actor on the compiled tier with `compiler`: it must
    /// report `value`, on the interpreter when the compile failed.
    static func run(_ value: Int, compiler: ModuleCompiler, data: String = "") throws -> TierCounts {
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, tier: .compiled, compiler: compiler, logSink: { _, _ in })
        let probe = try Probe(kernel)
        let wat = reportingActor(body: "(call $report (i64.const \(value))) (call $flush (i64.const 1))", data: data)
        let actor = try host.spawn(try host.load(bytes: try wat2wasm(wat), name: "test")) { try probe.grantSend(to: $0) }
        #expect(try probe.report() == [Int64(value)])
        #expect(host.wait(for: actor))
        return host.tierCounts
    }

    /// The build folders left in a compiler's directory.
    static func buildFolders(_ compiler: ModuleCompiler) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: compiler.directory)) ?? []).filter { $0.hasPrefix("build-") }
    }

    /// The processes whose process group is `group`, from /proc.
    static func processes(inGroup group: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after its ')'.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[2]) == group
        }
    }

    /// wasm2c writing a module.c over the output limit is stopped by it.
    @Test func aToolWritingPastTheOutputLimitIsStopped() throws {
        var limits = CompileLimits()
        limits.outputFile = 64 << 10
        let (compiler, log) = Self.compiler(limits: limits)
        // 40 000 bytes of data: wasm2c writes each as "0x..", over 64 KiB of C.
        let data = "(data (i32.const 0) \"\(String(repeating: "\\01", count: 40_000))\")"
        #expect(try Self.run(0x5E, compiler: compiler, data: data) == TierCounts(interpreted: 1, compiled: 0))
        let wasm2c = try #require(which("wasm2c"))
        #expect(log.messages == ["test runs on the interpreter: \(wasm2c) stopped: wrote more than 64 KiB, printing nothing"])
        #expect(Self.buildFolders(compiler) == [])
    }

    /// A compiler spinning past its CPU time is stopped by the limit.
    @Test func aToolPastItsCPUTimeIsStopped() throws {
        var limits = CompileLimits()
        limits.cpuSeconds = 1
        let tools = try toolsFolder(cc: "while :; do :; done")
        let (compiler, log) = Self.compiler(limits: limits, searchPath: tools)
        #expect(try Self.run(0x5F, compiler: compiler) == TierCounts(interpreted: 1, compiled: 0))
        #expect(log.messages == ["test runs on the interpreter: \(tools)/cc stopped: used more than 1 s of CPU time, printing nothing"])
        #expect(Self.buildFolders(compiler) == [])
    }

    /// A compiler that hangs, with a child of its own, is killed with its
    /// whole group at the timeout: no process of the group remains.
    @Test func aHangingToolIsKilledWithItsGroupAtTheTimeout() throws {
        var limits = CompileLimits()
        limits.wallClockSeconds = 1
        let marker = testCacheRoot + "/group-\(UUID().uuidString)"
        let tools = try toolsFolder(cc: "echo \"waiting for ever\" >&2; sleep 300 & echo $$ > \(marker); sleep 300")
        let (compiler, log) = Self.compiler(limits: limits, searchPath: tools)
        #expect(try Self.run(0x60, compiler: compiler) == TierCounts(interpreted: 1, compiled: 0))
        #expect(log.messages == ["test runs on the interpreter: \(tools)/cc stopped after 1 s: waiting for ever"])
        let group = try #require(Int32(try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The group is killed before its leader is reaped; the background sleep
        // may take a moment to be reaped by init.
        #expect(eventually { Self.processes(inGroup: group).isEmpty }, "processes of group \(group) remain")
        #expect(Self.buildFolders(compiler) == [])
    }

    /// A tool that crashes is reported with its signal, never with an empty reason.
    @Test func aCrashingToolIsReportedWithItsSignal() throws {
        let tools = try toolsFolder(cc: "kill -SEGV $$")
        let (compiler, log) = Self.compiler(limits: CompileLimits(), searchPath: tools)
        #expect(try Self.run(0x61, compiler: compiler) == TierCounts(interpreted: 1, compiled: 0))
        #expect(log.messages == ["test runs on the interpreter: \(tools)/cc crashed: signal 11 (Segmentation fault), printing nothing"])
    }

    /// A module over the size limit is not compiled at all.
    @Test func aModuleOverTheSizeLimitStaysOnTheInterpreter() throws {
        var limits = CompileLimits()
        limits.moduleBytes = 100
        let (compiler, log) = Self.compiler(limits: limits)
        let size = try wat2wasm(reportingActor(body: "(call $report (i64.const 98)) (call $flush (i64.const 1))")).count
        #expect(try Self.run(98, compiler: compiler) == TierCounts(interpreted: 1, compiled: 0))
        #expect(log.messages == ["test runs on the interpreter: it is \(size) bytes, more than the 100 bytes the compiled tier takes"])
    }

    /// A build folder whose process is gone is removed by the next compiler
    /// to use the cache; one of a running process is left alone.
    @Test func aDeadProcesssBuildFolderIsRemoved() throws {
        let (compiler, log) = Self.compiler(limits: CompileLimits())
        try FileManager.default.createDirectory(atPath: compiler.directory, withIntermediateDirectories: true)
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let dead = compiler.directory + "/build-\(ended.processIdentifier)-AbCdEf"
        let live = compiler.directory + "/build-\(getpid())-GhIjKl"
        for folder in [dead, live] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            #expect(FileManager.default.createFile(atPath: folder + "/module.c", contents: Data("int x;".utf8)))
        }
        #expect(try Self.run(0x62, compiler: compiler) == TierCounts(interpreted: 0, compiled: 1))
        #expect(Self.buildFolders(compiler) == ["build-\(getpid())-GhIjKl"])
        #expect(log.messages == [])
    }
}
