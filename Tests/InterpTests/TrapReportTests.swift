@testable import Interp
import Testing
import WAT

@testable import Kernel

/// What a trapped actor's exit reason says, on both tiers: the kind, the
/// function it happened in and its callers with the names of the module's
/// name section, out of memory with the limit in force, and a hostile name
/// section that neither stops the module nor reaches the log unescaped.
@Suite struct TrapReportTests {
    /// `$start` calls `$outer`, which calls `$middle`, which calls `$inner`,
    /// whose body is `code`. Named by the name section `wat2wasm` writes for
    /// the ids (`inner`, ...), or by `(@name ...)`.
    static func nested(_ code: String, inner: String = "", memory: String = "(memory (export \"memory\") 1)", functions: String = "")
        -> String
    {
        """
        (module
          (import "env" "sys_log" (func $log (param i32 i32)))
          \(memory)
          (func $inner \(inner) \(code))
          (func $middle (call $inner))
          (func $outer (call $middle))
          \(functions)
          (func $start (call $outer))
          (export "_start" (func $start)))
        """
    }

    static func named(_ wat: String) throws -> [UInt8] {
        try wat2wasm(wat, options: EncodeOptions(nameSection: true))
    }

    /// Runs `bytes` to its end on `tier` and returns its exit reason.
    static func exitReason(_ bytes: [UInt8], tier: Tier, limits: ActorLimits = ActorLimits()) throws -> ExitReason? {
        let system = TestSystem(tier: tier, limits: limits)
        let baseline = system.kernel.counts
        let actor = try system.host.spawn(try system.host.load(bytes: bytes, name: "faulty"))
        #expect(system.host.wait(for: actor, timeout: .seconds(30)))
        let reason = system.kernel.exitReason(of: actor)
        system.expectClean(baseline: baseline, actors: [actor])
        return reason
    }

    static let kinds: [(code: String, reason: String)] = [
        ("unreachable", "unreachable"),
        ("(drop (i32.load (i32.const 65534)))", "out of bounds memory access"),
        ("(i32.store (i32.const 70000) (i32.const 1))", "out of bounds memory access"),
        ("(drop (i32.div_u (i32.const 1) (i32.const 0)))", "integer divide by zero"),
        ("(drop (i32.trunc_f32_s (f32.const nan)))", "invalid conversion to integer"),
    ]

    @Test(arguments: Tier.allCases, kinds.indices)
    func aTrapNamesItsFunctionAndCallers(tier: Tier, index: Int) throws {
        let (code, reason) = Self.kinds[index]
        let reported = try Self.exitReason(try Self.named(Self.nested(code)), tier: tier)
        #expect(reported == .trapped("\(reason) in inner <- middle <- outer <- start"))
    }

    @Test(arguments: Tier.allCases) func rustNamesAreDemangled(tier: Tier) throws {
        let wat = Self.nested(
            "unreachable",
            inner: #"(@name "_ZN9posterize9posterize17h0123456789abcdefE")"#,
            functions: #"""
                (func $generic (@name "_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$::drop::hfedcba9876543210"))
                """#)
        let reported = try Self.exitReason(try Self.named(wat), tier: tier)
        #expect(reported == .trapped("unreachable in posterize::posterize <- middle <- outer <- start"))
        #expect(FunctionNames.printable(Array("_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$::drop::hfedcba9876543210".utf8))
            == "<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop")
        #expect(FunctionNames.printable(Array("_ZN4core9panicking5panic17h0123456789abcdefE.llvm.42".utf8)) == "core::panicking::panic")
        #expect(FunctionNames.printable(Array("memcpy".utf8)) == "memcpy")
        #expect(FunctionNames.printable(Array("_ZN42_$LT$$RF$T$u20$as$u20$core..fmt..Debug$GT$3fmt17h853e5a3583032eeaE".utf8))
            == "<&T as core::fmt::Debug>::fmt")
    }

    @Test(arguments: Tier.allCases) func unnamedFunctionsGoByIndexOrExport(tier: Tier) throws {
        // No name section: the export names `_start`; the others have their indices (after the import).
        let reported = try Self.exitReason(try wat2wasm(Self.nested("unreachable")), tier: tier)
        #expect(reported == .trapped("unreachable in function 1 <- function 2 <- function 3 <- _start"))
    }

    @Test(arguments: Tier.allCases) func aDeepRecursionShowsEightFramesAndCountsTheRest(tier: Tier) throws {
        let wat = Self.nested("(call $down (i32.const 0))", functions: """
            (func $down (param i32) (call $down (i32.add (local.get 0) (i32.const 1))))
            """)
        guard case .trapped(let text) = try Self.exitReason(try Self.named(wat), tier: tier) else {
            Issue.record("did not trap")
            return
        }
        let prefix = "call stack exhausted in " + Array(repeating: "down", count: 8).joined(separator: " <- ") + " <- … "
        #expect(text.hasPrefix(prefix), "\(text)")
        let more = text.dropFirst(prefix.count)
        #expect(more.hasSuffix(" more"), "\(text)")
        // Every frame is counted: the recursion and the four functions below it.
        #expect(Int(more.dropLast(5)).map { $0 > 1000 } == true, "\(text)")
    }

    @Test(arguments: Tier.allCases) func theWatchdogSaysWhereItStopped(tier: Tier) throws {
        var limits = ActorLimits()
        limits.fuelPerCall = 1_000_000
        let wat = Self.nested("(loop $forever (br $forever))", inner: #"(@name "spin::forever")"#)
        let reported = try Self.exitReason(try Self.named(wat), tier: tier, limits: limits)
        #expect(reported == .trapped(
            "watchdog: ran 1000000 instructions without a host call; stopped in spin::forever <- middle <- outer <- start"))
    }

    /// An allocator that asks for 512 MiB at once and aborts when refused, as Rust's does.
    static let allocator = """
        (if (i32.eq (memory.grow (i32.const 8192)) (i32.const -1)) (then (call $handle_alloc_error)))
        """
    static let allocationFailure = """
        (func $handle_alloc_error (@name "alloc::alloc::handle_alloc_error") unreachable)
        """

    @Test(arguments: Tier.allCases) func aRefusedGrowthThenATrapIsOutOfMemoryWithTheLimit(tier: Tier) throws {
        let wat = Self.nested(Self.allocator, functions: Self.allocationFailure)
        let reported = try Self.exitReason(try Self.named(wat), tier: tier)
        #expect(reported == .trapped(
            "out of memory (memory limit 256 MiB): unreachable in alloc::alloc::handle_alloc_error <- inner <- middle <- outer <- start"))

        // The account's limit, when the memory's own limit is higher.
        var limits = ActorLimits()
        limits.memoryBytes = 1 << 30
        let system = TestSystem(tier: tier, limits: limits, kernelLimits: {
            var kernel = KernelLimits()
            kernel.actorMemoryLimit = 128 << 20
            return kernel
        }())
        let actor = try system.host.spawn(try system.host.load(bytes: try Self.named(wat), name: "hungry"))
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .trapped(
            "out of memory (memory limit 128 MiB): unreachable in alloc::alloc::handle_alloc_error <- inner <- middle <- outer <- start"))
    }

    @Test(arguments: Tier.allCases) func aGrowthPastTheModulesOwnMaximumIsNoOutOfMemory(tier: Tier) throws {
        let wat = Self.nested(Self.allocator, memory: "(memory (export \"memory\") 1 16)", functions: Self.allocationFailure)
        let reported = try Self.exitReason(try Self.named(wat), tier: tier)
        #expect(reported == .trapped("unreachable in alloc::alloc::handle_alloc_error <- inner <- middle <- outer <- start"))
    }

    // MARK: Hostile name sections

    /// `module` with a custom section "name" of `contents` appended.
    static func withNameSection(_ module: [UInt8], _ contents: [UInt8]) -> [UInt8] {
        let body = leb(4) + Array("name".utf8) + contents
        return module + [0] + leb(UInt32(body.count)) + body
    }

    /// A function-names subsection (id 1) of `names`.
    static func functionNames(_ names: [(UInt32, [UInt8])]) -> [UInt8] {
        var body = leb(UInt32(names.count))
        for (index, name) in names { body += leb(index) + leb(UInt32(name.count)) + name }
        return [1] + leb(UInt32(body.count)) + body
    }

    static func leb(_ value: UInt32) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            let byte = UInt8(value & 0x7f)
            value >>= 7
            bytes.append(value == 0 ? byte : byte | 0x80)
        } while value != 0
        return bytes
    }

    @Test(arguments: Tier.allCases) func hostileNamesAreCutAndEscaped(tier: Tier) throws {
        let plain = try wat2wasm(Self.nested("unreachable"))
        // Functions: 0 the import, 1 inner, 2 middle, 3 outer, 4 start.
        let names: [(UInt32, [UInt8])] = [
            (1, Array("evil\n\u{1b}[31mred\u{202e}*/ #include \\".utf8)),
            (2, [0x41, 0xff, 0xfe, 0x42]),
            (3, Array(repeating: UInt8(ascii: "x"), count: 100_000)),
        ]
        let reported = try Self.exitReason(Self.withNameSection(plain, Self.functionNames(names)), tier: tier)
        let long = String(repeating: "x", count: FunctionNames.maximumNameLength) + "…"
        #expect(reported == .trapped(
            "unreachable in evil\\n\\e[31mred\\u{202e}*/ #include \\\\ <- A\u{fffd}\u{fffd}B <- \(long) <- _start"))
    }

    /// Each is malformed somewhere; the module loads and runs anyway, its
    /// functions named as if it had no name section.
    static let malformedSections: [(String, [UInt8])] = [
        ("a count past the end", [1, 3, 0x90, 0x4e, 1]),
        ("a name past the end", [1, 4, 1, 1, 50, 0x41]),
        ("a subsection past the end", [1, 0x7f, 0]),
        ("indices out of order", functionNames([(3, [0x61]), (1, [0x62])])),
        ("subsections out of order", functionNames([(1, [0x61])]) + [0, 1, 0]),
        ("a LEB128 of six bytes", [1, 6, 0x81, 0x80, 0x80, 0x80, 0x80, 0]),
        ("nothing after the id", [1]),
    ]

    @Test(arguments: Tier.allCases, malformedSections.indices)
    func aMalformedNameSectionIsIgnored(tier: Tier, index: Int) throws {
        let (name, section) = Self.malformedSections[index]
        let plain = try wat2wasm(Self.nested("unreachable"))
        let reported = try Self.exitReason(Self.withNameSection(plain, section), tier: tier)
        #expect(reported == .trapped("unreachable in function 1 <- function 2 <- function 3 <- _start"), "\(name)")
    }

    @Test(arguments: Tier.allCases) func namesForFunctionsTheModuleDoesNotHaveAreHarmless(tier: Tier) throws {
        let plain = try wat2wasm(Self.nested("unreachable"))
        let section = Self.functionNames([(1, Array("inner".utf8)), (99_999, Array("ghost".utf8)), (UInt32.max, [0x67])])
        let reported = try Self.exitReason(Self.withNameSection(plain, section), tier: tier)
        #expect(reported == .trapped("unreachable in inner <- function 2 <- function 3 <- _start"))
    }

    // MARK: A Rust actor's mistakes

    /// Runs build/actors/tests/faults.wasm on `tier`, asks it for fault
    /// `opcode` and returns its exit reason and log.
    static func rustFault(_ opcode: UInt32, tier: Tier) throws -> (ExitReason?, [String]) {
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let actor = try system.host.spawn(try system.host.load(path: actorPath("tests/faults"))) { actor in
            _ = try system.kernel.grantCopy(of: probe.endpoint, held: probe.id, rights: [.receive], to: actor)
        }
        try system.kernel.send(probe.id, to: probe.endpoint, opcode: opcode, payload: [])
        #expect(system.host.wait(for: actor, timeout: .seconds(30)))
        let reason = system.kernel.exitReason(of: actor)
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
        return (reason, system.log.lines(of: "faults"))
    }

    @Test(arguments: Tier.allCases) func aPanicInImageRowNamesTheAuthorsLine(tier: Tier) throws {
        let (reason, log) = try Self.rustFault(1, tier: tier)
        #expect(reason == .exited(code: 101))
        // The author's line (`image.row(3)`), not the SDK's or core's, in
        // whichever words the toolchain's panic message has.
        #expect(log.count == 1, "\(log)")
        #expect(log.first.map { $0.contains("no row 3 in a 4x3 image") && $0.contains("tests/faults/src/lib.rs:37:") } == true, "\(log)")
    }

    @Test(arguments: Tier.allCases) func allocating512MiBIsOutOfMemory(tier: Tier) throws {
        let (reason, _) = try Self.rustFault(2, tier: tier)
        guard case .trapped(let text) = reason else {
            Issue.record("did not trap: \(String(describing: reason))")
            return
        }
        #expect(text.hasPrefix("out of memory (memory limit 256 MiB): unreachable in "), "\(text)")
        // Where it ran out: Rust's `handle_alloc_error` may be inlined into it.
        #expect(text.contains("faults::allocate_512_mib <- "), "\(text)")
        #expect(text.hasSuffix(" <- _start"), "\(text)")
    }

    @Test(arguments: Tier.allCases) func aReadPastMemoryNamesTheFunction(tier: Tier) throws {
        let (reason, _) = try Self.rustFault(3, tier: tier)
        guard case .trapped(let text) = reason else {
            Issue.record("did not trap: \(String(describing: reason))")
            return
        }
        #expect(text.hasPrefix("out of bounds memory access in faults::read_past_memory <- "), "\(text)")
    }

    @Test(arguments: Tier.allCases) func endlessRecursionNamesTheFunction(tier: Tier) throws {
        let (reason, _) = try Self.rustFault(4, tier: tier)
        guard case .trapped(let text) = reason else {
            Issue.record("did not trap: \(String(describing: reason))")
            return
        }
        // Whichever runs out first: the Wasm stack, or Rust's own stack in
        // linear memory (its pointer then wraps past the end of memory).
        let frames = " in " + Array(repeating: "faults::recurse", count: 8).joined(separator: " <- ") + " <- … "
        #expect(text.hasPrefix("call stack exhausted" + frames) || text.hasPrefix("out of bounds memory access" + frames), "\(text)")
        #expect(text.hasSuffix(" more"), "\(text)")
    }

    @Test func bothTiersNameTheSameFunction() throws {
        // `wsk::trap`, inlined by the optimizer into whatever called it.
        let interpreted = try Self.rustFault(5, tier: .interpreter).0
        let compiled = try Self.rustFault(5, tier: .compiled).0
        guard case .trapped(let text) = interpreted else {
            Issue.record("did not trap: \(String(describing: interpreted))")
            return
        }
        #expect(text.hasPrefix("unreachable in ") && text.hasSuffix("_start"), "\(text)")
        #expect(compiled == interpreted)
    }
}
