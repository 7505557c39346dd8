import Testing

@testable import Kernel

/// Queued messages and kernel objects are charged to the actor that caused
/// them, against its own limit and the global budget, and given back when
/// they go.
@Suite struct MemoryChargeTests {
    static let limit = 4 << 20
    static let fullMessage = [UInt8](repeating: 0xab, count: ABI.maxPayload)
    static var limits: KernelLimits {
        var limits = KernelLimits()
        limits.actorMemoryLimit = limit
        limits.maxEndpointCapacity = 1024
        return limits
    }

    /// 64 KiB messages an actor can queue on its own endpoint of capacity
    /// 1024 within a 4 MiB limit: (4 MiB − the endpoint) / (64 KiB + overhead).
    static let fitting = (limit - Kernel.endpointCost(capacity: 1024)) / Message.cost(payloadBytes: ABI.maxPayload)

    @Test func theCountThatFitsIsDerivedFromTheLimitAndTheMessageCost() {
        #expect(Kernel.endpointCost(capacity: 1024) == 266_240)
        #expect(Message.cost(payloadBytes: ABI.maxPayload) == 66_048)
        #expect(Self.fitting == 59)  // 3 928 064 / 66 048 = 59.47
    }

    /// Fills `endpoint` with 64 KiB messages until the sender is refused;
    /// returns how many were queued.
    static func fill(_ kernel: Kernel, _ sender: ActorID, _ endpoint: Handle) -> Int {
        var sent = 0
        while (try? kernel.send(sender, to: endpoint, opcode: 1, payload: fullMessage)) != nil { sent += 1 }
        return sent
    }

    @Test func queuedPayloadsAreChargedToTheSenderUntilReceived() throws {
        let f = KernelFixture(limits: Self.limits)
        let a = f.kernel.createActor(name: "a")
        let account = try #require(f.kernel.account(of: a))
        let baseline = f.kernel.budget.used
        let endpoint = try f.kernel.createEndpoint(a, capacity: 1024)
        #expect(f.kernel.budget.used == baseline + Kernel.endpointCost(capacity: 1024))
        #expect(Self.fill(f.kernel, a, endpoint) == Self.fitting)
        // The refusal is exact and queues nothing.
        #expect(throws: SysError.noMemory) { try f.kernel.send(a, to: endpoint, opcode: 1, payload: Self.fullMessage) }
        #expect(try f.kernel.queueProgress(a, endpoint).queued == Self.fitting)
        let full = Kernel.endpointCost(capacity: 1024) + Self.fitting * Message.cost(payloadBytes: ABI.maxPayload)
        #expect(account.used == full)
        #expect(f.kernel.budget.used == baseline + full)
        // An empty message still costs its overhead: it fits only while that does.
        #expect(Self.limit - full >= Message.overhead)
        try f.kernel.send(a, to: endpoint, opcode: 2, payload: [])
        #expect(account.used == full + Message.overhead)
        // Receiving gives each message's cost back.
        guard case .message(let first) = try f.kernel.receive(a, from: endpoint, capacity: 1 << 17, timeout: .poll) else {
            Issue.record("no message")
            return
        }
        #expect(first.payload == Self.fullMessage)
        #expect(account.used == full + Message.overhead - Message.cost(payloadBytes: ABI.maxPayload))
        for _ in 0..<Self.fitting { _ = try f.kernel.receive(a, from: endpoint, capacity: 1 << 17, timeout: .poll) }
        #expect(try f.kernel.queueProgress(a, endpoint).queued == 0)
        #expect(account.used == Kernel.endpointCost(capacity: 1024))
        #expect(f.kernel.invariantViolations() == [])
        f.expectBaseline(after: [a])
        #expect(f.kernel.budget.used == baseline)
    }

    @Test func closingTheEndpointGivesBackWhatItHeld() throws {
        let f = KernelFixture(limits: Self.limits)
        let a = f.kernel.createActor(name: "a")
        let baseline = f.kernel.budget.used
        let endpoint = try f.kernel.createEndpoint(a, capacity: 1024)
        #expect(Self.fill(f.kernel, a, endpoint) == Self.fitting)
        try f.kernel.release(a, endpoint)
        #expect(f.kernel.budget.used == baseline)
        #expect(f.kernel.account(of: a)?.used == 0)
        #expect(f.kernel.invariantViolations() == [])
        f.expectBaseline(after: [a])
    }

    @Test func theSendersDeathDropsWhatItQueuedOnItsOwnEndpoint() throws {
        let f = KernelFixture(limits: Self.limits)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let baseline = f.kernel.budget.used
        let endpoint = try f.kernel.createEndpoint(a, capacity: 1024)
        _ = try f.kernel.grantCopy(of: endpoint, held: a, rights: [.receive], to: b)
        #expect(Self.fill(f.kernel, a, endpoint) == Self.fitting)
        let account = try #require(f.kernel.account(of: a))
        f.kernel.terminate(a, reason: .killed(by: nil))
        #expect(account.used == 0)
        #expect(f.kernel.budget.used == baseline)
        #expect(f.kernel.invariantViolations() == [])
        f.expectBaseline(after: [b])
    }

    @Test func aMessageOutlivingItsSenderStaysChargedUntilReceived() throws {
        let f = KernelFixture(limits: Self.limits)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, toB) = try f.kernel.connect(owner: b, peer: a)
        let baseline = f.kernel.budget.used
        let account = try #require(f.kernel.account(of: a))
        try f.kernel.send(a, to: toB, opcode: 9, payload: [1, 2, 3])
        f.kernel.terminate(a, reason: .exited(code: 0))
        // The dead sender's account still pays for its last word.
        #expect(account.used == Message.cost(payloadBytes: 3))
        #expect(f.kernel.budget.used == baseline + Message.cost(payloadBytes: 3))
        #expect(f.kernel.invariantViolations() == [])
        #expect(try f.kernel.receive(b, from: inbox, capacity: 64, timeout: .poll)
            == .message(ReceivedMessage(sender: a, opcode: 9, payload: [1, 2, 3], cap: .null, reply: .null)))
        #expect(account.used == 0)
        #expect(f.kernel.budget.used == baseline)
        f.expectBaseline(after: [b])
    }

    @Test func aMessageHandedToAWaitingReceiverIsNeverCharged() throws {
        let f = KernelFixture(limits: Self.limits)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (inbox, toB) = try f.kernel.connect(owner: b, peer: a)
        let account = try #require(f.kernel.account(of: a))
        let kernel = f.kernel
        let receiver = Background { () throws(SysError) in try kernel.receive(b, from: inbox, capacity: 1 << 17) }
        #expect(f.kernel.waitUntilBlocked(b))
        try f.kernel.send(a, to: toB, opcode: 1, payload: Self.fullMessage)
        #expect(account.used == 0)
        guard case .message(let message) = receiver.outcome()?.value else {
            Issue.record("no message")
            return
        }
        #expect(message.payload == Self.fullMessage)
        f.expectBaseline(after: [a, b])
    }

    @Test func callRequestsAndParkedAnswersAreChargedToTheirSenders() throws {
        let f = KernelFixture(limits: Self.limits)
        let (caller, callee) = (f.kernel.createActor(name: "caller"), f.kernel.createActor(name: "callee"))
        let (inbox, toCallee) = try f.kernel.connect(owner: callee, peer: caller)
        let callerAccount = try #require(f.kernel.account(of: caller))
        let calleeAccount = try #require(f.kernel.account(of: callee))
        let kernel = f.kernel
        let call = Background { () throws(SysError) in
            try kernel.call(caller, to: toCallee, opcode: 5, payload: [7, 7], capacity: 64)
        }
        #expect(f.kernel.waitUntilBlocked(caller))
        #expect(callerAccount.used == Message.cost(payloadBytes: 2))
        guard case .message(let request) = try f.kernel.receive(callee, from: inbox, capacity: 64, timeout: .poll) else {
            Issue.record("no request")
            return
        }
        #expect(callerAccount.used == 0)
        // A 100-byte answer does not fit the caller's 64: it is parked, charged to the callee.
        try f.kernel.send(callee, to: request.reply, opcode: 6, payload: ramp(100))
        guard case .parked(_, let needed, let reply) = call.outcome()?.value else {
            Issue.record("answer not parked")
            return
        }
        #expect(needed == ABI.messageHeaderSize + 100)
        #expect(calleeAccount.used == Kernel.endpointCost(capacity: 64) + Message.cost(payloadBytes: 100))
        #expect(f.kernel.invariantViolations() == [])
        // Dropping the parked answer gives its cost back.
        try f.kernel.release(caller, reply)
        #expect(calleeAccount.used == Kernel.endpointCost(capacity: 64))
        f.expectBaseline(after: [caller, callee])
        #expect(f.kernel.budget.used == 0)
    }

    @Test func theGlobalBudgetStopsActorsThatAreEachWithinTheirLimit() throws {
        var limits = Self.limits
        limits.globalMemoryBudget = Self.limit
        let f = KernelFixture(limits: limits)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let (ownA, ownB) = (try f.kernel.createEndpoint(a, capacity: 1024), try f.kernel.createEndpoint(b, capacity: 1024))
        for _ in 0..<30 { try f.kernel.send(a, to: ownA, opcode: 1, payload: Self.fullMessage) }
        let cost = Message.cost(payloadBytes: ABI.maxPayload)
        let used = 2 * Kernel.endpointCost(capacity: 1024) + 30 * cost
        #expect(f.kernel.budget.used == used)
        // What is left of the budget, in 64 KiB messages: (4 MiB − 2 513 920) / 66 048 = 25.4.
        let left = (Self.limit - used) / cost
        #expect(left == 25)
        #expect(Self.fill(f.kernel, b, ownB) == left)
        let bAccount = try #require(f.kernel.account(of: b))
        #expect(bAccount.used + cost <= bAccount.limit, "b is refused by the budget, not by its own limit")
        #expect(bAccount.charge(cost) == .globalBudget)
        #expect(throws: SysError.noMemory) { try f.kernel.send(b, to: ownB, opcode: 1, payload: Self.fullMessage) }
        #expect(throws: SysError.noMemory) { try f.kernel.createBuffer(b, size: cost) }
        #expect(throws: SysError.noMemory) { try f.kernel.createEndpoint(b, capacity: 1024) }
        // When a's messages go, b may send again.
        try f.kernel.release(a, ownA)
        try f.kernel.send(b, to: ownB, opcode: 1, payload: Self.fullMessage)
        #expect(f.kernel.invariantViolations() == [])
        f.expectBaseline(after: [a, b])
        #expect(f.kernel.budget.used == 0)
    }

    @Test func kernelObjectsAreChargedToTheAccountAndGivenBackAfterTheCreatorEnds() throws {
        let f = KernelFixture(limits: Self.limits)
        let (a, b) = (f.kernel.createActor(name: "a"), f.kernel.createActor(name: "b"))
        let account = try #require(f.kernel.account(of: a))
        let buffer = try f.kernel.createBuffer(a, size: 1000)
        let lent = try f.kernel.grantCopy(of: buffer, held: a, to: b)
        #expect(account.used == 1000)
        // b's copy is derived from a's: when a ends, the buffer goes, and its charge with it.
        f.kernel.terminate(a, reason: .exited(code: 0))
        #expect(throws: SysError.invalidHandle) { try f.kernel.info(b, lent) }
        #expect(account.used == 0)
        f.expectBaseline(after: [b])
    }
}
