import Interp
import Kernel
import Testing

/// Two Rust actors written against the SDK (`actors/ping`, `actors/pong`),
/// built by scripts/build-actors: `wsk::call`, `wsk::recv`, `wsk::reply`,
/// `wsk::send` and `wsk::logf!` end to end on the interpreter.
@Suite struct PingPongTests {
    /// Ten seconds: far more than any case here needs, short enough to fail a hang.
    static let patience = Timeout.nanoseconds(10_000_000_000)

    /// Spawns pong with an endpoint of its own as handle 1.
    func spawnPong(_ system: TestSystem) throws -> ActorID {
        try system.host.spawn(system.host.load(path: actorPath("pong"))) { pong in
            let endpoint = try system.kernel.createEndpoint(pong)
            #expect(endpoint == Handle(rawValue: 1))
        }
    }

    @Test(arguments: Tier.allCases) func thousandRoundTrips(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let before = system.kernel.counts
        let pong = try spawnPong(system)
        let ping = try system.host.spawn(system.host.load(path: actorPath("ping"))) { ping in
            let endpoint = try system.kernel.grantCopy(of: Handle(rawValue: 1), held: pong, rights: [.send], to: ping)
            #expect(endpoint == Handle(rawValue: 1))
        }
        #expect(system.host.wait(for: ping))
        #expect(system.host.wait(for: pong))
        #expect(system.log.lines(of: "ping") == ["ping: 1000 round trips ok"])
        #expect(system.log.lines(of: "pong") == ["pong stopping"])
        #expect(system.kernel.exitReason(of: ping) == .exited(code: 0))
        #expect(system.kernel.exitReason(of: pong) == .exited(code: 0))
        #expect(system.kernel.counts == before)
    }

    /// Requests pong does not answer cost it nothing and end the caller's wait
    /// at once: a payload too large for its buffer (the SDK's
    /// `BufferTooSmall`), an unknown opcode, a PING without a number.
    @Test(arguments: Tier.allCases) func pongDropsWhatItDoesNotAnswer(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let before = system.kernel.counts
        let pong = try spawnPong(system)
        let driver = system.kernel.createActor(name: "driver")
        let endpoint = try system.kernel.grantCopy(of: Handle(rawValue: 1), held: pong, rights: [.send], to: driver)
        func call(_ opcode: UInt32, _ payload: [UInt8]) throws(SysError) -> CallOutcome {
            try system.kernel.call(
                driver, to: endpoint, opcode: opcode, payload: payload, capacity: 64, timeout: Self.patience)
        }

        #expect(throws: SysError.peerClosed) { try call(1, [UInt8](repeating: 7, count: 1000)) }
        #expect(throws: SysError.peerClosed) { try call(9, [1, 0, 0, 0]) }
        #expect(throws: SysError.peerClosed) { try call(1, [1, 0]) }
        let answer = try call(1, [41, 0, 0, 0])
        #expect(answer == .answer(ReceivedMessage(sender: pong, opcode: 2, payload: [42, 0, 0, 0], cap: .null, reply: .null)))
        #expect(system.kernel.capabilityCount(of: driver) == 1)

        try system.kernel.send(driver, to: endpoint, opcode: 3, payload: [])
        #expect(system.host.wait(for: pong))
        #expect(system.log.lines(of: "pong") == ["pong stopping"])
        #expect(system.kernel.exitReason(of: pong) == .exited(code: 0))
        system.kernel.terminate(driver, reason: .exited(code: 0))
        #expect(system.kernel.counts == before)
    }

    /// A wrong answer is logged with what came and what was expected, and
    /// ends ping with code 1.
    @Test(arguments: Tier.allCases) func pingReportsAWrongAnswer(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let before = system.kernel.counts
        let impostor = system.kernel.createActor(name: "impostor")
        let endpoint = try system.kernel.createEndpoint(impostor)
        let ping = try system.host.spawn(system.host.load(path: actorPath("ping"))) { ping in
            _ = try system.kernel.grantCopy(of: endpoint, held: impostor, rights: [.send], to: ping)
        }
        let receipt = try system.kernel.receive(impostor, from: endpoint, capacity: 64, timeout: Self.patience)
        guard case .message(let request) = receipt else {
            Issue.record("expected a request, got \(receipt)")
            return
        }
        #expect(request.sender == ping)
        #expect(request.opcode == 1)
        #expect(request.payload == [0, 0, 0, 0])
        try system.kernel.send(impostor, to: request.reply, opcode: 2, payload: [5, 0, 0, 0])
        #expect(system.host.wait(for: ping))
        #expect(
            system.log.lines(of: "ping") == [
                "ping: call 0 answered opcode 2 payload [5, 0, 0, 0], expected opcode 2 payload 1"
            ])
        #expect(system.kernel.exitReason(of: ping) == .exited(code: 1))
        system.kernel.terminate(impostor, reason: .exited(code: 0))
        #expect(system.kernel.counts == before)
    }
}
