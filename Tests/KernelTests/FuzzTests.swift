import TestSupport
import Testing

@testable import Kernel


/// A seeded random fuzz of syscall sequences from several native actors, with
/// the kernel's invariants checked after every call. No call may crash the
/// host; every error is one of the documented codes.
@Suite struct FuzzTests {
    /// Calls per seed; two seeds make the 100 k of the suite.
    static let calls = 50_000

    @Test(arguments: [1 as UInt64, 0xC0FFEE])
    func randomSyscallSequencesKeepTheKernelConsistent(seed: UInt64) throws {
        var limits = KernelLimits()
        limits.capabilitySpaceCapacity = 48
        limits.actorMemoryLimit = 1 << 20
        limits.maxEndpointCapacity = 8
        limits.maxActors = 12
        limits.maxChildrenPerActor = 3
        let kernel = Kernel(limits: limits)
        let launcher = NativeLauncher()
        kernel.setLauncher(launcher)
        var rng = SeededGenerator(seed: seed)
        let framebuffer = Framebuffer(width: 8, height: 8)
        var actors: [ActorID] = []
        var seen: [ActorID: [Handle]] = [:]  // handles each actor was ever given, live or not
        var errors: [SysError: Int] = [:]
        var successes = 0

        func newActor() {
            let id = kernel.createActor(name: "fuzz\(actors.count)")
            actors.append(id)
            if let h = try? kernel.grant(framebuffer, to: id) { seen[id, default: []].append(h) }
            if let h = try? kernel.grantSpawner(directory: "/fuzz", to: id) { seen[id, default: []].append(h) }
        }
        for _ in 0..<4 { newActor() }

        /// A handle the actor holds, once held, another actor's, or garbage.
        func someHandle(_ actor: ActorID) -> Handle {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6:
                return seen[actor]?.randomElement(using: &rng) ?? .null
            case 6..<8:
                let other = actors.randomElement(using: &rng)!
                return seen[other]?.randomElement(using: &rng) ?? .null
            case 8:
                return Handle(slot: UInt32.random(in: 0..<64, using: &rng), generation: UInt32.random(in: 0..<3, using: &rng))
            default:
                return Handle(rawValue: Int64.random(in: .min ... .max, using: &rng))
            }
        }
        func note(_ actor: ActorID, _ handle: Handle) {
            if !handle.isNull { seen[actor, default: []].append(handle) }
            if seen[actor]!.count > 200 { seen[actor]!.removeFirst(100) }
        }
        func randomLength() -> Int {
            [0, 1, 7, 64, 300, ABI.maxPayload, ABI.maxPayload + 1, -1, Int.max].randomElement(using: &rng)!
        }

        for step in 0..<Self.calls {
            let live = actors.filter { kernel.isAlive($0) }
            if live.count < 3 { newActor() }
            let actor = (live.isEmpty ? actors : live).randomElement(using: &rng)!
            do throws(SysError) {
                switch Int.random(in: 0..<18, using: &rng) {
                case 0:
                    note(actor, try kernel.createBuffer(actor, size: [0, 16, 4096, 1 << 19, -5].randomElement(using: &rng)!))
                case 1:
                    note(actor, try kernel.createEndpoint(actor, capacity: Int.random(in: -1...9, using: &rng)))
                case 2:
                    note(actor, try kernel.derive(actor, someHandle(actor), rights: Rights(rawValue: UInt32.random(in: 0...0xff, using: &rng))))
                case 3:
                    try kernel.revoke(actor, someHandle(actor))
                case 4, 5:
                    try kernel.release(actor, someHandle(actor))
                case 6, 7:
                    let count = max(0, min(randomLength(), ABI.maxPayload + 1))
                    try kernel.send(
                        actor, to: someHandle(actor), opcode: UInt32.random(in: 0...9, using: &rng),
                        payload: [UInt8](repeating: 1, count: count),
                        cap: Bool.random(using: &rng) ? someHandle(actor) : .null)
                case 8, 9:
                    let receipt = try kernel.receive(
                        actor, from: someHandle(actor), capacity: [0, 8, 24, 100, 70_000].randomElement(using: &rng)!, timeout: .poll)
                    switch receipt {
                    case .message(let m):
                        note(actor, m.cap)
                        note(actor, m.reply)
                    case .tooSmall:
                        errors[.bufferTooSmall, default: 0] += 1
                    }
                case 10:
                    let outcome = try kernel.call(
                        actor, to: someHandle(actor), opcode: 1, payload: [1, 2, 3],
                        cap: Bool.random(using: &rng) ? someHandle(actor) : .null, capacity: 64, timeout: .poll)
                    if case .parked(_, _, let reply) = outcome { note(actor, reply) }
                case 11:
                    var bytes = [UInt8](repeating: 0, count: max(0, min(randomLength(), 5000)))
                    let offset = [0, 3, 255, 4096, -1, Int.max].randomElement(using: &rng)!
                    let reading = Bool.random(using: &rng)
                    let handle = someHandle(actor)
                    try bytes.withUnsafeMutableBytes { b in
                        Result { () throws(SysError) in
                            if reading {
                                try kernel.read(actor, from: handle, offset: offset, into: b)
                            } else {
                                try kernel.write(actor, to: handle, offset: offset, from: UnsafeRawBufferPointer(b))
                            }
                        }
                    }.get()
                case 12:
                    _ = try kernel.info(actor, someHandle(actor))
                case 13:
                    let other = actors.randomElement(using: &rng)!
                    note(other, try kernel.grantCopy(of: someHandle(actor), held: actor, to: other))
                case 14:
                    _ = kernel.framebufferInfo(actor)
                case 15:
                    let module = ["child", "child", "nothread", "missing"].randomElement(using: &rng)!
                    let grant = Bool.random(using: &rng) ? someHandle(actor) : .null
                    note(actor, try kernel.spawn(actor, spawner: someHandle(actor), module: module, grant: grant))
                    for child in launcher.startedActors where !actors.contains(child) {
                        actors.append(child)
                        seen[child] = [Handle(rawValue: 1)]
                    }
                case 16:
                    try kernel.kill(actor, someHandle(actor))
                default:
                    if Int.random(in: 0..<20, using: &rng) == 0 {
                        kernel.terminate(actor, reason: .killed(by: nil))
                    } else {
                        _ = try kernel.info(actor, someHandle(actor))
                    }
                }
                successes += 1
            } catch {
                errors[error, default: 0] += 1
            }
            let problems = kernel.invariantViolations()
            if !problems.isEmpty {
                Issue.record("step \(step) (seed \(seed)): \(problems.prefix(5))")
                return
            }
        }
        // The fuzz reached the interesting paths, not only invalid handles.
        #expect(successes > Self.calls / 5)
        for code: SysError in [.invalidHandle, .wrongType, .noRights, .outOfBounds, .invalidArgument, .bufferTooSmall, .wouldBlock, .limitReached] {
            #expect(errors[code, default: 0] > 0, "never saw \(code)")
        }
        kernel.shutdown()
        #expect(kernel.invariantViolations() == [])
        #expect(kernel.counts == KernelCounts(liveActors: 0, capabilities: 0, objects: 0))
    }
}
