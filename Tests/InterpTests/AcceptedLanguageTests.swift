import Interp
import TestSupport
import Testing

@testable import Kernel

/// Each post-MVP feature of the accepted language (docs/ABI.md, `WasmLanguage.accepted`)
/// runs on both tiers and gives the same values: the values worked out by hand
/// from the spec. The compiled tier must really compile it (no fallback).
@Suite struct AcceptedLanguageTests {
    static let cases: [(feature: String, functions: String, data: String, body: String, expected: [Int64])] = [
        (
            "import/export of mutable globals",
            #"(global $counter (export "counter") (mut i32) (i32.const 5))"#, "",
            "(global.set $counter (i32.add (global.get $counter) (i32.const 37))) (call $report32 (global.get $counter))",
            [42]
        ),
        (
            "sign-extension operators", "", "",
            """
            (call $report32 (i32.extend8_s (i32.const 0x80)))
            (call $report32 (i32.extend16_s (i32.const 0x8000)))
            (call $report (i64.extend32_s (i64.const 0xFFFFFFFF)))
            (call $report (i64.extend8_s (i64.const 0x17F)))
            """,
            [-128, -32768, -1, 127]
        ),
        (
            "non-trapping float-to-int conversions", "", "",
            """
            (call $report32 (i32.trunc_sat_f64_s (f64.const 1e30)))
            (call $report32 (i32.trunc_sat_f32_u (f32.const -5)))
            (call $report (i64.trunc_sat_f64_s (f64.const nan)))
            (call $report (i64.trunc_sat_f64_u (f64.const 1e30)))
            (call $report32 (i32.trunc_sat_f64_s (f64.const -3.9)))
            """,
            [2_147_483_647, 0, 0, -1, -3]
        ),
        (
            "multi-value",
            "(func $pair (result i32 i64) (i32.const 7) (i64.const 9))", "",
            """
            (call $pair) (call $report) (call $report32)
            (i32.const 3) (block (param i32) (result i32 i32) (i32.const 4)) (i32.sub) (call $report32)
            """,
            [9, 7, -1]
        ),
        (
            "bulk memory operations", "", #"(data $xyz "xyz")"#,
            """
            (memory.fill (i32.const 100) (i32.const 0xAB) (i32.const 10))
            (memory.copy (i32.const 200) (i32.const 100) (i32.const 10))
            (memory.init $xyz (i32.const 300) (i32.const 0) (i32.const 3))
            (data.drop $xyz)
            (call $report (i64.load (i32.const 200)))
            (call $report32 (i32.load8_u (i32.const 302)))
            (call $report32 (i32.load8_u (i32.const 210)))
            """,
            [Int64(bitPattern: 0xABAB_ABAB_ABAB_ABAB), 0x7A, 0]
        ),
        (
            "reference types",
            """
            (type $number (func (result i32)))
            (table $functions 2 funcref)
            (table $hosts 1 externref)
            (elem declare func $seven)
            (func $seven (result i32) (i32.const 7))
            """, "",
            """
            (call $report32 (table.grow $functions (ref.func $seven) (i32.const 1)))
            (call $report32 (table.size $functions))
            (call $report32 (ref.is_null (table.get $functions (i32.const 0))))
            (call $report32 (call_indirect $functions (type $number) (i32.const 2)))
            (call $report32 (ref.is_null (table.get $hosts (i32.const 0))))
            (call $report32 (select (result i32) (i32.const 5) (i32.const 6) (i32.const 0)))
            """,
            [2, 3, 1, 7, 1, 6]
        ),
    ]

    @Test(arguments: Tier.allCases, cases.indices)
    func anAcceptedFeatureRunsOnBothTiers(tier: Tier, index: Int) throws {
        let (feature, functions, data, body, expected) = Self.cases[index]
        #expect(WasmLanguage.accepted.contains(feature))
        let system = TestSystem(tier: tier)
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(body: body + " (call $flush (i64.const 1))", functions: functions, data: data), name: "feature"
        ) { actor in try probe.grantSend(to: actor) }
        #expect(try probe.report() == expected, "\(feature)")
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0), "\(feature)")
        #expect(system.ranOnItsTier, "\(feature) fell back to the interpreter")
    }

    @Test func everyAcceptedFeatureHasACaseAndIsInTheDocs() throws {
        #expect(Self.cases.map(\.feature) == WasmLanguage.accepted)
        // docs/ABI.md "The accepted language": the first list after the heading.
        let doc = try Repository.text("docs/ABI.md")
        let section = try #require(doc.range(of: "## The accepted language\n"))
        let lines = doc[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
        let list = lines.drop { !$0.hasPrefix("- ") }.prefix { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
        #expect(list == WasmLanguage.accepted)
    }
}
