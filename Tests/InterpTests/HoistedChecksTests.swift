import Interp
import Logging
import Testing
import WAT

@testable import Interp

/// The compiled tier checks a straight run of accesses once (HoistedChecks):
/// which runs it versions, and that a run that faults part way still traps
/// where the interpreter does, with the same bytes stored before.
@Suite struct HoistedChecksTests {
    // MARK: The rewrite of the C

    /// A loop body as wasm2c writes `map`'s eight pixels, shortened to two,
    /// after the function's entry check.
    static let twoPixels = """
          WSK_FUNC_ENTRY(3);
          w2c_L3: WSK_LOOP_ENTRY(9);
            w2c_i0 = w2c_p0;
            w2c_i1 = w2c_p0;
            w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_i1));
            w2c_i2 = 4294967295u;
            w2c_i1 ^= w2c_i2;
            i32_store(&instance->w2c_memory, (u64)(w2c_i0), w2c_i1);
            w2c_i0 = w2c_p0;
            w2c_i1 = 4u;
            w2c_i0 += w2c_i1;
            w2c_l8 = w2c_i0;
            w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_l8) + 2u);
            i32_store(&instance->w2c_memory, (u64)(w2c_i0), w2c_i1);
            if (w2c_i0) {goto w2c_L3;}
        """

    @Test func aRunOfFollowedAccessesIsCheckedOnce() {
        let lines = HoistedChecks.source(Self.twoPixels, minimumAccesses: 2).split(separator: "\n").map(String.init)
        // The base is read once, after the entry check; the furthest access ends at p + 4 + 2 + 4.
        #expect(lines[1] == "  WSK_MEMORY_BASE;")
        #expect(lines[3] == "    if (LIKELY((u64)(w2c_p0) + 10ull <= instance->w2c_memory.size)) {")
        #expect(lines[4] == "      WSK_ROW(wsk_row0_0, w2c_p0);")
        #expect(lines.contains("      w2c_i1 = wsk_row_i32_load(wsk_row0_0, 0ull);"))
        #expect(lines.contains("      wsk_row_i32_store(wsk_row0_0, 0ull, w2c_i1);"))
        #expect(lines.contains("      w2c_i1 = wsk_row_i32_load(wsk_row0_0, 6ull);"))
        #expect(lines.contains("      wsk_row_i32_store(wsk_row0_0, 4ull, w2c_i1);"))
        // The unchecked copy is wasm2c's, whole; the label and the branch stay outside.
        let original = Self.twoPixels.split(separator: "\n").map(String.init)
        let otherwise = lines.firstIndex(of: "    } else {")!
        #expect(Array(lines[(otherwise + 1)...].prefix(original.count - 3)) == original[2..<original.count - 1].map { "  " + $0 })
        #expect(lines[0] == original[0] && lines[2] == original[1] && lines.last == original.last)
    }

    /// A run shorter than `minimumAccesses` is not worth its test.
    @Test func aShortRunIsLeftAlone() {
        #expect(HoistedChecks.source(Self.twoPixels, minimumAccesses: 5) == Self.twoPixels)
        #expect(HoistedChecks.source(Self.twoPixels, minimumAccesses: 4) != Self.twoPixels)
    }

    /// Outside a function's body (no entry check seen) nothing is versioned.
    @Test func nothingIsVersionedOutsideAFunction() {
        let body = Self.twoPixels.split(separator: "\n").dropFirst().joined(separator: "\n")
        #expect(HoistedChecks.source(body, minimumAccesses: 2) == body)
    }

    @Test func aRunWithACallOrAnUnfollowedAddressIsLeftAlone() {
        let call = """
              WSK_FUNC_ENTRY(3);
              w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_p0));
              w2c_i0 = w2c_f12(instance, w2c_i1);
              i32_store(&instance->w2c_memory, (u64)(w2c_p0) + 4u, w2c_i0);
            """
        #expect(HoistedChecks.source(call, minimumAccesses: 2) == call)
        let loaded = """
              WSK_FUNC_ENTRY(3);
              w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_p0));
              w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_i1));
            """
        #expect(HoistedChecks.source(loaded, minimumAccesses: 2) == loaded)
        let selected = """
              WSK_FUNC_ENTRY(3);
              w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_p0));
              w2c_i0 = w2c_i2 ? w2c_p0 : w2c_p1;
              w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_i0));
            """
        #expect(HoistedChecks.source(selected, minimumAccesses: 2) == selected)
    }

    @Test func aSumOfTwoVariablesIsARoot() {
        let text = """
              WSK_FUNC_ENTRY(3);
              w2c_i0 = w2c_l9;
              w2c_i1 = w2c_p0;
              w2c_i0 += w2c_i1;
              w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_i0));
              i32_store(&instance->w2c_memory, (u64)(w2c_i0) + 4u, w2c_i1);
            """
        let lines = HoistedChecks.source(text, minimumAccesses: 2).split(separator: "\n").map(String.init)
        #expect(lines[2] == "  if (LIKELY((u64)((u32)(w2c_l9 + w2c_p0)) + 8ull <= instance->w2c_memory.size)) {")
    }

    // MARK: Loops

    /// A loop as wasm2c writes `down` below: one word inverted each round,
    /// from `p` down by 4 until `p` reaches `end`.
    static let downLoop = """
          WSK_FUNC_ENTRY(1);
          w2c_L0: WSK_LOOP_ENTRY(13);
            w2c_i0 = w2c_p0;
            w2c_i1 = w2c_p0;
            w2c_i1 = i32_load(&instance->w2c_memory, (u64)(w2c_i1));
            w2c_i2 = 4294967295u;
            w2c_i1 ^= w2c_i2;
            i32_store(&instance->w2c_memory, (u64)(w2c_i0), w2c_i1);
            w2c_i0 = w2c_p0;
            w2c_i1 = 4u;
            w2c_i0 -= w2c_i1;
            w2c_p0 = w2c_i0;
            w2c_i1 = w2c_p1;
            w2c_i0 = w2c_i0 != w2c_i1;
            if (w2c_i0) {goto w2c_L0;}
          FUNC_EPILOGUE;
        """

    @Test func aCountedLoopIsCheckedOnceBeforeItsFirstRound() {
        let lines = HoistedChecks.source(Self.downLoop).split(separator: "\n").map(String.init)
        let original = Self.downLoop.split(separator: "\n").map(String.init)
        #expect(lines[1] == "  WSK_MEMORY_BASE;")
        // Round r tests p - 4r against p1: p - p1 - 4 is a multiple of 4 for 1 + (p - p1 - 4) / 4 rounds.
        #expect(lines[3] == "    u64 wsk_rounds0 = wsk_loop_rounds((u32)(w2c_p0 + 4294967292u - w2c_p1), 4u);")
        // Going down, the first round's access is the highest and the last round's the lowest.
        #expect(lines[4] == "    if (LIKELY(wsk_rounds0 != 0 && (u64)(w2c_p0) + 4ull <= instance->w2c_memory.size"
            + " && (u64)(w2c_p0) >= (wsk_rounds0 - 1) * 4ull && WSK_LOOP_FUEL(wsk_rounds0, 13))) {")
        #expect(lines[5] == "      WSK_ROW(wsk_loop0_0, w2c_p0);")
        #expect(lines[6] == "      for (u64 wsk_round0 = 0; wsk_round0 != wsk_rounds0; wsk_round0++) {")
        #expect(lines.contains("        w2c_i1 = wsk_row_i32_load(wsk_loop0_0 - wsk_round0 * 4ull, 0ull);"))
        #expect(lines.contains("        wsk_row_i32_store(wsk_loop0_0 - wsk_round0 * 4ull, 0ull, w2c_i1);"))
        #expect(!lines.contains { $0.contains("goto") && $0.hasPrefix("        ") })
        // Otherwise the loop as wasm2c wrote it, label, fuel and back edge included.
        let otherwise = lines.firstIndex(of: "    } else {")!
        #expect(Array(lines[(otherwise + 1)...].prefix(original.count - 2)) == Array(original[1..<original.count - 1]))
        #expect(lines.suffix(3) == ["    }", "  }", original.last!])
    }

    @Test func aLoopItCannotCountIsLeftToItsRuns() {
        // The root is loaded each round: no line in memory.
        let chased = Self.downLoop.replacing("    w2c_p0 = w2c_i0;\n", with: "    w2c_p0 = i32_load(&instance->w2c_memory, (u64)(w2c_i0));\n")
        #expect(HoistedChecks.source(chased) == chased)
        // A call in the body.
        let called = Self.downLoop.replacing("    w2c_i2 = 4294967295u;\n", with: "    w2c_i2 = w2c_f3(instance);\n")
        #expect(HoistedChecks.source(called) == called)
        // An exit test that is not `!=` (`<` may exit before the bound).
        let below = Self.downLoop.replacing("w2c_i0 != w2c_i1", with: "w2c_i0 < w2c_i1")
        #expect(HoistedChecks.source(below) == below)
        // A bound the body assigns.
        let moving = Self.downLoop.replacing("    w2c_i1 = w2c_p1;\n", with: "    w2c_i1 = w2c_p1;\n    w2c_p1 = w2c_i0;\n")
        #expect(HoistedChecks.source(moving) == moving)
        #expect(Set([chased, called, below, moving, Self.downLoop]).count == 5)  // each one changed
    }

    /// Two loops: `up` inverts two words a round from `p`, `n` rounds (0:
    /// 2^32); `down` one word a round from `p` down until `p - 4` is `end`.
    static let loops = """
        (module (memory 1)
          (func (export "up") (param $p i32) (param $n i32)
            (loop $L
              (i32.store (local.get $p) (i32.xor (i32.load (local.get $p)) (i32.const -1)))
              (i32.store offset=4 (local.get $p) (i32.xor (i32.load offset=4 (local.get $p)) (i32.const 0xff)))
              (local.set $p (i32.add (local.get $p) (i32.const 8)))
              (br_if $L (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
          (func (export "down") (param $p i32) (param $end i32)
            (loop $L
              (i32.store (local.get $p) (i32.xor (i32.load (local.get $p)) (i32.const -1)))
              (br_if $L (i32.ne (local.tee $p (i32.sub (local.get $p) (i32.const 4))) (local.get $end)))))
          (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
        """

    struct LoopCase: Sendable, CustomTestStringConvertible {
        let function: String
        let p: UInt32
        let bound: UInt32
        let traps: Bool
        var testDescription: String { "\(function)(\(p), \(bound))" }
    }

    /// In bounds, faulting part way (aligned and not), round counts that
    /// wrap, a bound the step never meets, addresses that wrap below 0.
    static let loopCases: [LoopCase] = [
        LoopCase(function: "up", p: 65536 - 32, bound: 4, traps: false),
        LoopCase(function: "up", p: 65536 - 32, bound: 6, traps: true),
        LoopCase(function: "up", p: 65536 - 35, bound: 5, traps: true),
        LoopCase(function: "up", p: 65536 - 30, bound: 4, traps: true),
        LoopCase(function: "up", p: 65536 - 24, bound: 0, traps: true),
        LoopCase(function: "down", p: 65536 - 4, bound: 65536 - 40, traps: false),
        LoopCase(function: "down", p: 8, bound: 0xffff_fff0, traps: true),
        LoopCase(function: "down", p: 8, bound: 2, traps: true),
        LoopCase(function: "down", p: 65534, bound: 65534 - 16, traps: true),
    ]

    /// The same trap and the same bytes, at both ends of memory, on both
    /// tiers, with guard pages and with explicit checks.
    @Test(arguments: loopCases)
    func aLoopThatFaultsPartWayStoresWhatTheInterpreterStores(_ loop: LoopCase) throws {
        let wasm = try wat2wasm(Self.loops)
        func outcome(_ session: any SpecSession) throws -> (trapped: Bool, bytes: [UInt32]) {
            let instance = try session.instantiate(wasm, source: "test")
            var trapped = false
            do {
                _ = try instance.invoke(loop.function, [.i32(loop.p), .i32(loop.bound)])
            } catch SpecError.trap(let reason) {
                #expect(reason == "out of bounds memory access")
                trapped = true
            }
            let bytes = try (Array(0..<16) + Array(65480..<65536)).map { address -> UInt32 in
                guard case .i32(let value) = try instance.invoke("byte", [.i32(UInt32(address))]).first else { return 999 }
                return value
            }
            return (trapped, bytes)
        }
        let expected = try SpecSuite.onLargeStack { Result { try outcome(SpecSuite.Tier.interpreter.session()) } }.get()
        #expect(expected.trapped == loop.traps)
        for checks in [MemoryChecks.guardPages, .explicit] {
            let session = CompiledSpecSession(
                directory: SpecSuite.compiledCache + "-hoisted-\(checks.rawValue)", memoryChecks: checks,
                logger: Logger(label: "wskdesk.tests.hoisted") { _ in SwiftLogNoOpLogHandler() })
            let compiled = try SpecSuite.onLargeStack { Result { try outcome(session) } }.get()
            #expect(compiled.trapped == expected.trapped, "\(checks)")
            #expect(compiled.bytes == expected.bytes, "\(checks)")
        }
    }

    // MARK: Both tiers

    /// Eight words from `p` inverted, each address computed as a 32-bit sum
    /// as rustc writes it; then the same with offsets. `byte` reads one back.
    static let module: String = {
        func word(_ address: String) -> String {
            "(i32.store \(address) (i32.and (i32.xor (i32.load \(address)) (i32.const -1)) (i32.const 0xffffff)))"
        }
        let sums = (0..<8).map { word("(i32.add (local.get $p) (i32.const \($0 * 4)))") }.joined(separator: "\n")
        let offsets = (0..<8).map { n in
            "(i32.store offset=\(n * 4) (local.get $p) (i32.and (i32.xor (i32.load offset=\(n * 4) (local.get $p)) (i32.const -1)) (i32.const 0xffffff)))"
        }.joined(separator: "\n")
        return """
            (module (memory 1)
              (func (export "sums") (param $p i32) \(sums))
              (func (export "offsets") (param $p i32) \(offsets))
              (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
            """
    }()

    /// What the interpreter's memory holds after `name(p)`: bytes
    /// 65500..<65536, and whether it trapped.
    static func outcome(_ session: any SpecSession, _ name: String, _ p: UInt32) throws -> (trapped: Bool, bytes: [UInt32]) {
        let instance = try session.instantiate(try wat2wasm(module), source: "test")
        var trapped = false
        do {
            _ = try instance.invoke(name, [.i32(p)])
        } catch SpecError.trap(let reason) {
            #expect(reason == "out of bounds memory access")
            trapped = true
        }
        let bytes = try (65500..<65536).map { address -> UInt32 in
            guard case .i32(let value) = try instance.invoke("byte", [.i32(UInt32(address))]).first else { return 999 }
            return value
        }
        return (trapped, bytes)
    }

    /// Near the end of memory, in bounds, part way out (aligned and not) and
    /// past 4 GiB: the same trap and the same bytes on both tiers, with guard
    /// pages and with explicit checks.
    @Test(arguments: ["sums", "offsets"], [65536 - 32, 65536 - 16, 65536 - 18, 65536 - 31, 0xffff_fffc] as [UInt32])
    func aRunThatFaultsPartWayStoresWhatTheInterpreterStores(function: String, p: UInt32) throws {
        let expected = try SpecSuite.onLargeStack { Result { try Self.outcome(SpecSuite.Tier.interpreter.session(), function, p) } }.get()
        #expect(expected.trapped == (p != 65536 - 32))
        for checks in [MemoryChecks.guardPages, .explicit] {
            let session = CompiledSpecSession(
                directory: SpecSuite.compiledCache + "-hoisted-\(checks.rawValue)", memoryChecks: checks,
                logger: Logger(label: "wskdesk.tests.hoisted") { _ in SwiftLogNoOpLogHandler() })
            let compiled = try SpecSuite.onLargeStack { Result { try Self.outcome(session, function, p) } }.get()
            #expect(compiled.trapped == expected.trapped, "\(checks)")
            #expect(compiled.bytes == expected.bytes, "\(checks)")
        }
    }
}
