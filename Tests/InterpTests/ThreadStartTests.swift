import Foundation
import Interp
import Kernel
import TestSupport
import Testing
import WAT

/// A spawn whose thread the system refuses fails with that reason, and
/// leaves nothing behind (issue 13: it used to return success and leave a
/// child that "trapped: could not start a thread").
@Suite struct ThreadStartTests {
    /// A stack larger than the address space: `pthread_create` cannot map it
    /// and fails with EAGAIN, as it does at the system's thread limit.
    static var unstartable: ActorLimits {
        var limits = ActorLimits()
        limits.threadStackBytes = 1 << 50
        return limits
    }

    static let idle = """
        (module (memory (export "memory") 1) (func (export "_start")))
        """

    @Test func sysSpawnReturnsTheErrorAndUndoesTheChild() throws {
        let log = LogCapture()
        let kernel = Kernel(logger: log.logger)
        let host = WasmActorHost(kernel: kernel, limits: Self.unstartable, tier: .interpreter, compiler: testCompiler)
        let dir = NSTemporaryDirectory() + "wsk-thread-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(try wat2wasm(Self.idle)).write(to: URL(fileURLWithPath: dir + "/idle.wasm"))
        let parent = kernel.createActor(name: "parent")
        let spawner = try kernel.grantSpawner(directory: dir, to: parent)
        let counts = kernel.counts
        let caps = kernel.capabilityCount(of: parent)
        #expect(throws: SysError.limitReached) { try kernel.spawn(parent, spawner: spawner, module: "idle") }
        #expect(kernel.counts == counts)
        #expect(kernel.capabilityCount(of: parent) == caps)
        #expect(host.runningThreads == 0)
        #expect(log.messages(atLeast: .warning) == [
            "spawn idle from \(dir) failed: could not start a thread for idle: Resource temporarily unavailable"
        ])
        kernel.terminate(parent, reason: .exited(code: 0))
        #expect(kernel.counts.liveActors == 0)
        #expect(kernel.counts.capabilities == 0)
        #expect(kernel.counts.objects == 0)
    }

    @Test func theHostsOwnSpawnThrowsTheReason() throws {
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, limits: Self.unstartable, tier: .interpreter, compiler: testCompiler)
        let module = try host.load(bytes: try wat2wasm(Self.idle), name: "idle")
        var refused: ActorID?
        let error = #expect(throws: SpawnFailure.self) { try host.spawn(module) { refused = $0 } }
        #expect(error?.code == .limitReached)
        #expect(error?.reason == "could not start a thread for idle: Resource temporarily unavailable")
        let actor = try #require(refused)
        #expect(kernel.exitReason(of: actor) == .refused("could not start a thread for idle: Resource temporarily unavailable"))
        #expect(kernel.counts.liveActors == 0)
        #expect(kernel.counts.capabilities == 0)
        #expect(kernel.counts.objects == 0)
    }
}
