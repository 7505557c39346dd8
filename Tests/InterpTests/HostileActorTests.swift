import Interp
import Testing

@testable import Kernel

/// Actors that attack the kernel through the host ABI: forged, stale and
/// borrowed handles, rights escalation, revoked caps, wild pointers and
/// lengths, floods. Each gets an error code; the host goes on, and after each
/// the kernel counts and the host's threads are back where they were.
@Suite struct HostileActorTests {
    /// The LCG the forging actor uses, so the test can check none of its
    /// values is a real handle by accident.
    static func forgedValues(count: Int, seed: UInt64) -> [Int64] {
        var x = seed
        return (0..<count).map { _ in
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64(bitPattern: x)
        }
    }

    @Test(arguments: Tier.allCases) func forgedHandlesAreRefusedByEveryCall(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let seed: UInt64 = 0x5EED
        let forged = Self.forgedValues(count: 500, seed: seed)
        #expect(forged.allSatisfy { !(0...2).contains($0) })  // 1 and 2 are the actor's real caps; 0 is "no cap"
        // Each forged value is tried on every call taking a handle; anything but
        // INVALID_HANDLE is counted.
        let attempts = """
            (if (i32.ne (call $info (local.get $h) (i32.const 512)) (i32.const -1)) (then (call $miss)))
            (if (i32.ne (call $send (local.get $h) (i32.const 0) (i32.const 16) (i32.const 4) (i64.const 0)) (i32.const -1)) (then (call $miss)))
            (if (i32.ne (call $send (i64.const 1) (i32.const 0) (i32.const 16) (i32.const 4) (local.get $h)) (i32.const -1)) (then (call $miss)))
            (if (i32.ne (call $read (local.get $h) (i32.const 0) (i32.const 512) (i32.const 4)) (i32.const -1)) (then (call $miss)))
            (if (i32.ne (call $write (local.get $h) (i32.const 0) (i32.const 512) (i32.const 4)) (i32.const -1)) (then (call $miss)))
            (if (i64.ne (call $derive (local.get $h) (i32.const 1)) (i64.const -1)) (then (call $miss)))
            (if (i32.ne (call $revoke (local.get $h)) (i32.const -1)) (then (call $miss)))
            (if (i32.ne (call $release (local.get $h)) (i32.const -1)) (then (call $miss)))
            (if (i64.ne (call $recv_timeout (local.get $h) (i32.const 512) (i32.const 64) (i64.const 0)) (i64.const -1)) (then (call $miss)))
            (if (i64.ne (call $recv (local.get $h) (i32.const 512) (i32.const 64)) (i64.const -1)) (then (call $miss)))
            (if (i64.ne (call $call (local.get $h) (i32.const 0) (i32.const 16) (i32.const 4) (i64.const 0)
                          (i32.const 512) (i32.const 64) (i64.const 0)) (i64.const -1)) (then (call $miss)))
            (if (i32.ne (call $kill (local.get $h)) (i32.const -1)) (then (call $miss)))
            (if (i64.ne (call $spawn (local.get $h) (i32.const 16) (i32.const 4) (i64.const 0)) (i64.const -1)) (then (call $miss)))
            (local.set $tried (i64.add (local.get $tried) (i64.const 1)))
            """
        let actor = try system.run(
            reportingActor(
                body: """
                    (drop (call $buffer_create (i32.const 16)))  ;; handle 2
                    (local.set $x (i64.const \(Int64(bitPattern: seed))))
                    (block $done (loop $next
                      (br_if $done (i32.eq (local.get $i) (i32.const 500)))
                      (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005)) (i64.const 1442695040888963407)))
                      (local.set $h (local.get $x))
                      \(attempts)
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $next)))
                    ;; Small integers past the table, slot 1 and 2 with wrong generations, sign games.
                    (local.set $i (i32.const 3))
                    (block $done (loop $next
                      (br_if $done (i32.eq (local.get $i) (i32.const 300)))
                      (local.set $h (i64.extend_i32_u (local.get $i)))
                      \(attempts)
                      (local.set $h (i64.or (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 32)) (i64.const 1)))
                      \(attempts)
                      (local.set $h (i64.or (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 32)) (i64.const 2)))
                      \(attempts)
                      (local.set $h (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $i))))
                      \(attempts)
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $next)))
                    (local.set $h (i64.const 0x8000000000000000)) \(attempts)
                    (local.set $h (i64.const 0x7FFFFFFFFFFFFFFF)) \(attempts)
                    (local.set $h (i64.const 0xFFFFFFFF00000001)) \(attempts)
                    (local.set $h (i64.const 0x00000000FFFFFFFF)) \(attempts)
                    (call $report (global.get $misses))
                    (call $report (local.get $tried))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $x i64) (local $h i64) (local $i i32) (local $tried i64)",
                functions: """
                    (global $misses (mut i64) (i64.const 0))
                    (func $miss (global.set $misses (i64.add (global.get $misses) (i64.const 1))))
                    """,
                data: #"(data (i32.const 16) "evil")"#),
            name: "forger"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [0, 500 + 297 * 4 + 4])
        // None of the forged sends reached anyone.
        #expect(throws: SysError.wouldBlock) {
            try system.kernel.receive(probe.id, from: probe.endpoint, capacity: 64, timeout: .poll)
        }
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func aStaleHandleNeverReachesTheCapThatReusedItsSlot(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: """
                    (local.set $old (call $buffer_create (i32.const 8)))
                    (drop (call $write (local.get $old) (i32.const 0) (i32.const 16) (i32.const 4)))
                    (call $report32 (call $release (local.get $old)))
                    (local.set $new (call $buffer_create (i32.const 8)))
                    (drop (call $write (local.get $new) (i32.const 0) (i32.const 20) (i32.const 4)))
                    (call $report (local.get $old))
                    (call $report (local.get $new))
                    (call $report32 (call $write (local.get $old) (i32.const 0) (i32.const 16) (i32.const 4)))
                    (call $report32 (call $read (local.get $old) (i32.const 0) (i32.const 600) (i32.const 4)))
                    (call $report32 (call $info (local.get $old) (i32.const 512)))
                    (call $report (call $derive (local.get $old) (i32.const 1)))
                    (call $report32 (call $send (i64.const 1) (i32.const 0) (i32.const 0) (i32.const 0) (local.get $old)))
                    (call $report32 (call $release (local.get $old)))
                    (call $report32 (call $read (local.get $new) (i32.const 0) (i32.const 600) (i32.const 4)))
                    (call $report (i64.load32_u (i32.const 600)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $old i64) (local $new i64)",
                data: #"(data (i32.const 16) "AAAABBBB")"#),
            name: "stale"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [0, 2, 1 << 32 | 2, -1, -1, -1, -1, -1, -1, 4, 0x4242_4242])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func anotherActorsHandleValuesReachOnlyTheCallersOwnCaps(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        // The victim holds secrets at handles 1...5; the snoop holds only handle 1.
        let victim = system.kernel.createActor(name: "victim")
        for _ in 0..<5 {
            let secret = try system.kernel.createBuffer(victim, size: 4)
            try bytes([0x5EC2_E7]).withUnsafeBytes { try system.kernel.write(victim, to: secret, offset: 0, from: $0) }
        }
        let actor = try system.run(
            reportingActor(
                body: """
                    (local.set $h (i64.const 2))
                    (block $done (loop $next
                      (br_if $done (i64.gt_u (local.get $h) (i64.const 6)))
                      (call $report32 (call $read (local.get $h) (i32.const 0) (i32.const 600) (i32.const 4)))
                      (local.set $h (i64.add (local.get $h) (i64.const 1)))
                      (br $next)))
                    ;; With a cap of its own at 2, handle 2 reaches that cap and nothing else.
                    (call $report (call $buffer_create (i32.const 4)))
                    (call $report32 (call $read (i64.const 2) (i32.const 0) (i32.const 600) (i32.const 4)))
                    (call $report (i64.load32_u (i32.const 600)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $h i64)"),
            name: "snoop"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == [-1, -1, -1, -1, -1, 2, 4, 0])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id, victim])
    }

    @Test(arguments: Tier.allCases) func rightsCannotBeEscalated(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let owner = system.kernel.createActor(name: "owner")
        let canvas = try system.kernel.createBuffer(owner, size: 16)
        let framebuffer = Framebuffer(width: 4, height: 4)
        let actor = try system.run(
            reportingActor(
                body: """
                    ;; 2: read only. 3: read + grant. 4: the framebuffer, write only.
                    (call $report32 (call $write (i64.const 2) (i32.const 0) (i32.const 16) (i32.const 4)))
                    (call $report (call $derive (i64.const 2) (i32.const 0x01)))
                    (call $report (call $derive (i64.const 2) (i32.const 0x03)))
                    (call $report32 (call $send (i64.const 1) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 2)))
                    (call $report (call $derive (i64.const 3) (i32.const 0x13)))
                    (call $report (call $derive (i64.const 3) (i32.const 0x7F)))
                    (call $report (call $derive (i64.const 3) (i32.const 0xFFFFFFFF)))
                    (call $report (local.tee $d (call $derive (i64.const 3) (i32.const 0x11))))
                    (call $report32 (call $write (local.get $d) (i32.const 0) (i32.const 16) (i32.const 4)))
                    (call $report (call $derive (local.get $d) (i32.const 0x12)))
                    (call $report32 (call $read (i64.const 4) (i32.const 0) (i32.const 600) (i32.const 4)))
                    (call $report (call $recv_timeout (i64.const 4) (i32.const 600) (i32.const 64) (i64.const 0)))
                    (call $report32 (call $send (i64.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))
                    (call $report (call $derive (i64.const 4) (i32.const 0x02)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $d i64)",
                data: #"(data (i32.const 16) "HACK")"#),
            name: "escalator"
        ) { actor in
            try probe.grantSend(to: actor)
            _ = try system.kernel.grantCopy(of: canvas, held: owner, rights: [.read], to: actor)
            _ = try system.kernel.grantCopy(of: canvas, held: owner, rights: [.read, .grant], to: actor)
            _ = try system.kernel.grant(framebuffer, rights: [.write], to: actor)
        }
        #expect(try probe.report() == [-3, -3, -3, -3, -3, -3, -5, 5, -3, -3, -3, -2, -2, -3])
        var contents = [UInt8](repeating: 0xff, count: 16)
        _ = try contents.withUnsafeMutableBytes { try system.kernel.read(owner, from: canvas, offset: 0, into: $0) }
        #expect(contents == [UInt8](repeating: 0, count: 16))
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id, owner])
    }

    @Test(arguments: Tier.allCases) func capsDerivedFromARevokedLoanAreGoneToo(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let owner = system.kernel.createActor(name: "owner")
        let canvas = try system.kernel.createBuffer(owner, size: 16)
        var go = Handle.null
        let actor = try system.run(
            reportingActor(
                body: """
                    ;; 2: the loan. 3: its own inbox.
                    (local.set $copy (call $derive (i64.const 2) (i32.const 0x13)))
                    (local.set $copy2 (call $derive (local.get $copy) (i32.const 0x02)))
                    (call $report32 (call $write (local.get $copy2) (i32.const 0) (i32.const 16) (i32.const 4)))
                    (call $flush (i64.const 1))
                    (drop (call $recv (i64.const 3) (i32.const 256) (i32.const 64)))  ;; the owner revokes, then says go
                    (call $report32 (call $write (local.get $copy2) (i32.const 4) (i32.const 16) (i32.const 4)))
                    (call $report32 (call $write (local.get $copy) (i32.const 4) (i32.const 16) (i32.const 4)))
                    (call $report32 (call $write (i64.const 2) (i32.const 4) (i32.const 16) (i32.const 4)))
                    (call $report (call $derive (i64.const 2) (i32.const 0x01)))
                    (call $report32 (call $info (local.get $copy) (i32.const 512)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $copy i64) (local $copy2 i64)",
                data: #"(data (i32.const 16) "MINE")"#),
            name: "borrower"
        ) { actor in
            try probe.grantSend(to: actor)
            _ = try system.kernel.grantCopy(of: canvas, held: owner, to: actor)
            go = try system.kernel.connect(owner: actor, peer: owner, peerRights: [.send]).peer
        }
        #expect(try probe.report() == [4])
        try system.kernel.revoke(owner, canvas)
        try system.kernel.send(owner, to: go, opcode: 1, payload: [])
        #expect(try probe.report() == [-1, -1, -1, -1, -1])
        var contents = [UInt8](repeating: 0, count: 8)
        _ = try contents.withUnsafeMutableBytes { try system.kernel.read(owner, from: canvas, offset: 0, into: $0) }
        #expect(contents == Array("MINE".utf8) + [0, 0, 0, 0])
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id, owner])
    }

    @Test(arguments: Tier.allCases) func wildPointersAndLengthsAreErrorsWithNothingCopied(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        // For each (ptr, len): what write, read, send (payload) and receive (buffer) return.
        let pairs: [(ptr: String, len: String, expected: [Int64])] = [
            ("65536", "1", [-4, -4, -4, -4]), ("65535", "2", [-4, -4, -4, -4]), ("0xFFFFFFFF", "1", [-4, -4, -4, -4]),
            ("0xFFFFFFFF", "0x7FFFFFFF", [-4, -4, -5, -4]), ("0x80000000", "16", [-4, -4, -4, -4]),
            ("0", "-1", [-5, -5, -5, -5]), ("0", "0x80000000", [-5, -5, -5, -5]), ("16", "0x7FFFFFFF", [-4, -4, -5, -4]),
        ]
        var body = "(local.set $buffer (call $buffer_create (i32.const 64)))\n(local.set $inbox (call $endpoint_create (i32.const 0)))\n"
        for pair in pairs {
            body += """
                (call $report32 (call $write (local.get $buffer) (i32.const 0) (i32.const \(pair.ptr)) (i32.const \(pair.len))))
                (call $report32 (call $read (local.get $buffer) (i32.const 0) (i32.const \(pair.ptr)) (i32.const \(pair.len))))
                (call $report32 (call $send (local.get $inbox) (i32.const 0) (i32.const \(pair.ptr)) (i32.const \(pair.len)) (i64.const 0)))
                (call $report (call $recv_timeout (local.get $inbox) (i32.const \(pair.ptr)) (i32.const \(pair.len)) (i64.const 0)))
                (call $log (i32.const \(pair.ptr)) (i32.const \(pair.len)))

                """
        }
        body += """
            ;; Lengths and offsets on the object side, and their overflow.
            (call $report32 (call $write (local.get $buffer) (i32.const 0x7FFFFFF0) (i32.const 0) (i32.const 0x20)))
            (call $report32 (call $write (local.get $buffer) (i32.const 63) (i32.const 0) (i32.const 2)))
            (call $report32 (call $read (local.get $buffer) (i32.const 0x80000000) (i32.const 0) (i32.const 1)))
            (call $report32 (call $info (local.get $buffer) (i32.const 0xFFFFFFFF)))
            (call $report (call $call (local.get $inbox) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)
              (i32.const 65530) (i32.const 24) (i64.const 0)))
            (call $report (call $spawn (local.get $inbox) (i32.const 0xFFFFFFFF) (i32.const 5) (i64.const 0)))
            ;; Zero bytes at the very end of memory are fine; after growing, that memory is real.
            (call $report32 (call $write (local.get $buffer) (i32.const 0) (i32.const 65536) (i32.const 0)))
            (drop (memory.grow (i32.const 1)))
            (i32.store (i32.const 65536) (i32.const 0x4E455721))
            (call $report32 (call $write (local.get $buffer) (i32.const 0) (i32.const 65536) (i32.const 4)))
            ;; Nothing else got into the buffer or the queue.
            (call $report32 (call $read (local.get $buffer) (i32.const 0) (i32.const 600) (i32.const 64)))
            (call $report (i64.load (i32.const 600)))
            (call $report (i64.load (i32.const 608)))
            (call $report (call $recv_timeout (local.get $inbox) (i32.const 600) (i32.const 64) (i64.const 0)))
            (call $flush (i64.const 1))
            """
        let actor = try system.run(
            reportingActor(body: body, locals: "(local $buffer i64) (local $inbox i64)"), name: "wild"
        ) { actor in try probe.grantSend(to: actor) }
        let expected = pairs.flatMap(\.expected)
            + [-4, -4, -5, -4, -4, -4, 0, 4, 64, 0x4E45_5721, 0, -7]
        #expect(try probe.report() == expected)
        #expect(system.log.lines(of: "wild") == [])  // sys_log with each bad pair logs nothing
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func aFloodFillsTheQueueAndNothingMore(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let target = try Probe(system.kernel, name: "target", capacity: 8)
        let actor = try system.run(
            reportingActor(
                body: """
                    (local.set $buffer (call $buffer_create (i32.const 4)))
                    (block $done (loop $next
                      (br_if $done (i32.eq (local.get $i) (i32.const 10000)))
                      (i32.store (i32.const 16) (local.get $i))
                      (local.set $r (call $send (i64.const 2) (i32.const 1) (i32.const 16) (i32.const 4) (local.get $buffer)))
                      (if (i32.eqz (local.get $r)) (then (local.set $sent (i64.add (local.get $sent) (i64.const 1)))))
                      (if (i32.eq (local.get $r) (i32.const -6)) (then (local.set $full (i64.add (local.get $full) (i64.const 1)))))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $next)))
                    (call $report (local.get $sent))
                    (call $report (local.get $full))
                    (call $flush (i64.const 1))
                    (drop (call $recv (call $endpoint_create (i32.const 1)) (i32.const 256) (i32.const 64)))  ;; until ended
                    """,
                locals: "(local $buffer i64) (local $i i32) (local $r i32) (local $sent i64) (local $full i64)"),
            name: "flood"
        ) { actor in
            try probe.grantSend(to: actor)
            try target.grantSend(to: actor)
        }
        #expect(try probe.report() == [8, 9992])
        #expect(system.kernel.waitUntilBlocked(actor))
        // Two probes, the flood's two grants, its buffer and endpoint, and one cap in flight per queued message.
        #expect(system.kernel.counts == KernelCounts(liveActors: 3, capabilities: 2 + 2 + 2 + 8, objects: 4))
        for i: UInt32 in 0..<8 {
            let message = try target.next()
            #expect(message.payload == bytes([i]))
            #expect(message.cap != .null)
        }
        #expect(throws: SysError.wouldBlock) { try system.kernel.receive(target.id, from: target.endpoint, capacity: 64, timeout: .poll) }
        system.kernel.terminate(actor, reason: .killed(by: nil))
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id, target.id])
    }
}
