import Interp
import Testing

@testable import Kernel

/// Every kind of trap, on both tiers: the actor ends alone with the same
/// words, and the host goes on.
@Suite struct TrapParityTests {
    static let cases: [(name: String, code: String, reason: String)] = [
        ("load past the end", "(drop (i32.load (i32.const 65533)))", "out of bounds memory access"),
        ("load past 4 GiB with an offset", "(drop (i64.load offset=16 (i32.const -8)))", "out of bounds memory access"),
        ("store past the end", "(i32.store8 (i32.const 65536) (i32.const 1))", "out of bounds memory access"),
        ("fill past the end", "(memory.fill (i32.const 65000) (i32.const 0) (i32.const 537))", "out of bounds memory access"),
        ("copy from past the end", "(memory.copy (i32.const 0) (i32.const 65535) (i32.const 2))", "out of bounds memory access"),
        ("unreachable", "unreachable", "unreachable"),
        ("divide by zero", "(drop (i64.rem_u (i64.const 1) (i64.const 0)))", "integer divide by zero"),
        ("signed overflow", "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))", "integer overflow"),
        ("truncate NaN", "(drop (i32.trunc_f64_s (f64.const nan)))", "invalid conversion to integer"),
        ("truncate too large", "(drop (i64.trunc_f32_u (f32.const 1e30)))", "integer overflow"),
        ("call a null element", "(call_indirect $t (type $unary) (i32.const 7) (i32.const 1))",
         "indirect call to null element (uninitialized element 1)"),
        ("call past the table", "(call_indirect $t (type $unary) (i32.const 7) (i32.const 4))",
         "out of bounds table access at 4 (undefined element)"),
        ("table.get past the end", "(drop (table.get $t (i32.const 9)))", "out of bounds table access at 9 (undefined element)"),
        ("table.fill past the end", "(table.fill $t (i32.const 3) (ref.null func) (i32.const 2))",
         "out of bounds table access at 5 (undefined element)"),
        ("table.copy past the end", "(table.copy $t $t (i32.const 1) (i32.const 2) (i32.const 3))",
         "out of bounds table access at 5 (undefined element)"),
        ("call with the wrong type", "(call_indirect $t (type $unary) (i32.const 7) (i32.const 0))",
         "indirect call type mismatch, expected (i32) -> (), got () -> ()"),
    ]

    /// What the call_indirect and table cases use.
    static let table = """
        (type $unary (func (param i32)))
        (table $t 4 funcref)
        (elem (table $t) (i32.const 0) func $nothing)
        (func $nothing)
        """

    @Test(arguments: Tier.allCases, cases.indices)
    func aTrapEndsTheActorAloneWithTheInterpretersWords(tier: Tier, index: Int) throws {
        let (name, code, reason) = Self.cases[index]
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.run(
            reportingActor(
                body: "(drop (call $buffer_create (i32.const 64))) \(code)", functions: Self.table),
            name: "faulty")
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .trapped("\(reason) in _start"), "\(name)")
        // The host goes on.
        let next = try system.run(reportingActor(body: "(call $report (i64.const 42)) (call $flush (i64.const 1))")) { actor in
            try probe.grantSend(to: actor)
        }
        #expect(try probe.report() == [42])
        system.expectClean(baseline: baseline, actors: [actor, next], natives: [probe.id])
    }
}
