// Benchmarks, release builds only: scripts/bench [NAME...].
// Every figure is printed next to a baseline measured in the same run, as a
// ratio. Timings never go in the tests; the machine is noisy.

import Foundation

let arguments = CommandLine.arguments.dropFirst()
let benchmarks = ["ipc", "kernel", "hostcall", "start", "compiled", "composite", "input", "apps"]
// After `compiled`, other words name the filter plugins to measure: a name
// in build/actors/plugins or a path to a .wasm file (scripts/bench compiled blur).
let wanted = Set(arguments.filter(benchmarks.contains))
let plugins = wanted.contains("compiled") ? arguments.filter { !benchmarks.contains($0) } : []
let available: [(String, () throws -> Void)] = [
    ("ipc", IPCBenchmark.run),
    ("kernel", KernelBenchmark.run),
    ("hostcall", HostCallBenchmark.run),
    ("start", HostCallBenchmark.runStart),
    ("compiled", { try CompiledTierBenchmark.run(plugins: Array(plugins)) }),
    ("composite", CompositeBenchmark.run),
    ("input", InputBenchmark.run),
    ("apps", AppBenchmark.run),
]

#if DEBUG
    print("wskbench: this is a debug build; figures mean nothing. Use scripts/bench.")
#endif
let unknown = Set(arguments).subtracting(benchmarks).subtracting(plugins)
if !unknown.isEmpty {
    print("wskbench: no benchmark \(unknown.sorted().joined(separator: ", ")); there are \(benchmarks.joined(separator: ", ")) "
        + "(and compiled PLUGIN...: a plugin's name or .wasm file)")
    exit(2)
}
var failed: [String] = []
for (name, run) in available where wanted.isEmpty || wanted.contains(name) {
    do {
        try run()
    } catch {
        print("wskbench \(name): FAILED: \(error)")
        failed.append(name)
    }
}
// A benchmark that failed measured nothing: the run fails (exit status 1).
if !failed.isEmpty {
    print("wskbench: \(failed.count) benchmarks failed: \(failed.joined(separator: ", "))")
    exit(1)
}
