import Interp
import Kernel
import Synchronization
import WAT

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/InterpTests/Support.swift
    return parts.joined(separator: "/")
}()

/// A built Rust actor. The test command builds them first (scripts/build-actors).
func actorPath(_ name: String) -> String {
    repositoryRoot + "/build/actors/\(name).wasm"
}

/// Collects `sys_log` lines, for asserting exactly what actors said.
final class LogRecorder: Sendable {
    private let lines = Mutex<[(String, String)]>([])
    var sink: LogSink { { name, line in self.lines.withLock { $0.append((name, line)) } } }
    func lines(of actor: String) -> [String] { lines.withLock { $0.filter { $0.0 == actor }.map(\.1) } }
}

/// A kernel, its Wasm host and a log recorder.
struct TestSystem {
    let kernel: Kernel
    let host: WasmActorHost
    let log: LogRecorder

    init(limits: ActorLimits = ActorLimits(), kernelLimits: KernelLimits = KernelLimits()) {
        let log = LogRecorder()
        self.kernel = Kernel(limits: kernelLimits)
        self.host = WasmActorHost(kernel: kernel, limits: limits, logSink: log.sink)
        self.log = log
    }

    func module(wat: String, name: String = "test") throws -> CheckedModule {
        try host.load(bytes: try wat2wasm(wat), name: name)
    }
}
