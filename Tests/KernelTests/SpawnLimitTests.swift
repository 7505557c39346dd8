import Testing
import TestSupport

@testable import Kernel

/// Spawns are bounded: live children per actor, live actors in all; a child
/// that cannot start is undone; ended actors are not kept for ever.
@Suite struct SpawnLimitTests {
    @Test func theChildPastTheLimitIsRefusedUntilOneEnds() throws {
        let log = LogCapture()
        let f = KernelFixture(logger: log.logger)
        let launcher = NativeLauncher()
        f.kernel.setLauncher(launcher)
        let parent = f.kernel.createActor(name: "parent")
        let spawner = try f.kernel.grantSpawner(directory: "/plugins", to: parent)
        var caps: [Handle] = []
        for _ in 0..<64 { caps.append(try f.kernel.spawn(parent, spawner: spawner, module: "child")) }
        #expect(f.kernel.counts.liveActors == 65)
        let before = f.kernel.counts
        for _ in 0..<3 {
            #expect(throws: SysError.limitReached) { try f.kernel.spawn(parent, spawner: spawner, module: "child") }
        }
        #expect(f.kernel.counts == before)
        #expect(launcher.startedActors.count == 64)
        // Logged once, not once per attempt.
        #expect(log.messages(atLeast: .warning) == [
            "parent (actor 1) may not spawn: 64 of its children are alive, the most one actor may have (maxChildrenPerActor) (further refusals are not logged)"
        ])
        // One child ends: one more may start.
        try f.kernel.kill(parent, caps[0])
        _ = try f.kernel.spawn(parent, spawner: spawner, module: "child")
        #expect(throws: SysError.limitReached) { try f.kernel.spawn(parent, spawner: spawner, module: "child") }
        // Children count per parent: another actor may still spawn.
        let other = f.kernel.createActor(name: "other")
        let otherSpawner = try f.kernel.grantSpawner(directory: "/plugins", to: other)
        _ = try f.kernel.spawn(other, spawner: otherSpawner, module: "child")
        #expect(f.kernel.invariantViolations() == [])
        f.expectBaseline(after: [parent, other] + launcher.startedActors)
    }

    @Test func theGlobalActorLimitBoundsSpawnsAndHostCreatedActors() throws {
        var limits = KernelLimits()
        limits.maxActors = 4
        let log = LogCapture()
        let f = KernelFixture(limits: limits, logger: log.logger)
        let launcher = NativeLauncher()
        f.kernel.setLauncher(launcher)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let spawner = try f.kernel.grantSpawner(directory: "/plugins", to: a)
        let first = try f.kernel.spawn(a, spawner: spawner, module: "child")
        _ = try f.kernel.spawn(a, spawner: spawner, module: "child")
        #expect(f.kernel.counts.liveActors == 4)
        #expect(throws: SysError.limitReached) { try f.kernel.spawn(a, spawner: spawner, module: "child") }
        // The host is held to the same limit.
        #expect(throws: ActorRefusal.self) { try f.kernel.admitActor(name: "late") }
        do {
            _ = try f.kernel.admitActor(name: "late")
        } catch {
            #expect(error.code == .limitReached)
            #expect(error.reason == "4 actors are alive, the most the kernel runs at once (maxActors)")
        }
        let unstarted = f.kernel.createActor(name: "unstarted")
        #expect(!f.kernel.isAlive(unstarted))
        #expect(f.kernel.exitReason(of: unstarted) == .refused("4 actors are alive, the most the kernel runs at once (maxActors)"))
        #expect(throws: SysError.shutdown) { try f.kernel.createEndpoint(unstarted) }
        #expect(f.kernel.counts.liveActors == 4)
        #expect(log.messages(atLeast: .warning) == [
            "a (actor 1) may not spawn: 4 actors are alive, the most the kernel runs at once (maxActors) (further refusals are not logged)",
            "late not started: 4 actors are alive, the most the kernel runs at once (maxActors)",
            "late not started: 4 actors are alive, the most the kernel runs at once (maxActors)",
            "unstarted not started: 4 actors are alive, the most the kernel runs at once (maxActors)",
        ])
        // One ends; one may start.
        try f.kernel.kill(a, first)
        let now = try f.kernel.admitActor(name: "now")
        #expect(f.kernel.counts.liveActors == 4)
        #expect(f.kernel.invariantViolations() == [])
        f.expectBaseline(after: [a, b] + launcher.startedActors + [now])
    }

    @Test func aChildWhoseThreadCannotStartIsUndone() throws {
        let log = LogCapture()
        let f = KernelFixture(logger: log.logger)
        let launcher = NativeLauncher()
        f.kernel.setLauncher(launcher)
        let parent = f.kernel.createActor(name: "parent")
        let spawner = try f.kernel.grantSpawner(directory: "/plugins", to: parent)
        let lent = try f.kernel.createBuffer(parent, size: 16)
        let counts = f.kernel.counts
        let budget = f.kernel.budget.used
        let caps = f.kernel.capabilityCount(of: parent)
        #expect(throws: SysError.limitReached) { try f.kernel.spawn(parent, spawner: spawner, module: "nothread", grant: lent) }
        let child = try #require(launcher.refusedActors.first)
        #expect(f.kernel.counts == counts)
        #expect(f.kernel.budget.used == budget)
        #expect(f.kernel.capabilityCount(of: parent) == caps)
        #expect(f.kernel.childCount(of: lent, held: parent) == 0)
        #expect(f.kernel.exitReason(of: child) == .refused("could not start a thread for nothread: Resource temporarily unavailable"))
        #expect(log.messages(atLeast: .warning) == [
            "spawn nothread from /plugins failed: could not start a thread for nothread: Resource temporarily unavailable"
        ])
        // It does not count against the parent's children.
        #expect(f.kernel.invariantViolations() == [])
        _ = try f.kernel.spawn(parent, spawner: spawner, module: "child")
        f.expectBaseline(after: [parent] + launcher.startedActors)
    }

    @Test func endedActorsAreForgottenOldestFirst() throws {
        let f = KernelFixture()
        let kept = KernelLimits().endedActorsRemembered
        var ids: [ActorID] = []
        for i in 0..<10_000 {
            let id = f.kernel.createActor(name: "a\(i)")
            f.kernel.terminate(id, reason: .exited(code: Int32(i % 7)))
            ids.append(id)
        }
        let records = f.kernel.actorRecords
        #expect(records.live == 0)
        #expect(records.ended == kept)
        #expect(f.kernel.exitReason(of: ids[0]) == nil)
        #expect(f.kernel.name(of: ids[0]) == nil)
        #expect(f.kernel.exitReason(of: ids[10_000 - kept - 1]) == nil)
        #expect(f.kernel.exitReason(of: ids[10_000 - kept]) == .exited(code: Int32((10_000 - kept) % 7)))
        #expect(f.kernel.name(of: ids[9_999]) == "a9999")
        #expect(f.kernel.exitReason(of: ids[9_999]) == .exited(code: 9_999 % 7))
        #expect(f.kernel.counts == f.baseline)
        #expect(f.kernel.invariantViolations() == [])
    }
}
