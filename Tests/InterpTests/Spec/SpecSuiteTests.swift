import Foundation
import Interp
import Logging
import TestSupport
import Testing

/// The official WebAssembly spec tests (the core .wast files of the suite
/// wabt 1.0.32 matches) on both tiers, through the load path actors take
/// (SpecSession). `scripts/test` runs `SpecSuite.subset`; `scripts/spec-tests
/// --all` (WSK_SPEC_FILES=all) runs every file. Modules outside the accepted
/// language are skipped, counted by reason; known deviations are listed in
/// docs/ABI.md and in `SpecSuite.deviations`, and skipped too.
@Suite(.serialized) struct SpecSuiteTests {
    @Test(arguments: SpecSuite.Tier.allCases)
    func specSuite(tier: SpecSuite.Tier) throws {
        let files = try SpecSuite.files()
        let scratch = NSTemporaryDirectory() + "wskdesk-spec-\(getpid())-\(tier)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var total = SpecTally()
        for file in files {
            let script = try SpecScript.convert(file, into: scratch)
            let tally = SpecSuite.onLargeStack {
                SpecRunner(script: script, session: tier.session(), deviations: SpecSuite.deviations(tier, file)).run()
            }
            print("spec \(tier) \(file): \(tally.passed) passed, \(tally.failures.count) failed, \(tally.skippedCount) skipped")
            for failure in tally.failures { print("spec \(tier) FAILED \(failure)") }
            total.add(tally)
        }
        print("spec \(tier) total (\(files.count) files): \(total.passed) passed, \(total.failures.count) failed, \(total.skippedCount) skipped")
        for (reason, count) in total.skipped.sorted(by: { $0.value > $1.value }) {
            print("spec \(tier) skipped \(count): \(reason)")
        }
        #expect(total.passed > 0)
        #expect(total.failures.isEmpty, "\(total.failures.count) spec commands failed on the \(tier) tier; see the output")
    }
}

enum SpecSuite {
    enum Tier: String, CaseIterable, CustomStringConvertible {
        case interpreter, compiled

        var description: String { rawValue }

        /// A fresh session: one per file, as each file is its own test.
        func session() -> any SpecSession {
            switch self {
            case .interpreter: InterpreterSpecSession()
            case .compiled:
                CompiledSpecSession(directory: SpecSuite.compiledCache, logger: Logger(label: "wskdesk.spec") { _ in SwiftLogNoOpLogHandler() })
            }
        }
    }

    /// The files `scripts/test` runs: @@SUBSET@@
    static let subset = ["i32", "address", "call_indirect", "memory_trap", "br_table", "conversions"]

    /// `WSK_SPEC_FILES`: "all", or names separated by commas; else `subset`.
    static func files() throws -> [String] {
        guard let chosen = ProcessInfo.processInfo.environment["WSK_SPEC_FILES"], !chosen.isEmpty else { return subset }
        guard chosen == "all" else { return chosen.split(separator: ",").map(String.init) }
        return try FileManager.default.contentsOfDirectory(atPath: SpecScript.suite)
            .filter { $0.hasSuffix(".wast") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Compiled spec modules, kept between runs (keyed by module and toolchain,
    /// as actors' are): a second run compiles nothing.
    static let compiledCache: String = {
        let folder = Repository.root + "/.build/spec-tests"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder + "/compiled"
    }()

    /// Commands each tier does not run, by file and line: docs/ABI.md
    /// "Known deviations from the spec tests" says why.
    static func deviations(_ tier: Tier, _ file: String) -> [Int: String] {
        [:]
    }

    /// Runs `body` on a thread with a 16 MiB stack: the compiled tier's
    /// recursion is bounded by the calling thread's stack, as an actor's by its own.
    static func onLargeStack<T>(_ body: @escaping () -> T) -> T {
        // The caller waits for the thread, so nothing runs concurrently with it.
        nonisolated(unsafe) var result: T?
        nonisolated(unsafe) let body = body
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result = body()
            done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
        done.wait()
        return result!
    }
}
