import Interp
import Testing

@testable import Kernel

/// An actor written for the seed's seven-call table, the way the seed's
/// design uses it: handle 1 is the framebuffer (granted first), handle 2 the
/// endpoint it receives on, handle 3 a send cap to whoever asked.
@Suite struct SeedActorTests {
    /// Receives `colour, x, y, w, h` (five u32s), fills that rectangle pixel
    /// by pixel at `(y * width + x) * 4`, reads the top-left pixel back, logs,
    /// and answers on handle 3 with opcode 2: the pixel read back and the
    /// `sys_fb_info` value. Exits with 7.
    static let painter = """
        (module
          (import "env" "sys_log" (func $log (param i32 i32)))
          (import "env" "sys_exit" (func $exit (param i32)))
          (import "env" "sys_cap_send" (func $send (param i64 i32 i32 i32 i64) (result i32)))
          (import "env" "sys_cap_recv" (func $recv (param i64 i32 i32) (result i64)))
          (import "env" "sys_cap_mem_read" (func $read (param i64 i32 i32 i32) (result i32)))
          (import "env" "sys_cap_mem_write" (func $write (param i64 i32 i32 i32) (result i32)))
          (import "env" "sys_fb_info" (func $fb_info (result i64)))
          (memory (export "memory") 1)
          (data (i32.const 0) "rectangle filled")
          (data (i32.const 32) "read back wrong")
          (func $offset (param $x i32) (param $y i32) (param $width i32) (result i32)
            (i32.mul (i32.add (i32.mul (local.get $y) (local.get $width)) (local.get $x)) (i32.const 4)))
          (func $start
            (local $info i64) (local $width i32) (local $colour i32)
            (local $x0 i32) (local $y0 i32) (local $x1 i32) (local $y1 i32) (local $x i32) (local $y i32)
            (if (i64.lt_s (call $recv (i64.const 2) (i32.const 1024) (i32.const 256)) (i64.const 0))
              (then (call $exit (i32.const 1))))
            (local.set $colour (i32.load (i32.const 1048)))
            (local.set $x0 (i32.load (i32.const 1052)))
            (local.set $y0 (i32.load (i32.const 1056)))
            (local.set $x1 (i32.add (local.get $x0) (i32.load (i32.const 1060))))
            (local.set $y1 (i32.add (local.get $y0) (i32.load (i32.const 1064))))
            (local.set $info (call $fb_info))
            (local.set $width (i32.wrap_i64 (i64.shr_u (local.get $info) (i64.const 32))))
            (i32.store (i32.const 2048) (local.get $colour))
            (local.set $y (local.get $y0))
            (block $rowsDone
              (loop $rows
                (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $y1)))
                (local.set $x (local.get $x0))
                (block $pixelsDone
                  (loop $pixels
                    (br_if $pixelsDone (i32.ge_u (local.get $x) (local.get $x1)))
                    (if (i32.ne (call $write (i64.const 1) (call $offset (local.get $x) (local.get $y) (local.get $width))
                                  (i32.const 2048) (i32.const 4))
                                (i32.const 4))
                      (then (call $exit (i32.const 2))))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $pixels)))
                (local.set $y (i32.add (local.get $y) (i32.const 1)))
                (br $rows)))
            (drop (call $read (i64.const 1) (call $offset (local.get $x0) (local.get $y0) (local.get $width))
                    (i32.const 2052) (i32.const 4)))
            (if (i32.eq (i32.load (i32.const 2052)) (local.get $colour))
              (then (call $log (i32.const 0) (i32.const 16)))
              (else (call $log (i32.const 32) (i32.const 15))))
            (i64.store (i32.const 2056) (local.get $info))
            (if (call $send (i64.const 3) (i32.const 2) (i32.const 2052) (i32.const 12) (i64.const 0))
              (then (call $exit (i32.const 3))))
            (call $exit (i32.const 7)))
          (export "_start" (func $start)))
        """

    @Test(arguments: Tier.allCases) func importsOnlyTheSeedsSevenCalls(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let module = try system.module(wat: Self.painter, name: "painter")
        #expect(module.importedCalls == [
            "sys_log", "sys_exit", "sys_cap_send", "sys_cap_recv", "sys_cap_mem_read", "sys_cap_mem_write", "sys_fb_info",
        ])
        #expect(module.importedCalls == ABI.hostCalls.filter(\.isSeedCore).map(\.name))
    }

    @Test(arguments: Tier.allCases) func paintsTheRectangleItIsAskedFor(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let framebuffer = Framebuffer(width: 16, height: 10)
        let client = system.kernel.createActor(name: "client")
        var request = Handle.null
        var answers = Handle.null
        let painter = try system.run(Self.painter, name: "painter") { actor in
            let fb = try system.kernel.grant(framebuffer, to: actor)
            let (inbox, toPainter) = try system.kernel.connect(owner: actor, peer: client, peerRights: [.send])
            let (clientInbox, toClient) = try system.kernel.connect(owner: client, peer: actor, peerRights: [.send])
            #expect([fb, inbox, toClient] == [1, 2, 3].map { Handle(rawValue: $0) })
            (request, answers) = (toPainter, clientInbox)
        }
        let colour: UInt32 = 0x0033_6699
        let (x0, y0, w, h) = (3, 2, 5, 4)
        try system.kernel.send(client, to: request, opcode: 1, payload: bytes([colour, UInt32(x0), UInt32(y0), UInt32(w), UInt32(h)]))

        let receipt = try system.kernel.receive(client, from: answers, capacity: 64, timeout: .nanoseconds(5_000_000_000))
        let info: UInt64 = 16 << 32 | 10
        #expect(receipt == .message(ReceivedMessage(
            sender: painter, opcode: 2, payload: bytes([colour, UInt32(truncatingIfNeeded: info), UInt32(info >> 32)]),
            cap: .null, reply: .null)))
        #expect(system.host.wait(for: painter))
        #expect(system.kernel.exitReason(of: painter) == .exited(code: 7))
        #expect(system.log.lines(of: "painter") == ["rectangle filled"])
        for y in 0..<10 {
            for x in 0..<16 {
                let inside = (x0..<x0 + w).contains(x) && (y0..<y0 + h).contains(y)
                let pixel = framebuffer.pixels.load(fromByteOffset: (y * 16 + x) * 4, as: UInt32.self)
                #expect(pixel == (inside ? colour : 0), "pixel (\(x), \(y))")
            }
        }
        #expect(framebuffer.takeDamage() == Framebuffer.DamageRows(first: 2, end: 6))
        system.expectClean(baseline: baseline, actors: [painter], natives: [client])
    }
}
