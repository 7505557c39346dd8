import Testing

@testable import Kernel

/// Value invariants of handles and capability spaces (seed 004).
@Suite struct HandleTests {
    @Test func grantsAreSmallIntegersInOrderFromOne() throws {
        let kernel = Kernel()
        let actor = kernel.createActor(name: "a")
        let fb = Framebuffer(width: 4, height: 4)
        #expect(try kernel.grant(fb, to: actor) == Handle(rawValue: 1))
        #expect(try kernel.grant(fb, to: actor) == Handle(rawValue: 2))
        #expect(try kernel.createBuffer(actor, size: 8) == Handle(rawValue: 3))
    }

    @Test func releasedSlotIsReusedWithANewGeneration() throws {
        let kernel = Kernel()
        let actor = kernel.createActor(name: "a")
        let first = try kernel.createBuffer(actor, size: 8)
        _ = try kernel.createBuffer(actor, size: 8)
        try kernel.release(actor, first)
        let reused = try kernel.createBuffer(actor, size: 8)
        #expect(reused.slot == first.slot)
        #expect(reused.generation == first.generation + 1)
        // The stale handle is refused, never aliased to the new cap.
        #expect(throws: SysError.invalidHandle) { try kernel.info(actor, first) }
        #expect(try kernel.info(actor, reused).kind == .buffer)
    }

    @Test func nullForgedAndNegativeHandlesAreInvalid() throws {
        let kernel = Kernel()
        let actor = kernel.createActor(name: "a")
        _ = try kernel.createBuffer(actor, size: 8)
        for raw: Int64 in [0, -1, Int64.min, 2, 1 << 32 | 1, Int64.max] {
            #expect(throws: SysError.invalidHandle) { try kernel.info(actor, Handle(rawValue: raw)) }
        }
    }

    @Test func capabilitySpaceCapacityIsEnforced() throws {
        var limits = KernelLimits()
        limits.capabilitySpaceCapacity = 3
        let kernel = Kernel(limits: limits)
        let actor = kernel.createActor(name: "a")
        for _ in 0..<3 { _ = try kernel.createBuffer(actor, size: 1) }
        #expect(throws: SysError.noSpace) { try kernel.createBuffer(actor, size: 1) }
        #expect(kernel.capabilityCount(of: actor) == 3)
    }
}
