import Interp
import Testing

@testable import Kernel

/// Actors that exhaust resources or fault: memory and table bombs, endless
/// loops, deep recursion, traps mid-session, and actors ended from outside.
/// Each ends that actor alone; its caps go, peers waiting on it wake, and the
/// kernel counts and the host's threads come back.
@Suite struct HostileFaultTests {
    static var tight: ActorLimits {
        var limits = ActorLimits()
        limits.memoryBytes = 4 << 20
        limits.tableElements = 1000
        limits.fuelPerCall = 1_000_000
        return limits
    }

    @Test(arguments: Tier.allCases) func memoryGrowthStopsAtTheLimit(tier: Tier) throws {
        let system = TestSystem(tier: tier, limits: Self.tight)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (block $refused (loop $grow
                      (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                      (local.set $grown (i32.add (local.get $grown) (i32.const 1)))
                      (br $grow)))
                    (call $report32 (local.get $grown))
                    (call $report32 (memory.size))
                    (call $report32 (memory.grow (i32.const 0x10000)))
                    (call $report32 (memory.grow (i32.const -1)))
                    (call $report32 (memory.grow (i32.const 0)))
                    (i32.store (i32.const 0x3FFFFC) (i32.const 1))  ;; the last word of 4 MiB is usable
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $grown i32)"),
            name: "bomb"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [63, 64, -1, -1, 64])
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func tableGrowthStopsAtTheLimit(tier: Tier) throws {
        let system = TestSystem(tier: tier, limits: Self.tight)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (block $refused (loop $grow
                      (br_if $refused (i32.eq (table.grow $t (ref.null func) (i32.const 100)) (i32.const -1)))
                      (br $grow)))
                    (call $report32 (table.size $t))
                    (call $flush (i64.const 1))
                    """,
                functions: "(table $t 1 funcref)"),
            name: "tables"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [901])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func aHugeInitialMemoryIsRefusedBeforeTheActorExists(tier: Tier) throws {
        let system = TestSystem(tier: tier, limits: Self.tight)
        let baseline = system.kernel.counts
        for (pages, bytes) in [(65, "4259840"), (65536, "4294967296")] {
            let module = try system.module(wat: #"(module (memory (export "memory") \#(pages)) (func (export "_start")))"#, name: "huge")
            #expect(throws: ModuleLoadError(source: "huge", problems: [
                "cannot instantiate: Trap: initial memory size exceeds the resource limit: \(bytes) bytes",
            ])) { try system.host.spawn(module) }
        }
        // Exactly the limit is fine.
        let fits = try system.run(#"(module (memory (export "memory") 64) (func (export "_start")))"#)
        system.expectClean(baseline: baseline, actors: [fits])
        #expect(system.kernel.exitReason(of: fits) == .exited(code: 0))
    }

    @Test(arguments: Tier.allCases) func anEndlessLoopIsEndedByTheWatchdog(tier: Tier) throws {
        let system = TestSystem(tier: tier, limits: Self.tight)
        let baseline = system.kernel.counts
        let actor = try system.run(
            reportingActor(body: "(drop (call $buffer_create (i32.const 64))) (loop $forever (br $forever))"), name: "spinner")
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .trapped("watchdog: ran 1000000 instructions without a host call; stopped in _start"))
        system.expectClean(baseline: baseline, actors: [actor])
    }

    @Test(arguments: Tier.allCases) func hostCallsRefillTheWatchdog(tier: Tier) throws {
        let system = TestSystem(tier: tier, limits: Self.tight)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        // About ten operators a round, 150 000 rounds: half again the budget. With a
        // host call in each round the budget is refilled; without, the watchdog fires.
        func rounds(_ step: String) -> String {
            reportingActor(
                body: """
                    (block $done (loop $next
                      (br_if $done (i32.eq (local.get $i) (i32.const 150000)))
                      \(step)
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $next)))
                    (call $report32 (local.get $i))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $i i32)")
        }
        let busy = try system.run(rounds("(drop (call $now))"), name: "busy") { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [150_000])
        #expect(system.host.wait(for: busy))
        #expect(system.kernel.exitReason(of: busy) == .exited(code: 0))
        let silent = try system.run(rounds("(drop (i64.const 0))"), name: "silent") { actor in try probe.grantSend(to: actor) }
        #expect(system.host.wait(for: silent))
        #expect(system.kernel.exitReason(of: silent) == .trapped("watchdog: ran 1000000 instructions without a host call; stopped in _start"))
        system.expectClean(baseline: baseline, actors: [busy, silent], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func deepRecursionTrapsThatActorAlone(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let deep = try system.run(
            reportingActor(
                body: "(drop (call $buffer_create (i32.const 64))) (call $down (i64.const 0))",
                functions: "(func $down (param $n i64) (call $down (i64.add (local.get $n) (i64.const 1))))"),
            name: "deep")
        #expect(system.host.wait(for: deep))
        // $down is function 26, after the 23 host calls and 3 helpers; the
        // tiers recurse to different depths.
        let innermost = "call stack exhausted in " + Array(repeating: "function 26", count: 8).joined(separator: " <- ") + " <- … "
        guard case .trapped(let reason) = system.kernel.exitReason(of: deep) else {
            Issue.record("did not trap")
            return
        }
        #expect(reason.hasPrefix(innermost) && reason.hasSuffix(" more"), "\(reason)")
        // The host and other actors carry on.
        let next = try system.run(reportingActor(body: "(call $report (i64.const 42)) (call $flush (i64.const 1))")) { actor in
            try probe.grantSend(to: actor)
        }
        #expect(try probe.report() == [42])
        system.expectClean(baseline: baseline, actors: [deep, next], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func aTrapMidSessionReleasesItsCapsAndWakesItsPeers(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let peer = system.kernel.createActor(name: "peer")
        let lent = try system.kernel.createBuffer(peer, size: 32)
        var toVictim = Handle.null
        let victim = try system.run(
            reportingActor(
                body: """
                    ;; Hands out a cap to an endpoint it owns, takes a cap from its peer, then traps.
                    (local.set $own (call $endpoint_create (i32.const 0)))
                    (local.set $shared (call $derive (local.get $own) (i32.const 0x1C)))
                    (drop (call $send (i64.const 1) (i32.const 0x10) (i32.const 0) (i32.const 0) (local.get $shared)))
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const 64)))
                    (call $report (i64.load (i32.const 264)))
                    (call $flush (i64.const 1))
                    unreachable
                    """,
                locals: "(local $own i64) (local $shared i64)"),
            name: "victim"
        ) { actor in
            try probe.grantSend(to: actor)
            toVictim = try system.kernel.connect(owner: actor, peer: peer, peerRights: [.send]).peer
        }
        let offer = try probe.next()
        #expect(offer.opcode == 0x10)
        #expect(try system.kernel.info(probe.id, offer.cap) == CapabilityInfo(kind: .endpoint, rights: [.send, .receive, .grant], size: 64))
        // The probe blocks on the victim's endpoint through its derived cap.
        let kernel = system.kernel
        let waiting = NativeThread {
            Result { () throws(SysError) in try kernel.receive(probe.id, from: offer.cap, capacity: 64) }
        }
        #expect(system.kernel.waitUntilBlocked(probe.id))
        try system.kernel.send(peer, to: toVictim, opcode: 0x20, payload: [], cap: lent)

        let woken = waiting.result()
        #expect(system.host.wait(for: victim))
        #expect(system.kernel.exitReason(of: victim) == .trapped("unreachable in _start"))
        #expect(woken.map { (try? $0.get()) == nil } == true)  // woken, with an error
        // The blocked peer's cap was derived from the victim's: revoked with it.
        #expect(woken == .failure(.invalidHandle))
        if woken == nil { system.kernel.terminate(probe.id, reason: .shutdown) }
        #expect(try probe.report() == [Int64(peer.rawValue), 5])
        // Its derived caps are gone everywhere; the peer's own cap stays.
        #expect(throws: SysError.invalidHandle) { try system.kernel.info(probe.id, offer.cap) }
        #expect(throws: SysError.invalidHandle) { try system.kernel.info(peer, toVictim) }
        #expect(try system.kernel.info(peer, lent).kind == .buffer)
        #expect(system.kernel.counts == KernelCounts(
            liveActors: baseline.liveActors + 2, capabilities: baseline.capabilities + 2, objects: baseline.objects + 2))
        system.expectClean(baseline: baseline, actors: [victim], natives: [probe.id, peer])
    }

    @Test(arguments: Tier.allCases) func aCallerWaitingOnAnActorThatTrapsGetsPeerClosed(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let client = system.kernel.createActor(name: "client")
        var inbox = Handle.null
        let server = try system.run(
            reportingActor(body: "(drop (call $recv (i64.const 1) (i32.const 256) (i32.const 64))) (drop (i32.div_u (i32.const 1) (i32.const 0)))"),
            name: "server"
        ) { actor in inbox = try system.kernel.connect(owner: actor, peer: client, peerRights: [.send]).peer }
        let outcome = Result { () throws(SysError) in
            try system.kernel.call(client, to: inbox, opcode: 1, payload: [], capacity: 64, timeout: .nanoseconds(5_000_000_000))
        }
        #expect(outcome == .failure(.peerClosed))
        #expect(system.host.wait(for: server))
        #expect(system.kernel.exitReason(of: server) == .trapped("integer divide by zero in _start"))
        system.expectClean(baseline: baseline, actors: [server], natives: [client])
    }

    @Test(arguments: Tier.allCases) func anActorBlockedInReceiveCanBeEndedFromOutside(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let actor = try system.run(
            reportingActor(
                body: "(drop (call $recv (i64.const 1) (i32.const 256) (i32.const 64))) (call $log (i32.const 16) (i32.const 5))",
                data: #"(data (i32.const 16) "woken")"#),
            name: "sleeper"
        ) { actor in _ = try system.kernel.createEndpoint(actor) }
        #expect(system.kernel.waitUntilBlocked(actor))
        #expect(system.host.runningThreads == 1)
        system.kernel.terminate(actor, reason: .killed(by: nil))
        #expect(system.host.wait(for: actor, timeout: .seconds(5)))
        #expect(system.kernel.exitReason(of: actor) == .killed(by: nil))
        #expect(system.log.lines(of: "sleeper") == [])
        system.expectClean(baseline: baseline, actors: [actor])
    }

    @Test(arguments: Tier.allCases) func noInstanceRunsAfterItsActorWasEnded(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        // Each ignores every error and keeps receiving: ended, it must not run on.
        let actors = try (0..<16).map { i in
            try system.run(
                reportingActor(
                    body: """
                        (loop $again
                          (drop (call $recv (i64.const 1) (i32.const 256) (i32.const 64)))
                          (call $log (i32.const 16) (i32.const 4))
                          (br $again))
                        """,
                    data: #"(data (i32.const 16) "woke")"#),
                name: "ignorer\(i)"
            ) { actor in _ = try system.kernel.createEndpoint(actor) }
        }
        for actor in actors { #expect(system.kernel.waitUntilBlocked(actor)) }
        for actor in actors { system.kernel.terminate(actor, reason: .killed(by: nil)) }
        for actor in actors { #expect(system.host.wait(for: actor)) }
        #expect((0..<16).flatMap { system.log.lines(of: "ignorer\($0)") } == [])
        system.expectClean(baseline: baseline, actors: actors)
    }

    @Test(arguments: Tier.allCases) func anActorEndedBeforeItStartedNeverRuns(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let actor = try system.run(
            reportingActor(body: "(call $log (i32.const 16) (i32.const 3))", data: #"(data (i32.const 16) "ran")"#), name: "early"
        ) { actor in system.kernel.terminate(actor, reason: .killed(by: nil)) }
        #expect(system.host.wait(for: actor))
        #expect(system.log.lines(of: "early") == [])
        #expect(system.kernel.exitReason(of: actor) == .killed(by: nil))
        system.expectClean(baseline: baseline, actors: [actor])
    }

    @Test(arguments: Tier.allCases) func anActorWithNoMemoryPagesGetsErrorsNotACrash(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            """
            (module
              \(allHostImports)
              (memory (export "memory") 0)
              (func (export "_start")
                (call $log (i32.const 0) (i32.const 0))
                (call $log (i32.const 0) (i32.const 8))
                (if (i32.ne (call $send (i64.const 1) (i32.const 1) (i32.const 0) (i32.const 0) (i64.const 0)) (i32.const 0))
                  (then unreachable))
                (if (i32.ne (call $send (i64.const 1) (i32.const 2) (i32.const 0) (i32.const 1) (i64.const 0)) (i32.const -4))
                  (then unreachable))
                (if (i64.ne (call $recv_timeout (i64.const 1) (i32.const 0) (i32.const 0) (i64.const 0)) (i64.const -3))
                  (then unreachable))
                (if (i32.ne (call $info (i64.const 1) (i32.const 0)) (i32.const -4))
                  (then unreachable))
                (call $exit (i32.const 5))))
            """,
            name: "empty"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.next() == ReceivedMessage(sender: actor, opcode: 1, payload: [], cap: .null, reply: .null))
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 5))
        #expect(system.log.lines(of: "empty") == [""])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func hostShutdownEndsAndJoinsEveryActor(tier: Tier) throws {
        let system = TestSystem(tier: tier, limits: Self.tight)
        let blocking = (0..<6).map { $0 % 2 == 0 }
        let actors = try blocking.enumerated().map { i, blocks in
            try system.run(
                reportingActor(body: blocks
                    ? "(drop (call $recv (i64.const 1) (i32.const 256) (i32.const 64)))"
                    : "(loop $busy (drop (call $now)) (br $busy))"),
                name: "worker\(i)"
            ) { actor in _ = try system.kernel.createEndpoint(actor) }
        }
        for (actor, blocks) in zip(actors, blocking) where blocks { #expect(system.kernel.waitUntilBlocked(actor)) }
        #expect(system.host.shutdown(timeout: .seconds(5)))
        #expect(system.host.runningThreads == 0)
        for actor in actors { #expect(system.kernel.exitReason(of: actor) == .shutdown) }
        #expect(system.kernel.counts == KernelCounts(liveActors: 0, capabilities: 0, objects: 0))
    }
}
