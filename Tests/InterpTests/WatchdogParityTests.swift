import Foundation
import Interp
import Testing
import WAT

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
            #expect(system.kernel.exitReason(of: actor) == .trapped("watchdog: ran 5000000 instructions without a host call"))
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
