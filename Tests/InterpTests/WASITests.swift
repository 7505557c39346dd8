import Foundation
import Interp
import TestSupport
import Testing

@testable import Kernel

/// The WASI preview 1 functions the tests call, imported under short names.
let wasiImports = """
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_open"
      (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
    """

/// WASI preview 1 as an actor sees it, on both tiers: the standard streams
/// into the log, arguments and environment, clocks, random, exit, sleep,
/// and the errno of everything else; hostile pointers and iovecs.
@Suite struct WASITests {
    static let (badf, fault, inval, nosys, notdir, spipe, notcapable): (Int64, Int64, Int64, Int64, Int64, Int64, Int64) =
        (8, 21, 28, 52, 54, 70, 76)

    @Test(arguments: Tier.allCases) func streamsReachTheLogLineByLineEscaped(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (call $report32 (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 400)))
                    (call $report (i64.load32_u (i32.const 400)))
                    (call $report32 (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 404)))
                    (call $report (i64.load32_u (i32.const 404)))
                    ;; hostile: nothing is written by any of these
                    (call $report32 (call $fd_write (i32.const 1) (i32.const 0xFFFFFFF8) (i32.const 1) (i32.const 400)))
                    (call $report32 (call $fd_write (i32.const 1) (i32.const 24) (i32.const 1) (i32.const 400)))
                    (call $report32 (call $fd_write (i32.const 1) (i32.const 32) (i32.const 2) (i32.const 400)))
                    (call $report32 (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1025) (i32.const 400)))
                    (call $report32 (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x7FFFFFFF) (i32.const 400)))
                    (call $report32 (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 65534)))
                    (call $report32 (call $fd_write (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 400)))
                    (call $report32 (call $fd_write (i32.const 7) (i32.const 0) (i32.const 1) (i32.const 400)))
                    ;; stdin is at its end
                    (call $report32 (call $fd_read (i32.const 0) (i32.const 0) (i32.const 2) (i32.const 408)))
                    (call $report (i64.load32_u (i32.const 408)))
                    (call $report32 (call $fd_read (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 408)))
                    (call $report32 (call $fd_read (i32.const 0) (i32.const 24) (i32.const 1) (i32.const 408)))
                    (call $report32 (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 400)))
                    (call $report32 (call $fd_fdstat_get (i32.const 1) (i32.const 512)))
                    (call $report (i64.load8_u (i32.const 512)))
                    (call $report (i64.load (i32.const 520)))
                    (call $report32 (call $fd_fdstat_get (i32.const 1) (i32.const 65520)))
                    (call $report32 (call $fd_prestat_get (i32.const 3) (i32.const 512)))
                    (call $report32 (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 5)
                      (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 512)))
                    (call $report32 (call $path_open (i32.const 1) (i32.const 0) (i32.const 100) (i32.const 5)
                      (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 512)))
                    (call $report32 (call $sock_accept (i32.const 1) (i32.const 0) (i32.const 512)))
                    ;; closed: gone
                    (call $report32 (call $fd_close (i32.const 2)))
                    (call $report32 (call $fd_close (i32.const 2)))
                    (call $report32 (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 404)))
                    (call $flush (i64.const 1))
                    """,
                data: #"""
                    (data (i32.const 0) "\64\00\00\00\09\00\00\00\c8\00\00\00\09\00\00\00")
                    (data (i32.const 16) "\2c\01\00\00\07\00\00\00\fa\ff\00\00\64\00\00\00")
                    (data (i32.const 32) "\64\00\00\00\02\00\00\00\00\00\01\00\01\00\00\00")
                    (data (i32.const 100) "hello\nwor")
                    (data (i32.const 200) "ld\1b[31m\0d\n")
                    (data (i32.const 300) "partial")
                    (data (i32.const 408) "\ff\ff\ff\ff")
                    """#,
                imports: wasiImports),
            name: "streams"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [
            0, 18, 0, 7,
            Self.fault, Self.fault, Self.fault, Self.inval, Self.inval, Self.fault, Self.notcapable, Self.badf,
            0, 0, Self.notcapable, Self.fault, Self.spipe,
            0, 2, (1 << 6) | (1 << 27), Self.fault, Self.badf, Self.badf, Self.notdir, Self.nosys,
            0, Self.badf, Self.badf,
        ])
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
        // stderr's line without a newline is logged when the actor ends.
        #expect(system.log.lines(of: "streams") == ["hello", #"world\e[31m"#, "partial"])
        #expect(system.ranOnItsTier)
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func argumentsAndEnvironmentArriveAndProcExitEnds(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let program = ProgramArguments(arguments: ["one", "two words"], environment: ["LANG=C", "EMPTY="])
        let module = try system.module(wat: reportingActor(
            body: """
                (call $report32 (call $args_sizes_get (i32.const 600) (i32.const 604)))
                (call $report (i64.load32_u (i32.const 600)))
                (call $report (i64.load32_u (i32.const 604)))
                (call $report32 (call $args_get (i32.const 700) (i32.const 800)))
                (call $report (i64.load32_u (i32.const 700)))
                (call $report (i64.load32_u (i32.const 704)))
                (call $report (i64.load32_u (i32.const 708)))
                (call $report (i64.load (i32.const 800)))
                (call $report (i64.load (i32.const 808)))
                (call $report (i64.load (i32.const 816)))
                (call $report32 (call $environ_sizes_get (i32.const 600) (i32.const 604)))
                (call $report (i64.load32_u (i32.const 600)))
                (call $report (i64.load32_u (i32.const 604)))
                (call $report32 (call $environ_get (i32.const 720) (i32.const 900)))
                (call $report (i64.load32_u (i32.const 720)))
                (call $report (i64.load32_u (i32.const 724)))
                (call $report (i64.load (i32.const 900)))
                (call $report (i64.load (i32.const 908)))
                ;; hostile: a table or buffer outside memory writes nothing
                (call $report32 (call $args_get (i32.const 0xFFFFFFF0) (i32.const 1000)))
                (call $report32 (call $args_get (i32.const 1100) (i32.const 65530)))
                (call $report (i64.load (i32.const 1000)))
                (call $report (i64.load (i32.const 1100)))
                (call $report32 (call $args_sizes_get (i32.const 65534) (i32.const 604)))
                (call $flush (i64.const 1))
                (call $proc_exit (i32.const 7))
                (call $log (i32.const 16) (i32.const 5))
                """,
            data: #"(data (i32.const 16) "after")"#,
            imports: wasiImports), name: "args")
        let actor = try system.host.spawn(module, program: program) { actor in try probe.grantSend(to: actor) }
        func words(_ text: String, count: Int) -> [Int64] {
            let bytes = Array(text.utf8) + [UInt8](repeating: 0, count: count * 8 - text.utf8.count)
            return bytes.int64s
        }
        let argv = "args\0one\0two words\0"
        let environ = "LANG=C\0EMPTY=\0"
        #expect(try probe.report() == [0, 3, Int64(argv.utf8.count), 0, 800, 805, 809]
            + words(argv, count: 3)
            + [0, 2, Int64(environ.utf8.count), 0, 900, 907] + words(environ, count: 2)
            + [Self.fault, Self.fault, 0, 0, Self.fault])
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 7))
        #expect(system.log.lines(of: "args") == [])
        #expect(system.ranOnItsTier)
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test func argumentsAndEnvironmentAreChecked() throws {
        let system = TestSystem()
        let module = try system.module(wat: #"(module (memory (export "memory") 1) (func (export "_start")))"#, name: "m")
        for (program, problem) in [
            (ProgramArguments(arguments: ["a\0b"]), #"argument "a\0b" holds a NUL character"#),
            (ProgramArguments(environment: ["NOVALUE"]), #"environment entry "NOVALUE" is not NAME=VALUE with a name"#),
            (ProgramArguments(environment: ["=x"]), #"environment entry "=x" is not NAME=VALUE with a name"#),
            (ProgramArguments(arguments: [String(repeating: "x", count: 70_000)]), "the arguments are longer than 64 KiB"),
        ] {
            #expect(throws: ModuleLoadError(source: "m", problems: [problem])) {
                try system.host.prepare(module, program: program)
            }
        }
    }

    @Test(arguments: Tier.allCases) func clocksRandomAndSleep(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let before = UInt64(Date().timeIntervalSince1970 * 1e9)
        let actor = try system.run(
            reportingActor(
                body: """
                    (call $report32 (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 600)))
                    (call $report (i64.load (i32.const 600)))
                    (call $report32 (call $clock_time_get (i32.const 2) (i64.const 1) (i32.const 600)))
                    (call $report32 (call $clock_time_get (i32.const 9) (i64.const 1) (i32.const 600)))
                    (call $report32 (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 65532)))
                    (call $report32 (call $clock_res_get (i32.const 1) (i32.const 608)))
                    (call $report (i64.load (i32.const 608)))
                    ;; random: two fills of 64 bytes, then hostile ranges
                    (call $report32 (call $random_get (i32.const 1024) (i32.const 64)))
                    (call $report32 (call $random_get (i32.const 1088) (i32.const 64)))
                    (call $report (i64.load (i32.const 1024)))
                    (call $report (i64.load (i32.const 1032)))
                    (call $report (i64.load (i32.const 1080)))
                    (call $report (i64.load (i32.const 1088)))
                    (call $report (i64.load (i32.const 1152)))
                    (call $report32 (call $random_get (i32.const 65500) (i32.const 100)))
                    (call $report32 (call $random_get (i32.const 0xFFFFFFFF) (i32.const 2)))
                    (call $report32 (call $random_get (i32.const 0) (i32.const 0)))
                    ;; sleep 20 ms on the monotonic clock
                    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 616)))
                    (call $report32 (call $poll_oneoff (i32.const 2048) (i32.const 3072) (i32.const 1) (i32.const 3200)))
                    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 624)))
                    (call $report32 (i64.ge_u (i64.sub (i64.load (i32.const 624)) (i64.load (i32.const 616))) (i64.const 20000000)))
                    (call $report (i64.load32_u (i32.const 3200)))
                    (call $report (i64.load (i32.const 3072)))
                    (call $report (i64.load16_u (i32.const 3080)))
                    (call $report (i64.load8_u (i32.const 3082)))
                    ;; a descriptor subscription is ready at once: stdout is writable
                    (call $report32 (call $poll_oneoff (i32.const 2304) (i32.const 3072) (i32.const 1) (i32.const 3200)))
                    (call $report (i64.load32_u (i32.const 3200)))
                    (call $report (i64.load (i32.const 3072)))
                    (call $report (i64.load16_u (i32.const 3080)))
                    (call $report (i64.load8_u (i32.const 3082)))
                    ;; hostile
                    (call $report32 (call $poll_oneoff (i32.const 2048) (i32.const 3072) (i32.const 0) (i32.const 3200)))
                    (call $report32 (call $poll_oneoff (i32.const 2048) (i32.const 3072) (i32.const 65) (i32.const 3200)))
                    (call $report32 (call $poll_oneoff (i32.const 65500) (i32.const 3072) (i32.const 1) (i32.const 3200)))
                    (call $report32 (call $poll_oneoff (i32.const 2048) (i32.const 65530) (i32.const 1) (i32.const 3200)))
                    (call $report32 (call $poll_oneoff (i32.const 2560) (i32.const 3072) (i32.const 1) (i32.const 3200)))
                    (call $flush (i64.const 1))
                    """,
                data: #"""
                    (data (i32.const 2048) "\55\00\00\00\00\00\00\00\00")
                    (data (i32.const 2064) "\01\00\00\00\00\00\00\00\00\2d\31\01\00\00\00\00")
                    (data (i32.const 2304) "\66\00\00\00\00\00\00\00\02")
                    (data (i32.const 2320) "\01\00\00\00")
                    (data (i32.const 2560) "\77\00\00\00\00\00\00\00\09")
                    """#,
                imports: wasiImports),
            name: "clocks"
        ) { actor in try probe.grantSend(to: actor) }
        let report = try probe.report()
        let after = UInt64(Date().timeIntervalSince1970 * 1e9)
        try #require(report.count == 33)
        #expect(report[0] == 0)
        #expect((before - 1_000_000_000...after + 1_000_000_000).contains(UInt64(report[1])))
        #expect(Array(report[2...5]) == [Self.inval, Self.inval, Self.fault, 0])
        #expect(report[6] > 0 && report[6] <= 1_000_000)
        #expect(Array(report[7...8]) == [0, 0])
        // Filled with random bytes, the second fill unlike the first; the byte after untouched.
        #expect(Set(report[9...12]).count == 4 && !report[9...12].contains(0))
        #expect(report[13] == 0)
        #expect(Array(report[14...16]) == [Self.fault, Self.fault, 0])
        #expect(Array(report[17...22]) == [0, 1, 1, 0x55, 0, 0])
        #expect(Array(report[23...27]) == [0, 1, 0x66, 0, 2])
        #expect(Array(report[28...32]) == [Self.inval, Self.inval, Self.fault, Self.fault, Self.inval])
        #expect(system.host.wait(for: actor))
        #expect(system.ranOnItsTier)
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    /// A sleeping actor is ended at once when killed, not at its deadline.
    @Test(arguments: Tier.allCases) func aKilledSleeperEndsAtOnce(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let actor = try system.run(
            reportingActor(
                body: "(drop (call $poll_oneoff (i32.const 2048) (i32.const 3072) (i32.const 1) (i32.const 3200)))",
                // one hour on the monotonic clock
                data: #"""
                    (data (i32.const 2048) "\01\00\00\00\00\00\00\00\00")
                    (data (i32.const 2064) "\01\00\00\00\00\00\00\00\00\a0\b8\30\46\03\00\00")
                    """#,
                imports: wasiImports),
            name: "sleeper")
        Thread.sleep(forTimeInterval: 0.05)
        system.kernel.terminate(actor, reason: .killed(by: nil))
        #expect(system.host.wait(for: actor, timeout: .seconds(5)))
        #expect(system.kernel.exitReason(of: actor) == .killed(by: nil))
        #expect(system.ranOnItsTier)
        system.expectClean(baseline: baseline, actors: [actor])
    }

    /// A module importing every function of the snapshot loads and runs on
    /// both tiers: a std program links whatever it imports.
    @Test(arguments: Tier.allCases) func everyFunctionOfTheSnapshotLinks(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        func type(_ t: ABIValueType) -> String { t.rawValue }
        let imports = WASI.functions.map { f in
            let params = f.parameters.isEmpty ? "" : "(param \(f.parameters.map(type).joined(separator: " ")))"
            let results = f.results.isEmpty ? "" : "(result \(f.results.map(type).joined(separator: " ")))"
            return #"(import "wasi_snapshot_preview1" "\#(f.name)" (func $\#(f.name) \#(params) \#(results)))"#
        }.joined(separator: "\n")
        let module = try system.module(wat: """
            (module
              \(imports)
              (memory (export "memory") 1)
              (func (export "_start")
                (drop (call $sched_yield))
                (call $proc_exit (i32.add (call $sock_recv (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                  (i32.const 0) (i32.const 0)) (call $fd_sync (i32.const 1))))))
            """, name: "all")
        #expect(module.importedWASI == WASI.functions.map(\.name))
        let actor = try system.host.spawn(module)
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: Int32(Self.nosys + Self.notcapable)))
        #expect(system.ranOnItsTier)
    }

    /// The std Rust example (actors/hello-std, built for wasm32-wasi by
    /// scripts/build-actors): its arguments, environment and clock in the
    /// log, its exit code the exit reason.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: WASITests.helloStd)), arguments: Tier.allCases)
    func stdRustProgramRuns(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let module = try system.host.load(path: Self.helloStd, name: "hello-std")
        let actor = try system.host.spawn(
            module, program: ProgramArguments(arguments: ["photo.png", "two\tparts"], environment: ["GREETING=hi"]))
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 3))
        let lines = system.log.lines(of: "hello-std")
        #expect(Array(lines.prefix(4)) == [
            "hello from std Rust: 3 arguments", "argument 0: hello-std", "argument 1: photo.png", #"argument 2: two\tparts"#,
        ])
        #expect(lines.contains("GREETING=hi"))
        #expect(lines.contains { $0.hasPrefix("seconds since 1970: ") })
        #expect(lines.contains("slept at least 10 ms: true"))
        #expect(lines.contains("stdin: 0 bytes"))
        #expect(lines.contains("no file system: true"))
        #expect(lines.last == "exiting with 3")
        #expect(system.ranOnItsTier)
    }

    static let helloStd = Repository.root + "/build/actors/hello_std.wasm"

    /// The std program given a folder (a preopen, as a manifest's
    /// `folder:PATH` grant gives it): it reads the file in it by path, and
    /// nothing beside it — not through "..", not by absolute path.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: WASITests.helloStd)), arguments: Tier.allCases)
    func stdRustProgramReadsOnlyItsFolder(tier: Tier) throws {
        let root = NSTemporaryDirectory() + "wskdesk-std-files-\(getpid())-\(tier)"
        let folder = root + "/pictures"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("inside the folder".utf8).write(to: URL(fileURLWithPath: folder + "/photo.png"))
        try Data("the secret".utf8).write(to: URL(fileURLWithPath: root + "/secret.txt"))
        let system = TestSystem(tier: tier)
        let module = try system.host.load(path: Self.helloStd, name: "hello-std")
        let paths = [folder + "/photo.png", folder + "/../secret.txt", root + "/secret.txt"]
        let actor = try system.host.spawn(
            module, program: ProgramArguments(arguments: paths, preopens: [Preopen(name: folder, handle: 1)])
        ) { actor in
            let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            _ = try system.kernel.grantOpened(descriptor: descriptor, rights: [.list, .open, .read], to: actor)
        }
        #expect(system.host.wait(for: actor))
        let lines = system.log.lines(of: "hello-std")
        #expect(lines.contains("read \(folder)/photo.png: 17 bytes"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("cannot read \(folder)/../secret.txt") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("cannot read \(root)/secret.txt") }, "\(lines)")
        #expect(system.ranOnItsTier)
    }

    /// docs/ABI.md's WASI table lists every function of the snapshot, in
    /// `WASI.functions`' order, and its errno list the values we return.
    @Test func docsListEveryWASIFunctionAndErrno() throws {
        let doc = try Repository.text("docs/ABI.md")
        let section = try #require(doc.range(of: "## WASI preview 1")).upperBound
        let rows = doc[section...].split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return String(line.dropFirst(3).prefix { $0 != "`" })
        }
        #expect(rows == WASI.functions.map(\.name))
        for errno in WASIErrno.allCases where errno != .success {
            #expect(doc[section...].contains(" \(errno.rawValue) E\(errno)".uppercased()), "\(errno)")
        }
    }
}
