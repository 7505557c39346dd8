import Testing

@testable import Kernel

/// Passing caps in messages, derive, revoke, release and info.
@Suite struct CapabilitySyscallTests {
    @Test func passingACapNeedsTheGrantRight() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        let buffer = try f.kernel.createBuffer(a, size: 8)
        let readWrite = try f.kernel.derive(a, buffer, rights: [.read, .write])
        let before = f.kernel.counts
        #expect(throws: SysError.noRights) { try f.kernel.send(a, to: outbox, opcode: 1, payload: [], cap: readWrite) }
        #expect(f.kernel.counts == before)
        #expect(throws: SysError.wouldBlock) { try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll) }
        f.expectBaseline(after: [a, b])
    }

    @Test func theReceiverGetsItsOwnHandleToTheSameObject() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        _ = try f.kernel.createBuffer(a, size: 1)  // so a's and b's handles differ
        let buffer = try f.kernel.createBuffer(a, size: 4)
        #expect(buffer == Handle(rawValue: 3))
        try [UInt8]([1, 2, 3, 4]).withUnsafeBytes { try f.kernel.write(a, to: buffer, offset: 0, from: $0) }
        try f.kernel.send(a, to: outbox, opcode: 1, payload: [], cap: buffer)
        guard case .message(let message) = try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll) else {
            Issue.record("no message"); return
        }
        #expect(message.cap == Handle(rawValue: 2))
        #expect(try f.kernel.info(b, message.cap) == CapabilityInfo(kind: .buffer, rights: [.read, .write, .grant], size: 4))
        var bytes = [UInt8](repeating: 0, count: 4)
        _ = try bytes.withUnsafeMutableBytes { try f.kernel.read(b, from: message.cap, offset: 0, into: $0) }
        #expect(bytes == [1, 2, 3, 4])
        // a's handle value means nothing in b's space.
        #expect(throws: SysError.invalidHandle) { try f.kernel.info(b, buffer) }
        // The sender keeps its cap; releasing it takes the receiver's (derived) one too.
        #expect(try f.kernel.info(a, buffer).kind == .buffer)
        try f.kernel.release(a, buffer)
        #expect(throws: SysError.invalidHandle) { try f.kernel.info(b, message.cap) }
        f.expectBaseline(after: [a, b])
    }

    @Test func deriveGivesASubsetOfRights() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let buffer = try f.kernel.createBuffer(a, size: 8)
        let readOnly = try f.kernel.derive(a, buffer, rights: [.read, .grant])
        #expect(try f.kernel.info(a, readOnly) == CapabilityInfo(kind: .buffer, rights: [.read, .grant], size: 8))
        let none = try f.kernel.derive(a, buffer, rights: [])
        #expect(try f.kernel.info(a, none).rights == [])
        var bytes = [UInt8](repeating: 0, count: 8)
        _ = try bytes.withUnsafeMutableBytes { try f.kernel.read(a, from: readOnly, offset: 0, into: $0) }
        #expect(throws: SysError.noRights) {
            try bytes.withUnsafeBytes { try f.kernel.write(a, to: readOnly, offset: 0, from: $0) }
        }
        // No escalation: neither past the parent's rights nor from a cap without grant.
        #expect(throws: SysError.noRights) { try f.kernel.derive(a, readOnly, rights: [.read, .write]) }
        #expect(throws: SysError.noRights) { try f.kernel.derive(a, readOnly, rights: [.read, .grant, .kill]) }
        #expect(throws: SysError.noRights) { try f.kernel.derive(a, none, rights: []) }
        f.expectBaseline(after: [a])
    }

    @Test func deriveRefusesUnknownRightsBitsAndBadHandles() throws {
        var limits = KernelLimits()
        limits.capabilitySpaceCapacity = 2
        let f = KernelFixture(limits: limits)
        let a = f.kernel.createActor(name: "a")
        let buffer = try f.kernel.createBuffer(a, size: 8)
        for bits: UInt32 in [1 << 11, 0x8000_0000, UInt32.max] {
            #expect(throws: SysError.invalidArgument) { try f.kernel.derive(a, buffer, rights: Rights(rawValue: bits)) }
        }
        #expect(throws: SysError.invalidHandle) { try f.kernel.derive(a, Handle(rawValue: 5), rights: [.read]) }
        _ = try f.kernel.derive(a, buffer, rights: [.read])
        #expect(throws: SysError.noSpace) { try f.kernel.derive(a, buffer, rights: [.read]) }
        f.expectBaseline(after: [a])
    }

    @Test func revokeRemovesEveryDerivedCapInEveryActorAndKeepsTheRevokingOne() throws {
        let f = KernelFixture()
        let (a, b, c) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"), f.kernel.createActor(name: "c"))
        let canvas = try f.kernel.createBuffer(a, size: 16)
        let local = try f.kernel.derive(a, canvas, rights: [.read])
        let lent = try f.kernel.grantCopy(of: canvas, held: a, rights: [.read, .write, .grant], to: b)
        let sublent = try f.kernel.grantCopy(of: lent, held: b, rights: [.read], to: c)
        let deeper = try f.kernel.derive(b, lent, rights: [.write])
        // An unrelated cap of b's survives.
        let own = try f.kernel.createBuffer(b, size: 1)
        #expect(f.kernel.counts.capabilities == 6)
        try f.kernel.revoke(a, canvas)
        for (actor, handle) in [(a, local), (b, lent), (c, sublent), (b, deeper)] {
            #expect(throws: SysError.invalidHandle) { try f.kernel.info(actor, handle) }
            #expect(throws: SysError.invalidHandle) {
                try [UInt8](repeating: 0, count: 1).withUnsafeBytes { try f.kernel.write(actor, to: handle, offset: 0, from: $0) }
            }
        }
        #expect(try f.kernel.info(a, canvas) == CapabilityInfo(kind: .buffer, rights: [.read, .write, .grant], size: 16))
        #expect(try f.kernel.info(b, own).kind == .buffer)
        #expect(f.kernel.counts == KernelCounts(liveActors: 3, capabilities: 2, objects: 2))
        // Revoking again is harmless; a bad handle is refused.
        try f.kernel.revoke(a, canvas)
        #expect(throws: SysError.invalidHandle) { try f.kernel.revoke(a, local) }
        f.expectBaseline(after: [a, b, c])
    }

    @Test func revokeWakesAReceiverBlockedOnADerivedCap() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (owned, lent) = try f.kernel.connect(owner: a, peer: b, peerRights: [.receive])
        let kernel = f.kernel
        let receiver = Background { () throws(SysError) in try kernel.receive(b, from: lent, capacity: 64) }
        #expect(f.kernel.waitUntilBlocked(b))
        try f.kernel.revoke(a, owned)
        let outcome = receiver.outcome()
        #expect(outcome?.failure == .invalidHandle)
        if outcome == nil { f.kernel.terminate(b, reason: .shutdown) }
        f.expectBaseline(after: [a, b])
    }

    @Test func releaseRemovesTheCapAndItsDescendantsOnly() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let buffer = try f.kernel.createBuffer(a, size: 8)
        let left = try f.kernel.derive(a, buffer, rights: [.read, .grant])
        let right = try f.kernel.derive(a, buffer, rights: [.read])
        let leftChild = try f.kernel.grantCopy(of: left, held: a, rights: [.read], to: b)
        try f.kernel.release(a, left)
        #expect(throws: SysError.invalidHandle) { try f.kernel.info(a, left) }
        #expect(throws: SysError.invalidHandle) { try f.kernel.info(b, leftChild) }
        #expect(try f.kernel.info(a, right).kind == .buffer)
        #expect(try f.kernel.info(a, buffer).kind == .buffer)
        #expect(throws: SysError.invalidHandle) { try f.kernel.release(a, left) }
        #expect(throws: SysError.invalidHandle) { try f.kernel.release(a, .null) }
        // Releasing the root frees the object, quota included.
        try f.kernel.release(a, buffer)
        #expect(throws: SysError.invalidHandle) { try f.kernel.info(a, right) }
        #expect(f.kernel.counts == KernelCounts(liveActors: 2, capabilities: 0, objects: 0))
        f.expectBaseline(after: [a, b])
    }

    @Test func infoReportsKindRightsAndSize() throws {
        let f = KernelFixture()
        let launcher = NativeLauncher()
        f.kernel.setLauncher(launcher)
        let a = f.kernel.createActor(name: "a")
        let framebuffer = Framebuffer(width: 640, height: 480)
        let fb = try f.kernel.grant(framebuffer, rights: [.write], to: a)
        let spawner = try f.kernel.grantSpawner(directory: "/nowhere", to: a)
        let buffer = try f.kernel.createBuffer(a, size: 100)
        let small = try f.kernel.createEndpoint(a, capacity: 5)
        let standard = try f.kernel.createEndpoint(a)
        let child = try f.kernel.spawn(a, spawner: spawner, module: "child")
        #expect(try f.kernel.info(a, fb) == CapabilityInfo(kind: .framebuffer, rights: [.write], size: 640 << 32 | 480))
        #expect(try f.kernel.info(a, spawner) == CapabilityInfo(kind: .spawner, rights: [.spawn, .grant], size: 0))
        #expect(try f.kernel.info(a, buffer) == CapabilityInfo(kind: .buffer, rights: [.read, .write, .grant], size: 100))
        #expect(try f.kernel.info(a, small) == CapabilityInfo(kind: .endpoint, rights: [.send, .receive, .grant], size: 5))
        #expect(try f.kernel.info(a, standard) == CapabilityInfo(kind: .endpoint, rights: [.send, .receive, .grant], size: 64))
        let started = launcher.startedActors
        #expect(started.count == 1)
        #expect(try f.kernel.info(a, child)
            == CapabilityInfo(kind: .actor, rights: [.send, .kill, .grant], size: UInt64(started.first?.rawValue ?? 0)))
        for raw: Int64 in [0, -5, 7, Int64.max] {
            #expect(throws: SysError.invalidHandle) { try f.kernel.info(a, Handle(rawValue: raw)) }
        }
        f.expectBaseline(after: [a] + started)
    }
}
