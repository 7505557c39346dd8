import Testing

@testable import Kernel

/// The derivation tree keeps no dead node, so deriving, releasing and
/// revoking cost the same at any history.
@Suite struct DerivationTreeTests {
    /// The audit's pattern: create an endpoint, send a buffer cap on it,
    /// release the endpoint (dropping the message and its in-flight cap).
    static func cycle(_ kernel: Kernel, _ actor: ActorID, buffer: Handle) throws {
        let endpoint = try kernel.createEndpoint(actor, capacity: 1)
        try kernel.send(actor, to: endpoint, opcode: 1, payload: [1], cap: buffer)
        try kernel.release(actor, endpoint)
    }

    @Test func droppedInFlightCapsLeaveNoTraceInTheirParent() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let buffer = try f.kernel.createBuffer(a, size: 64)
        let counts = f.kernel.counts
        let budget = f.kernel.budget.used

        // Work of one derive + release, and of one revoke, at a fresh history.
        var visited = f.kernel.nodesVisited
        try f.kernel.release(a, f.kernel.derive(a, buffer, rights: [.read]))
        #expect(f.kernel.nodesVisited - visited == 1)

        for _ in 0..<10_000 { try Self.cycle(f.kernel, a, buffer: buffer) }

        #expect(f.kernel.childCount(of: buffer, held: a) == 0)
        #expect(f.kernel.counts == counts)
        #expect(f.kernel.budget.used == budget)
        #expect(f.kernel.invariantViolations() == [])
        // The same work after 10 000 cycles: one node, none of the 10 000 dead ones.
        visited = f.kernel.nodesVisited
        try f.kernel.release(a, f.kernel.derive(a, buffer, rights: [.read]))
        #expect(f.kernel.nodesVisited - visited == 1)
        visited = f.kernel.nodesVisited
        try f.kernel.revoke(a, buffer)
        #expect(f.kernel.nodesVisited - visited == 0)
        f.expectBaseline(after: [a])
    }

    @Test func revokeAndReleaseDetachEveryNodeTheyDestroy() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let buffer = try f.kernel.createBuffer(a, size: 8)
        let (inbox, toB) = try f.kernel.connect(owner: b, peer: a)
        // A chain a → derived → b's copy, and a queued in-flight copy.
        let derived = try f.kernel.derive(a, buffer, rights: [.read, .grant])
        _ = try f.kernel.grantCopy(of: derived, held: a, to: b)
        try f.kernel.send(a, to: toB, opcode: 1, payload: [], cap: derived)
        let sibling = try f.kernel.derive(a, buffer, rights: [.write])
        #expect(f.kernel.childCount(of: buffer, held: a) == 2)
        #expect(f.kernel.childCount(of: derived, held: a) == 2)
        try f.kernel.release(a, derived)
        #expect(f.kernel.childCount(of: buffer, held: a) == 1)
        #expect(f.kernel.invariantViolations() == [])
        // The queued message lost its cap, not itself.
        #expect(try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll)
            == .message(ReceivedMessage(sender: a, opcode: 1, payload: [], cap: .null, reply: .null)))
        try f.kernel.revoke(a, buffer)
        #expect(f.kernel.childCount(of: buffer, held: a) == 0)
        #expect(throws: SysError.invalidHandle) { try f.kernel.info(a, sibling) }
        #expect(f.kernel.invariantViolations() == [])
        f.expectBaseline(after: [a, b])
    }

    @Test func aReceiverBlockedThroughADestroyedCapWakesAndOthersSleepOn() throws {
        let f = KernelFixture()
        let (a, b, c) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"), f.kernel.createActor(name: "c"))
        let endpoint = try f.kernel.createEndpoint(a)
        let forB = try f.kernel.grantCopy(of: endpoint, held: a, to: b)
        let forC = try f.kernel.grantCopy(of: endpoint, held: a, to: c)
        let kernel = f.kernel
        let bWaits = Background { () throws(SysError) in try kernel.receive(b, from: forB, capacity: 64) }
        let cWaits = Background { () throws(SysError) in try kernel.receive(c, from: forC, capacity: 64) }
        #expect(f.kernel.waitUntilBlocked(b))
        #expect(f.kernel.waitUntilBlocked(c))
        try f.kernel.release(b, forB)
        #expect(bWaits.outcome()?.failure == .invalidHandle)
        #expect(f.kernel.isBlocked(c))
        try f.kernel.send(a, to: endpoint, opcode: 4, payload: [4])
        #expect(cWaits.outcome()?.value == .message(ReceivedMessage(sender: a, opcode: 4, payload: [4], cap: .null, reply: .null)))
        #expect(f.kernel.invariantViolations() == [])
        f.expectBaseline(after: [a, b, c])
    }
}
