import Testing

@testable import Kernel

/// `call` and the reply cap: the answer, timeouts, a callee that drops the
/// reply or dies, and answers too large for the caller's buffer.
@Suite struct CallReplyTests {
    /// a (caller) and b (callee, owning the endpoint a calls).
    struct Pair {
        let f: KernelFixture
        let a: ActorID
        let b: ActorID
        let inbox: Handle
        let outbox: Handle

        init(limits: KernelLimits = KernelLimits()) throws {
            f = KernelFixture(limits: limits)
            a = f.kernel.createActor(name: "caller")
            b = f.kernel.createActor(name: "callee")
            (inbox, outbox) = try f.kernel.connect(owner: b, peer: a)
        }

        var kernel: Kernel { f.kernel }

        /// `a` calls on another thread.
        func call(payload: [UInt8] = [1], capacity: Int = 256, timeout: Timeout = .nanoseconds(5_000_000_000))
            -> Background<CallOutcome>
        {
            let (kernel, a, outbox) = (kernel, a, outbox)
            return Background { () throws(SysError) in
                try kernel.call(a, to: outbox, opcode: 9, payload: payload, capacity: capacity, timeout: timeout)
            }
        }

        /// `b` takes the request off its queue.
        func takeRequest() throws -> ReceivedMessage {
            let receipt = try kernel.receive(b, from: inbox, capacity: 256, timeout: .nanoseconds(5_000_000_000))
            guard case .message(let message) = receipt else { throw SysError.bufferTooSmall }
            return message
        }
    }

    @Test func theCalleeAnswersOnTheReplyCap() throws {
        let p = try Pair()
        let caller = p.call(payload: [1, 2, 3])
        let request = try p.takeRequest()
        #expect(request.sender == p.a)
        #expect(request.opcode == 9)
        #expect(request.payload == [1, 2, 3])
        #expect(request.cap == .null)
        #expect(try p.kernel.info(p.b, request.reply) == CapabilityInfo(kind: .reply, rights: [.send], size: 0))
        try p.kernel.send(p.b, to: request.reply, opcode: 10, payload: [4, 5])
        #expect(caller.outcome()?.value
            == .answer(ReceivedMessage(sender: p.b, opcode: 10, payload: [4, 5], cap: .null, reply: .null)))
        // One answer per reply cap: it is gone.
        #expect(throws: SysError.invalidHandle) { try p.kernel.send(p.b, to: request.reply, opcode: 10, payload: []) }
        p.f.expectBaseline(after: [p.a, p.b])
    }

    /// A request to a callee already blocked in receive is handed straight to
    /// it (as a send is), with the reply cap and the cap it carries.
    @Test func aRequestWithACapReachesACalleeBlockedInReceive() throws {
        let p = try Pair()
        let (kernel, b, inbox) = (p.kernel, p.b, p.inbox)
        let callee = Background { () throws(SysError) in
            try kernel.receive(b, from: inbox, capacity: 256, timeout: .nanoseconds(5_000_000_000))
        }
        #expect(p.kernel.waitUntilBlocked(p.b))
        let buffer = try p.kernel.createBuffer(p.a, size: 8)
        let (a, outbox) = (p.a, p.outbox)
        let caller = Background { () throws(SysError) in
            try kernel.call(a, to: outbox, opcode: 9, payload: [7], cap: buffer, capacity: 256, timeout: .nanoseconds(5_000_000_000))
        }
        guard case .message(let request)? = callee.outcome()?.value else { Issue.record("no request"); return }
        #expect(try p.kernel.queueProgress(p.b, p.inbox) == (queued: 0, taken: 1))
        #expect(try p.kernel.info(p.b, request.cap) == CapabilityInfo(kind: .buffer, rights: [.read, .write, .grant], size: 8))
        try p.kernel.send(p.b, to: request.reply, opcode: 10, payload: [8])
        #expect(caller.outcome()?.value
            == .answer(ReceivedMessage(sender: p.b, opcode: 10, payload: [8], cap: .null, reply: .null)))
        p.f.expectBaseline(after: [p.a, p.b])
    }

    @Test func anAnswerMayCarryACap() throws {
        let p = try Pair()
        let caller = p.call()
        let request = try p.takeRequest()
        let buffer = try p.kernel.createBuffer(p.b, size: 12)
        try p.kernel.send(p.b, to: request.reply, opcode: 1, payload: [], cap: buffer)
        guard case .answer(let answer)? = caller.outcome()?.value else { Issue.record("no answer"); return }
        #expect(try p.kernel.info(p.a, answer.cap) == CapabilityInfo(kind: .buffer, rights: [.read, .write, .grant], size: 12))
        p.f.expectBaseline(after: [p.a, p.b])
    }

    @Test func aTimedOutCallRefusesTheLateAnswer() throws {
        let p = try Pair()
        #expect(throws: SysError.timedOut) {
            try p.kernel.call(p.a, to: p.outbox, opcode: 9, payload: [], capacity: 64, timeout: .nanoseconds(10_000_000))
        }
        let request = try p.takeRequest()
        #expect(throws: SysError.peerClosed) { try p.kernel.send(p.b, to: request.reply, opcode: 1, payload: [7]) }
        // The caller's next call is not confused by the stale answer slot.
        let caller = p.call()
        let second = try p.takeRequest()
        try p.kernel.send(p.b, to: second.reply, opcode: 2, payload: [8])
        #expect(caller.outcome()?.value
            == .answer(ReceivedMessage(sender: p.b, opcode: 2, payload: [8], cap: .null, reply: .null)))
        p.f.expectBaseline(after: [p.a, p.b])
    }

    @Test func aPollingCallWithNoAnswerYetIsWouldBlock() throws {
        let p = try Pair()
        #expect(throws: SysError.wouldBlock) {
            try p.kernel.call(p.a, to: p.outbox, opcode: 9, payload: [], capacity: 64, timeout: .poll)
        }
        let request = try p.takeRequest()
        #expect(throws: SysError.peerClosed) { try p.kernel.send(p.b, to: request.reply, opcode: 1, payload: []) }
        p.f.expectBaseline(after: [p.a, p.b])
    }

    @Test func theCalleeReleasingTheReplyCapIsPeerClosed() throws {
        let p = try Pair()
        let caller = p.call()
        let request = try p.takeRequest()
        try p.kernel.release(p.b, request.reply)
        #expect(caller.outcome()?.failure == .peerClosed)
        p.f.expectBaseline(after: [p.a, p.b])
    }

    @Test func theCalleeDyingWithTheRequestIsPeerClosed() throws {
        let p = try Pair()
        let caller = p.call()
        _ = try p.takeRequest()
        p.kernel.terminate(p.b, reason: .trapped("test"))
        #expect(caller.outcome()?.failure == .peerClosed)
        p.f.expectBaseline(after: [p.a])
    }

    @Test func theCalleeDyingBeforeItReceivedIsPeerClosed() throws {
        let p = try Pair()
        let caller = p.call()
        #expect(p.kernel.waitUntilBlocked(p.a))
        p.kernel.terminate(p.b, reason: .trapped("test"))  // its queue, and the reply cap in it, are dropped
        #expect(caller.outcome()?.failure == .peerClosed)
        p.f.expectBaseline(after: [p.a])
    }

    @Test func theCallerDyingWhileWaitingWakesItAndRefusesTheAnswer() throws {
        let p = try Pair()
        let caller = p.call(timeout: .forever)
        let request = try p.takeRequest()
        #expect(p.kernel.waitUntilBlocked(p.a))
        p.kernel.terminate(p.a, reason: .killed(by: nil))
        #expect(caller.outcome()?.failure == .shutdown)
        #expect(throws: SysError.peerClosed) { try p.kernel.send(p.b, to: request.reply, opcode: 1, payload: []) }
        p.f.expectBaseline(after: [p.b])
    }

    @Test func anAnswerTooLargeIsParkedAndReceivedFromTheParkedHandle() throws {
        let p = try Pair()
        let caller = p.call(capacity: 24)
        let request = try p.takeRequest()
        try p.kernel.send(p.b, to: request.reply, opcode: 11, payload: ramp(16))
        guard case .parked(let opcode, let needed, let parked)? = caller.outcome()?.value else {
            Issue.record("not parked"); return
        }
        #expect(opcode == 11)
        #expect(needed == 40)
        #expect(try p.kernel.info(p.a, parked) == CapabilityInfo(kind: .reply, rights: [.receive], size: 0))
        #expect(throws: SysError.noRights) { try p.kernel.send(p.a, to: parked, opcode: 0, payload: []) }
        #expect(try p.kernel.receive(p.a, from: parked, capacity: 39, timeout: .poll) == .tooSmall(opcode: 11, needed: 40))
        #expect(try p.kernel.receive(p.a, from: parked, capacity: 40, timeout: .poll)
            == .message(ReceivedMessage(sender: p.b, opcode: 11, payload: ramp(16), cap: .null, reply: .null)))
        #expect(throws: SysError.invalidHandle) { try p.kernel.receive(p.a, from: parked, capacity: 40, timeout: .poll) }
        p.f.expectBaseline(after: [p.a, p.b])
    }

    @Test func aParkedAnswerNeverFetchedIsFreedWithTheCaller() throws {
        let p = try Pair()
        let caller = p.call(capacity: 24)
        let request = try p.takeRequest()
        let buffer = try p.kernel.createBuffer(p.b, size: 4)
        try p.kernel.send(p.b, to: request.reply, opcode: 11, payload: ramp(16), cap: buffer)
        guard case .parked(_, _, let parked)? = caller.outcome()?.value else { Issue.record("not parked"); return }
        try p.kernel.release(p.a, parked)  // the answer and the cap it carried go with it
        #expect(p.kernel.counts == KernelCounts(liveActors: 2, capabilities: 3, objects: 2))
        p.f.expectBaseline(after: [p.a, p.b])
    }

    /// An answer that cannot be delivered (no room for its cap, or for the
    /// parked handle) is dropped with NO_SPACE: its caps go at once rather than
    /// linger in the callee's derivation tree.
    @Test func anAnswerTheCallerHasNoRoomForIsDroppedWithNoSpace() throws {
        var limits = KernelLimits()
        limits.capabilitySpaceCapacity = 3  // b: inbox, its buffer, the reply cap
        let p = try Pair(limits: limits)
        let filler = try p.kernel.createBuffer(p.a, size: 1)
        _ = try p.kernel.createBuffer(p.a, size: 1)  // a's space is full now
        let answerCap = try p.kernel.createBuffer(p.b, size: 4)
        for capacity in [256, 24] {  // delivered, then parked
            let caller = p.call(capacity: capacity)
            let request = try p.takeRequest()
            try p.kernel.send(p.b, to: request.reply, opcode: 1, payload: ramp(8), cap: answerCap)
            #expect(caller.outcome()?.failure == .noSpace)
            // a: outbox and two fillers; b: inbox and its buffer. Nothing in flight.
            #expect(p.kernel.counts == KernelCounts(liveActors: 2, capabilities: 5, objects: 4))
        }
        // The caller recovers: with room again its next call is answered.
        try p.kernel.release(p.a, filler)
        let caller = p.call()
        let request = try p.takeRequest()
        try p.kernel.send(p.b, to: request.reply, opcode: 2, payload: [], cap: answerCap)
        guard case .answer(let answer)? = caller.outcome()?.value else { Issue.record("no answer"); return }
        #expect(answer.opcode == 2)
        #expect(try p.kernel.info(p.a, answer.cap).kind == .buffer)
        p.f.expectBaseline(after: [p.a, p.b])
    }

    @Test func callChecksItsArguments() throws {
        var limits = KernelLimits()
        limits.defaultEndpointCapacity = 1
        let p = try Pair(limits: limits)
        let buffer = try p.kernel.createBuffer(p.a, size: 8)
        let receiveOnly = try p.kernel.grantCopy(of: p.inbox, held: p.b, rights: [.receive], to: p.a)
        let noGrant = try p.kernel.derive(p.a, buffer, rights: [.read])
        func call(_ handle: Handle, payload: [UInt8] = [], cap: Handle = .null) throws(SysError) {
            _ = try p.kernel.call(p.a, to: handle, opcode: 0, payload: payload, cap: cap, capacity: 64, timeout: .poll)
        }
        #expect(throws: SysError.invalidHandle) { try call(Handle(rawValue: 1234)) }
        #expect(throws: SysError.wrongType) { try call(buffer) }
        #expect(throws: SysError.noRights) { try call(receiveOnly) }
        #expect(throws: SysError.noRights) { try call(p.outbox, cap: noGrant) }
        #expect(throws: SysError.invalidArgument) { try call(p.outbox, payload: [UInt8](repeating: 0, count: ABI.maxPayload + 1)) }
        #expect(throws: SysError.wouldBlock) { try call(p.outbox) }  // fills the one-message queue
        #expect(throws: SysError.queueFull) { try call(p.outbox) }
        p.f.expectBaseline(after: [p.a, p.b])
    }
}
