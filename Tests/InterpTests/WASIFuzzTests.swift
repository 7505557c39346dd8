import Foundation
import Glibc
import Interp
import Testing

@testable import Kernel

/// A seeded random fuzz of WASI preview 1 from inside a Wasm actor, on both
/// tiers: thousands of calls of every function whose effect is the same
/// each run (not the clocks, random_get, poll_oneoff's sleeps or
/// proc_exit), with wild descriptors, pointers, lengths and counts, over
/// memory the actor keeps scribbling random iovecs into, and a writable
/// preopen (descriptor 3) to open, create, list, write and cut files in.
/// No call may take the host down, nothing outside the folder changes, and
/// both tiers see exactly the same errnos, memory, log and folder.
@Suite struct WASIFuzzTests {
    static let calls = 3000

    /// The functions fuzzed: all but those whose results differ from run to run.
    static let fuzzed = WASI.functions.filter {
        !["clock_time_get", "random_get", "poll_oneoff", "proc_exit"].contains($0.name)
    }

    @Test(arguments: [7 as UInt64, 3])
    func bothTiersSeeTheSameResultsFromRandomWASICalls(seed: UInt64) throws {
        var reports: [[Int64]] = []
        var logs: [[String]] = []
        var folders: [[String: Data]] = []
        for tier in Tier.allCases {
            let root = NSTemporaryDirectory() + "wskdesk-wasi-fuzz-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: root) }
            try FileManager.default.createDirectory(atPath: root + "/granted/bbbb", withIntermediateDirectories: true)
            try Data("the secret".utf8).write(to: URL(fileURLWithPath: root + "/secret"))
            try Data("abc".utf8).write(to: URL(fileURLWithPath: root + "/granted/aaaa"))
            var actorLimits = ActorLimits()
            actorLimits.logRate = .unlimited  // every line on both tiers, however fast each runs
            let system = TestSystem(tier: tier, limits: actorLimits)
            let probe = try Probe(system.kernel)
            let module = try system.module(wat: Self.fuzzer(seed: seed), name: "fuzzer")
            let program = ProgramArguments(arguments: ["a", "bc"], environment: ["X=1"], preopens: [Preopen(name: "/f", handle: 2)])
            let actor = try system.host.spawn(module, program: program) { actor in
                try probe.grantSend(to: actor)
                let fd = Glibc.open(root + "/granted", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                _ = try system.kernel.grantOpened(descriptor: fd, rights: [.list, .open, .create, .read, .write, .resize], to: actor)
            }
            reports.append(try probe.report())
            #expect(system.host.wait(for: actor, timeout: .seconds(60)))
            #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
            #expect(system.ranOnItsTier)
            logs.append(system.log.lines(of: "fuzzer"))
            // Nothing beside the folder changed; what is in it, both tiers agree on.
            #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["granted", "secret"])
            #expect(FileManager.default.contents(atPath: root + "/secret") == Data("the secret".utf8))
            var contents: [String: Data] = [:]
            for path in FileManager.default.subpaths(atPath: root + "/granted") ?? [] {
                contents[path] = FileManager.default.contents(atPath: root + "/granted/" + path) ?? Data()
            }
            folders.append(contents)
        }
        #expect(reports[0][2] == Int64(Self.calls))
        #expect(reports[0] == reports[1])
        #expect(logs[0] == logs[1])
        #expect(folders[0] == folders[1])
        #expect(folders[0].count > 2, "the fuzz made a file in the folder (it starts with aaaa and bbbb)")
        // With seed 7 random writes reach stdout and stderr before random
        // closes end them (with seed 3 none does): the log is compared too.
        if seed == 7 { #expect(!logs[0].isEmpty) }
    }

    /// An actor that makes `calls` random WASI calls, folding every errno
    /// into a hash, and between calls stores random words in its first 2 KiB
    /// (so iovecs and arrays there hold wild pointers and lengths); then
    /// reports the hash, a hash of its whole memory and the number of calls.
    static func fuzzer(seed: UInt64) -> String {
        func argument(_ type: ABIValueType) -> String { type == .i32 ? "(call $arg32)" : "(call $next)" }
        let imports = fuzzed.map { f in
            let params = f.parameters.isEmpty ? "" : "(param \(f.parameters.map(\.rawValue).joined(separator: " ")))"
            return #"(import "wasi_snapshot_preview1" "\#(f.name)" (func $\#(f.name) \#(params) (result i32)))"#
        }.joined(separator: "\n")
        // path_open and path_filestat_get mostly name the preopen and a path among the names.
        // Closing, renumbering or narrowing the preopen would end the fuzz of files early: not 3 there.
        func arguments(_ f: HostCallSignature) -> String {
            f.parameters.enumerated().map { i, type in
                if ["fd_close", "fd_renumber", "fd_fdstat_set_rights"].contains(f.name), i < 2, type == .i32 {
                    return "(call $notPreopen)"
                }
                guard f.name == "path_open" || f.name == "path_filestat_get" else { return argument(type) }
                switch i {
                case 0: return "(call $dirfd)"
                case 2: return "(call $name)"
                case 3: return "(call $pick32 (i64.const 24))"
                case 4 where f.name == "path_open": return "(call $pick32 (i64.const 16))"  // oflags
                default: return argument(type)
                }
            }.joined(separator: " ")
        }
        let cases = fuzzed.enumerated().map { n, f in
            "(if (i32.eq (local.get $k) (i32.const \(n))) (then (local.set $r (call $\(f.name) \(arguments(f))))))"
        }.joined(separator: "\n")
        return """
            (module
              (import "env" "sys_cap_send" (func $send (param i64 i32 i32 i32 i64) (result i32)))
              \(imports)
              (memory (export "memory") 1)
              ;; the paths `$name` points into: 256 bytes of names, slashes, dots
              (data (i32.const 2048) "\(String(repeating: "aaaa/bbbb/cc/d/eeee/../ff/g/./hh//", count: 8).prefix(256))")
              (global $x (mut i64) (i64.const \(Int64(bitPattern: seed))))
              (global $hash (mut i64) (i64.const 0))
              (func $next (result i64)
                (global.set $x (i64.add (i64.mul (global.get $x) (i64.const 6364136223846793005)) (i64.const 1442695040888963407)))
                (i64.shr_u (global.get $x) (i64.const 33)))
              (func $pick32 (param $n i64) (result i32) (i32.wrap_i64 (i64.rem_u (call $next) (local.get $n))))
              ;; Small numbers (descriptors 0-7, counts, pointers into the first 4 KiB),
              ;; near the end of memory, or anything.
              (func $arg32 (result i32) (local $k i32)
                (local.set $k (call $pick32 (i64.const 10)))
                (if (result i32) (i32.lt_u (local.get $k) (i32.const 3))
                  (then (call $pick32 (i64.const 8)))
                  (else (if (result i32) (i32.lt_u (local.get $k) (i32.const 7))
                    (then (call $pick32 (i64.const 4096)))
                    (else (if (result i32) (i32.lt_u (local.get $k) (i32.const 9))
                      (then (i32.sub (i32.const 65536) (call $pick32 (i64.const 64))))
                      (else (i32.wrap_i64 (i64.or (i64.shl (call $next) (i64.const 31)) (call $next))))))))))
              (func $dirfd (result i32)
                (if (result i32) (call $pick32 (i64.const 4)) (then (i32.const 3)) (else (call $arg32))))
              (func $notPreopen (result i32) (local $fd i32)
                (local.set $fd (call $arg32))
                (if (result i32) (i32.eq (local.get $fd) (i32.const 3)) (then (i32.const 4)) (else (local.get $fd))))
              (func $name (result i32) (i32.add (i32.const 2048) (call $pick32 (i64.const 200))))
              (func $start (local $i i32) (local $k i32) (local $r i32) (local $w i32)
                (block $done (loop $again
                  (br_if $done (i32.ge_u (local.get $i) (i32.const \(calls))))
                  ;; scribble: a small word (an iovec length or count) or a pointer
                  (i32.store (i32.and (call $pick32 (i64.const 2048)) (i32.const 0x7FC))
                    (if (result i32) (i32.eqz (call $pick32 (i64.const 2)))
                      (then (call $pick32 (i64.const 64))) (else (call $arg32))))
                  (local.set $k (call $pick32 (i64.const \(fuzzed.count))))
                  (local.set $r (i32.const -1))
                  \(cases)
                  (global.set $hash (i64.mul (i64.xor (global.get $hash) (i64.extend_i32_u (local.get $r))) (i64.const 1099511628211)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $again)))
                (i64.store (i32.const 0) (global.get $hash))
                (local.set $w (i32.const 8))
                (block $done (loop $words
                  (br_if $done (i32.ge_u (local.get $w) (i32.const 65536)))
                  (global.set $hash (i64.mul (i64.xor (global.get $hash) (i64.load (local.get $w))) (i64.const 1099511628211)))
                  (local.set $w (i32.add (local.get $w) (i32.const 8)))
                  (br $words)))
                (i64.store (i32.const 8) (global.get $hash))
                (i64.store (i32.const 16) (i64.extend_i32_u (local.get $i)))
                (drop (call $send (i64.const 1) (i32.const 0x5245) (i32.const 0) (i32.const 24) (i64.const 0))))
              (export "_start" (func $start)))
            """
    }
}
