import Interp
import Testing

@testable import Kernel

/// A seeded random fuzz of host calls from inside a Wasm actor, on both
/// tiers: thousands of calls with wild handles, pointers, lengths and sizes
/// (tight kernel quotas, so the space and memory limits come up too). No call
/// may take the host down, the kernel stays consistent, and both tiers see
/// exactly the same results, memory and log.
@Suite struct HostCallFuzzTests {
    static let calls = 3000

    @Test(arguments: [1 as UInt64, 0xC0FFEE])
    func bothTiersSeeTheSameResultsFromRandomHostCalls(seed: UInt64) throws {
        var reports: [[Int64]] = []
        var logs: [[String]] = []
        for tier in Tier.allCases {
            var limits = KernelLimits()
            limits.capabilitySpaceCapacity = 48
            limits.actorMemoryLimit = 1 << 20
            limits.maxEndpointCapacity = 8
            var actorLimits = ActorLimits()
            actorLimits.logRate = .unlimited  // every line on both tiers, however fast each runs
            let system = TestSystem(tier: tier, limits: actorLimits, kernelLimits: limits)
            let probe = try Probe(system.kernel)
            let actor = try system.run(Self.fuzzer(seed: seed), name: "fuzzer") { actor in try probe.grantSend(to: actor) }
            reports.append(try probe.report())
            #expect(system.host.wait(for: actor, timeout: .seconds(60)))
            #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
            #expect(system.kernel.invariantViolations() == [])
            #expect(system.ranOnItsTier)
            system.kernel.terminate(probe.id, reason: .exited(code: 0))
            #expect(system.kernel.counts == KernelCounts(liveActors: 0, capabilities: 0, objects: 0))
            logs.append(system.log.lines(of: "fuzzer"))
        }
        #expect(reports[0][2] == Int64(Self.calls))
        #expect(reports[0] == reports[1])
        #expect(logs[0] == logs[1])
    }

    /// An actor that makes `calls` random host calls, folding every result
    /// into a hash, then reports the hash, a hash of its whole memory, and
    /// the number of calls. Handle 1 (its report channel) is never fuzzed.
    static func fuzzer(seed: UInt64) -> String {
        """
        (module
          \(allHostImports)
          (memory (export "memory") 1)
          (global $x (mut i64) (i64.const \(Int64(bitPattern: seed))))
          (global $hash (mut i64) (i64.const 0))
          (global $last (mut i64) (i64.const 2))
          (func $next (result i64)
            (global.set $x (i64.add (i64.mul (global.get $x) (i64.const 6364136223846793005)) (i64.const 1442695040888963407)))
            (i64.shr_u (global.get $x) (i64.const 33)))
          (func $pick (param $n i64) (result i64) (i64.rem_u (call $next) (local.get $n)))
          (func $pick32 (param $n i64) (result i32) (i32.wrap_i64 (call $pick (local.get $n))))
          ;; Mostly small handles 2..7 or the last one made; sometimes anything.
          (func $handle (result i64) (local $k i64)
            (local.set $k (call $pick (i64.const 10)))
            (if (result i64) (i64.lt_u (local.get $k) (i64.const 6))
              (then (i64.add (local.get $k) (i64.const 2)))
              (else (if (result i64) (i64.lt_u (local.get $k) (i64.const 9))
                (then (global.get $last))
                (else (i64.or (i64.shl (call $next) (i64.const 31)) (call $next)))))))
          ;; Pointers mostly inside the 64 KiB of memory, sometimes past it.
          (func $ptr (result i32) (i32.wrap_i64 (call $pick (i64.const 70000))))
          ;; Lengths mostly small, sometimes negative or huge.
          (func $len (result i32) (local $k i64)
            (local.set $k (call $pick (i64.const 20)))
            (if (result i32) (i64.eqz (local.get $k))
              (then (i32.wrap_i64 (call $next)))
              (else (i32.sub (call $pick32 (i64.const 400)) (i32.const 20)))))
          (func $mix (param $v i64)
            (global.set $hash (i64.mul (i64.xor (global.get $hash) (local.get $v)) (i64.const 1099511628211))))
          (func $made (param $h i64) (result i64)
            (if (i64.gt_s (local.get $h) (i64.const 0)) (then (global.set $last (local.get $h))))
            (local.get $h))
          (func $start (local $i i32) (local $r i64) (local $w i32)
            (block $done (loop $again
              (br_if $done (i32.ge_u (local.get $i) (i32.const \(calls))))
              (block $call
                (block $info (block $revoke (block $derive (block $release (block $callrpc (block $receive
                (block $write (block $read (block $log (block $send (block $buffer (block $endpoint
                  (br_table $endpoint $buffer $send $log $read $write $receive $callrpc $release $derive $revoke $info
                    (call $pick32 (i64.const 12))))
                  (local.set $r (call $made (call $endpoint_create (call $pick32 (i64.const 12))))) (br $call))
                (local.set $r (call $made (call $buffer_create (call $pick32 (i64.const 70000))))) (br $call))
                (local.set $r (i64.extend_i32_s (call $send (call $handle) (call $pick32 (i64.const 9)) (call $ptr) (call $len) (call $handle)))) (br $call))
                (call $log (call $ptr) (call $len)) (br $call))
                (local.set $r (i64.extend_i32_s (call $read (call $handle) (call $len) (call $ptr) (call $len)))) (br $call))
                (local.set $r (i64.extend_i32_s (call $write (call $handle) (call $len) (call $ptr) (call $len)))) (br $call))
                (local.set $r (call $recv_timeout (call $handle) (call $ptr) (call $len) (i64.const 0))) (br $call))
                (local.set $r (call $call (call $handle) (i32.const 5) (call $ptr) (call $len) (call $handle) (call $ptr) (call $len) (i64.const 0))) (br $call))
                (local.set $r (i64.extend_i32_s (call $release (call $handle)))) (br $call))
                (local.set $r (call $made (call $derive (call $handle) (call $pick32 (i64.const 128))))) (br $call))
                (local.set $r (i64.extend_i32_s (call $revoke (call $handle)))) (br $call))
                (local.set $r (i64.extend_i32_s (call $info (call $handle) (call $ptr)))))
              (call $mix (local.get $r))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $again)))
            (call $mix (i64.const -1))
            (i64.store (i32.const 0) (global.get $hash))
            (local.set $r (i64.const 0))
            (local.set $w (i32.const 8))
            (block $done (loop $words
              (br_if $done (i32.ge_u (local.get $w) (i32.const 65536)))
              (local.set $r (i64.mul (i64.xor (local.get $r) (i64.load (local.get $w))) (i64.const 1099511628211)))
              (local.set $w (i32.add (local.get $w) (i32.const 8)))
              (br $words)))
            (i64.store (i32.const 8) (local.get $r))
            (i64.store (i32.const 16) (i64.extend_i32_u (local.get $i)))
            (drop (call $send (i64.const 1) (i32.const 0x5245) (i32.const 0) (i32.const 24) (i64.const 0))))
          (export "_start" (func $start)))
        """
    }
}
