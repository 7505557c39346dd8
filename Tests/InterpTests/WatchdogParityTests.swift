import Foundation
import TestSupport
import Testing
import WAT

@testable import Interp
@testable import Kernel

extension ResidentMemoryTests {
    /// The watchdog holds in both tiers however an actor spends its time: bulk
    /// memory operations cost fuel in proportion to their size, as the
    /// interpreter charges them; and an actor ended by its owner stops within a
    /// bounded time wherever it runs (compiled code: at its next function entry,
    /// loop header or bulk operation), is reported as killed, and gives its
    /// memory back. (Its fills hold 256 MiB: see `ResidentMemoryTests`.)
    @Suite struct WatchdogParityTests {
        /// A loop of 256 MiB `memory.fill`s: no host call, hardly any instructions.
        static let fillLoop = """
            (module (memory (export "memory") 4096)
              (func (export "_start")
                (loop $again (memory.fill (i32.const 0) (i32.const 7) (i32.const 0x10000000)) (br $again))))
            """

        /// A loop of nothing, after touching a MiB of memory.
        static let spinner = """
            (module (memory (export "memory") 16)
              (func (export "_start")
                (memory.fill (i32.const 0) (i32.const 1) (i32.const 0x100000))
                (loop $spin (br $spin))))
            """

        @Test(arguments: Tier.allCases) func aLoopOfHugeFillsIsStoppedByTheWatchdog(tier: Tier) throws {
            var limits = ActorLimits()
            // A 256 MiB fill costs 4 Mi units at one per 64 bytes: the second runs dry.
            limits.fuelPerCall = 5_000_000
            let system = TestSystem(tier: tier, limits: limits)
            let baseline = system.kernel.counts
            let actor = try system.run(Self.fillLoop, name: "filler")
            #expect(system.host.wait(for: actor, timeout: .seconds(30)))
            #expect(system.kernel.exitReason(of: actor) == .trapped("watchdog: ran 5000000 instructions without a host call; stopped in _start"))
            system.expectClean(baseline: baseline, actors: [actor])
            #expect(system.kernel.budget.used == 0)
        }

        /// Spawns `wat` from a native owner through a spawner, lets it run, and
        /// kills it as `sys_actor_kill` does. Only the kill can stop it: the
        /// watchdog would take years.
        func killWhileRunning(_ wat: String) throws {
            var limits = ActorLimits()
            limits.fuelPerCall = UInt64(Int64.max)
            let system = TestSystem(tier: .compiled, limits: limits)
            let directory = NSTemporaryDirectory() + "wsk-kill-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try Data(wat2wasm(wat)).write(to: URL(fileURLWithPath: directory + "/busy.wasm"))

            let owner = system.kernel.createActor(name: "owner")
            let spawner = try system.kernel.grantSpawner(directory: directory, to: owner)
            let handle = try system.kernel.spawn(owner, spawner: spawner, module: "busy")
            let child = ActorID(rawValue: UInt32(try system.kernel.info(owner, handle).size))
            let account = try #require(system.kernel.account(of: child))
            // Running, well into its loop.
            #expect(eventually { system.host.runningThreads == 1 })
            usleep(100_000)
            #expect(system.host.runningThreads == 1)
            #expect(account.used > 0)

            try system.kernel.kill(owner, handle)
            #expect(system.host.wait(for: child, timeout: .seconds(5)))
            #expect(system.kernel.exitReason(of: child) == .killed(by: owner))
            #expect(account.used == 0)
            #expect(system.host.shutdown(timeout: .seconds(5)))
            #expect(system.ranOnItsTier)
        }

        @Test func killStopsACompiledActorSpinningWithoutHostCalls() throws {
            try killWhileRunning(Self.spinner)
        }

        @Test func killStopsACompiledActorInALoopOfHugeFills() throws {
            try killWhileRunning(Self.fillLoop)
        }
    }
}

/// Bulk operations cost the same fuel in both tiers: a unit per 64 bytes
/// moved or added, a table element counting as many bytes as the
/// interpreter's `Reference`. A run of them just inside the budget ends well
/// on both; one more is the watchdog on both.
@Suite struct BulkFuelTests {
    /// Receives (operation, count) on handle 1, then does that operation
    /// `count` times without another host call.
    static let actor = """
        (module
          (import "env" "sys_cap_recv" (func $recv (param i64 i32 i32) (result i64)))
          (memory (export "memory") 32)
          (table $t 200000 funcref)
          (func (export "_start") (local $operation i32) (local $n i32)
            (drop (call $recv (i64.const 1) (i32.const 0) (i32.const 64)))
            (local.set $operation (i32.load (i32.const \(ABI.messageHeaderSize))))
            (local.set $n (i32.load (i32.const \(ABI.messageHeaderSize + 4))))
            (block $done (loop $next
              (br_if $done (i32.eqz (local.get $n)))
              (if (i32.eq (local.get $operation) (i32.const 0))
                (then (memory.fill (i32.const 0) (i32.const 9) (i32.const 0x100000))))
              (if (i32.eq (local.get $operation) (i32.const 1))
                (then (memory.copy (i32.const 0x100000) (i32.const 0) (i32.const 0x100000))))
              (if (i32.eq (local.get $operation) (i32.const 2))
                (then (table.fill $t (i32.const 0) (ref.null func) (i32.const 100000))))
              (if (i32.eq (local.get $operation) (i32.const 3))
                (then (table.copy $t $t (i32.const 100000) (i32.const 0) (i32.const 100000))))
              (if (i32.eq (local.get $operation) (i32.const 4))
                (then (drop (table.grow $t (ref.null func) (i32.const 100000)))))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $next))))
        )
        """

    /// How the actor ends doing `operation` `count` times with `fuel` per call.
    static func reason(_ tier: Tier, fuel: UInt64, operation: UInt32, count: UInt32) throws -> ExitReason? {
        var limits = ActorLimits()
        limits.fuelPerCall = fuel
        limits.tableElements = 1 << 20
        let system = TestSystem(tier: tier, limits: limits)
        let probe = try Probe(system.kernel)
        let actor = try system.run(actor, name: "bulk") { actor in
            _ = try system.kernel.grantCopy(of: probe.endpoint, held: probe.id, rights: [.receive], to: actor)
        }
        try system.kernel.send(probe.id, to: probe.endpoint, opcode: 1, payload: bytes([operation, count]))
        #expect(system.host.wait(for: actor, timeout: .seconds(10)))
        #expect(system.ranOnItsTier)
        return system.kernel.exitReason(of: actor)
    }

    @Test(arguments: Tier.allCases) func memoryOperationsCostAUnitPer64Bytes(tier: Tier) throws {
        let cost = UInt64((1 << 20) / InterpreterEngine.bulkFuelBytes)  // a MiB filled or copied
        let fuel = 6 * cost + cost / 2
        for operation: UInt32 in [0, 1] {
            #expect(try Self.reason(tier, fuel: fuel, operation: operation, count: 6) == .exited(code: 0), "operation \(operation)")
            #expect(try Self.reason(tier, fuel: fuel, operation: operation, count: 7)
                == .trapped("watchdog: ran \(fuel) instructions without a host call; stopped in _start"), "operation \(operation)")
        }
    }

    @Test(arguments: Tier.allCases) func tableOperationsCostTheBytesOfTheirElements(tier: Tier) throws {
        let cost = UInt64(100_000 * InterpreterEngine.tableElementFuelBytes / InterpreterEngine.bulkFuelBytes)
        let fuel = 3 * cost + cost / 2
        for operation: UInt32 in [2, 3, 4] {
            #expect(try Self.reason(tier, fuel: fuel, operation: operation, count: 3) == .exited(code: 0), "operation \(operation)")
            #expect(try Self.reason(tier, fuel: fuel, operation: operation, count: 4)
                == .trapped("watchdog: ran \(fuel) instructions without a host call; stopped in _start"), "operation \(operation)")
        }
    }
}
