import Interp
import Testing
import WAT

@testable import Compositor
@testable import Kernel

/// A seed-style Wasm actor holding the framebuffer cap draws straight to the
/// screen: what it writes with sys_cap_mem_write is presented.
@Suite struct FramebufferActorTests {
    /// Uses only the seed's calls: sys_fb_info for the size, then one
    /// sys_cap_mem_write per row of a 10x4 rectangle at (5, 3), then a log.
    static let seedActor = """
        (module
          (import "env" "sys_fb_info" (func $fb_info (result i64)))
          (import "env" "sys_cap_mem_write" (func $write (param i64 i32 i32 i32) (result i32)))
          (import "env" "sys_log" (func $log (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "drawn")
          (func (export "_start") (local $width i32) (local $i i32) (local $y i32)
            (local.set $width (i32.wrap_i64 (i64.shr_u (call $fb_info) (i64.const 32))))
            (loop $px   ;; ten pixels of 0x00ff8800 at address 0
              (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.const 0x00ff8800))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $px (i32.lt_u (local.get $i) (i32.const 10))))
            (local.set $y (i32.const 3))
            (loop $rows
              (drop (call $write (i64.const 1)
                (i32.shl (i32.add (i32.mul (local.get $y) (local.get $width)) (i32.const 5)) (i32.const 2))
                (i32.const 0) (i32.const 40)))
              (local.set $y (i32.add (local.get $y) (i32.const 1)))
              (br_if $rows (i32.lt_u (local.get $y) (i32.const 7))))
            (call $log (i32.const 100) (i32.const 5))))
        """

    @Test func seedActorDrawsOnTheScreen() throws {
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, logSink: { _, _ in })
        let backend = HeadlessBackend(width: 64, height: 32)
        let framebuffer = Framebuffer(width: 64, height: 32)
        let presenter = FramebufferPresenter(framebuffer: framebuffer, backend: backend)
        #expect(presenter.presentDamage())  // the first frame shows everything
        let module = try host.load(bytes: try wat2wasm(Self.seedActor), name: "seed")
        let actor = try host.spawn(module) { _ = try kernel.grant(framebuffer, to: $0) }
        #expect(host.wait(for: actor))
        #expect(kernel.exitReason(of: actor) == .exited(code: 0))
        #expect(presenter.presentDamage())
        #expect(!presenter.presentDamage())  // nothing new: nothing drawn
        let screen = backend.frontBuffer()
        for y in 0..<32 {
            for x in 0..<64 {
                let inside = (5..<15).contains(x) && (3..<7).contains(y)
                #expect(screen.pixel(x, y) == (inside ? 0x00ff_8800 : 0), "(\(x), \(y))")
            }
        }
        // The other buffer catches up on the next frame (buffer age).
        withUnsafeBytes(of: UInt32(0x0000_0011)) { framebuffer.write(pixelsAt: 0, from: $0) }
        #expect(presenter.presentDamage())
        #expect(backend.frontBuffer().pixel(0, 0) == 0x11)
        #expect(backend.frontBuffer().pixel(5, 3) == 0x00ff_8800)
    }
}
