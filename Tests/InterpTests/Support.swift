import Foundation
import Interp
import Kernel
import Logging
import Synchronization
import TestSupport
import Testing
import WAT

/// A built Rust actor. The test command builds them first (scripts/build-actors).
func actorPath(_ name: String) -> String {
    Repository.root + "/build/actors/\(name).wasm"
}

/// Collects `sys_log` lines, for asserting exactly what actors said.
final class LogRecorder: Sendable {
    private let lines = Mutex<[(String, String)]>([])
    var sink: LogSink { { name, line in self.lines.withLock { $0.append((name, line)) } } }
    func lines(of actor: String) -> [String] { lines.withLock { $0.filter { $0.0 == actor }.map(\.1) } }
}

/// The engines every actor test runs on: `@Test(arguments: Tier.allCases)`.
enum Tier: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case interpreter, compiled

    var policy: TierPolicy {
        switch self {
        case .interpreter: .interpreter
        case .compiled: .compiled
        }
    }

    var testDescription: String { rawValue }
}

/// Where this test run keeps compiled modules: a fresh directory, removed
/// when the run ends, shared by every test so each module compiles once.
let testCacheRoot = NSTemporaryDirectory() + "wskdesk-tests-\(getpid())"

/// The compiler every test host uses.
let testCompiler: ModuleCompiler = {
    atexit { try? FileManager.default.removeItem(atPath: testCacheRoot) }
    // Runs that crashed left theirs behind.
    let temporary = NSTemporaryDirectory()
    for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("wskdesk-tests-") {
        if let pid = Int32(name.dropFirst("wskdesk-tests-".count)), kill(pid, 0) != 0, errno == ESRCH {
            try? FileManager.default.removeItem(atPath: temporary + name)
        }
    }
    return ModuleCompiler(directory: testCacheRoot + "/compiled", logger: Logger(label: "wskdesk.tests.compiler"))
}()

/// A kernel, its Wasm host on one tier, and a log recorder.
struct TestSystem {
    let kernel: Kernel
    let host: WasmActorHost
    let log: LogRecorder
    let tier: Tier

    init(
        tier: Tier = .interpreter, limits: ActorLimits = ActorLimits(), kernelLimits: KernelLimits = KernelLimits(),
        compiler: ModuleCompiler = testCompiler
    ) {
        let log = LogRecorder()
        self.kernel = Kernel(limits: kernelLimits)
        self.host = WasmActorHost(kernel: kernel, limits: limits, tier: tier.policy, compiler: compiler, logSink: log.sink)
        self.log = log
        self.tier = tier
    }

    /// Whether every actor so far ran on this system's tier (none fell back).
    var ranOnItsTier: Bool {
        let counts = host.tierCounts
        return tier == .compiled ? counts.interpreted == 0 : counts.compiled == 0
    }

    func module(wat: String, name: String = "test") throws -> CheckedModule {
        try host.load(bytes: try wat2wasm(wat), name: name)
    }
}
