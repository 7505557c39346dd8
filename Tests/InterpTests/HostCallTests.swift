import Interp
import Testing

@testable import Kernel

/// The seed's seven host calls as a Wasm actor sees them: results, error
/// codes and what lands in linear memory.
@Suite struct HostCallTests {
    @Test(arguments: Tier.allCases) func logWritesTheLineUnderTheActorsName(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let actor = try system.run(
            reportingActor(
                body: """
                    (call $log (i32.const 16) (i32.const 11))
                    (call $log (i32.const 0xFFFFFFF0) (i32.const 32))  ;; bad pointer: nothing
                    (call $log (i32.const 65530) (i32.const 10))       ;; runs past memory: nothing
                    (call $log (i32.const 32) (i32.const 4))           ;; invalid UTF-8 is replaced
                    (memory.fill (i32.const 1024) (i32.const 0x61) (i32.const 5000))
                    (call $log (i32.const 1024) (i32.const 5000))      ;; cut at 4096 bytes
                    """,
                data: #"(data (i32.const 16) "hello, host") (data (i32.const 32) "ok\ff!")"#),
            name: "talker")
        #expect(system.host.wait(for: actor))
        #expect(system.log.lines(of: "talker") == ["hello, host", "ok\u{FFFD}!", String(repeating: "a", count: 4096)])
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
        system.expectClean(baseline: baseline, actors: [actor])
    }

    @Test(arguments: Tier.allCases) func exitEndsTheActorWithItsCodeAndRunsNothingAfter(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        var actors: [ActorID] = []
        for code: Int32 in [3, -1, 0] {
            actors.append(try system.run(
                reportingActor(
                    body: "(call $exit (i32.const \(code))) (call $log (i32.const 16) (i32.const 5))",
                    data: #"(data (i32.const 16) "after")"#),
                name: "exit\(code)"))
        }
        for (actor, code) in zip(actors, [3, -1, 0] as [Int32]) {
            #expect(system.host.wait(for: actor))
            #expect(system.kernel.exitReason(of: actor) == .exited(code: code))
            #expect(system.log.lines(of: "exit\(code)") == [])
        }
        system.expectClean(baseline: baseline, actors: actors)
    }

    @Test(arguments: Tier.allCases) func returningFromStartIsExitZero(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let actor = try system.run(#"(module (memory (export "memory") 1) (func (export "_start")))"#)
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
        system.expectClean(baseline: KernelCounts(liveActors: 0, capabilities: 0, objects: 0), actors: [actor])
    }

    @Test(arguments: Tier.allCases) func sendDeliversAndReportsEachError(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (local.set $buffer (call $buffer_create (i32.const 8)))
                    (local.set $noGrant (call $derive (local.get $buffer) (i32.const 0x03)))
                    (local.set $small (call $endpoint_create (i32.const 2)))
                    (call $report32 (call $send (i64.const 1) (i32.const 7) (i32.const 16) (i32.const 5) (i64.const 0)))
                    (call $report32 (call $send (i64.const 1) (i32.const 8) (i32.const 16) (i32.const 0) (local.get $buffer)))
                    (call $report32 (call $send (i64.const 1) (i32.const 9) (i32.const 0) (i32.const 65536) (i64.const 0)))
                    (call $report32 (call $send (i64.const 99) (i32.const 7) (i32.const 16) (i32.const 5) (i64.const 0)))
                    (call $report32 (call $send (local.get $buffer) (i32.const 7) (i32.const 16) (i32.const 5) (i64.const 0)))
                    (call $report32 (call $send (i64.const 2) (i32.const 7) (i32.const 16) (i32.const 5) (i64.const 0)))
                    (call $report32 (call $send (i64.const 1) (i32.const 7) (i32.const 65535) (i32.const 2) (i64.const 0)))
                    (call $report32 (call $send (i64.const 1) (i32.const 7) (i32.const -1) (i32.const 1) (i64.const 0)))
                    (call $report32 (call $send (i64.const 1) (i32.const 7) (i32.const 16) (i32.const -1) (i64.const 0)))
                    (call $report32 (call $send (i64.const 1) (i32.const 7) (i32.const 0) (i32.const 65537) (i64.const 0)))
                    (call $report32 (call $send (i64.const 1) (i32.const 7) (i32.const 16) (i32.const 5) (i64.const 12345)))
                    (call $report32 (call $send (i64.const 1) (i32.const 7) (i32.const 16) (i32.const 5) (local.get $noGrant)))
                    (call $report32 (call $send (local.get $small) (i32.const 1) (i32.const 16) (i32.const 1) (i64.const 0)))
                    (call $report32 (call $send (local.get $small) (i32.const 1) (i32.const 16) (i32.const 1) (i64.const 0)))
                    (call $report32 (call $send (local.get $small) (i32.const 1) (i32.const 16) (i32.const 1) (i64.const 0)))
                    (call $flush (i64.const 1))
                    ;; Stay alive (so the buffer it passed stays) until the test ends it.
                    (drop (call $recv (call $endpoint_create (i32.const 1)) (i32.const 256) (i32.const 64)))
                    """,
                locals: "(local $buffer i64) (local $noGrant i64) (local $small i64)",
                data: #"(data (i32.const 16) "hello")"#),
            name: "sender"
        ) { actor in
            let send = try probe.grantSend(to: actor)
            let receiveOnly = try system.kernel.grantCopy(of: probe.endpoint, held: probe.id, rights: [.receive], to: actor)
            #expect([send, receiveOnly] == [Handle(rawValue: 1), Handle(rawValue: 2)])
        }
        #expect(try probe.next() == ReceivedMessage(sender: actor, opcode: 7, payload: Array("hello".utf8), cap: .null, reply: .null))
        let withCap = try probe.next()
        #expect(withCap.opcode == 8)
        #expect(withCap.payload == [])
        #expect(withCap.cap == Handle(rawValue: 2))  // the probe's own handle
        #expect(try system.kernel.info(probe.id, withCap.cap) == CapabilityInfo(kind: .buffer, rights: [.read, .write, .grant], size: 8))
        let large = try probe.next()
        #expect(large.opcode == 9)
        #expect(large.payload.count == 65536)
        #expect(try probe.report() == [0, 0, 0, -1, -2, -3, -4, -4, -5, -5, -1, -3, 0, 0, -6])
        system.kernel.terminate(actor, reason: .killed(by: nil))
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func receiveWritesTheHeaderAndReturnsTheSender(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (memory.fill (i32.const 256) (i32.const 0xAA) (i32.const 64))
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const 64)))
                    (call $report (i64.load32_u (i32.const 256)))   ;; opcode
                    (call $report (i64.load32_u (i32.const 260)))   ;; payload length
                    (call $report (i64.load (i32.const 264)))       ;; cap
                    (call $report (i64.load (i32.const 272)))       ;; reply
                    (call $report (i64.load (i32.const 280)))       ;; payload, 6 bytes
                    (call $report32 (call $info (i64.load (i32.const 264)) (i32.const 512)))
                    (call $report (i64.load32_u (i32.const 512)))   ;; kind
                    (call $report (i64.load (i32.const 520)))       ;; size
                    (call $flush (i64.const 1))
                    """),
            name: "receiver"
        ) { actor in
            try probe.grantSend(to: actor)
            let (_, inbox) = try system.kernel.connect(owner: actor, peer: probe.id, peerRights: [.send])
            let lent = try system.kernel.createBuffer(probe.id, size: 48)
            try system.kernel.send(probe.id, to: inbox, opcode: 0xC0FFEE, payload: [1, 2, 3, 4, 5, 6], cap: lent)
        }
        #expect(try probe.report() == [
            Int64(probe.id.rawValue), 0xC0FFEE, 6, 3, 0, Int64(bitPattern: 0xAAAA_0605_0403_0201),
            0, Int64(ObjectKind.buffer.rawValue), 48,
        ])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func receiveShowsTheReplyCapOfACallAndSendingOnItAnswers(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let client = system.kernel.createActor(name: "client")
        var answer: NativeThread<Result<CallOutcome, SysError>>?
        let server = try system.run(
            reportingActor(
                body: """
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const 64)))
                    (call $report (i64.load (i32.const 272)))  ;; the reply handle
                    (call $report32 (call $send (i64.load (i32.const 272)) (i32.const 0x34) (i32.const 280) (i32.const 3) (i64.const 0)))
                    (call $report32 (call $send (i64.load (i32.const 272)) (i32.const 0x34) (i32.const 280) (i32.const 3) (i64.const 0)))
                    (call $flush (i64.const 1))
                    """),
            name: "server"
        ) { actor in
            try probe.grantSend(to: actor)
            let (_, inbox) = try system.kernel.connect(owner: actor, peer: client, peerRights: [.send])
            let kernel = system.kernel
            answer = NativeThread {
                Result { () throws(SysError) in
                    try kernel.call(client, to: inbox, opcode: 0x33, payload: [7, 8, 9, 10], capacity: 64, timeout: .nanoseconds(5_000_000_000))
                }
            }
        }
        #expect(answer?.result() == .success(.answer(ReceivedMessage(sender: server, opcode: 0x34, payload: [7, 8, 9], cap: .null, reply: .null))))
        // The reply cap is the server's third handle; the second answer finds it consumed.
        #expect(try probe.report() == [Int64(client.rawValue), 3, 0, -1])
        system.expectClean(baseline: baseline, actors: [server], natives: [probe.id, client])
    }

    @Test(arguments: Tier.allCases) func tooSmallABufferGetsTheSizeAndKeepsTheMessage(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (memory.fill (i32.const 256) (i32.const 0xAA) (i32.const 64))
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const 16)))
                    (call $report (i64.load32_u (i32.const 256)))
                    (call $report (i64.load32_u (i32.const 260)))
                    (call $report (i64.load (i32.const 264)))       ;; untouched
                    (memory.fill (i32.const 256) (i32.const 0xAA) (i32.const 64))
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const 7)))
                    (call $report (i64.load (i32.const 256)))       ;; untouched: no room for the 8 bytes
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const 33)))
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const 34)))
                    (call $report (i64.load32_u (i32.const 256)))
                    (call $report (i64.load32_u (i32.const 260)))
                    (call $flush (i64.const 1))
                    """),
            name: "small"
        ) { actor in
            try probe.grantSend(to: actor)
            let (_, inbox) = try system.kernel.connect(owner: actor, peer: probe.id, peerRights: [.send])
            try system.kernel.send(probe.id, to: inbox, opcode: 0x77, payload: ramp(10))
        }
        let untouched = Int64(bitPattern: 0xAAAA_AAAA_AAAA_AAAA)
        #expect(try probe.report() == [-9, 0x77, 10, untouched, -9, untouched, -9, Int64(probe.id.rawValue), 0x77, 10])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func receiveReportsEachError(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (local.set $buffer (call $buffer_create (i32.const 8)))
                    (call $report (call $recv (i64.const 0) (i32.const 256) (i32.const 64)))
                    (call $report (call $recv (i64.const 0x100000002) (i32.const 256) (i32.const 64)))
                    (call $report (call $recv (local.get $buffer) (i32.const 256) (i32.const 64)))
                    (call $report (call $recv (i64.const 1) (i32.const 256) (i32.const 64)))
                    (call $report (call $recv (i64.const 2) (i32.const 0xFFFFFFF0) (i32.const 64)))
                    (call $report (call $recv (i64.const 2) (i32.const 65500) (i32.const 64)))
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const -1)))
                    (call $report (call $recv (i64.const 2) (i32.const 256) (i32.const 0x7FFFFFFF)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $buffer i64)"),
            name: "bad"
        ) { actor in
            try probe.grantSend(to: actor)
            _ = try system.kernel.connect(owner: actor, peer: probe.id, peerRights: [.send])
        }
        #expect(try probe.report() == [-1, -1, -2, -3, -4, -4, -5, -4])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func memReadAndWriteCopyAndReportEachError(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (local.set $buffer (call $buffer_create (i32.const 64)))
                    (local.set $readOnly (call $derive (local.get $buffer) (i32.const 0x01)))
                    (local.set $writeOnly (call $derive (local.get $buffer) (i32.const 0x02)))
                    (local.set $endpoint (call $endpoint_create (i32.const 0)))
                    (call $report32 (call $write (local.get $buffer) (i32.const 8) (i32.const 16) (i32.const 8)))
                    (call $report32 (call $read (local.get $buffer) (i32.const 6) (i32.const 100) (i32.const 12)))
                    (call $report (i64.load (i32.const 100)))
                    (call $report (i64.load32_u (i32.const 108)))
                    (call $report32 (call $write (local.get $buffer) (i32.const 64) (i32.const 16) (i32.const 0)))
                    ;; errors: nothing is copied by any of them
                    (call $report32 (call $write (i64.const 99) (i32.const 0) (i32.const 16) (i32.const 8)))
                    (call $report32 (call $write (local.get $endpoint) (i32.const 0) (i32.const 16) (i32.const 8)))
                    (call $report32 (call $write (local.get $readOnly) (i32.const 0) (i32.const 16) (i32.const 8)))
                    (call $report32 (call $read (local.get $writeOnly) (i32.const 0) (i32.const 16) (i32.const 8)))
                    (call $report32 (call $write (local.get $buffer) (i32.const 60) (i32.const 16) (i32.const 8)))
                    (call $report32 (call $write (local.get $buffer) (i32.const 0) (i32.const 65530) (i32.const 8)))
                    (call $report32 (call $write (local.get $buffer) (i32.const 0) (i32.const -1) (i32.const 1)))
                    (call $report32 (call $write (local.get $buffer) (i32.const -1) (i32.const 16) (i32.const 1)))
                    (call $report32 (call $write (local.get $buffer) (i32.const 0) (i32.const 16) (i32.const -1)))
                    (call $report32 (call $write (local.get $buffer) (i32.const 0x7FFFFFFF) (i32.const 16) (i32.const 1)))
                    (call $report32 (call $read (local.get $buffer) (i32.const 60) (i32.const 200) (i32.const 8)))
                    (call $report32 (call $read (local.get $buffer) (i32.const 0) (i32.const 65535) (i32.const 2)))
                    (call $report32 (call $read (local.get $buffer) (i32.const 0) (i32.const -8) (i32.const 8)))
                    (call $report32 (call $read (local.get $buffer) (i32.const -8) (i32.const 200) (i32.const 8)))
                    (call $report32 (call $read (local.get $buffer) (i32.const 0x7FFFFFFF) (i32.const 200) (i32.const 0x7FFFFFFF)))
                    (call $report (i64.load (i32.const 200)))  ;; still zero
                    ;; the buffer holds exactly what the one good write put there
                    (call $report32 (call $read (local.get $buffer) (i32.const 0) (i32.const 300) (i32.const 64)))
                    (call $report (i64.load (i32.const 300)))
                    (call $report (i64.load (i32.const 308)))
                    (call $report (i64.load (i32.const 316)))
                    (call $report (i64.load (i32.const 356)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $buffer i64) (local $readOnly i64) (local $writeOnly i64) (local $endpoint i64)",
                data: #"(data (i32.const 16) "ABCDEFGH")"#),
            name: "copier"
        ) { actor in try probe.grantSend(to: actor) }
        let abcdefgh = Int64(bitPattern: 0x4847_4645_4443_4241)
        #expect(try probe.report() == [
            8, 12, 0x4645_4443_4241_0000, 0x0000_4847, 0,
            -1, -2, -3, -3, -4, -4, -4, -5, -5, -4, -4, -4, -4, -5, -4, 0,
            64, 0, abcdefgh, 0, 0,
        ])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func fbInfoIsZeroWithoutAFramebufferAndItsSizeWithOne(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let body = "(call $report (call $fb_info)) (call $flush (i64.const 1))"
        let without = try system.run(reportingActor(body: body)) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [0])
        let framebuffer = Framebuffer(width: 1920, height: 1080)
        let with = try system.run(reportingActor(body: body)) { actor in
            try probe.grantSend(to: actor)
            _ = try system.kernel.grant(framebuffer, rights: [], to: actor)
        }
        #expect(try probe.report() == [1920 << 32 | 1080])
        system.expectClean(baseline: baseline, actors: [without, with], natives: [probe.id])
    }
}
