// Benchmarks, release builds only: scripts/bench [NAME...].
// Every figure is printed next to a baseline measured in the same run, as a
// ratio. Timings never go in the tests; the machine is noisy.

import Foundation

let available: [(String, () throws -> Void)] = [
    ("ipc", IPCBenchmark.run),
    ("kernel", KernelBenchmark.run),
    ("hostcall", HostCallBenchmark.run),
    ("start", HostCallBenchmark.runStart),
    ("compiled", CompiledTierBenchmark.run),
    ("composite", CompositeBenchmark.run),
    ("input", InputBenchmark.run),
    ("apps", AppBenchmark.run),
]

let wanted = Set(CommandLine.arguments.dropFirst())
#if DEBUG
    print("wskbench: this is a debug build; figures mean nothing. Use scripts/bench.")
#endif
let unknown = wanted.subtracting(available.map(\.0))
if !unknown.isEmpty {
    print("wskbench: no benchmark \(unknown.sorted().joined(separator: ", ")); there are \(available.map(\.0).joined(separator: ", "))")
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
