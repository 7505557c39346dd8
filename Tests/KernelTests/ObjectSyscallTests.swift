import Synchronization
import Testing

@testable import Kernel

/// Creating buffers and endpoints, copying bytes, the framebuffer, spawn and
/// kill, and the end of actors and of the kernel.
@Suite struct ObjectSyscallTests {
    static var smallQuota: KernelLimits {
        var limits = KernelLimits()
        limits.actorMemoryLimit = 1 << 20
        limits.maxBufferSize = 512 << 10
        limits.maxEndpointCapacity = 100
        return limits
    }

    @Test func createBufferChecksSizeAndQuota() throws {
        let f = KernelFixture(limits: Self.smallQuota)
        let a = f.kernel.createActor(name: "a")
        #expect(try f.kernel.info(a, f.kernel.createBuffer(a, size: 0)).size == 0)
        for size in [-1, Int.min, (512 << 10) + 1, Int.max] {
            #expect(throws: SysError.invalidArgument) { try f.kernel.createBuffer(a, size: size) }
        }
        let first = try f.kernel.createBuffer(a, size: 512 << 10)
        _ = try f.kernel.createBuffer(a, size: 500 << 10)
        let before = f.kernel.counts
        #expect(throws: SysError.noMemory) { try f.kernel.createBuffer(a, size: 12 << 10 + 1) }
        #expect(throws: SysError.noMemory) { try f.kernel.createEndpoint(a, capacity: 100) }
        #expect(f.kernel.counts == before)
        _ = try f.kernel.createBuffer(a, size: 12 << 10)  // exactly the rest
        #expect(throws: SysError.noMemory) { try f.kernel.createBuffer(a, size: 1) }
        // Quota comes back when the object goes.
        try f.kernel.release(a, first)
        _ = try f.kernel.createBuffer(a, size: 512 << 10)
        f.expectBaseline(after: [a])
    }

    @Test func quotaIsPerActorAndStaysWithTheCreator() throws {
        let f = KernelFixture(limits: Self.smallQuota)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let big = try f.kernel.createBuffer(a, size: 512 << 10)
        _ = try f.kernel.grantCopy(of: big, held: a, to: b)
        _ = try f.kernel.createBuffer(a, size: 512 << 10)
        #expect(throws: SysError.noMemory) { try f.kernel.createBuffer(a, size: 1) }
        _ = try f.kernel.createBuffer(b, size: 512 << 10)
        f.expectBaseline(after: [a, b])
    }

    @Test func createEndpointChecksCapacityAndQuota() throws {
        let f = KernelFixture(limits: Self.smallQuota)
        let a = f.kernel.createActor(name: "a")
        for capacity in [-1, 101, Int.max, Int.min] {
            #expect(throws: SysError.invalidArgument) { try f.kernel.createEndpoint(a, capacity: capacity) }
        }
        #expect(try f.kernel.info(a, f.kernel.createEndpoint(a, capacity: 100)).size == 100)
        #expect(try f.kernel.info(a, f.kernel.createEndpoint(a, capacity: 1)).size == 1)
        #expect(Kernel.endpointCost(capacity: 100) == 4096 + 100 * 256)
        // Fill the rest of the 1 MiB quota with endpoints of capacity 100.
        let used = Kernel.endpointCost(capacity: 100) + Kernel.endpointCost(capacity: 1)
        let fit = ((1 << 20) - used) / Kernel.endpointCost(capacity: 100)
        for _ in 0..<fit { _ = try f.kernel.createEndpoint(a, capacity: 100) }
        #expect(throws: SysError.noMemory) { try f.kernel.createEndpoint(a, capacity: 100) }
        f.expectBaseline(after: [a])
    }

    @Test func createFailsWhenTheSpaceIsFull() throws {
        var limits = KernelLimits()
        limits.capabilitySpaceCapacity = 1
        let f = KernelFixture(limits: limits)
        let a = f.kernel.createActor(name: "a")
        _ = try f.kernel.createBuffer(a, size: 1)
        #expect(throws: SysError.noSpace) { try f.kernel.createBuffer(a, size: 1) }
        #expect(throws: SysError.noSpace) { try f.kernel.createEndpoint(a) }
        #expect(f.kernel.counts == KernelCounts(liveActors: 1, capabilities: 1, objects: 1))
        f.expectBaseline(after: [a])
    }

    @Test func readAndWriteCopyBytesWithinBounds() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let buffer = try f.kernel.createBuffer(a, size: 16)
        try ramp(4, from: 1).withUnsafeBytes { try f.kernel.write(a, to: buffer, offset: 12, from: $0) }
        var all = [UInt8](repeating: 0xff, count: 16)
        _ = try all.withUnsafeMutableBytes { try f.kernel.read(a, from: buffer, offset: 0, into: $0) }
        #expect(all == [UInt8](repeating: 0, count: 12) + [1, 2, 3, 4])
        // Empty copies at the very end are fine.
        try [UInt8]().withUnsafeBytes { try f.kernel.write(a, to: buffer, offset: 16, from: $0) }
        var empty: [UInt8] = []
        _ = try empty.withUnsafeMutableBytes { try f.kernel.read(a, from: buffer, offset: 16, into: $0) }
        f.expectBaseline(after: [a])
    }

    @Test func readAndWriteRefuseBadOffsetsAndLengthsWithNothingCopied() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let buffer = try f.kernel.createBuffer(a, size: 16)
        let cases: [(offset: Int, length: Int, error: SysError)] = [
            (-1, 1, .invalidArgument), (Int.min, 0, .invalidArgument),
            (13, 4, .outOfBounds), (16, 1, .outOfBounds), (17, 0, .outOfBounds), (0, 17, .outOfBounds),
            (Int.max, 1, .outOfBounds), (Int.max - 1, 2, .outOfBounds), (8, Int.max / 2, .outOfBounds),
        ]
        let source = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 1)
        defer { source.deallocate() }
        source.initializeMemory(as: UInt8.self, repeating: 0xee)
        for c in cases {
            // A buffer pointer that claims `length` bytes; nothing is ever read from or written to it.
            let claimed = UnsafeMutableRawBufferPointer(start: source.baseAddress, count: c.length)
            #expect(throws: c.error) { try f.kernel.write(a, to: buffer, offset: c.offset, from: UnsafeRawBufferPointer(claimed)) }
            #expect(throws: c.error) { try f.kernel.read(a, from: buffer, offset: c.offset, into: claimed) }
        }
        #expect(Array(source) == [UInt8](repeating: 0xee, count: 32))
        var all = [UInt8](repeating: 0xff, count: 16)
        _ = try all.withUnsafeMutableBytes { try f.kernel.read(a, from: buffer, offset: 0, into: $0) }
        #expect(all == [UInt8](repeating: 0, count: 16))
        f.expectBaseline(after: [a])
    }

    @Test func readAndWriteCheckHandleTypeAndRights() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let buffer = try f.kernel.createBuffer(a, size: 4)
        let endpoint = try f.kernel.createEndpoint(a)
        let writeOnly = try f.kernel.derive(a, buffer, rights: [.write])
        let readOnly = try f.kernel.derive(a, buffer, rights: [.read])
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 1)
        defer { bytes.deallocate() }
        #expect(throws: SysError.invalidHandle) { try f.kernel.read(a, from: Handle(rawValue: 9), offset: 0, into: bytes) }
        #expect(throws: SysError.wrongType) { try f.kernel.read(a, from: endpoint, offset: 0, into: bytes) }
        #expect(throws: SysError.noRights) { try f.kernel.read(a, from: writeOnly, offset: 0, into: bytes) }
        #expect(throws: SysError.invalidHandle) {
            try f.kernel.write(a, to: Handle(rawValue: 9), offset: 0, from: UnsafeRawBufferPointer(bytes))
        }
        #expect(throws: SysError.wrongType) { try f.kernel.write(a, to: endpoint, offset: 0, from: UnsafeRawBufferPointer(bytes)) }
        #expect(throws: SysError.noRights) { try f.kernel.write(a, to: readOnly, offset: 0, from: UnsafeRawBufferPointer(bytes)) }
        f.expectBaseline(after: [a])
    }

    @Test func framebufferWritesHitPixelsAndRecordDamage() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        #expect(f.kernel.framebufferInfo(a) == 0)
        let framebuffer = Framebuffer(width: 8, height: 6)
        let fb = try f.kernel.grant(framebuffer, to: a)
        #expect(f.kernel.framebufferInfo(a) == 8 << 32 | 6)
        let red: UInt32 = 0x00ff_0000
        try withUnsafeBytes(of: red.littleEndian) { try f.kernel.write(a, to: fb, offset: (3 * 8 + 5) * 4, from: $0) }
        #expect(framebuffer.pixels.load(fromByteOffset: (3 * 8 + 5) * 4, as: UInt32.self) == red)
        #expect(framebuffer.takeDamage() == Framebuffer.DamageRows(first: 3, end: 4))
        #expect(framebuffer.takeDamage() == nil)
        #expect(throws: SysError.outOfBounds) {
            try withUnsafeBytes(of: red) { try f.kernel.write(a, to: fb, offset: 8 * 6 * 4 - 3, from: $0) }
        }
        #expect(framebuffer.takeDamage() == nil)
        // Without the cap, no framebuffer.
        try f.kernel.release(a, fb)
        #expect(f.kernel.framebufferInfo(a) == 0)
        f.expectBaseline(after: [a])
    }

    @Test func spawnStartsAChildAndKillNeedsTheKillRight() throws {
        let f = KernelFixture()
        let launcher = NativeLauncher()
        f.kernel.setLauncher(launcher)
        let parent = f.kernel.createActor(name: "parent")
        let spawner = try f.kernel.grantSpawner(directory: "/plugins", to: parent)
        let lent = try f.kernel.createBuffer(parent, size: 4)
        let childCap = try f.kernel.spawn(parent, spawner: spawner, module: "child", grant: lent)
        #expect(launcher.startedActors.count == 1)
        let child = launcher.startedActors[0]
        #expect(f.kernel.name(of: child) == "child")
        // The child holds its boot endpoint at 1 and the granted cap at 2.
        #expect(try f.kernel.info(child, Handle(rawValue: 1)) == CapabilityInfo(kind: .endpoint, rights: [.send, .receive, .grant], size: 64))
        #expect(try f.kernel.info(child, Handle(rawValue: 2)) == CapabilityInfo(kind: .buffer, rights: [.read, .write, .grant], size: 4))
        // Sending on the actor cap reaches the child's handle 1.
        try f.kernel.send(parent, to: childCap, opcode: 3, payload: [1])
        #expect(try f.kernel.receive(child, from: Handle(rawValue: 1), capacity: 64, timeout: .poll)
            == .message(ReceivedMessage(sender: parent, opcode: 3, payload: [1], cap: .null, reply: .null)))
        let sendOnly = try f.kernel.derive(parent, childCap, rights: [.send])
        #expect(throws: SysError.noRights) { try f.kernel.kill(parent, sendOnly) }
        #expect(throws: SysError.wrongType) { try f.kernel.kill(parent, lent) }
        #expect(throws: SysError.invalidHandle) { try f.kernel.kill(parent, Handle(rawValue: 99)) }
        #expect(f.kernel.isAlive(child))
        try f.kernel.kill(parent, childCap)
        #expect(f.kernel.exitReason(of: child) == .killed(by: parent))
        // The child's boot endpoint closed with it: the actor cap now reaches nobody.
        #expect(throws: SysError.peerClosed) { try f.kernel.send(parent, to: childCap, opcode: 3, payload: []) }
        try f.kernel.kill(parent, childCap)  // killing the dead is harmless
        f.expectBaseline(after: [parent])
    }

    @Test func spawnReportsEachFailure() throws {
        var limits = KernelLimits()
        limits.capabilitySpaceCapacity = 5
        let f = KernelFixture(limits: limits)
        let parent = f.kernel.createActor(name: "parent")
        let spawner = try f.kernel.grantSpawner(directory: "/plugins", to: parent)
        let buffer = try f.kernel.createBuffer(parent, size: 1)
        #expect(throws: SysError.notFound) { try f.kernel.spawn(parent, spawner: spawner, module: "child") }  // no launcher yet
        let launcher = NativeLauncher()
        f.kernel.setLauncher(launcher)
        let noSpawn = try f.kernel.derive(parent, spawner, rights: [.grant])
        let noGrant = try f.kernel.derive(parent, buffer, rights: [.read])
        #expect(throws: SysError.invalidHandle) { try f.kernel.spawn(parent, spawner: Handle(rawValue: 42), module: "child") }
        #expect(throws: SysError.wrongType) { try f.kernel.spawn(parent, spawner: buffer, module: "child") }
        #expect(throws: SysError.noRights) { try f.kernel.spawn(parent, spawner: noSpawn, module: "child") }
        #expect(throws: SysError.noRights) { try f.kernel.spawn(parent, spawner: spawner, module: "child", grant: noGrant) }
        for name in ["", "../child", "a/b", "a.wasm", "sp ace", String(repeating: "x", count: 65), "é"] {
            #expect(throws: SysError.invalidArgument) { try f.kernel.spawn(parent, spawner: spawner, module: name) }
        }
        #expect(throws: SysError.notFound) { try f.kernel.spawn(parent, spawner: spawner, module: "missing") }
        #expect(throws: SysError.loadFailed) { try f.kernel.spawn(parent, spawner: spawner, module: "broken") }
        _ = try f.kernel.createBuffer(parent, size: 1)  // the space is full now
        #expect(throws: SysError.noSpace) { try f.kernel.spawn(parent, spawner: spawner, module: "child") }
        #expect(launcher.startedActors.isEmpty)
        #expect(f.kernel.counts.liveActors == 1)
        f.expectBaseline(after: [parent])
    }

    @Test func terminateReleasesEverythingAndWakesABlockedReceiver() throws {
        let f = KernelFixture()
        let exits = ExitLog()
        f.kernel.onActorExit { actor, name, reason in exits.append(actor, name, reason) }
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let endpoint = try f.kernel.createEndpoint(a)
        _ = try f.kernel.createBuffer(a, size: 64)
        let lent = try f.kernel.grantCopy(of: endpoint, held: a, to: b)
        let kernel = f.kernel
        let receiver = Background { () throws(SysError) in try kernel.receive(a, from: endpoint, capacity: 64) }
        #expect(f.kernel.waitUntilBlocked(a))
        f.kernel.terminate(a, reason: .killed(by: nil))
        let outcome = receiver.outcome()
        #expect(outcome?.failure == .shutdown)
        #expect(f.kernel.capabilityCount(of: a) == 0)
        #expect(throws: SysError.invalidHandle) { try f.kernel.info(b, lent) }
        #expect(!f.kernel.isAlive(a))
        #expect(f.kernel.exitReason(of: a) == .killed(by: nil))
        f.kernel.terminate(a, reason: .exited(code: 1))  // idempotent: the first reason stays
        #expect(f.kernel.exitReason(of: a) == .killed(by: nil))
        #expect(exits.entries == ["a: killed"])
        f.expectBaseline(after: [b])
    }

    @Test func shutdownWakesEveryBlockedActor() throws {
        let f = KernelFixture()
        let (a, b, c) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"), f.kernel.createActor(name: "c"))
        let (ownA, ownB, ownC) = (try f.kernel.createEndpoint(a), try f.kernel.createEndpoint(b), try f.kernel.createEndpoint(c))
        let kernel = f.kernel
        let forever = Background { () throws(SysError) in try kernel.receive(a, from: ownA, capacity: 64) }
        let timed = Background { () throws(SysError) in
            try kernel.receive(b, from: ownB, capacity: 64, timeout: .nanoseconds(10_000_000_000))
        }
        let calling = Background { () throws(SysError) in try kernel.call(c, to: ownC, opcode: 1, payload: [], capacity: 64) }
        for actor in [a, b, c] { #expect(f.kernel.waitUntilBlocked(actor)) }
        f.kernel.shutdown()
        #expect(forever.outcome()?.failure == .shutdown)
        #expect(timed.outcome()?.failure == .shutdown)
        #expect(calling.outcome()?.failure == .shutdown)
        for actor in [a, b, c] { #expect(f.kernel.exitReason(of: actor) == .shutdown) }
        #expect(f.kernel.counts == KernelCounts(liveActors: 0, capabilities: 0, objects: 0))
    }

    @Test func nowIsMonotonic() {
        let kernel = Kernel()
        let first = kernel.now()
        let second = kernel.now()
        #expect(first > 0)
        #expect(second >= first)
    }
}

/// What `onActorExit` saw, as "name: reason".
final class ExitLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ actor: ActorID, _ name: String, _ reason: ExitReason) { lines.withLock { $0.append("\(name): \(reason)") } }
    var entries: [String] { lines.withLock { $0 } }
}
