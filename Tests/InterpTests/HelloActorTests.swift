import Interp
import Kernel
import Testing

/// The first slice end to end: a Rust actor built by scripts/build-actors,
/// loaded by WasmKit, calling the seed's host functions.
@Suite struct HelloActorTests {
    @Test(arguments: Tier.allCases) func logsItsGreeting(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let module = try system.host.load(path: actorPath("hello"))
        let actor = try system.host.spawn(module)
        #expect(system.host.wait(for: actor))
        #expect(system.log.lines(of: "hello") == ["hello from a Rust actor"])
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
    }

    @Test(arguments: Tier.allCases) func paintsTheFramebufferItIsGranted(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let framebuffer = Framebuffer(width: 40, height: 30)
        let module = try system.host.load(path: actorPath("hello"))
        let actor = try system.host.spawn(module) { actor in
            let handle = try system.kernel.grant(framebuffer, to: actor)
            #expect(handle == Handle(rawValue: 1))
        }
        #expect(system.host.wait(for: actor))
        #expect(system.log.lines(of: "hello") == ["hello from a Rust actor", "painted the framebuffer"])
        for (x, y) in [(0, 0), (39, 0), (17, 11), (39, 29)] {
            let expected = UInt32(x * 255 / 40) << 16 | UInt32(y * 255 / 30) << 8 | 0x60
            #expect(framebuffer.pixels.load(fromByteOffset: (y * 40 + x) * 4, as: UInt32.self) == expected)
        }
        #expect(framebuffer.takeDamage() == Framebuffer.DamageRows(first: 0, end: 30))
    }
}
