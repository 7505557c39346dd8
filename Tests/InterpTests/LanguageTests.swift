import TestSupport
import Testing
import WAT
import WasmParser

@testable import Interp
@testable import Kernel

/// The one language both tiers run (docs/ABI.md "The accepted language"): a
/// module outside it is refused at load, naming the proposal it uses, where,
/// and what to do; a malformed module is refused in plain words.
@Suite struct LanguageTests {
    let system = TestSystem()

    /// `ModuleCheck`'s verdict on `bytes`: the problems, or nil when it loads.
    func problems(_ bytes: [UInt8]) -> [String]? {
        do {
            _ = try system.host.load(bytes: bytes, name: "bad")
            return nil
        } catch {
            #expect(error.source == "bad")
            return error.problems
        }
    }

    /// A module in WAT with every proposal WasmKit knows enabled for parsing.
    static func wasm(_ wat: String) throws -> [UInt8] { try wat2wasm(wat, features: .all) }

    /// An actor shell around `body` (function 0, `_start`) and `fields`.
    static func shell(_ body: String, fields: String = "", memory: String = "(memory (export \"memory\") 1)") throws -> [UInt8] {
        try wasm("(module \(memory) \(fields) (func (export \"_start\") \(body)))")
    }

    /// Where `pattern` first occurs in `bytes`, as the messages write offsets,
    /// `skip` bytes into it.
    static func at(_ pattern: [UInt8], in bytes: [UInt8], skip: Int = 0) -> String {
        let index = bytes.indices.first { bytes[$0...].starts(with: pattern) }!
        return "0x" + String(index + skip, radix: 16)
    }

    /// Where the section with `id` starts (its id byte), walking the sections.
    static func section(_ id: UInt8, in bytes: [UInt8]) -> String {
        var offset = 8
        while offset < bytes.count {
            if bytes[offset] == id { return "0x" + String(offset, radix: 16) }
            var size = 0
            var shift = 0
            offset += 1
            repeat {
                size |= Int(bytes[offset] & 0x7f) << shift
                shift += 7
                offset += 1
            } while bytes[offset - 1] & 0x80 != 0
            offset += size
        }
        Issue.record("no section \(id)")
        return ""
    }

    /// A module of raw sections: (id, contents), after the magic and version 1.
    static func binary(_ sections: [(UInt8, [UInt8])]) -> [UInt8] {
        [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00] + sections.flatMap { id, contents in
            [id, UInt8(contents.count)] + contents
        }
    }

    /// An actor shell in raw bytes whose `_start` body is `body` (no locals, then `end`).
    static func binaryShell(body: [UInt8]) -> [UInt8] {
        let code = [0x00] + body + [0x0b]
        return binary([
            (1, [0x01, 0x60, 0x00, 0x00]),  // one type: () -> ()
            (3, [0x01, 0x00]),  // one function of type 0
            (5, [0x01, 0x00, 0x01]),  // one memory, at least 1 page
            (7, [0x02, 0x06] + Array("_start".utf8) + [0x00, 0x00, 0x06] + Array("memory".utf8) + [0x02, 0x00]),
            (10, [0x01, UInt8(code.count)] + code),
        ])
    }

    // MARK: Malformed modules

    @Test func aWrongVersionIsNamed() {
        let header: [UInt8] = [0x00, 0x61, 0x73, 0x6d]
        #expect(problems(header + [2, 0, 0, 0]) == ["is WebAssembly binary version 2; wskdesk runs version 1 modules"])
        #expect(problems(header + [0, 1, 0, 0]) == ["is WebAssembly binary version 256; wskdesk runs version 1 modules"])
        #expect(problems(header + [0x0d, 0, 1, 0]) == [
            "is a WebAssembly component (layer 1), not a core module: wskdesk runs core modules of binary version 1",
        ])
        #expect(problems(header + [1, 0]) == [
            "ends after 6 bytes, inside its 8-byte header: the file is truncated; build or copy it again",
        ])
    }

    @Test func aTruncatedModuleSaysWhereItEnds() {
        let shell = Self.binaryShell(body: [])
        #expect(problems(shell) == nil, "the shell itself loads")
        // Cut inside the code section: the parser runs out at the cut.
        let cut = shell.count - 2
        #expect(problems(Array(shell[..<cut])) == [
            "ends unexpectedly at offset 0x\(String(cut, radix: 16)): the file is truncated or corrupt; build or copy it again",
        ])
        // A section id with nothing after it.
        #expect(problems(Self.binary([]) + [1]) == [
            "ends unexpectedly at offset 0x9: the file is truncated or corrupt; build or copy it again",
        ])
    }

    @Test func anOverlongIntegerIsNamed() {
        // The type section's size as a six-byte LEB128: a u32 takes at most five.
        let bytes = Self.binary([]) + [0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]
        #expect(problems(bytes) == [
            "has an integer (LEB128) at offset 0xe longer than its type allows: the file is corrupt; build it again",
        ])
    }

    @Test func anUnknownSectionIdIsNamed() {
        #expect(problems(Self.binary([(14, [])])) == [
            "has a section with the unknown id 14 at offset 0xa: the file is corrupt; build it again",
        ])
    }

    @Test func anUnknownInstructionIsNamedByItsOpcode() {
        // 0xfc 0x20 is no instruction of any proposal; the offset is the
        // instruction's in the file, not in its function body.
        let bytes = Self.binaryShell(body: [0xfc, 0x20])
        #expect(problems(bytes) == [
            "has an unknown instruction (opcode 0xfc 0x20) at offset \(Self.at([0xfc, 0x20], in: bytes)): the file is corrupt; build it again",
        ])
    }

    /// WasmKit gives the offset just past the byte it could not take.
    @Test func malformedPartsAreNamedWhereTheyAre() {
        let corrupt = "the file is corrupt; build it again"
        // A memory whose limits flag (0x08) no proposal defines: offset 12 is past it.
        #expect(problems(Self.binary([(5, [0x01, 0x08, 0x01])])) == ["has limits with the unknown flag 0x08 at offset 0xc: \(corrupt)"])
        // The function section (3) before the type section (1), whose one byte is at 13.
        #expect(problems(Self.binary([(3, [0x00]), (1, [0x00])])) == ["has its sections out of order at offset 0xe: \(corrupt)"])
        // An export name of one byte, 0xff at offset 12.
        #expect(problems(Self.binary([(7, [0x01, 0x01, 0xff, 0x00, 0x00])])) == [
            "has a name that is not valid UTF-8 at offset 0xd: \(corrupt)",
        ])
        // A function type with a parameter of type 0x55, at offset 13.
        #expect(problems(Self.binary([(1, [0x01, 0x60, 0x01, 0x55, 0x00])])) == ["has an unknown value type 0x55 at offset 0xe: \(corrupt)"])
        // A type section that says 5 bytes (10 to 15) but holds a 4-byte type vector.
        let sized: [UInt8] = Self.binary([]) + [0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00]
        #expect(problems(sized) == ["has a section (id 1) whose contents end at offset 0xe, not at 0xf where its size says: \(corrupt)"])
        // A type whose form byte (0x55, at offset 11) is no function, struct or array.
        #expect(problems(Self.binary([(1, [0x01, 0x55])])) == ["has a type of the unknown form 0x55 at offset 0xc: \(corrupt)"])
        // An i32 global with mutability 2 (at offset 12).
        #expect(problems(Self.binary([(6, [0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b])])) == [
            "has a global with the unknown mutability flag 0x02 at offset 0xd: \(corrupt)",
        ])
        // A function of type 3 in a module with no types.
        #expect(problems(Self.binary([(3, [0x01, 0x03]), (10, [0x01, 0x02, 0x00, 0x0b])])) == [
            "refers to type 3, which its type section does not define: \(corrupt)",
        ])
        // A function declaring 2^32 - 1 locals of i32; WasmKit stops past the declaration, at 29.
        let locals = Self.binary([(1, [0x01, 0x60, 0x00, 0x00]), (3, [0x01, 0x00]), (10, [0x01, 0x08, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b])])
        #expect(problems(locals) == ["has a function with 4294967295 locals at offset 0x1d, more than the 100000 wskdesk allows: build it with fewer"])
        // A data count section saying 2, and no data section.
        #expect(problems(Self.binary([(12, [0x02])])) == ["says it has 2 data segments but its data section has 0: \(corrupt)"])
        // A data segment of kind 7 (at offset 11).
        #expect(problems(Self.binary([(11, [0x01, 0x07])])) == ["has a data segment of the unknown kind 7 at offset 0xc: \(corrupt)"])
        // Two functions declared, one body.
        #expect(problems(Self.binary([(1, [0x01, 0x60, 0x00, 0x00]), (3, [0x02, 0x00, 0x00]), (10, [0x01, 0x02, 0x00, 0x0b])])) == [
            "has 2 functions in its function section but 1 in its code section: \(corrupt)",
        ])
    }

    // MARK: Proposals outside the language

    @Test func simdIsRefused() throws {
        let bytes = try Self.shell("(drop (v128.const i64x2 0 0))")
        #expect(problems(bytes) == [
            "uses SIMD (instruction 0xfd 0x0c in function 0 at offset \(Self.at([0xfd, 0x0c], in: bytes))), which wskdesk does not support: build without the simd128 target feature",
        ])
        // A v128 in a signature alone is enough.
        let typed = try Self.shell("", fields: "(func $f (param v128))")
        #expect(problems(typed) == [
            "uses SIMD (type v128 in function type 0 in the type section at offset \(Self.section(1, in: typed))), which wskdesk does not support: build without the simd128 target feature",
        ])
    }

    @Test func sharedMemoryAndAtomicsAreRefused() throws {
        let shared = try Self.shell("", memory: "(memory (export \"memory\") 1 1 shared)")
        #expect(problems(shared) == [
            "uses the threads proposal (shared memory 0 in the memory section at offset \(Self.section(5, in: shared))), which wskdesk does not support: build without atomics/threads",
        ])
        let atomic = try Self.shell("(drop (i32.atomic.load (i32.const 0)))")
        #expect(problems(atomic) == [
            "uses the threads proposal (atomic instruction 0xfe 0x10 in function 0 at offset \(Self.at([0xfe, 0x10], in: atomic))), which wskdesk does not support: build without atomics/threads",
        ])
    }

    @Test func memory64IsRefused() throws {
        let bytes = try Self.shell("", memory: "(memory (export \"memory\") i64 1)")
        #expect(problems(bytes) == [
            "uses the memory64 proposal (64-bit memory 0 in the memory section at offset \(Self.section(5, in: bytes))), which wskdesk does not support: build for wasm32",
        ])
    }

    @Test func aMemoryOffsetPast32BitsIsRefused() {
        // i32.load (0x28) with offset 2^32 (LEB128 80 80 80 80 10), as only a 64-bit memory has.
        let bytes = Self.binaryShell(body: [0x41, 0x00, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1a])
        #expect(problems(bytes) == [
            "uses the memory64 proposal (a 64-bit memory offset in function 0 at offset \(Self.at([0x28, 0x02, 0x80], in: bytes))), which wskdesk does not support: build for wasm32",
        ])
    }

    @Test func aSecondMemoryIsRefused() throws {
        let bytes = try Self.shell("", fields: "(memory 1)")
        #expect(problems(bytes) == [
            "uses the multi-memory proposal (a second memory in the memory section at offset \(Self.section(5, in: bytes))), which wskdesk does not support: an actor has one memory; build without multi-memory",
        ])
    }

    @Test func tailCallsAreRefused() throws {
        let bytes = try Self.wasm(#"(module (memory (export "memory") 1) (func $f) (func (export "_start") (return_call $f)))"#)
        #expect(problems(bytes) == [
            "uses tail calls (return_call in function 1 at offset \(Self.at([0x12, 0x00, 0x0b], in: bytes))), which wskdesk does not support: build without the tail-call target feature",
        ])
    }

    /// The audit's module: a throw/catch loop whose caught exceptions WasmKit
    /// keeps, growing without bound between host calls.
    @Test func exceptionHandlingIsRefused() throws {
        let loop = try Self.shell("""
            (loop $again
              (block $caught (try_table (catch $boom $caught) (throw $boom)))
              (br $again))
            """, fields: "(tag $boom)")
        let remedy = "which wskdesk does not support: build without exceptions (C++: -fno-exceptions; Rust: panic = \"abort\")"
        #expect(problems(loop) == [
            "uses exception handling (the tag section at offset \(Self.section(13, in: loop))), \(remedy)",
        ])
        // Without a tag: throw_ref on a null exnref (ref.null 0x69, then throw_ref).
        let rethrow = try Self.shell("(throw_ref (ref.null exn))")
        #expect(problems(rethrow) == [
            "uses exception handling (an exception reference type in function 0 at offset \(Self.at([0xd0, 0x69, 0x0a], in: rethrow))), \(remedy)",
        ])
        // try_table alone, catching everything: no tag, no exnref.
        let table = try Self.shell("(block $caught (try_table (catch_all $caught)))")
        #expect(problems(table) == [
            "uses exception handling (try_table in function 0 at offset \(Self.at([0x1f, 0x40], in: table))), \(remedy)",
        ])
        // Legacy try/catch, which WasmKit cannot even read.
        let legacy = Self.binaryShell(body: [0x06, 0x40, 0x07, 0x00, 0x0b])
        #expect(problems(legacy) == [
            "uses legacy exception handling (try in function 0 at offset \(Self.at([0x06, 0x40], in: legacy))), \(remedy)",
        ])
        let rethrowLegacy = Self.binaryShell(body: [0x09, 0x00])
        #expect(problems(rethrowLegacy) == [
            "uses legacy exception handling (rethrow in function 0 at offset \(Self.at([0x09, 0x00, 0x0b], in: rethrowLegacy))), \(remedy)",
        ])
    }

    @Test func gcTypesAreRefused() throws {
        let bytes = try Self.shell("", fields: "(type $point (struct (field i32) (field i32)))")
        #expect(problems(bytes) == [
            "uses the GC proposal (struct type 0 in the type section at offset \(Self.section(1, in: bytes))), which wskdesk does not support: build for linear memory, without the GC proposal",
        ])
    }

    @Test func aSubtypeDeclarationIsRefused() {
        // `sub final` (0x4f, at offset 11) around a plain function type: GC's
        // syntax, which wasm2c does not read without the GC proposal.
        var bytes = Self.binaryShell(body: [])
        bytes.replaceSubrange(8..<14, with: [0x01, 0x06, 0x01, 0x4f, 0x00, 0x60, 0x00, 0x00])
        #expect(problems(bytes) == [
            "uses the GC proposal (a subtype or recursive type group in the type section at offset 0xc), which wskdesk does not support: build for linear memory, without the GC proposal",
        ])
    }

    @Test func typedFunctionReferencesAreRefused() throws {
        let bytes = try Self.shell("", fields: "(type $t (func)) (func $f (param (ref null $t)))")
        #expect(problems(bytes) == [
            "uses typed function references (a reference to type 0 in function type 1 in the type section at offset \(Self.section(1, in: bytes))), which wskdesk does not support: build without typed function references",
        ])
    }

    @Test func extendedConstantsAreRefused() throws {
        let bytes = try Self.shell("", fields: "(global i32 (i32.add (i32.const 1) (i32.const 2)))")
        #expect(problems(bytes) == [
            "uses extended constant expressions (i32.add in the initializer of global 0 in the global section at offset \(Self.section(6, in: bytes))), which wskdesk does not support: build without the extended-const target feature",
        ])
    }

    @Test func everyProposalUsedIsNamedOnce() throws {
        let bytes = try Self.shell("""
            (drop (v128.const i64x2 0 0)) (drop (v128.const i64x2 1 1)) (drop (i32.atomic.load (i32.const 0)))
            """, memory: "(memory (export \"memory\") 1 1 shared)")
        let found = problems(bytes) ?? []
        #expect(found.map { $0.prefix(while: { $0 != "(" }) } == ["uses the threads proposal ", "uses SIMD "])
    }

    // MARK: Both tiers, one language

    /// The interpreter's engine is given the language's WasmKit features:
    /// exception handling, on in WasmKit's default, is off.
    @Test func theInterpreterRunsWithExceptionHandlingOff() {
        let features = InterpreterEngine(limits: ActorLimits()).engine.configuration.features
        #expect(features == WasmLanguage.wasmKitFeatures)
        #expect(!features.contains(.exceptionHandling))
        #expect(WasmFeatureSet.default.contains(.exceptionHandling), "WasmKit's default, which wskdesk does not use")
    }

    /// Random corruptions of a real actor: each loads or is refused in
    /// words, never with a dump of a Swift error value. Seeded, so a failure
    /// repeats; bounded by count.
    @Test func corruptedModulesAreRefusedInWords() throws {
        let original = try wat2wasm(reportingActor(body: "(call $report (i64.const 7)) (call $flush (i64.const 1))"))
        var random = SeededGenerator(seed: 0x5EED_1A46)
        var refused = 0
        for _ in 0..<1500 {
            var bytes = original
            for _ in 0...random.next() % 3 {
                bytes[8 + Int(random.next() % UInt64(bytes.count - 8))] = UInt8(truncatingIfNeeded: random.next())
            }
            guard let found = problems(bytes) else { continue }
            refused += 1
            for problem in found {
                #expect(!problem.contains("Message(") && !problem.contains("Error(") && !problem.contains("kind:"), "\(problem)")
            }
        }
        #expect(refused > 100, "the corruptions were refused \(refused) times")
    }
}

