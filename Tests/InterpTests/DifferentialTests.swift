import Foundation
import Interp
import TestSupport
import Testing

@testable import Kernel

/// The same actors on both tiers give byte-identical output: a compute-heavy
/// WAT module, hello's framebuffer, and every filter plugin and fractal
/// formula in build/actors (built by scripts/build-actors).
@Suite struct DifferentialTests {
    @Test func computeHeavyModuleGivesTheSameBytes() throws {
        try expectSameOnBothTiers("compute.wat") { system in
            try runToBuffer(system, wat: Self.compute, bytes: Self.computeBytes)
        }
    }

    @Test func helloPaintsTheSameFramebuffer() throws {
        try expectSameOnBothTiers("hello") { system in
            let framebuffer = Framebuffer(width: 97, height: 61)
            let actor = try system.host.spawn(try system.host.load(path: actorPath("hello"))) { actor in
                _ = try system.kernel.grant(framebuffer, to: actor)
            }
            #expect(system.host.wait(for: actor))
            #expect(system.log.lines(of: "hello") == ["hello from a Rust actor", "painted the framebuffer"])
            return Array(framebuffer.pixels)
        }
    }

    static let plugins = builtActors(in: "plugins")
    static let formulas = builtActors(in: "formulas")

    @Test(arguments: plugins) func filterPluginGivesTheSameImage(plugin: String) throws {
        for radius: Int32 in [1, 3] {
            try expectSameOnBothTiers("plugins/\(plugin) with parameter \(radius)") { system in
                try applyFilter(system, plugin: plugin, width: 67, height: 45, parameter: radius)
            }
        }
    }

    @Test(arguments: formulas) func fractalFormulaGivesTheSameCounts(formula: String) throws {
        try expectSameOnBothTiers("formulas/\(formula)") { system in
            try renderTile(system, formula: formula, columns: 48, rows: 40)
        }
    }

    // MARK: Running on both tiers

    /// Runs `body` on a fresh system of each tier; expects both to give the
    /// same bytes, and not nothing.
    func expectSameOnBothTiers(
        _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: (TestSystem) throws -> [UInt8]
    ) throws {
        let systems = Tier.allCases.map { TestSystem(tier: $0) }
        let outputs = try systems.map(body)
        #expect(outputs[0].contains { $0 != 0 }, "\(what): all zero", sourceLocation: sourceLocation)
        let difference = zip(outputs[0], outputs[1]).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(outputs[0].count == outputs[1].count, "\(what): sizes differ", sourceLocation: sourceLocation)
        #expect(difference == nil, "\(what): first difference at byte \(difference?.offset ?? 0)", sourceLocation: sourceLocation)
        for system in systems { #expect(system.ranOnItsTier, "\(what) fell back", sourceLocation: sourceLocation) }
    }

    /// Spawns `wat` with a buffer of `bytes` as handle 1, waits for it to
    /// exit, and returns the buffer.
    func runToBuffer(_ system: TestSystem, wat: String, bytes: Int) throws -> [UInt8] {
        let owner = system.kernel.createActor(name: "owner")
        let buffer = try system.kernel.createBuffer(owner, size: bytes)
        let actor = try system.run(wat, name: "compute") { actor in
            _ = try system.kernel.grantCopy(of: buffer, held: owner, rights: [.write], to: actor)
        }
        #expect(system.host.wait(for: actor, timeout: .seconds(60)))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
        return try read(system, buffer, held: owner, count: bytes)
    }

    /// A filter plugin's APPLY on a test image (docs/plugins.md): the image it gives back.
    func applyFilter(_ system: TestSystem, plugin: String, width: Int, height: Int, parameter: Int32) throws -> [UInt8] {
        let client = system.kernel.createActor(name: "client")
        var endpoint = Handle.null
        let actor = try system.host.spawn(try system.host.load(path: actorPath("plugins/\(plugin)"))) { actor in
            endpoint = try system.kernel.connect(owner: actor, peer: client, peerRights: [.send]).peer
        }
        let pixels = (0..<width * height).map { i -> UInt32 in
            let (x, y) = (UInt32(i % width), UInt32(i / width))
            return (x &* 37 ^ y &* 11) & 0xff << 16 | (x &* y &+ 7) & 0xff << 8 | (x &+ 3 &* y) & 0xff
        }
        let image = try system.kernel.createBuffer(client, size: width * height * 4)
        try bytes(pixels).withUnsafeBytes { try system.kernel.write(client, to: image, offset: 0, from: $0) }
        let request = bytes([UInt32(width), UInt32(height), UInt32(bitPattern: parameter)])
        let outcome = try system.kernel.call(
            client, to: endpoint, opcode: 0x0601, payload: request, cap: image, capacity: 4096,
            timeout: .nanoseconds(60_000_000_000))
        guard case .answer(let answer) = outcome, answer.opcode == 0x0681 else {
            Issue.record("\(plugin) answered \(outcome)")
            return []
        }
        let result = try read(system, image, held: client, count: width * height * 4)
        system.kernel.terminate(actor, reason: .killed(by: nil))
        #expect(system.host.wait(for: actor))
        return result
    }

    /// A formula worker's RENDER of one tile (actors/sdk/src/formula.rs): its iteration counts.
    func renderTile(_ system: TestSystem, formula: String, columns: Int, rows: Int) throws -> [UInt8] {
        let app = system.kernel.createActor(name: "app")
        var endpoint = Handle.null
        let actor = try system.host.spawn(try system.host.load(path: actorPath("formulas/\(formula)"))) { actor in
            endpoint = try system.kernel.connect(owner: actor, peer: app, peerRights: [.send]).peer
            _ = try system.kernel.connect(owner: app, peer: actor, peerRights: [.send])
        }
        let counts = try system.kernel.createBuffer(app, size: columns * rows * 4)
        var tile = bytes([7, 0, 0, UInt32(columns), UInt32(rows), 1, 300])
        for value in [-2.1, 1.25, 2.5 / Double(rows), -0.8, 0.156] {
            tile += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        }
        let outcome = try system.kernel.call(
            app, to: endpoint, opcode: 0x0700, payload: tile, cap: counts, capacity: 4096,
            timeout: .nanoseconds(60_000_000_000))
        guard case .answer(let answer) = outcome, answer.opcode == 0x0780 else {
            Issue.record("\(formula) answered \(outcome)")
            return []
        }
        let result = try read(system, counts, held: app, count: columns * rows * 4)
        system.kernel.terminate(actor, reason: .killed(by: nil))
        #expect(system.host.wait(for: actor))
        return result
    }

    func read(_ system: TestSystem, _ buffer: Handle, held owner: ActorID, count: Int) throws -> [UInt8] {
        var contents = [UInt8](repeating: 0, count: count)
        _ = try contents.withUnsafeMutableBytes { try system.kernel.read(owner, from: buffer, offset: 0, into: $0) }
        return contents
    }

    /// The modules in build/actors/`folder`, by name.
    static func builtActors(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Repository.root + "/build/actors/" + folder)) ?? []
        return names.filter { $0.hasSuffix(".wasm") }.map { String($0.dropLast(5)) }.sorted()
    }

    // MARK: The compute module

    static let computeBytes = 48 * 32 + 8 * 600 + 8 * 400

    /// Writes three sections to the buffer at handle 1: Mandelbrot escape
    /// counts in f64 (48 × 32 bytes), integer mixing (600 i64s), float
    /// operations and conversions (400 i64s). Never makes a NaN, whose bits
    /// Wasm leaves open.
    static let compute = """
        (module
          (import "env" "sys_cap_mem_write" (func $write (param i64 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func $escape (param $re f64) (param $im f64) (result i32)
            (local $x f64) (local $y f64) (local $x2 f64) (local $y2 f64) (local $n i32)
            (block $out (loop $iterate
              (local.set $x2 (f64.mul (local.get $x) (local.get $x)))
              (local.set $y2 (f64.mul (local.get $y) (local.get $y)))
              (br_if $out (f64.gt (f64.add (local.get $x2) (local.get $y2)) (f64.const 4)))
              (br_if $out (i32.ge_u (local.get $n) (i32.const 255)))
              (local.set $y (f64.add (f64.mul (f64.mul (f64.const 2) (local.get $x)) (local.get $y)) (local.get $im)))
              (local.set $x (f64.add (f64.sub (local.get $x2) (local.get $y2)) (local.get $re)))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (br $iterate)))
            (local.get $n))
          (func $start (local $i i32) (local $px i32) (local $py i32) (local $a i64) (local $b i32) (local $f f32) (local $d f64)
            ;; 1. Mandelbrot, one byte per pixel at 0.
            (block $done (loop $pixels
              (br_if $done (i32.ge_u (local.get $i) (i32.const 1536)))
              (local.set $px (i32.rem_u (local.get $i) (i32.const 48)))
              (local.set $py (i32.div_u (local.get $i) (i32.const 48)))
              (i32.store8 (local.get $i) (call $escape
                (f64.add (f64.const -2.2) (f64.mul (f64.convert_i32_u (local.get $px)) (f64.const 0.0625)))
                (f64.sub (f64.const 1.1) (f64.mul (f64.convert_i32_u (local.get $py)) (f64.const 0.06875)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $pixels)))
            ;; 2. Integer mixing, one i64 per round at 1536.
            (local.set $a (i64.const 0x0123456789abcdef))
            (local.set $b (i32.const 0x9e3779b9))
            (local.set $i (i32.const 0))
            (block $done (loop $rounds
              (br_if $done (i32.ge_u (local.get $i) (i32.const 600)))
              (local.set $a (i64.add (i64.mul (local.get $a) (i64.const 6364136223846793005)) (i64.const 1442695040888963407)))
              (local.set $b (i32.xor (i32.rotl (local.get $b) (i32.const 5)) (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 29)))))
              (i64.store (i32.add (i32.const 1536) (i32.shl (local.get $i) (i32.const 3)))
                (i64.xor
                  (i64.xor (local.get $a) (i64.extend_i32_s (i32.div_s (local.get $b) (i32.or (i32.rem_u (local.get $b) (i32.const 97)) (i32.const 1)))))
                  (i64.xor
                    (i64.shl (i64.extend_i32_u (i32.add (i32.clz (local.get $b)) (i32.popcnt (local.get $b)))) (i64.const 40))
                    (i64.add (i64.ctz (local.get $a)) (i64.rem_s (local.get $a) (i64.const -12345))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $rounds)))
            ;; 3. Floats, one i64 per round at 6336: arithmetic, rounding, conversions.
            (local.set $i (i32.const 0))
            (local.set $d (f64.const 1.5))
            (block $done (loop $rounds
              (br_if $done (i32.ge_u (local.get $i) (i32.const 400)))
              (local.set $d (f64.add (f64.mul (local.get $d) (f64.const 1.0009765625)) (f64.sqrt (f64.convert_i32_u (local.get $i)))))
              (local.set $f (f32.add (f32.demote_f64 (local.get $d)) (f32.div (f32.const 1) (f32.convert_i32_s (i32.sub (i32.shl (local.get $i) (i32.const 1)) (i32.const 401))))))
              (i64.store (i32.add (i32.const 6336) (i32.shl (local.get $i) (i32.const 3)))
                (i64.xor
                  (i64.reinterpret_f64 (f64.add (f64.nearest (local.get $d)) (f64.promote_f32 (f32.min (local.get $f) (f32.floor (f32.mul (local.get $f) (f32.const 0.75)))))))
                  (i64.xor
                    (i64.extend_i32_u (i32.reinterpret_f32 (f32.max (f32.ceil (local.get $f)) (f32.trunc (f32.neg (local.get $f))))))
                    (i64.trunc_sat_f64_s (f64.mul (local.get $d) (f64.const 1e15))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $rounds)))
            (drop (call $write (i64.const 1) (i32.const 0) (i32.const 0) (i32.const \(computeBytes)))))
          (export "_start" (func $start)))
        """
}
