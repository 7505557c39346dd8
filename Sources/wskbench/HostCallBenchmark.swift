import Foundation
import Interp
import Logging
import Kernel
import WAT
import WasmKit

/// The cost of one host call from a Wasm actor, of the fuel watchdog, and of
/// loading and starting a Rust actor.
enum HostCallBenchmark {
    static func run() throws {
        section("Host calls")
        let iterations = 2_000_000
        let loopOnly = try timeActor(loopWAT(iterations: iterations, body: ""))
        let withCall = try timeActor(loopWAT(iterations: iterations, body: "(drop (call $now))"))
        let perCall = (withCall - loopOnly) / Double(iterations)
        let perIteration = loopOnly / Double(iterations)
        report("one host call (sys_time_now), net", perCall, baseline: perIteration, baselineName: "one empty loop iteration")

        let metered = try rawLoop(iterations: 20_000_000, fuel: true)
        let unmetered = try rawLoop(iterations: 20_000_000, fuel: false)
        report("20M-iteration loop with fuel watchdog", metered, baseline: unmetered, baselineName: "without")
    }

    /// Loading and starting a Rust actor, and where that time goes: in a
    /// process that never saw the module (every body validated as it
    /// starts); in one that did not load it yet but finds its compiled
    /// object in the cache (so its bodies are known valid: the case of an
    /// installed actor); and loaded again (a plugin started for each
    /// request, a kiosk app restarted), on each tier.
    static func runStart() throws {
        section("Actor start")
        let cache = NSTemporaryDirectory() + "wskbench-start-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let empty = ModuleCompiler(directory: cache + "/empty", logger: Logger(label: "wskbench"))
        let filled = ModuleCompiler(directory: cache + "/filled", logger: Logger(label: "wskbench"))
        let setup = WasmActorHost(kernel: Kernel(), tier: .interpreter, compiler: filled, logSink: { _, _ in })
        _ = try setup.compileAheadOfTime(setup.load(path: "build/actors/hello.wasm"))

        let modes: [(title: String, again: Bool, tier: TierPolicy, compiler: ModuleCompiler)] = [
            ("never seen", false, .interpreter, empty), ("first load, compiled object cached", false, .interpreter, filled),
            ("loaded again", true, .interpreter, filled), ("loaded again", true, .compiled, filled),
        ]
        for (title, again, tier, compiler) in modes {
            let start = try startHello(again: again, tier: tier, compiler: compiler)
            print("  hello.wasm, \(title), \(tier == .compiled ? "compiled" : "interpreter"):")
            report("  load, check and start", start.whole.median, baseline: start.run.median, baselineName: "its run")
            for (name, phase) in [("read the file", start.read), ("parse and check", start.check),
                                  ("instantiate", start.instantiate), ("admit and start the thread", start.launch)] {
                report("    " + name, phase.median, baseline: start.whole.median, baselineName: "the whole start")
            }
            if tier == .interpreter {
                print("  (goal, issue #16: at most 1 ms on the interpreter; \(start.whole.median <= 1e6 ? "met" : "not met"))")
            }
        }
    }

    struct StartPhases {
        var read = Samples(values: []), check = Samples(values: []), instantiate = Samples(values: [])
        var launch = Samples(values: []), whole = Samples(values: []), run = Samples(values: [])
    }

    /// Starts hello 30 times on `tier` with `compiler`, each time on a new host unless
    /// `again`, timing each phase until its thread runs, then its run.
    static func startHello(again: Bool, tier: TierPolicy, compiler: ModuleCompiler) throws -> StartPhases {
        let path = "build/actors/hello.wasm"
        func makeHost() -> WasmActorHost { WasmActorHost(kernel: Kernel(), tier: tier, compiler: compiler, logSink: { _, _ in }) }
        var host = makeHost()
        if again { host.wait(for: try host.spawn(host.load(path: path))) }
        var phases = StartPhases()
        for _ in 0..<30 {
            if !again {
                _ = host.shutdown()
                host = makeHost()
            }
            let t0 = nowNanoseconds()
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let t1 = nowNanoseconds()
            let module = try host.load(bytes: bytes, name: "hello")
            let t2 = nowNanoseconds()
            let prepared = try host.prepare(module)
            let t3 = nowNanoseconds()
            let actor = try host.kernel.admitActor(name: module.name, account: prepared.account)
            try prepared.start(in: host.kernel, as: actor)
            let t4 = nowNanoseconds()
            guard host.wait(for: actor), host.kernel.exitReason(of: actor) == .exited(code: 0) else {
                throw BenchError("hello did not exit normally: \(String(describing: host.kernel.exitReason(of: actor)))")
            }
            let t5 = nowNanoseconds()
            phases.read.values.append(Double(t1 - t0))
            phases.check.values.append(Double(t2 - t1))
            phases.instantiate.values.append(Double(t3 - t2))
            phases.launch.values.append(Double(t4 - t3))
            phases.whole.values.append(Double(t4 - t0))
            phases.run.values.append(Double(t5 - t4))
        }
        _ = host.shutdown()
        return phases
    }

    static func loopWAT(iterations: Int, body: String) -> String {
        """
        (module
          (import "env" "sys_time_now" (func $now (result i64)))
          (memory (export "memory") 1)
          (func (export "_start") (local $i i32)
            (loop $again
              \(body)
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const \(iterations)))))))
        """
    }

    /// The best of three runs of the actor `wat`, on `tier` (compiled
    /// ahead of time unless interpreted), in nanoseconds.
    static func timeActor(_ wat: String, _ tier: TierPolicy = .interpreter, _ compiler: ModuleCompiler? = nil) throws -> Double {
        let host = WasmActorHost(kernel: Kernel(), tier: tier, compiler: compiler, logSink: { _, _ in })
        let module = try host.load(bytes: try wat2wasm(wat), name: "loop")
        if tier != .interpreter { _ = try host.compileAheadOfTime(module) }
        var best = Double.infinity
        for _ in 0..<3 {
            let t0 = nowNanoseconds()
            let actor = try host.spawn(module)
            host.wait(for: actor, timeout: .seconds(120))
            best = min(best, Double(nowNanoseconds() - t0))
        }
        _ = host.shutdown()
        return best
    }

    /// The same loop straight on WasmKit, with and without fuel metering.
    static func rawLoop(iterations: Int, fuel: Bool) throws -> Double {
        let wat = """
            (module (func (export "run") (local $i i32)
              (loop $again
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $again (i32.lt_u (local.get $i) (i32.const \(iterations)))))))
            """
        let engine = Engine(configuration: EngineConfiguration(compilationMode: .eager, fuelMetering: fuel))
        let store = Store(engine: engine)
        if fuel { store.fuel = Fuel(remaining: .max / 2) }
        let instance = try parseWasm(bytes: try wat2wasm(wat)).instantiate(store: store)
        let run = instance.exports[function: "run"]!
        var best = Double.infinity
        for _ in 0..<3 { best = min(best, time { _ = try? run.invoke() }) }
        return best
    }
}
