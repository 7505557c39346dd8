import AppProtocols
import Foundation
import Interp
import Kernel

/// The apps' plugins against the same work in native Swift, same run: the
/// fractal (640x480, 256 iterations) rendered by Wasm workers, one and one
/// per core, as the fractal viewer does it; each filter on a 1920x1080
/// picture through the plugin protocol, as paint does it (a fresh buffer and
/// the copies included), against the same algorithm in Swift (`NativeFilters`).
/// Both tiers: WasmKit's interpreter, and compiled code where it can be built.
enum AppBenchmark {
    static let actors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/build/actors"

    static func run() throws {
        let cores = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        let view = FractalView.home(.mandelbrot, width: 640, height: 480, iterations: 256)
        section("Fractal 640x480, 256 iterations, mandelbrot (median of 3; native Swift single-threaded as baseline)")
        var reference: [UInt32] = []
        let native = Samples(values: (0..<3).map { _ in time { reference = FractalReference.iterations(of: view) } })
        print("  native Swift, 1 thread                       \(format(native.median))")
        for tier in [TierPolicy.interpreter, .compiled] {
            for workers in Set([1, cores]).sorted() {
                let (elapsed, result) = try renderWithWorkers(view, workers: workers, tier: tier)
                let label = "Wasm \(tier.rawValue), \(workers) worker\(workers == 1 ? "" : "s")"
                report(label + (result == reference ? "" : " (WRONG PICTURE)"), elapsed.median, baseline: native.median,
                       baselineName: "native")
            }
        }

        section("Filters on 1920x1080 as paint applies them (median of 5): the canvas copied into paint's kept buffer, the call, the result copied back")
        print("  (baseline: the same algorithm in native Swift, in place, NativeFilters; goal for the compiled tier: \(format(CompiledTierBenchmark.requestGoal)))")
        let (w, h) = (1920, 1080)
        let picture = (0..<w * h).map { i in UInt32(truncatingIfNeeded: i &* 2_654_435_761) & 0x00ff_ffff }
        var natives: [String: (time: Double, output: [UInt32])] = [:]
        for module in ReferenceFilters.modules {
            let (time, output) = CompiledTierBenchmark.nativeFilter(module, picture, width: w, height: h)
            if let time, let output { natives[module] = (time, output) }
        }
        for tier in [TierPolicy.interpreter, .compiled] {
            let rig = Rig(directory: actors + "/plugins", tier: tier)
            defer { rig.stop() }
            let copy = try rig.kernel.createBuffer(rig.client.actor, size: w * h * 4)
            for module in ReferenceFilters.modules {
                let expected = ReferenceFilters.apply(module: module, picture, width: w, height: h)!
                guard let native = natives[module] else { continue }
                let label = "\(module), Wasm \(tier.rawValue)"
                do {
                    let plugin = try rig.client.spawn(module, from: rig.spawner)
                    _ = try rig.client.apply(plugin, picture, width: w, height: h)  // warm up (and compile)
                    var canvas = picture
                    var output: [UInt32] = []
                    var failure: (any Error)?
                    let wasmTime = Samples(values: (0..<5).map { _ in
                        canvas.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: picture) }
                        let elapsed = time {
                            do { try rig.client.apply(plugin, to: &canvas, width: w, height: h, through: copy) } catch { failure = error }
                        }
                        output = canvas
                        return elapsed
                    })
                    if let failure { throw failure }
                    let right = output == expected && native.output == expected
                    report(label + (right ? "" : " (WRONG PICTURE)"), wasmTime.median, baseline: native.time, baselineName: "native")
                } catch {
                    print("  \(label): failed: \(error)")
                }
            }
        }
    }

    /// A kernel, a Wasm host on one tier, and a native actor with a spawner.
    struct Rig {
        let kernel = Kernel()
        let host: WasmActorHost
        let client: PluginClient
        let spawner: Handle

        init(directory: String, tier: TierPolicy) {
            host = WasmActorHost(kernel: kernel, tier: tier, logSink: { _, _ in })
            client = PluginClient(kernel: kernel, actor: kernel.createActor(name: "bench"))
            spawner = try! kernel.grantSpawner(directory: directory, to: client.actor)
        }

        func stop() { _ = host.shutdown(timeout: .seconds(10)) }
    }

    /// Renders `view` with `workers` mandelbrot workers as the fractal app
    /// does: 64x64 tiles, one at a time per worker, results on an endpoint.
    /// Times three renders after a warm-up one; returns the last picture.
    static func renderWithWorkers(_ view: FractalView, workers: Int, tier: TierPolicy) throws
        -> (Samples, [UInt32])
    {
        let rig = Rig(directory: actors + "/formulas", tier: tier)
        defer { rig.stop() }
        let (kernel, me) = (rig.kernel, rig.client.actor)
        let results = try kernel.createEndpoint(me, capacity: 256)
        let forWorkers = try kernel.derive(me, results, rights: [.send, .grant])
        let pool = try (0..<workers).map { _ in
            (actor: try rig.client.spawn("mandelbrot", from: rig.spawner, grant: forWorkers),
             buffer: try kernel.createBuffer(me, size: FormulaProtocol.maxTileSamples * 4))
        }
        var tiles: [FormulaTile] = []
        for y in stride(from: 0, to: view.height, by: 64) {
            for x in stride(from: 0, to: view.width, by: 64) {
                tiles.append(FormulaTile(job: UInt32(tiles.count), x0: Int32(x), y0: Int32(y),
                                         columns: UInt32(min(64, view.width - x)), rows: UInt32(min(64, view.height - y)),
                                         stride: 1, iterations: view.iterations, left: view.left, top: view.top, step: view.step))
            }
        }
        var picture = [UInt32](repeating: 0, count: view.width * view.height)
        func render() throws {
            var next = 0
            var busy: [Int: (tile: FormulaTile, lent: Handle)] = [:]  // worker -> its tile
            func dispatch(_ worker: Int) throws {
                guard next < tiles.count else { return }
                let lent = try kernel.derive(me, pool[worker].buffer, rights: [.write, .grant])
                try kernel.send(me, to: pool[worker].actor, opcode: FormulaProtocol.render, payload: tiles[next].payload, cap: lent)
                busy[worker] = (tiles[next], lent)
                next += 1
            }
            for worker in pool.indices { try dispatch(worker) }
            while !busy.isEmpty {
                guard case .message(let answer) = try kernel.receive(me, from: results, capacity: 256),
                    answer.opcode == FormulaProtocol.tileDone,
                    let worker = busy.first(where: { $0.value.tile.job == answer.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } })?.key
                else { throw PluginCallError.garbled(opcode: 0) }
                let (tile, lent) = busy.removeValue(forKey: worker)!
                try kernel.release(me, lent)
                let samples = try rig.client.read(tile.samples, from: pool[worker].buffer)
                for row in 0..<Int(tile.rows) {
                    let to = (Int(tile.y0) + row) * view.width + Int(tile.x0)
                    picture.replaceSubrange(to..<to + Int(tile.columns),
                                            with: samples[row * Int(tile.columns)..<(row + 1) * Int(tile.columns)])
                }
                try dispatch(worker)
            }
        }
        try render()  // warm up (and compile)
        var failure: (any Error)?
        let samples = Samples(values: (0..<3).map { _ in
            time {
                do { try render() } catch { failure = error }
            }
        })
        if let failure { throw failure }
        return (samples, picture)
    }
}
