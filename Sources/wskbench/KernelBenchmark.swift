import Kernel

/// The kernel lock's work at any history: derive + release, and revoke,
/// on a fresh kernel against the same after 100 000 cycles of the audit's
/// pattern (create an endpoint, send a buffer cap on it, release the
/// endpoint), which used to leave a dead node behind each time.
enum KernelBenchmark {
    static let cycles = 100_000
    static let samples = 20_000

    static func run() throws {
        section("Kernel: derive + release and revoke, fresh vs after \(cycles) endpoint/send/release cycles (median / p99)")
        let kernel = Kernel()
        let actor = kernel.createActor(name: "bench")
        let buffer = try kernel.createBuffer(actor, size: 64)
        let freshPair = try deriveAndRelease(kernel, actor, buffer)
        let freshRevoke = try revokeOne(kernel, actor, buffer)
        for _ in 0..<cycles {
            let endpoint = try kernel.createEndpoint(actor, capacity: 1)
            try kernel.send(actor, to: endpoint, opcode: 1, payload: [1], cap: buffer)
            try kernel.release(actor, endpoint)
        }
        let laterPair = try deriveAndRelease(kernel, actor, buffer)
        let laterRevoke = try revokeOne(kernel, actor, buffer)
        report("derive+release after the cycles, median", laterPair.median, baseline: freshPair.median, baselineName: "fresh")
        report("derive+release after the cycles, p99", laterPair.p99, baseline: freshPair.p99, baselineName: "fresh")
        report("revoke (one child) after the cycles, median", laterRevoke.median, baseline: freshRevoke.median, baselineName: "fresh")
        report("revoke (one child) after the cycles, p99", laterRevoke.p99, baseline: freshRevoke.p99, baselineName: "fresh")
        kernel.terminate(actor, reason: .exited(code: 0))
    }

    /// One derive and its release, timed together.
    static func deriveAndRelease(_ kernel: Kernel, _ actor: ActorID, _ buffer: Handle) throws -> Samples {
        var failure: SysError?
        let timings = sample(samples) {
            do throws(SysError) {
                try kernel.release(actor, kernel.derive(actor, buffer, rights: [.read]))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return timings
    }

    /// A revoke of `buffer` with one derived child (the derive untimed).
    static func revokeOne(_ kernel: Kernel, _ actor: ActorID, _ buffer: Handle) throws -> Samples {
        var values: [Double] = []
        values.reserveCapacity(samples)
        for _ in 0..<samples {
            _ = try kernel.derive(actor, buffer, rights: [.read])
            let t0 = nowNanoseconds()
            try kernel.revoke(actor, buffer)
            values.append(Double(nowNanoseconds() - t0))
        }
        return Samples(values: values)
    }
}
