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

    /// The files `scripts/test` runs: one or a few modules each (the compiled
    /// tier builds every module: about a second each, cold) and many
    /// commands, covering integer and float arithmetic and NaNs, conversions,
    /// memory and table traps, bulk memory, indirect calls and globals.
    static let subset = [
        "i32", "i64", "f32", "f64", "f32_cmp", "f64_cmp", "f32_bitwise", "f64_bitwise", "float_misc", "conversions",
        "address", "memory_trap", "memory_grow", "memory_fill", "call_indirect", "br_table", "select", "left-to-right",
        "traps", "global", "table_fill", "table_get", "table_set", "table_size", "ref_is_null", "endianness", "unwind",
    ]

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
        var lines: [Int: String] = [:]
        for deviation in knownDeviations where deviation.file == file && deviation.tiers.contains(tier) {
            for line in deviation.lines { lines[line] = deviation.why }
        }
        return lines
    }

    /// docs/ABI.md "Known deviations from the spec tests", one entry each.
    static let knownDeviations: [(file: String, lines: [Int], tiers: [Tier], why: String)] = [
        ("binary-leb128", [967], Tier.allCases, "WasmKit refuses an overlong LEB128 sub-opcode after 0xfc"),
        ("names", [19], Tier.allCases, "WasmKit compares export names as Swift strings (canonically equivalent = duplicate)"),
        ("ref_func", [80], Tier.allCases, "WasmKit does not count ref.func in a global's initializer as a declaration"),
        ("data", [85, 89], [.interpreter], "WasmKit lets constant expressions read any earlier immutable global"),
        ("elem", [152, 156], [.interpreter], "WasmKit lets constant expressions read any earlier immutable global"),
        ("global", [352, 356], [.interpreter], "WasmKit lets constant expressions read any earlier immutable global"),
        ("imports", [414, 418, 422, 426], [.interpreter], "WasmKit does not match an imported table's limits"),
        ("imports", [430, 434], Tier.allCases, "WasmKit does not match an imported table's limits"),
        ("elem", [587, 588, 600, 601, 602, 657], [.compiled], "depends on modules linked to a registered module, skipped compiled"),
        ("linking", [209, 215, 275, 288, 349, 406, 407, 419, 452, 453], [.compiled],
         "depends on modules linked to a registered module, skipped compiled"),
        ("skip-stack-guard-page", Array(2275...2284), [.compiled], "the compiled watchdog fires before the native stack runs out"),
    ]

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
