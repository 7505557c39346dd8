import Interp
import Kernel
import WAT
import WasmKit

/// The cost of one host call from a Wasm actor, of the fuel watchdog, and of
/// loading and starting a Rust actor.
enum HostCallBenchmark {
    static func run() throws {
        section("Host calls and actor start")
        let iterations = 2_000_000
        let loopOnly = try timeActor(loopWAT(iterations: iterations, body: ""))
        let withCall = try timeActor(loopWAT(iterations: iterations, body: "(drop (call $now))"))
        let perCall = (withCall - loopOnly) / Double(iterations)
        let perIteration = loopOnly / Double(iterations)
        report("one host call (sys_time_now), net", perCall, baseline: perIteration, baselineName: "one empty loop iteration")

        let metered = try rawLoop(iterations: 20_000_000, fuel: true)
        let unmetered = try rawLoop(iterations: 20_000_000, fuel: false)
        report("20M-iteration loop with fuel watchdog", metered, baseline: unmetered, baselineName: "without")

        let start = try startHello()
        report("load, check and start hello.wasm", start.load, baseline: start.run, baselineName: "its run")
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

    static func startHello() throws -> (load: Double, run: Double) {
        let path = "build/actors/hello.wasm"
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, tier: .interpreter, logSink: { _, _ in })
        var loads: [Double] = []
        var runs: [Double] = []
        for _ in 0..<20 {
            let t0 = nowNanoseconds()
            let module = try host.load(path: path)
            let actor = try host.spawn(module)
            let t1 = nowNanoseconds()
            host.wait(for: actor)
            let t2 = nowNanoseconds()
            loads.append(Double(t1 - t0))
            runs.append(Double(t2 - t1))
        }
        _ = host.shutdown()
        return (Samples(values: loads).median, Samples(values: runs).median)
    }
}
