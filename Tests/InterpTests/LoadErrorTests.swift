import Interp
import Testing
import WAT

@testable import Kernel

/// Modules that cannot be actors: refused at load (`ModuleCheck`) or when
/// prepared (instantiation), with a message that says what is wrong.
@Suite struct LoadErrorTests {
    let system = TestSystem()

    /// The problems `wat` is refused with at load.
    func loadProblems(_ wat: String) throws -> [String]? {
        do {
            _ = try system.module(wat: wat, name: "bad")
            return nil
        } catch let error as ModuleLoadError {
            #expect(error.source == "bad")
            return error.problems
        }
    }

    /// The problems `wat` passes the load check with but is refused with when prepared.
    func prepareProblems(_ wat: String, in system: TestSystem) throws -> [String]? {
        let module = try system.module(wat: wat, name: "bad")
        do {
            _ = try system.host.prepare(module)
            return nil
        } catch {
            return error.problems
        }
    }

    static let shell = #"(memory (export "memory") 1) (func (export "_start"))"#

    @Test func bytesThatAreNotWasmAreRefused() throws {
        let notWasm = "not a WebAssembly module: it does not start with the bytes 00 61 73 6d (\"\\0asm\")"
        for bytes in [Array("hello".utf8), [], [0x00, 0x61, 0x73], Array("\u{7f}ELF\u{2}\u{1}".utf8)] {
            #expect(throws: ModuleLoadError(source: "junk", problems: [notWasm])) {
                try system.host.load(bytes: bytes, name: "junk")
            }
        }
        #expect(throws: ModuleLoadError(source: "junk", problems: [
            "ends unexpectedly at offset 0x9: the file is truncated or corrupt; build or copy it again",
        ])) { try system.host.load(bytes: [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1], name: "junk") }
        #expect(throws: ModuleLoadError(source: "/nonexistent/x.wasm", problems: ["cannot open: No such file or directory"])) {
            try system.host.load(path: "/nonexistent/x.wasm")
        }
        #expect(system.kernel.counts.liveActors == 0)
    }

    @Test func unknownImportsAreNamedWithTheirSignature() throws {
        #expect(try loadProblems(#"(module (import "env" "sys_open" (func (param i32) (result i32))) \#(Self.shell))"#) == [
            "unknown import env.sys_open (i32) -> i32; wskdesk provides only the \"env\" calls of docs/ABI.md",
        ])
        // WASI preview 1 is known, function by function, signature and all.
        #expect(try loadProblems(#"(module (import "wasi_snapshot_preview1" "fd_open" (func)) \#(Self.shell))"#) == [
            "unknown import wasi_snapshot_preview1.fd_open (): WASI preview 1 has no function of that name",
        ])
        #expect(try loadProblems(#"""
            (module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32) (result i32))) \#(Self.shell))
            """#) == [
            "import wasi_snapshot_preview1.fd_write has signature (i32, i32, i32) -> i32, but WASI preview 1 defines (i32, i32, i32, i32) -> i32",
        ])
        // A host call's or a WASI function's name from another module is still unknown.
        #expect(try loadProblems(#"(module (import "host" "sys_log" (func (param i32 i32))) \#(Self.shell))"#) == [
            "unknown import host.sys_log (i32, i32): module \"host\" is neither \"env\" (the calls of docs/ABI.md) nor \"wasi_snapshot_preview1\" (WASI preview 1)",
        ])
        #expect(try loadProblems(#"(module (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32))) \#(Self.shell))"#) == [
            "unknown import wasi_unstable.fd_write (i32, i32, i32, i32) -> i32: module \"wasi_unstable\" is neither \"env\" (the calls of docs/ABI.md) nor \"wasi_snapshot_preview1\" (WASI preview 1)",
        ])
    }

    /// A module's names reach the problem text, the log and the terminal:
    /// control characters, separators and bidi overrides are written out, and
    /// a long name is cut.
    @Test func importNamesAreQuotedPrintably() throws {
        #expect(try loadProblems(#"(module (import "env" "a\nb\1b[31m\\\e2\80\ae" (func)) \#(Self.shell))"#) == [
            #"unknown import env.a\nb\e[31m\\\u{202e} (); wskdesk provides only the "env" calls of docs/ABI.md"#,
        ])
        let long = String(repeating: "x", count: 100)
        #expect(try loadProblems(#"(module (import "\#(long)" "f" (global i32)) \#(Self.shell))"#) == [
            "imports \(String(repeating: "x", count: 64))….f, which is not a function: an actor imports functions from \"env\" and \"wasi_snapshot_preview1\" only",
        ])
    }

    @Test func aKnownCallWithTheWrongSignatureIsRefused() throws {
        #expect(try loadProblems(#"(module (import "env" "sys_log" (func (param i64 i32))) \#(Self.shell))"#) == [
            "import env.sys_log has signature (i64, i32), but the ABI defines (i32, i32)",
        ])
        // The seed's interpreter took the arguments reversed; an import declared that way does not load.
        #expect(try loadProblems(#"(module (import "env" "sys_cap_send" (func (param i64 i32 i32 i32 i64) (result i64))) \#(Self.shell))"#) == [
            "import env.sys_cap_send has signature (i64, i32, i32, i32, i64) -> i64, but the ABI defines (i64, i32, i32, i32, i64) -> i32",
        ])
        #expect(try loadProblems(#"(module (import "env" "sys_cap_recv" (func (param i32 i32 i64) (result i64))) \#(Self.shell))"#) == [
            "import env.sys_cap_recv has signature (i32, i32, i64) -> i64, but the ABI defines (i64, i32, i32) -> i64",
        ])
        #expect(try loadProblems(#"(module (import "env" "sys_fb_info" (func (result f64))) \#(Self.shell))"#) == [
            "import env.sys_fb_info has signature () -> f64, but the ABI defines () -> i64",
        ])
    }

    @Test func importsThatAreNotFunctionsAreRefused() throws {
        #expect(try loadProblems(#"(module (import "env" "memory" (memory 1)) (func (export "_start")) (export "memory" (memory 0)))"#) == [
            "imports env.memory, which is not a function: an actor imports functions from \"env\" and \"wasi_snapshot_preview1\" only",
        ])
        #expect(try loadProblems(#"(module (import "env" "sys_log" (global i32)) \#(Self.shell))"#) == [
            "imports env.sys_log, which is not a function: an actor imports functions from \"env\" and \"wasi_snapshot_preview1\" only",
        ])
        #expect(try loadProblems(#"(module (import "env" "table" (table 1 funcref)) \#(Self.shell))"#) == [
            "imports env.table, which is not a function: an actor imports functions from \"env\" and \"wasi_snapshot_preview1\" only",
        ])
    }

    @Test func missingEntryPointOrMemoryIsRefused() throws {
        let noStart = "exports no function \"_start\": an actor's entry point is `_start() -> ()`"
        let noMemory = "exports no memory named \"memory\": the host needs it to pass data"
        #expect(try loadProblems(#"(module (memory (export "memory") 1))"#) == [noStart])
        #expect(try loadProblems(#"(module (memory (export "memory") 1) (func (export "main")))"#) == [noStart])
        #expect(try loadProblems(#"(module (memory (export "memory") 1) (global (export "_start") i32 (i32.const 0)))"#) == [noStart])
        #expect(try loadProblems(#"(module (memory 1) (func (export "_start")))"#) == [noMemory])
        #expect(try loadProblems(#"(module (memory (export "mem") 1) (func (export "_start")))"#) == [noMemory])
        #expect(try loadProblems(#"(module (func (export "_start")) (func (export "memory")))"#) == [noMemory])
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let wat = #"""
            (module
              (import "env" "sys_log" (func (param i32)))
              (import "env" "open" (func))
              (func (export "main")))
            """#
        let expected = ModuleLoadError(source: "bad", problems: [
            "import env.sys_log has signature (i32), but the ABI defines (i32, i32)",
            "unknown import env.open (); wskdesk provides only the \"env\" calls of docs/ABI.md",
            "exports no function \"_start\": an actor's entry point is `_start() -> ()`",
            "exports no memory named \"memory\": the host needs it to pass data",
        ])
        #expect(throws: expected) { try system.module(wat: wat, name: "bad") }
        #expect(expected.description == """
            bad:
              - import env.sys_log has signature (i32), but the ABI defines (i32, i32)
              - unknown import env.open (); wskdesk provides only the "env" calls of docs/ABI.md
              - exports no function "_start": an actor's entry point is `_start() -> ()`
              - exports no memory named "memory": the host needs it to pass data
            """)
        #expect(ModuleLoadError(source: "x.wasm", problems: ["one"]).description == "x.wasm: one")
    }

    @Test(arguments: Tier.allCases) func aStartWithParametersOrResultsIsRefusedWhenPrepared(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        #expect(try prepareProblems(#"(module (memory (export "memory") 1) (func (export "_start") (param i32)))"#, in: system) == [
            "\"_start\" has signature (i32); it must be () -> ()",
        ])
        #expect(try prepareProblems(#"(module (memory (export "memory") 1) (func (export "_start") (result i32) (i32.const 0)))"#, in: system) == [
            "\"_start\" has signature () -> i32; it must be () -> ()",
        ])
        #expect(system.kernel.counts.liveActors == 0)
    }

    @Test(arguments: Tier.allCases) func aFunctionBodyThatFailsValidationIsRefusedWhenPrepared(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        // Parsing takes it; the engine compiles every body eagerly and refuses it.
        #expect(try prepareProblems(#"(module (memory (export "memory") 1) (func (export "_start") i32.add drop))"#, in: system) == [
            "is not valid WebAssembly: expected i32 on the stack top but it's empty at offset 0x31: the file is corrupt or the compiler that made it is broken; build it again",
        ])
        // Even in a function nothing calls, and every time it is prepared:
        // only a module that once passed is translated lazily.
        for _ in 0..<2 {
            let unused = try prepareProblems(#"""
                (module (memory (export "memory") 1) (func $unused (result i64) (i32.const 1)) (func (export "_start")))
                """#, in: system)
            #expect(unused == [
                "is not valid WebAssembly: expected i64 on the stack top but got i32 at offset 0x38: the file is corrupt or the compiler that made it is broken; build it again",
            ])
        }
    }

    @Test func aStartSectionIsRefusedAtLoad() throws {
        let startProblem = "has a start function, which would run while the module loads: an actor starts at its exported `_start`"
        #expect(try loadProblems(#"(module (memory (export "memory") 1) (func $boom unreachable) (start $boom) (func (export "_start")))"#) == [
            startProblem,
        ])
        #expect(try loadProblems(#"(module (memory (export "memory") 1) (func $spin (loop br 0)) (start $spin) (func (export "_start")))"#) == [
            startProblem,
        ])
    }

    @Test(arguments: Tier.allCases) func aDataSegmentOutsideMemoryIsRefusedWhenPrepared(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        #expect(try prepareProblems(#"(module (memory (export "memory") 1) (data (i32.const 65535) "ab") (func (export "_start")))"#, in: system) == [
            "cannot instantiate: Trap: out of bounds memory access",
        ])
    }
}

extension Error {
    /// The problems of a `ModuleLoadError`, or this error's description.
    var problems: [String] {
        (self as? ModuleLoadError)?.problems ?? ["not a load error: \(self)"]
    }
}
