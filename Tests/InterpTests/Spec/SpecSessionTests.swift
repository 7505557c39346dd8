import Interp
import Testing
import WAT

/// The spec runner's own parts: what it compares and how it reaches exports.
@Suite struct SpecSessionTests {
    /// An export named like C that would end wasm2c's comment: the compiled
    /// spec build renames it (no module text in the C) and the runner still
    /// calls it by its name, on both tiers.
    @Test(arguments: SpecSuite.Tier.allCases)
    func exportNamedLikeCode(tier: SpecSuite.Tier) throws {
        let name = "x */ int evil; /*"
        let bytes = try wat2wasm("""
            (module (func (export "\(name)") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
            """)
        let results = SpecSuite.onLargeStack { () -> Result<[SpecValue], any Error> in
            Result { try tier.session().instantiate(bytes, source: "test").invoke(name, [.i32(41)]) }
        }
        #expect(try results.get() == [.i32(42)])
    }

    /// A trap is a trap on both tiers, in the interpreter's words.
    @Test(arguments: SpecSuite.Tier.allCases)
    func trapIsReported(tier: SpecSuite.Tier) throws {
        let bytes = try wat2wasm(#"(module (func (export "f") (result i32) (i32.div_u (i32.const 1) (i32.const 0))))"#)
        let results = SpecSuite.onLargeStack { () -> Result<[SpecValue], any Error> in
            Result { try tier.session().instantiate(bytes, source: "test").invoke("f", []) }
        }
        #expect(throws: SpecError.trap("integer divide by zero")) { try results.get() }
    }

    @Test func nanPatterns() {
        #expect(SpecExpectation.canonicalNaN(.f32).matches(.f32(0xffc0_0000)))
        #expect(!SpecExpectation.canonicalNaN(.f32).matches(.f32(0x7fc0_0001)))
        #expect(SpecExpectation.arithmeticNaN(.f32).matches(.f32(0x7fc0_0001)))
        #expect(!SpecExpectation.arithmeticNaN(.f32).matches(.f32(0x7fa0_0000)))
        #expect(SpecExpectation.canonicalNaN(.f64).matches(.f64(0x7ff8_0000_0000_0000)))
        #expect(!SpecExpectation.canonicalNaN(.f64).matches(.f64(0x7ff8_0000_0000_0001)))
        #expect(!SpecExpectation.arithmeticNaN(.f64).matches(.f64(0x7ff4_0000_0000_0000)))
        #expect(!SpecExpectation.canonicalNaN(.f32).matches(.f64(0x7ff8_0000_0000_0000)))
    }
}
