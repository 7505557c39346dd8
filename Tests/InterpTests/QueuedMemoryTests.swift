import Foundation
import Testing

@testable import Interp
@testable import Kernel

extension ResidentMemoryTests {
    /// The audit's first route past the memory limit: messages queued on an
    /// endpoint nobody reads (2.5 GiB in 5 s). Now each held message is charged
    /// to its sender, so the flood stops at the actor's limit — counted in the
    /// account and in the process's resident memory — and all of it comes
    /// back when the actor ends.
    @Suite struct QueuedMemoryTests {
        static let limit = 64 << 20
        static let payload = 65536

        @Test(arguments: Tier.allCases) func aFloodOfQueuedMessagesStopsAtTheActorsLimit(tier: Tier) throws {
            var limits = KernelLimits()
            limits.actorMemoryLimit = Self.limit
            let system = TestSystem(tier: tier, kernelLimits: limits)
            let probe = try Probe(system.kernel)
            let waitpoint = try system.kernel.createEndpoint(probe.id, capacity: 0)
            let baseline = ActorTeardownTests.residentBytes()
            // Sends its whole 64 KiB page as a message to an endpoint of its own until a send
            // fails; reports how many went and the error; then waits.
            let actor = try system.run(
                reportingActor(
                    body: """
                        (local.set $queue (call $endpoint_create (i32.const 1024)))
                        (loop $flood
                            (local.set $status (call $send (local.get $queue) (i32.const 7) (i32.const 0) (i32.const \(Self.payload)) (i64.const 0)))
                            (if (i32.eqz (local.get $status))
                                (then (local.set $sent (i32.add (local.get $sent) (i32.const 1))) (br $flood))))
                        (call $report32 (local.get $sent))
                        (call $report32 (local.get $status))
                        (call $flush (i64.const 1))
                        (drop (call $recv (i64.const 2) (i32.const 0) (i32.const 64)))
                        """,
                    locals: "(local $queue i64) (local $status i32) (local $sent i32)"),
                name: "flooder"
            ) { actor in
                try probe.grantSend(to: actor)
                _ = try system.kernel.grantCopy(of: waitpoint, held: probe.id, rights: [.receive], to: actor)
            }
            let report = try probe.report()
            #expect(system.kernel.waitUntilBlocked(actor))
            let account = try #require(system.kernel.account(of: actor))
            let perMessage = Self.payload + Message.overhead
            #expect(report.count == 2 && report[1] == Int64(SysError.noMemory.rawValue))
            #expect(report[0] > 900, "only \(report[0]) messages before the limit")
            // Refused only when the next message would not fit.
            #expect(account.used <= Self.limit && Self.limit - account.used < perMessage)
            let grown = ActorTeardownTests.residentBytes() - baseline
            #expect(grown < Self.limit + ActorTeardownTests.tolerance, "resident memory grew by \(grown) bytes")

            system.kernel.terminate(actor, reason: .killed(by: nil))
            #expect(system.host.wait(for: actor, timeout: .seconds(5)))
            #expect(account.used == 0)
            // What is left in the budget is the probe's own endpoint.
            #expect(system.kernel.budget.used == system.kernel.account(of: probe.id)?.used)
        }
    }
}
