import Foundation
import Testing

@testable import Interp
@testable import Kernel

/// The tests that hold hundreds of MiB or measure the whole process's
/// resident memory, one at a time so that none counts another's memory
/// (their suites nest in this one).
@Suite(.serialized) struct ResidentMemoryTests {}

extension ResidentMemoryTests {
    /// A dead actor gives everything back, in both tiers: the host forgets its
    /// thread and instance the moment it ends, its instance is freed on its own
    /// thread before anyone hears it ended, and its memory leaves the process
    /// (the audit kept 3.5 GiB after 60 spawn-and-exit cycles of a 64 MiB child).
    ///
    /// Other suites still run alongside, so a measure is the least of a few
    /// samples; an instance kept per cycle would be hundreds of MiB against a
    /// bound of 8.
    @Suite struct ActorTeardownTests {
        static let tolerance = 8 << 20

        /// A child with `pages` pages of linear memory that writes a byte in each
        /// (an OS page of each resident: 4 MiB of a 64 MiB child) and exits.
        static func child(pages: Int) -> String {
            """
            (module (memory (export "memory") \(pages))
              (func (export "_start") (local $at i32)
                (loop $touch
                  (i32.store8 (local.get $at) (i32.const 1))
                  (local.set $at (i32.add (local.get $at) (i32.const 65536)))
                  (br_if $touch (i32.lt_u (local.get $at) (i32.const \(pages * 65536)))))))
            """
        }

        /// Spawns `module` `cycles` times, each waited for before the next.
        static func cycle(_ system: TestSystem, _ module: CheckedModule, _ cycles: Int) {
            for _ in 0..<cycles {
                guard let actor = try? system.host.spawn(module), system.host.wait(for: actor, timeout: .seconds(5)) else {
                    Issue.record("an actor did not start or end")
                    return
                }
            }
        }

        /// This process's resident bytes: the least of five samples 10 ms apart,
        /// so another suite's passing allocation does not count.
        static func residentBytes() -> Int {
            var least = Int.max
            for _ in 0..<5 {
                let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
                let pages = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
                least = min(least, pages * Int(sysconf(Int32(_SC_PAGESIZE))))
                usleep(10_000)
            }
            return least
        }

        func expectBackToBaseline(tier: Tier, pages: Int, cycles: Int, warmUp: Int) throws {
            let system = TestSystem(tier: tier)
            let module = try system.module(wat: Self.child(pages: pages), name: "child\(pages)")
            Self.cycle(system, module, warmUp)  // compiles, loads, fills the allocators' caches
            let baseline = Self.residentBytes()
            Self.cycle(system, module, cycles)
            let after = Self.residentBytes()
            #expect(after - baseline < Self.tolerance, "resident memory grew by \(after - baseline) bytes")
            #expect(system.kernel.budget.used == 0)
            #expect(system.host.liveEntries == (threads: 0, running: 0))
            #expect(system.host.tierCounts == (tier == .compiled
                ? TierCounts(compiled: warmUp + cycles) : TierCounts(interpreted: warmUp + cycles)))
        }

        @Test(arguments: Tier.allCases) func aThousandSpawnExitCyclesComeBackToTheBaseline(tier: Tier) throws {
            try expectBackToBaseline(tier: tier, pages: 1, cycles: 1000, warmUp: 20)
        }

        @Test(arguments: Tier.allCases) func sixtyCyclesOfA64MiBChildComeBackToTheBaseline(tier: Tier) throws {
            try expectBackToBaseline(tier: tier, pages: 1024, cycles: 60, warmUp: 3)
        }

        @Test(arguments: Tier.allCases) func anEndedActorsThreadAndInstanceAreForgottenAtOnce(tier: Tier) throws {
            let system = TestSystem(tier: tier)
            let probe = try Probe(system.kernel)
            let waitpoint = try system.kernel.createEndpoint(probe.id, capacity: 0)
            let before = system.kernel.budget.used
            // Blocks on a message that never comes, holding 4 MiB of memory meanwhile.
            let actor = try system.run(
                reportingActor(body: """
                    (drop (memory.grow (i32.const 63)))
                    (call $report32 (memory.size))
                    (call $flush (i64.const 1))
                    (drop (call $recv (i64.const 2) (i32.const 0) (i32.const 64)))
                    """),
                name: "holder"
            ) { actor in
                try probe.grantSend(to: actor)
                _ = try system.kernel.grantCopy(of: waitpoint, held: probe.id, rights: [.receive], to: actor)
            }
            #expect(try probe.report() == [64])
            #expect(system.kernel.waitUntilBlocked(actor))
            let account = try #require(system.kernel.account(of: actor))
            #expect(account.used >= 64 * 65536)
            #expect(system.host.liveEntries == (threads: 1, running: 1))

            system.kernel.terminate(actor, reason: .killed(by: nil))
            #expect(system.host.wait(for: actor, timeout: .seconds(5)))
            #expect(system.host.liveEntries == (threads: 0, running: 0))
            #expect(account.used == 0)
            #expect(system.kernel.budget.used == before)
        }
    }
}
