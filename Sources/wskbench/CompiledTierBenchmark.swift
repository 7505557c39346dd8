import AppProtocols
import Dispatch
import Foundation
import Interp
import Kernel
import Logging
import Synchronization
import WAT
import Wire

/// The compiled tier (wasm2c + the system C compiler) against the interpreter
/// and native Swift, in the same run: Mandelbrot 640 × 480 @ 256, a 3 × 3 box
/// blur and every filter plugin on 1920 × 1080 (a whole request, and the
/// filter alone against the same algorithm in Swift), the time to compile
/// each module, and the cost of a host call from compiled code. Each
/// kernel's output is checked to be bit-identical across the three.
enum CompiledTierBenchmark {
    /// Everything, or with `plugins` (names in build/actors/plugins or paths
    /// to .wasm files) only those plugins' figures.
    static func run(plugins selected: [String] = []) throws {
        let cache = NSTemporaryDirectory() + "wskbench-compiled-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let compiler = ModuleCompiler(directory: cache + "/run", logger: Logger(label: "wskbench"))
        if !selected.isEmpty {
            try plugins(compiler, modules: selected.map(pluginFile))
            return
        }

        section("Compiled tier: Mandelbrot 640x480 at 256 iterations (one frame)")
        try mandelbrot(compiler)
        section("Compiled tier: 1920x1080 filters")
        try blur(compiler)
        try plugins(compiler)
        section("Compiled tier: host calls")
        try hostCalls(compiler)
        section("Compiled tier: compile time (wasm2c + cc -O2, empty cache)")
        try compileTimes(ModuleCompiler(directory: cache + "/fresh", logger: Logger(label: "wskbench")))
    }

    // MARK: Kernels

    static func mandelbrot(_ compiler: ModuleCompiler) throws {
        let (w, h) = (ComputeKernels.width, ComputeKernels.height)
        var native = [UInt32](repeating: 0, count: w * h)
        let swift = sample(5) { ComputeKernels.mandelbrot(into: &native) }.median
        let frame = bytes(native)
        let wat = ComputeKernels.mandelbrotWAT
        let compiled = try Server(wat, tier: .compiled, compiler: compiler, bufferBytes: w * h * 4)
        let compiledTime = compiled.time(runs: 10, payload: [0, 1]).call
        let interpreted = try Server(wat, tier: .interpreter, compiler: compiler, bufferBytes: w * h * 4)
        let interpretedTime = interpreted.time(runs: 2, payload: [0, 1]).call
        identical("Mandelbrot", [compiled.output, interpreted.output], frame)
        report("compiled", compiledTime, baseline: swift, baselineName: "native Swift")
        report("interpreter", interpretedTime, baseline: swift, baselineName: "native Swift")

        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let parallel = try Server(wat, tier: .compiled, compiler: compiler, bufferBytes: w * h * 4, actors: cores)
        let parallelTime = parallel.time(runs: 10, payload: [0, 1]).call
        identical("Mandelbrot on \(cores) actors", [parallel.output], frame)
        report("compiled, \(cores) actors (rows interleaved)", parallelTime, baseline: compiledTime, baselineName: "one actor")
    }

    static func blur(_ compiler: ModuleCompiler) throws {
        let image = ComputeKernels.blurImage()
        var native = [UInt32](repeating: 0, count: image.count)
        let swift = sample(5) { ComputeKernels.blur(image, into: &native) }.median
        let wat = ComputeKernels.blurWAT
        let input = bytes(image)
        let compiled = try Server(wat, tier: .compiled, compiler: compiler, bufferBytes: input.count)
        let compiledTime = compiled.time(runs: 10, input: input)
        let interpreted = try Server(wat, tier: .interpreter, compiler: compiler, bufferBytes: input.count)
        let interpretedTime = interpreted.time(runs: 2, input: input)
        identical("3x3 box blur", [compiled.output, interpreted.output], bytes(native))
        // The actor times the blur itself; the call adds reading and writing 8 MB through host calls.
        report("3x3 box blur, compiled", compiledTime.reported, baseline: swift, baselineName: "native Swift")
        report("3x3 box blur, interpreter", interpretedTime.reported, baseline: swift, baselineName: "native Swift")
        report("3x3 box blur call, compiled (+ 2 copies of 8 MB)", compiledTime.call, baseline: swift, baselineName: "native Swift")
        // The same with explicit checks (MemoryChecks.explicit) instead of guard pages.
        let checked = try Server(wat, tier: .compiled, compiler: explicitChecks(compiler), bufferBytes: input.count)
        let checkedTime = checked.time(runs: 10, input: input)
        identical("3x3 box blur with explicit checks", [checked.output], bytes(native))
        report("3x3 box blur, compiled, explicit checks", checkedTime.reported, baseline: compiledTime.reported,
               baselineName: "guard pages")
    }

    /// The goal of issue 9 for one filter request on a 1920x1080 picture.
    static let requestGoal = 8e6

    /// Each filter plugin of build/actors/plugins on the same 1920x1080
    /// picture, default parameters, under the default watchdog.
    ///
    /// - A request is timed as paint makes it, from the call to the answer:
    ///   the plugin reads the picture from the shared buffer into its own
    ///   memory, filters it, writes it back (8 MB each way) and answers.
    /// - The filter alone is what the plugin's clock says its filter
    ///   function took (the payload of DONE); a request on a 1x1 picture
    ///   shows what a request costs besides the copies.
    /// - The native baseline is the same algorithm in Swift (`NativeFilters`),
    ///   in place on a picture already in memory: it compares with the
    ///   filter alone. Every output is checked against `ReferenceFilters`.
    static func plugins(_ compiler: ModuleCompiler, modules given: [(module: String, path: String)]? = nil) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: pluginFolder)) ?? []).filter { $0.hasSuffix(".wasm") }.sorted()
        let modules = given ?? names.map { (String($0.dropLast(5)), pluginFolder + "/" + $0) }
        guard !modules.isEmpty else {
            print("  (no filter plugins in \(pluginFolder): run scripts/build-actors)")
            return
        }
        let image = ComputeKernels.blurImage()
        let input = bytes(image)
        let (w, h) = (ComputeKernels.blurWidth, ComputeKernels.blurHeight)
        let size = [UInt32(w), UInt32(h)]
        section("Compiled tier: filter plugins on 1920x1080, default parameters (medians; goals: a request ≤ \(format(requestGoal)), the filter ≤ 1.2x native Swift)")
        var summary: [(module: String, request: Double, filter: Double, interpreter: Double, native: Double?)] = []
        for (module, path) in modules {
            // A plugin of the author's own (a path) may share a built-in's name, not its algorithm.
            let builtIn = path == pluginFolder + "/" + module + ".wasm"
            let reference = builtIn ? ReferenceFilters.apply(module: module, image, width: w, height: h) : nil
            let (nativeTime, native) = builtIn ? nativeFilter(module, image, width: w, height: h) : (nil, nil)
            let wasm = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            func server(_ tier: TierPolicy, _ compiler: ModuleCompiler) throws -> Server {
                try Server(wasm: wasm, tier: tier, compiler: compiler, bufferBytes: input.count, filter: true)
            }
            let compiled = try server(.compiled, compiler)
            let compiledTime = compiled.time(runs: 11, input: input, payload: size)
            let compiledOutput = compiled.output
            let tiny = compiled.time(runs: 11, payload: [1, 1]).call  // after the others: the plugin keeps its image's memory
            let checked = try server(.compiled, explicitChecks(compiler))
            let checkedTime = checked.time(runs: 5, input: input, payload: size)
            let interpreted = try server(.interpreter, compiler)
            let interpretedTime = interpreted.time(runs: 3, input: input, payload: size)
            let outputs = [compiledOutput, checked.output, interpreted.output] + (native.map { [bytes($0)] } ?? [])
            identical("\(module) in three tiers\(native == nil ? "" : " and native Swift")", outputs,
                      reference.map(bytes) ?? interpreted.output)
            report("\(module): request, compiled", compiledTime.call, baseline: requestGoal, baselineName: "goal")
            report("\(module): filter alone, interpreter", interpretedTime.reported, baseline: compiledTime.reported,
                   baselineName: "compiled")
            summary.append((module, compiledTime.call, compiledTime.reported, interpretedTime.reported, nativeTime))
            guard let nativeTime else {
                print("  (no native version of \(module))")
                continue
            }
            report("\(module): filter alone, compiled", compiledTime.reported, baseline: nativeTime, baselineName: "native Swift")
            let rest = "\(module): copies and call".padding(toLength: 44, withPad: " ", startingAt: 0)
            print("  \(rest) \(format(compiledTime.call - compiledTime.reported)) (the request less the filter; a 1x1 picture's request: \(format(tiny)))")
            report("\(module): filter alone, explicit checks", checkedTime.reported, baseline: compiledTime.reported,
                   baselineName: "guard pages")
            report("\(module): filter alone, interpreter", interpretedTime.reported, baseline: nativeTime, baselineName: "native Swift")
        }
        guard !summary.isEmpty else { return }
        func row(_ cells: [String]) -> String {
            "  " + zip(cells, [11, 10, 11, 10, 13, 10, 14, 7]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
                + cells[8]
        }
        print("\n" + row(["plugin", "request", "≤ \(format(requestGoal))", "filter", "interpreter", "ratio", "native Swift", "ratio",
                          "≤ 1.2x"]))
        print("  (filter: the compiled filter alone; ratios: the interpreter's over it, and it over native Swift)")
        for (module, request, filter, interpreter, native) in summary {
            let ratio = native.map { filter / $0 }
            print(row([module, format(request), request <= requestGoal ? "yes" : "NO", format(filter), format(interpreter),
                       format2(interpreter / filter) + "x", native.map(format) ?? "-", ratio.map { format2($0) + "x" } ?? "-",
                       ratio.map { $0 <= 1.2 ? "yes" : "NO" } ?? "-"]))
        }
    }

    static let pluginFolder = "build/actors/plugins"

    /// A plugin to measure: `name` in build/actors/plugins, or a .wasm file.
    static func pluginFile(_ name: String) throws -> (module: String, path: String) {
        if name.hasSuffix(".wasm") {
            guard FileManager.default.fileExists(atPath: name) else { throw BenchmarkError("no plugin file \(name)") }
            return (String(URL(fileURLWithPath: name).lastPathComponent.dropLast(5)), name)
        }
        let path = pluginFolder + "/" + name + ".wasm"
        guard FileManager.default.fileExists(atPath: path) else {
            throw BenchmarkError("no plugin \(name) in \(pluginFolder) (give a name there or a path to a .wasm file)")
        }
        return (name, path)
    }

    /// The median time of `NativeFilters` on a copy of `image` (the copy
    /// not timed), and its output; nil for a module it does not have.
    static func nativeFilter(_ module: String, _ image: [UInt32], width: Int, height: Int) -> (Double?, [UInt32]?) {
        var pixels = image
        var times: [Double] = []
        for _ in 0..<11 {
            pixels.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: image) }  // a copy of its own, untimed
            let t0 = nowNanoseconds()
            let known = pixels.withUnsafeMutableBufferPointer { NativeFilters.apply(module: module, $0, width: width, height: height) }
            times.append(Double(nowNanoseconds() - t0))
            guard known else { return (nil, nil) }
        }
        return (Samples(values: times).median, pixels)
    }

    /// A compiler like `compiler` whose code checks every access instead of
    /// relying on guard pages.
    static func explicitChecks(_ compiler: ModuleCompiler) -> ModuleCompiler {
        ModuleCompiler(directory: compiler.directory + "-explicit-checks", logger: Logger(label: "wskbench"), memoryChecks: .explicit)
    }

    // MARK: Host calls and compiling

    static func hostCalls(_ compiler: ModuleCompiler) throws {
        let iterations = 2_000_000
        func perCall(_ tier: TierPolicy) throws -> Double {
            let loop = try HostCallBenchmark.timeActor(HostCallBenchmark.loopWAT(iterations: iterations, body: ""), tier, compiler)
            let calls = try HostCallBenchmark.timeActor(HostCallBenchmark.loopWAT(iterations: iterations, body: "(drop (call $now))"), tier, compiler)
            return (calls - loop) / Double(iterations)
        }
        let compiled = try perCall(.compiled)
        let interpreted = try perCall(.interpreter)
        report("one host call (sys_time_now) from compiled code", compiled, baseline: interpreted, baselineName: "from the interpreter")
    }

    /// Each module's compile into an empty cache, next to what the
    /// interpreter takes to validate and instantiate it.
    static func compileTimes(_ compiler: ModuleCompiler) throws {
        var modules = [("mandelbrot.wat", try wat2wasm(ComputeKernels.mandelbrotWAT)), ("blur3x3.wat", try wat2wasm(ComputeKernels.blurWAT))]
        let root = "build/actors"
        for path in (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted() where path.hasSuffix(".wasm") {
            modules.append((path, try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/" + path)))))
        }
        let host = WasmActorHost(kernel: Kernel(), tier: .interpreter, compiler: compiler, logSink: { _, _ in })
        for (name, wasm) in modules {
            let module = try host.load(bytes: wasm, name: name)
            let interpreter = time { _ = try? host.prepare(module) }
            var failure: Error?
            let compile = time {
                do { _ = try host.compileAheadOfTime(module) } catch { failure = error }
            }
            if let failure {
                print("  \(name): not compiled: \(failure)")
                continue
            }
            report("\(name) (\(wasm.count / 1024) KiB)", compile, baseline: interpreter, baselineName: "interpreter start")
        }
    }

    // MARK: Helpers

    /// Says whether every output equals `reference`, and where the first that does not differs.
    static func identical(_ what: String, _ outputs: [[UInt8]], _ reference: [UInt8]) {
        for (n, output) in outputs.enumerated() where output != reference {
            let at = zip(output, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            print("  \(what): output \(n) DIFFERS from the reference, first at byte \(at.map(String.init) ?? "(length)")")
            return
        }
        print("  \(what): output bit-identical across tiers and the baseline")
    }

    static func bytes(_ words: [UInt32]) -> [UInt8] {
        words.withUnsafeBytes { Array($0) }
    }
}

/// Actors that serve calls on a buffer: each call is one frame or one image.
/// The actors hold the buffer as handle 1 and their inbox as handle 2; a
/// filter plugin (docs/plugins.md) takes the buffer with each call instead.
final class Server {
    let kernel = Kernel()
    let host: WasmActorHost
    let client: ActorID
    let buffer: Handle
    let bufferBytes: Int
    var inboxes: [Handle] = []
    let filter: Bool

    convenience init(
        _ wat: String, tier: TierPolicy, compiler: ModuleCompiler, bufferBytes: Int, actors: Int = 1
    ) throws {
        try self.init(wasm: try wat2wasm(wat), tier: tier, compiler: compiler, bufferBytes: bufferBytes, actors: actors)
    }

    init(
        wasm: [UInt8], tier: TierPolicy, compiler: ModuleCompiler, limits: ActorLimits = ActorLimits(),
        bufferBytes: Int, actors: Int = 1, filter: Bool = false
    ) throws {
        host = WasmActorHost(kernel: kernel, limits: limits, tier: tier, compiler: compiler, logSink: { _, _ in })
        client = kernel.createActor(name: "client")
        buffer = try kernel.createBuffer(client, size: bufferBytes)
        self.bufferBytes = bufferBytes
        self.filter = filter
        let module = try host.load(bytes: wasm, name: "server")
        for _ in 0..<actors {
            try host.spawn(module) { [self] actor in
                if filter {
                    inboxes.append(try kernel.connect(owner: actor, peer: client, peerRights: [.send]).peer)
                } else {
                    _ = try kernel.grantCopy(of: buffer, held: client, rights: [.read, .write], to: actor)
                    inboxes.append(try kernel.connect(owner: actor, peer: client, peerRights: [.send]).peer)
                }
            }
        }
    }

    deinit { _ = host.shutdown() }

    /// The median time of `runs` calls (after one unmeasured), the buffer
    /// refilled with `input` before each, and the median of the times the
    /// answers report (an i64 of nanoseconds, when they carry one). With
    /// several actors, each call goes to all of them at once, the i-th with
    /// payload (i, count).
    func time(runs: Int, input: [UInt8]? = nil, payload: [UInt32] = []) -> (call: Double, reported: Double) {
        let (kernel, client, buffer, inboxes, filter) = (kernel, client, buffer, inboxes, filter)
        let reported = Mutex<[Double]>([])
        var samples: [Double] = []
        for run in 0...runs {
            if let input { try? input.withUnsafeBytes { try kernel.write(client, to: buffer, offset: 0, from: $0) } }
            let t0 = nowNanoseconds()
            DispatchQueue.concurrentPerform(iterations: inboxes.count) { i in
                var words = PayloadWriter()
                for word in inboxes.count > 1 ? [UInt32(i), UInt32(inboxes.count)] : payload { words.u32(word) }
                let outcome = Result { () throws(SysError) in try kernel.call(
                    client, to: inboxes[i], opcode: filter ? 0x0601 : 1, payload: words.bytes,
                    cap: filter ? buffer : .null, capacity: 4096, timeout: .nanoseconds(600_000_000_000)) }
                guard case .success(.answer(let answer)) = outcome else { return print("  a call failed: \(outcome)") }
                var reader = PayloadReader(answer.payload)
                // DONE: u64 nanoseconds, maybe followed by more (the engine).
                if run > 0, answer.payload.count >= 8, let nanoseconds = reader.u64() {
                    reported.withLock { $0.append(Double(nanoseconds)) }
                }
            }
            if run > 0 { samples.append(Double(nowNanoseconds() - t0)) }
        }
        return (Samples(values: samples).median, Samples(values: reported.withLock { $0 }).median)
    }

    /// The buffer as the last call left it.
    var output: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: bufferBytes)
        _ = try? bytes.withUnsafeMutableBytes { try kernel.read(client, from: buffer, offset: 0, into: $0) }
        return bytes
    }
}

/// A benchmark that cannot measure what it was asked to, and why.
struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
