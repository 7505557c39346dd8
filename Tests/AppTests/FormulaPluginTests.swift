import AppProtocols
import Interp
import TestSupport
import Testing

@testable import Kernel

/// The calculation plugins of `build/actors/formulas`, driven directly:
/// every sample equals `FractalReference`, bit for bit.
@Suite struct FormulaPluginTests {
    typealias Rig = FilterPluginTests.Rig

    static func tiles(iterations: UInt32) -> [FormulaTile] {
        let step = 3.0 / 144.0
        return [
            FormulaTile(job: 1, x0: 0, y0: 0, columns: 64, rows: 64, stride: 1, iterations: iterations,
                        left: -2.0, top: 1.5, step: step),
            FormulaTile(job: 2, x0: -40, y0: 100, columns: 16, rows: 9, stride: 8, iterations: iterations,
                        left: -2.0, top: 1.5, step: step),
            // Deep: where rounding would show.
            FormulaTile(job: 3, x0: 17, y0: 5, columns: 33, rows: 21, stride: 1, iterations: iterations,
                        left: -0.743_643_887_037_151, top: 0.131_825_904_205_330, step: 1e-13),
        ]
    }

    @Test(arguments: FractalFormula.allCases)
    func matchesTheReference(formula: FractalFormula) throws {
        let rig = try Rig(directory: Repository.builtActor("formulas"))
        defer { rig.stop() }
        let worker = try rig.spawn(formula.rawValue)
        let buffer = try rig.kernel.createBuffer(rig.client.actor, size: FormulaProtocol.maxTileSamples * 4)
        let (p0, p1) = formula.parameter
        for var tile in Self.tiles(iterations: 300) {
            (tile.p0, tile.p1) = (p0, p1)
            let samples = try rig.client.render(worker, tile, into: buffer)
            let expected = FractalReference.render(tile, formula: formula)
            let same = samples == expected
            #expect(same, "job \(tile.job): \(difference(samples, expected, width: Int(tile.columns)))")
            if tile.stride > 1 || tile.x0 == 0 { #expect(Set(samples).count > 3, "job \(tile.job) is not flat") }
        }
    }

    /// A plain send is answered on handle 2, the results endpoint the
    /// worker was given at spawn; pings are ignored; bad tiles refused.
    @Test func answersOnTheResultsEndpoint() throws {
        let rig = try Rig(directory: Repository.builtActor("formulas"))
        defer { rig.stop() }
        let me = rig.client.actor
        let results = try rig.kernel.createEndpoint(me)
        let forWorker = try rig.kernel.derive(me, results, rights: [.send, .grant])
        let worker = try rig.client.spawn("mandelbrot", from: rig.spawner, grant: forWorker)
        let buffer = try rig.kernel.createBuffer(me, size: FormulaProtocol.maxTileSamples * 4)
        func next() throws -> ReceivedMessage {
            let receipt = try rig.kernel.receive(me, from: results, capacity: 4096, timeout: .nanoseconds(30_000_000_000))
            guard case .message(let message) = receipt else { throw HarnessError("too small") }
            return message
        }
        func words(_ bytes: [UInt8]) -> [UInt32] {
            stride(from: 0, to: bytes.count - 3, by: 4).map { i in bytes[i..<i + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        }
        var tile = Self.tiles(iterations: 50)[1]
        tile.job = 77
        try rig.kernel.send(me, to: worker, opcode: FormulaProtocol.ping, payload: [])
        let lent = try rig.kernel.derive(me, buffer, rights: [.write, .grant])
        try rig.kernel.send(me, to: worker, opcode: FormulaProtocol.render, payload: tile.payload, cap: lent)
        let done = try next()
        #expect(done.opcode == FormulaProtocol.tileDone && words(done.payload) == [77])
        #expect(try rig.client.read(tile.samples, from: buffer) == FractalReference.render(tile, formula: .mandelbrot))

        var big = tile
        (big.job, big.columns, big.rows) = (78, 65, 64)
        try rig.kernel.send(me, to: worker, opcode: FormulaProtocol.render, payload: big.payload, cap: lent)
        let refused = try next()
        #expect(refused.opcode == FormulaProtocol.error && Array(words(refused.payload).prefix(2)) == [78, FormulaError.badTile.rawValue])
        try rig.kernel.send(me, to: worker, opcode: FormulaProtocol.render, payload: Array(tile.payload.prefix(20)))
        let malformed = try next()
        #expect(malformed.opcode == FormulaProtocol.error && words(malformed.payload)[1] == FormulaError.malformed.rawValue)
        tile.job = 79
        try rig.kernel.send(me, to: worker, opcode: FormulaProtocol.render, payload: tile.payload)
        #expect(words(try next().payload).prefix(2) == [79, FormulaError.badTile.rawValue], "no buffer")
    }
}
