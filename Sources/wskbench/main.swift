// Benchmarks, release builds only: scripts/bench [NAME...].
// Every figure is printed next to a baseline measured in the same run, as a
// ratio. Timings never go in the tests; the machine is noisy.

let available: [(String, () throws -> Void)] = [
    ("ipc", IPCBenchmark.run),
    ("kernel", KernelBenchmark.run),
    ("hostcall", HostCallBenchmark.run),
    ("compiled", CompiledTierBenchmark.run),
    ("composite", CompositeBenchmark.run),
    ("input", InputBenchmark.run),
    ("apps", AppBenchmark.run),
]

let wanted = Set(CommandLine.arguments.dropFirst())
#if DEBUG
    print("wskbench: this is a debug build; figures mean nothing. Use scripts/bench.")
#endif
for (name, run) in available where wanted.isEmpty || wanted.contains(name) {
    do {
        try run()
    } catch {
        print("wskbench \(name): \(error)")
    }
}
