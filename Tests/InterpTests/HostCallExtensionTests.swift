import Foundation
import Interp
import Testing
import WAT

@testable import Kernel

/// The wskdesk extensions of the host ABI as a Wasm actor sees them.
@Suite struct HostCallExtensionTests {
    @Test(arguments: Tier.allCases) func timedReceivePollsTimesOutAndWaits(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (call $report (call $recv_timeout (i64.const 2) (i32.const 256) (i32.const 64) (i64.const 0)))
                    (call $report (call $recv_timeout (i64.const 2) (i32.const 256) (i32.const 64) (i64.const 1000000)))
                    (call $report32 (call $send (i64.const 2) (i32.const 5) (i32.const 0) (i32.const 0) (i64.const 0)))
                    (call $report (call $recv_timeout (i64.const 2) (i32.const 256) (i32.const 64) (i64.const 0x7FFFFFFFFFFFFFFF)))
                    (call $report32 (call $send (i64.const 2) (i32.const 6) (i32.const 0) (i32.const 0) (i64.const 0)))
                    (call $report (call $recv_timeout (i64.const 2) (i32.const 256) (i32.const 64) (i64.const 0)))
                    (call $report (call $recv_timeout (i64.const 99) (i32.const 256) (i32.const 64) (i64.const 0)))
                    (call $report (call $recv_timeout (i64.const 2) (i32.const -1) (i32.const 64) (i64.const 0)))
                    (call $flush (i64.const 1))
                    ;; A negative timeout waits for as long as it takes.
                    (call $report (call $recv_timeout (i64.const 2) (i32.const 256) (i32.const 64) (i64.const -1)))
                    (call $report (i64.load32_u (i32.const 256)))
                    (call $flush (i64.const 1))
                    """),
            name: "waiter"
        ) { actor in
            try probe.grantSend(to: actor)
            _ = try system.kernel.connect(owner: actor, peer: probe.id, peerRights: [.send])
        }
        let me = Int64(actor.rawValue)
        #expect(try probe.report() == [-7, -8, 0, me, 0, me, -1, -4])
        #expect(system.kernel.waitUntilBlocked(actor))
        try system.kernel.send(probe.id, to: Handle(rawValue: 2), opcode: 0x99, payload: [])
        #expect(try probe.report() == [Int64(probe.id.rawValue), 0x99])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func callGetsAnswersParkedAnswersAndErrors(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let server = system.kernel.createActor(name: "server")
        let inbox = try system.kernel.createEndpoint(server)
        let kernel = system.kernel
        let serving = NativeThread { () -> Result<Handle, SysError> in
            Result { () throws(SysError) in
                var late = Handle.null
                for _ in 0..<4 {
                    let receipt = try kernel.receive(server, from: inbox, capacity: 256, timeout: .nanoseconds(5_000_000_000))
                    guard case .message(let request) = receipt else { throw .bufferTooSmall }
                    switch request.opcode {
                    case 1: try kernel.send(server, to: request.reply, opcode: 0x101, payload: request.payload.reversed())
                    case 2: try kernel.send(server, to: request.reply, opcode: 0x102, payload: ramp(16, from: 1))
                    case 3: try kernel.release(server, request.reply)
                    default: late = request.reply  // answered after the caller gave up
                    }
                }
                return late
            }
        }
        let actor = try system.run(
            reportingActor(
                body: """
                    (local.set $buffer (call $buffer_create (i32.const 8)))
                    (call $report (call $call (i64.const 2) (i32.const 1) (i32.const 16) (i32.const 4) (i64.const 0)
                      (i32.const 256) (i32.const 64) (i64.const -1)))
                    (call $report (i64.load32_u (i32.const 256)))
                    (call $report (i64.load32_u (i32.const 260)))
                    (call $report (i64.load32_u (i32.const 280)))
                    ;; An answer too large for 24 bytes is parked behind a receive-only handle.
                    (call $report (call $call (i64.const 2) (i32.const 2) (i32.const 16) (i32.const 0) (i64.const 0)
                      (i32.const 256) (i32.const 24) (i64.const -1)))
                    (call $report (i64.load32_u (i32.const 256)))
                    (call $report (i64.load32_u (i32.const 260)))
                    (call $report (i64.load (i32.const 272)))
                    (call $report (call $recv (i64.load (i32.const 272)) (i32.const 512) (i32.const 64)))
                    (call $report (i64.load32_u (i32.const 516)))
                    (call $report (i64.load (i32.const 536)))
                    (call $report (i64.load (i32.const 544)))
                    ;; The server drops the reply cap; then one that never answers in time.
                    (call $report (call $call (i64.const 2) (i32.const 3) (i32.const 16) (i32.const 0) (i64.const 0)
                      (i32.const 256) (i32.const 64) (i64.const -1)))
                    (call $report (call $call (i64.const 2) (i32.const 4) (i32.const 16) (i32.const 0) (i64.const 0)
                      (i32.const 256) (i32.const 64) (i64.const 1000000)))
                    ;; Argument errors: nothing is sent.
                    (call $report (call $call (i64.const 2) (i32.const 5) (i32.const 16) (i32.const 0) (i64.const 0)
                      (i32.const 256) (i32.const 23) (i64.const -1)))
                    (call $report (call $call (i64.const 99) (i32.const 5) (i32.const 16) (i32.const 0) (i64.const 0)
                      (i32.const 256) (i32.const 64) (i64.const -1)))
                    (call $report (call $call (local.get $buffer) (i32.const 5) (i32.const 16) (i32.const 0) (i64.const 0)
                      (i32.const 256) (i32.const 64) (i64.const -1)))
                    (call $report (call $call (i64.const 3) (i32.const 5) (i32.const 16) (i32.const 0) (i64.const 0)
                      (i32.const 256) (i32.const 64) (i64.const -1)))
                    (call $report (call $call (i64.const 2) (i32.const 5) (i32.const 16) (i32.const 0) (i64.const 0)
                      (i32.const 65500) (i32.const 64) (i64.const -1)))
                    (call $report (call $call (i64.const 2) (i32.const 5) (i32.const 0) (i32.const 65537) (i64.const 0)
                      (i32.const 256) (i32.const 64) (i64.const -1)))
                    (call $report (call $call (i64.const 2) (i32.const 5) (i32.const 16) (i32.const 0) (i64.const 77)
                      (i32.const 256) (i32.const 64) (i64.const -1)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $buffer i64)",
                data: #"(data (i32.const 16) "\01\02\03\04")"#),
            name: "caller"
        ) { actor in
            try probe.grantSend(to: actor)
            _ = try system.kernel.grantCopy(of: inbox, held: server, rights: [.send], to: actor)
            _ = try system.kernel.grantCopy(of: inbox, held: server, rights: [.receive], to: actor)
        }
        let serverID = Int64(server.rawValue)
        #expect(try probe.report() == [
            serverID, 0x101, 4, 0x0102_0304,
            -9, 0x102, 16, 5, serverID, 16, 0x0807_0605_0403_0201, 0x100F_0E0D_0C0B_0A09,
            -10, -8,
            -5, -1, -2, -3, -4, -5, -1,
        ])
        let late = serving.result()
        #expect(throws: SysError.peerClosed) {
            try system.kernel.send(server, to: try late?.get() ?? .null, opcode: 1, payload: [])
        }
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id, server])
    }

    @Test(arguments: Tier.allCases) func deriveRevokeReleaseAndInfo(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (local.set $buffer (call $buffer_create (i32.const 100)))
                    (call $report (local.get $buffer))
                    (local.set $derived (call $derive (local.get $buffer) (i32.const 0x11)))
                    (call $report (local.get $derived))
                    (call $report32 (call $info (local.get $derived) (i32.const 512)))
                    (call $report (i64.load32_u (i32.const 512)))
                    (call $report (i64.load32_u (i32.const 516)))
                    (call $report (i64.load (i32.const 520)))
                    (call $report (call $derive (local.get $derived) (i32.const 0x13)))  ;; more rights than the parent
                    (call $report (call $derive (local.get $buffer) (i32.const 0x800)))  ;; unknown bit
                    (call $report (call $derive (local.get $buffer) (i32.const -1)))
                    (call $report (call $derive (i64.const 99) (i32.const 1)))
                    (local.set $grandchild (call $derive (local.get $derived) (i32.const 0x01)))
                    (call $report32 (call $revoke (local.get $buffer)))
                    (call $report32 (call $info (local.get $derived) (i32.const 512)))
                    (call $report32 (call $info (local.get $grandchild) (i32.const 512)))
                    (call $report32 (call $read (local.get $derived) (i32.const 0) (i32.const 600) (i32.const 4)))
                    (call $report32 (call $info (local.get $buffer) (i32.const 512)))
                    (call $report32 (call $info (local.get $buffer) (i32.const 0xFFFFFFF8)))
                    (call $report32 (call $info (local.get $buffer) (i32.const 65528)))
                    (call $report32 (call $info (local.get $buffer) (i32.const 65520)))
                    (call $report32 (call $release (local.get $buffer)))
                    (call $report32 (call $release (local.get $buffer)))
                    (call $report32 (call $revoke (local.get $buffer)))
                    (call $report32 (call $release (i64.const 0)))
                    ;; The slot comes back with the next generation; the old handle stays dead.
                    (local.set $again (call $buffer_create (i32.const 1)))
                    (call $report (local.get $again))
                    (call $report32 (call $info (local.get $buffer) (i32.const 512)))
                    (call $report32 (call $info (local.get $again) (i32.const 512)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $buffer i64) (local $derived i64) (local $grandchild i64) (local $again i64)"),
            name: "caps"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [
            2, 3, 0, 2, 0x11, 100, -3, -5, -5, -1,
            0, -1, -1, -1, 0, -4, -4, 0,
            0, -1, -1, -1,
            1 << 32 | 2, -1, 0,
        ])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func createCallsCheckArgumentsQuotaAndSpace(tier: Tier) throws {
        var limits = KernelLimits()
        limits.actorMemoryLimit = 1 << 20
        limits.capabilitySpaceCapacity = 6
        let system = TestSystem(tier: tier, kernelLimits: limits)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (call $report (local.tee $h (call $endpoint_create (i32.const 0))))
                    (drop (call $info (local.get $h) (i32.const 512)))
                    (call $report (i64.load (i32.const 520)))
                    (call $report (local.tee $h (call $endpoint_create (i32.const 5))))
                    (drop (call $info (local.get $h) (i32.const 512)))
                    (call $report (i64.load (i32.const 520)))
                    (call $report (call $endpoint_create (i32.const -1)))
                    (call $report (call $endpoint_create (i32.const 1025)))
                    (call $report (call $buffer_create (i32.const -1)))
                    (call $report (call $buffer_create (i32.const 0x4000001)))
                    (call $report (call $buffer_create (i32.const 0x100000)))  ;; more than the quota left
                    (call $report (local.tee $h (call $buffer_create (i32.const 0)))) ;; empty is fine
                    (call $report (call $buffer_create (i32.const 1000)))
                    (call $report (call $buffer_create (i32.const 1000)))      ;; six caps: the space is full
                    (call $report (call $endpoint_create (i32.const 0)))
                    (call $report (call $derive (local.get $h) (i32.const 0)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $h i64)"),
            name: "maker"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [2, 64, 3, 5, -5, -5, -5, -5, -12, 4, 5, 6, -11, -11])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func spawnStartsAModuleFromTheSpawnersDirectoryAndKillEndsIt(tier: Tier) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wskdesk-spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = reportingActor(
            body: """
                (call $log (i32.const 16) (i32.const 8))
                (drop (call $recv (i64.const 1) (i32.const 256) (i32.const 64)))
                (drop (call $send (i64.const 2) (i32.const 0x43) (i32.const 280) (i32.const 4) (i64.const 0)))
                (drop (call $recv (i64.const 1) (i32.const 256) (i32.const 64)))  ;; until killed
                """,
            data: #"(data (i32.const 16) "child up")"#)
        try Data(try wat2wasm(child)).write(to: directory.appendingPathComponent("child.wasm"))
        try Data("not wasm".utf8).write(to: directory.appendingPathComponent("broken.wasm"))

        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let parent = try system.run(
            reportingActor(
                body: """
                    (local.set $inbox (call $endpoint_create (i32.const 0)))
                    (local.set $child (call $spawn (i64.const 2) (i32.const 16) (i32.const 5) (local.get $inbox)))
                    (call $report (local.get $child))
                    (drop (call $info (local.get $child) (i32.const 512)))
                    (call $report (i64.load32_u (i32.const 512)))
                    (call $report (i64.load32_u (i32.const 516)))
                    (call $report (i64.load (i32.const 520)))   ;; the child's actor id
                    (call $report (call $spawn (i64.const 2) (i32.const 32) (i32.const 7) (i64.const 0)))
                    (call $report (call $spawn (i64.const 2) (i32.const 48) (i32.const 6) (i64.const 0)))
                    (call $report (call $spawn (i64.const 2) (i32.const 64) (i32.const 8) (i64.const 0)))
                    (call $report (call $spawn (i64.const 2) (i32.const 16) (i32.const 65) (i64.const 0)))
                    (call $report (call $spawn (i64.const 2) (i32.const -1) (i32.const 5) (i64.const 0)))
                    (call $report (call $spawn (i64.const 1) (i32.const 16) (i32.const 5) (i64.const 0)))
                    (call $report (call $spawn (i64.const 99) (i32.const 16) (i32.const 5) (i64.const 0)))
                    (call $report (call $spawn (i64.const 2) (i32.const 16) (i32.const 5) (i64.const 99)))
                    ;; Talk to the child through its actor cap; it answers on the endpoint it was granted.
                    (call $report32 (call $send (local.get $child) (i32.const 0x42) (i32.const 0) (i32.const 0) (i64.const 0)))
                    (call $report (call $recv (local.get $inbox) (i32.const 256) (i32.const 64)))
                    (call $report (i64.load32_u (i32.const 256)))
                    (local.set $sendOnly (call $derive (local.get $child) (i32.const 0x04)))
                    (call $report32 (call $kill (local.get $sendOnly)))
                    (call $report32 (call $kill (i64.const 1)))
                    (call $report32 (call $kill (i64.const 99)))
                    (call $report32 (call $kill (local.get $child)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $inbox i64) (local $child i64) (local $sendOnly i64)",
                data: #"(data (i32.const 16) "child") (data (i32.const 32) "missing") (data (i32.const 48) "broken") (data (i32.const 64) "../child")"#),
            name: "parent"
        ) { actor in
            try probe.grantSend(to: actor)
            _ = try system.kernel.grantSpawner(directory: directory.path, to: actor)
        }
        let values = try probe.report()
        let childID = ActorID(rawValue: UInt32(values.count > 3 ? values[3] : 0))
        #expect(values == [
            4, Int64(ObjectKind.actor.rawValue), Int64(Rights([.send, .kill, .grant]).rawValue), Int64(childID.rawValue),
            -13, -14, -5, -5, -4, -2, -1, -1,
            0, Int64(childID.rawValue), 0x43,
            -3, -2, -1, 0,
        ])
        #expect(system.host.wait(for: childID))
        #expect(system.kernel.exitReason(of: childID) == .killed(by: parent))
        #expect(system.log.lines(of: "child") == ["child up"])
        system.expectClean(baseline: baseline, actors: [parent, childID], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func timeIsMonotonicAndYieldReturns(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (call $report (call $now))
                    (call $yield)
                    (call $report (call $now))
                    (call $flush (i64.const 1))
                    """)
        ) { actor in try probe.grantSend(to: actor) }
        let times = try probe.report()
        #expect(times.count == 2)
        #expect(times.first.map { $0 > 0 } == true)
        #expect(times.count == 2 && times[1] >= times[0])
        system.expectClean(baseline: KernelCounts(liveActors: 0, capabilities: 0, objects: 0), actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func engineSaysWhichTierRunsTheActor(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(body: "(call $report32 (call $engine)) (call $flush (i64.const 1))")
        ) { actor in try probe.grantSend(to: actor) }
        let expected: ActorEngine = tier == .compiled ? .compiled : .interpreter
        #expect(try probe.report() == [Int64(expected.rawValue)])
        system.expectClean(baseline: KernelCounts(liveActors: 0, capabilities: 0, objects: 0), actors: [actor], natives: [probe.id])
    }
}
