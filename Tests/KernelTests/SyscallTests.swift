import Testing

@testable import Kernel

/// `send` and `receive` between native actors: every success path and every
/// error, and the counts back at the baseline afterwards.
@Suite struct SyscallTests {
    @Test func sendThenPollDeliversInOrder() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        for i: UInt8 in 0..<3 {
            try f.kernel.send(a, to: outbox, opcode: 7 + UInt32(i), payload: [i, i, i])
        }
        for i: UInt8 in 0..<3 {
            let receipt = try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll)
            #expect(receipt == .message(ReceivedMessage(
                sender: a, opcode: 7 + UInt32(i), payload: [i, i, i], cap: .null, reply: .null)))
        }
        #expect(throws: SysError.wouldBlock) { try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll) }
        f.expectBaseline(after: [a, b])
    }

    @Test func ownerMaySendToItsOwnEndpoint() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let endpoint = try f.kernel.createEndpoint(a)
        try f.kernel.send(a, to: endpoint, opcode: 1, payload: [])
        #expect(try f.kernel.receive(a, from: endpoint, capacity: 24, timeout: .poll)
            == .message(ReceivedMessage(sender: a, opcode: 1, payload: [], cap: .null, reply: .null)))
        f.expectBaseline(after: [a])
    }

    @Test func timedReceiveTimesOutAfterItsDeadline() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let endpoint = try f.kernel.createEndpoint(a)
        let start = ContinuousClock.now
        #expect(throws: SysError.timedOut) {
            try f.kernel.receive(a, from: endpoint, capacity: 64, timeout: .nanoseconds(20_000_000))
        }
        #expect(ContinuousClock.now - start >= .milliseconds(10))  // it waited (a margin for clock differences)
        #expect(!f.kernel.isBlocked(a))
        f.expectBaseline(after: [a])
    }

    @Test func timedReceiveReturnsAMessageAlreadyQueued() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let endpoint = try f.kernel.createEndpoint(a)
        try f.kernel.send(a, to: endpoint, opcode: 2, payload: [9])
        #expect(try f.kernel.receive(a, from: endpoint, capacity: 64, timeout: .nanoseconds(1_000_000_000))
            == .message(ReceivedMessage(sender: a, opcode: 2, payload: [9], cap: .null, reply: .null)))
        f.expectBaseline(after: [a])
    }

    @Test func blockingReceiveIsWokenByASendFromAnotherThread() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        let kernel = f.kernel
        let receiver = Background { () throws(SysError) in try kernel.receive(b, from: inbox, capacity: 64) }
        #expect(f.kernel.waitUntilBlocked(b))
        try f.kernel.send(a, to: outbox, opcode: 42, payload: [1, 2])
        let outcome = receiver.outcome()
        #expect(outcome?.value == .message(ReceivedMessage(sender: a, opcode: 42, payload: [1, 2], cap: .null, reply: .null)))
        if outcome == nil { f.kernel.terminate(b, reason: .shutdown) }  // unblock it before failing
        f.expectBaseline(after: [a, b])
    }

    @Test func aBlockedReceiverWithTooSmallABufferWakesToBufferTooSmall() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        let kernel = f.kernel
        let receiver = Background { () throws(SysError) in try kernel.receive(b, from: inbox, capacity: 30) }
        #expect(f.kernel.waitUntilBlocked(b))
        try f.kernel.send(a, to: outbox, opcode: 4, payload: ramp(10))
        let outcome = receiver.outcome()
        #expect(outcome?.value == .tooSmall(opcode: 4, needed: 34))
        if outcome == nil { f.kernel.terminate(b, reason: .shutdown) }
        #expect(try f.kernel.receive(b, from: inbox, capacity: 34, timeout: .poll)
            == .message(ReceivedMessage(sender: a, opcode: 4, payload: ramp(10), cap: .null, reply: .null)))
        f.expectBaseline(after: [a, b])
    }

    @Test func aBlockedReceiverWithNoRoomForTheCapWakesToNoSpace() throws {
        var limits = KernelLimits()
        limits.capabilitySpaceCapacity = 2
        let f = KernelFixture(limits: limits)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        let filler = try f.kernel.createBuffer(b, size: 1)  // b's space is full
        let buffer = try f.kernel.createBuffer(a, size: 1)
        let kernel = f.kernel
        let receiver = Background { () throws(SysError) in try kernel.receive(b, from: inbox, capacity: 64) }
        #expect(f.kernel.waitUntilBlocked(b))
        try f.kernel.send(a, to: outbox, opcode: 6, payload: [], cap: buffer)
        let outcome = receiver.outcome()
        #expect(outcome?.failure == .noSpace)
        if outcome == nil { f.kernel.terminate(b, reason: .shutdown) }
        try f.kernel.release(b, filler)
        let receipt = try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll)
        #expect(receipt == .message(ReceivedMessage(sender: a, opcode: 6, payload: [], cap: Handle(rawValue: 1 << 32 | 2), reply: .null)))
        f.expectBaseline(after: [a, b])
    }

    @Test func fullQueueRefusesTheSendAndLosesNothing() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a, capacity: 3)
        for i: UInt8 in 0..<3 { try f.kernel.send(a, to: outbox, opcode: 1, payload: [i]) }
        let buffer = try f.kernel.createBuffer(a, size: 8)
        let before = f.kernel.counts
        #expect(throws: SysError.queueFull) { try f.kernel.send(a, to: outbox, opcode: 1, payload: [3]) }
        #expect(throws: SysError.queueFull) { try f.kernel.send(a, to: outbox, opcode: 1, payload: [4], cap: buffer) }
        #expect(f.kernel.counts == before)  // the refused cap was not put in flight
        for i: UInt8 in 0..<3 {
            let receipt = try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll)
            #expect(receipt == .message(ReceivedMessage(sender: a, opcode: 1, payload: [i], cap: .null, reply: .null)))
        }
        #expect(throws: SysError.wouldBlock) { try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll) }
        // Room again: the next send goes through.
        try f.kernel.send(a, to: outbox, opcode: 1, payload: [5])
        f.expectBaseline(after: [a, b])
    }

    @Test func bufferTooSmallLeavesTheMessageQueuedAndSaysTheSizeNeeded() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        let buffer = try f.kernel.createBuffer(a, size: 4)
        try f.kernel.send(a, to: outbox, opcode: 5, payload: ramp(10), cap: buffer)
        for capacity in [0, 23, 24, 33] {
            #expect(try f.kernel.receive(b, from: inbox, capacity: capacity, timeout: .poll) == .tooSmall(opcode: 5, needed: 34))
        }
        #expect(f.kernel.capabilityCount(of: b) == 1)  // the cap is still in flight
        let receipt = try f.kernel.receive(b, from: inbox, capacity: 34, timeout: .poll)
        #expect(receipt == .message(ReceivedMessage(
            sender: a, opcode: 5, payload: ramp(10), cap: Handle(rawValue: 2), reply: .null)))
        f.expectBaseline(after: [a, b])
    }

    @Test func aMessageWhoseCapDoesNotFitStaysQueued() throws {
        var limits = KernelLimits()
        limits.capabilitySpaceCapacity = 2
        let f = KernelFixture(limits: limits)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        let filler = try f.kernel.createBuffer(b, size: 1)
        let buffer = try f.kernel.createBuffer(a, size: 1)
        try f.kernel.send(a, to: outbox, opcode: 3, payload: [], cap: buffer)
        #expect(throws: SysError.noSpace) { try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll) }
        try f.kernel.release(b, filler)
        let receipt = try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll)
        guard case .message(let message) = receipt else { Issue.record("got \(receipt)"); return }
        #expect(message.opcode == 3)
        #expect(try f.kernel.info(b, message.cap) == CapabilityInfo(kind: .buffer, rights: [.read, .write, .grant], size: 1))
        f.expectBaseline(after: [a, b])
    }

    @Test func payloadIsLimitedTo64KiB() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let endpoint = try f.kernel.createEndpoint(a)
        let largest = [UInt8](repeating: 0xab, count: ABI.maxPayload)
        try f.kernel.send(a, to: endpoint, opcode: 1, payload: largest)
        #expect(throws: SysError.invalidArgument) {
            try f.kernel.send(a, to: endpoint, opcode: 1, payload: largest + [0])
        }
        let receipt = try f.kernel.receive(a, from: endpoint, capacity: 24 + ABI.maxPayload, timeout: .poll)
        #expect(receipt == .message(ReceivedMessage(sender: a, opcode: 1, payload: largest, cap: .null, reply: .null)))
        #expect(throws: SysError.wouldBlock) { try f.kernel.receive(a, from: endpoint, capacity: 64, timeout: .poll) }
        f.expectBaseline(after: [a])
    }

    @Test func sendAndReceiveCheckHandleTypeAndRights() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, sendOnly) = try f.kernel.connect(owner: b, peer: a, peerRights: [.send])
        let receiveOnly = try f.kernel.grantCopy(of: inbox, held: b, rights: [.receive], to: a)
        let buffer = try f.kernel.createBuffer(a, size: 8)
        for raw: Int64 in [0, -1, 99, 1 << 32 | 1] {
            #expect(throws: SysError.invalidHandle) { try f.kernel.send(a, to: Handle(rawValue: raw), opcode: 0, payload: []) }
            #expect(throws: SysError.invalidHandle) {
                try f.kernel.receive(a, from: Handle(rawValue: raw), capacity: 64, timeout: .poll)
            }
        }
        #expect(throws: SysError.wrongType) { try f.kernel.send(a, to: buffer, opcode: 0, payload: []) }
        #expect(throws: SysError.wrongType) { try f.kernel.receive(a, from: buffer, capacity: 64, timeout: .poll) }
        #expect(throws: SysError.noRights) { try f.kernel.send(a, to: receiveOnly, opcode: 0, payload: []) }
        #expect(throws: SysError.noRights) { try f.kernel.receive(a, from: sendOnly, capacity: 64, timeout: .poll) }
        // A forged cap to pass is refused before anything is queued.
        #expect(throws: SysError.invalidHandle) {
            try f.kernel.send(a, to: sendOnly, opcode: 0, payload: [], cap: Handle(rawValue: 77))
        }
        #expect(throws: SysError.wouldBlock) { try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll) }
        f.expectBaseline(after: [a, b])
    }

    @Test func anEndedActorGetsShutdownFromEveryCall() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let endpoint = try f.kernel.createEndpoint(a)
        f.kernel.terminate(a, reason: .exited(code: 0))
        #expect(throws: SysError.shutdown) { try f.kernel.send(a, to: endpoint, opcode: 0, payload: []) }
        #expect(throws: SysError.shutdown) { try f.kernel.receive(a, from: endpoint, capacity: 64, timeout: .poll) }
        #expect(throws: SysError.shutdown) { try f.kernel.createBuffer(a, size: 1) }
        #expect(throws: SysError.shutdown) { try f.kernel.createEndpoint(a) }
        #expect(throws: SysError.shutdown) { try f.kernel.info(a, endpoint) }
        #expect(f.kernel.framebufferInfo(a) == 0)
        f.expectBaseline(after: [])
    }

    /// When the owner of an endpoint ends, the endpoint closes: docs/ABI.md
    /// ("Faults and limits") promises its peers PEER_CLOSED.
    @Test func sendAfterTheOwnerIsTerminatedIsPeerClosed() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (_, outbox) = try f.kernel.connect(owner: b, peer: a)
        f.kernel.terminate(b, reason: .trapped("test"))
        #expect(throws: SysError.self) { try f.kernel.send(a, to: outbox, opcode: 0, payload: []) }
        // The peer's cap was derived from the dead owner's, so it went with it.
        #expect(throws: SysError.invalidHandle) { try f.kernel.send(a, to: outbox, opcode: 0, payload: []) }
        f.expectBaseline(after: [a])
    }

    @Test func aBlockedReceiverWakesWhenTheOwnerIsTerminated() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (_, shared) = try f.kernel.connect(owner: b, peer: a, peerRights: [.receive])
        let kernel = f.kernel
        let receiver = Background { () throws(SysError) in try kernel.receive(a, from: shared, capacity: 64) }
        #expect(f.kernel.waitUntilBlocked(a))
        f.kernel.terminate(b, reason: .trapped("test"))
        let outcome = receiver.outcome()
        #expect(outcome?.failure != nil)  // woken, with an error
        // Its cap was derived from the dead owner's and was revoked under it.
        #expect(outcome?.failure == .invalidHandle)
        if outcome == nil { f.kernel.terminate(a, reason: .shutdown) }
        f.expectBaseline(after: [a])
    }

    @Test func aCapRevokedWhileInFlightArrivesAsNull() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        let buffer = try f.kernel.createBuffer(a, size: 8)
        try f.kernel.send(a, to: outbox, opcode: 1, payload: [], cap: buffer)
        try f.kernel.release(a, buffer)  // the in-flight cap was derived from it
        #expect(f.kernel.counts.objects == 1)  // only the endpoint is left
        #expect(try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll)
            == .message(ReceivedMessage(sender: a, opcode: 1, payload: [], cap: .null, reply: .null)))
        f.expectBaseline(after: [a, b])
    }

    @Test func aClosingEndpointDropsItsQueueAndTheCapsInIt() throws {
        let f = KernelFixture()
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (_, outbox) = try f.kernel.connect(owner: b, peer: a)
        let buffer = try f.kernel.createBuffer(a, size: 8)
        try f.kernel.send(a, to: outbox, opcode: 1, payload: [], cap: buffer)
        try f.kernel.send(a, to: outbox, opcode: 2, payload: [], cap: buffer)
        #expect(f.kernel.counts == KernelCounts(liveActors: 2, capabilities: 5, objects: 2))
        f.kernel.terminate(b, reason: .exited(code: 0))
        // b's endpoint, a's cap to it and the two caps in flight are gone; a's buffer stays.
        #expect(f.kernel.counts == KernelCounts(liveActors: 1, capabilities: 1, objects: 1))
        #expect(try f.kernel.info(a, buffer).kind == .buffer)
        f.expectBaseline(after: [a])
    }

    @Test func endpointsHoldingEachOthersCapsAreFreed() throws {
        let f = KernelFixture()
        let a = f.kernel.createActor(name: "a")
        let first = try f.kernel.createEndpoint(a)
        let second = try f.kernel.createEndpoint(a)
        try f.kernel.send(a, to: first, opcode: 1, payload: [], cap: second)
        try f.kernel.send(a, to: second, opcode: 1, payload: [], cap: first)
        try f.kernel.send(a, to: first, opcode: 1, payload: [], cap: first)
        try f.kernel.release(a, first)
        try f.kernel.release(a, second)
        #expect(f.kernel.counts == KernelCounts(liveActors: 1, capabilities: 0, objects: 0))
        f.expectBaseline(after: [a])
    }
}
