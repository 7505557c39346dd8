import AppProtocols
import Interp
import TestSupport
import Testing

@testable import Kernel

/// Each filter plugin of `build/actors/plugins`, driven directly over the
/// plugin protocol from a native actor, against `ReferenceFilters`.
@Suite struct FilterPluginTests {
    /// A kernel and Wasm host, and a native actor holding a spawner over `directory`.
    struct Rig {
        let kernel = Kernel()
        let host: WasmActorHost
        let client: PluginClient
        let spawner: Handle

        init(directory: String = Repository.builtActor("plugins"), limits: ActorLimits = ActorLimits()) throws {
            host = WasmActorHost(kernel: kernel, limits: limits, tier: .interpreter, logSink: { _, _ in })
            client = PluginClient(kernel: kernel, actor: kernel.createActor(name: "test"))
            spawner = try kernel.grantSpawner(directory: directory, to: client.actor)
        }

        func spawn(_ module: String) throws -> Handle { try client.spawn(module, from: spawner) }

        /// The plugin's actor id, from its actor cap.
        func actorID(_ plugin: Handle) throws -> ActorID {
            ActorID(rawValue: UInt32(try kernel.info(client.actor, plugin).size))
        }

        func stop() { _ = host.shutdown(timeout: .seconds(10)) }
    }

    /// A test picture: pseudo-random colours with flat patches and hard
    /// edges, and garbage in the ignored top byte.
    static func picture(width: Int, height: Int) -> [UInt32] {
        var seed: UInt32 = 0x1234_5678
        return (0..<width * height).map { i in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            let (x, y) = (i % width, i / width)
            if x > width / 2 && y > height / 2 { return 0xab00_80c0 }  // a flat patch
            if x == width / 3 { return 0x00ff_ffff }  // a white line
            return seed
        }
    }

    static let width = 29
    static let height = 17

    /// The descriptions of the plugins with metadata.
    static let invert = "Invert\nversion: 1.0.0\ndescription: Every channel c becomes 255 - c\n"
    static let blur = "Box blur\nversion: 1.0.0\nauthor: wskdesk\ndescription: Each pixel becomes the mean of the square around it\nradius 1 32 2\n"
    static let template = "Brightness (template)\nversion: 0.1.0\nauthor: wskdesk\ndescription: Adds an amount to each channel\namount -255 255 40\n"

    @Test(arguments: [
        ("invert", Self.invert, [Int32]()),
        ("grayscale", "Grayscale\n", []),
        ("sepia", "Sepia\n", []),
        ("sharpen", "Sharpen\n", []),
        ("edges", "Edge detect\n", []),
        ("blur", Self.blur, []),
        ("blur", Self.blur, [1]),
        ("blur", Self.blur, [5]),
        ("blur", Self.blur, [99]),  // clamped to 32: wider than the picture
        ("template", Self.template, []),
        ("template", Self.template, [-300]),
    ])
    func matchesTheReference(module: String, description: String, params: [Int32]) throws {
        let rig = try Rig()
        defer { rig.stop() }
        let plugin = try rig.spawn(module)
        #expect(try rig.client.describe(plugin) == description)
        let input = Self.picture(width: Self.width, height: Self.height)
        let output = try rig.client.apply(plugin, input, width: Self.width, height: Self.height, params: params)
        let expected = ReferenceFilters.apply(module: module, input, width: Self.width, height: Self.height, params: params)!
        let same = output == expected
        #expect(same, "\(difference(output, expected, width: Self.width))")
        // The lent cap went with the answer: the plugin holds only its boot endpoint.
        #expect(rig.kernel.capabilityCount(of: try rig.actorID(plugin)) == 1)
    }

    /// The fast reference blur is the two-dimensional mean it claims to be.
    @Test func referenceBlurIsTheMean() {
        let (w, h) = (11, 7)
        let input = Self.picture(width: w, height: h)
        for radius in [1, 2, 6] {
            var naive: [UInt32] = []
            for y in 0..<h {
                for x in 0..<w {
                    var pixel: UInt32 = 0
                    for shift: UInt32 in [16, 8, 0] {
                        var sum: UInt32 = 0
                        for dy in -radius...radius {
                            for dx in -radius...radius {
                                let p = input[min(max(y + dy, 0), h - 1) * w + min(max(x + dx, 0), w - 1)]
                                sum += (p >> shift) & 0xff
                            }
                        }
                        let n = UInt32((2 * radius + 1) * (2 * radius + 1))
                        pixel |= ((sum + n / 2) / n) << shift
                    }
                    naive.append(pixel)
                }
            }
            #expect(ReferenceFilters.boxBlur(input, width: w, height: h, radius: radius) == naive)
        }
    }

    /// Requests a plugin must refuse, each with its code; it keeps serving.
    @Test func refusesBadRequests() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let plugin = try rig.spawn("invert")
        let me = rig.client.actor
        /// The answer's opcode and, if there is one, its first u32.
        func ask(_ opcode: UInt32, _ payload: [UInt8], cap: Handle = .null) throws -> [UInt32] {
            let outcome = try rig.kernel.call(me, to: plugin, opcode: opcode, payload: payload, cap: cap, capacity: 4096,
                                              timeout: .nanoseconds(30_000_000_000))
            guard case .answer(let answer) = outcome else { throw HarnessError("parked") }
            let code = answer.payload.count >= 4 ? [answer.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }] : []
            return [answer.opcode] + code
        }
        let small = try rig.kernel.createBuffer(me, size: 4 * 4 * 4 - 1)
        let buffer = try rig.kernel.createBuffer(me, size: 4 * 4 * 4)
        let endpoint = try rig.kernel.createEndpoint(me)
        let refused = FilterProtocol.error
        #expect(try ask(FilterProtocol.apply, FilterProtocol.applyPayload(width: 4, height: 4, params: []))
            == [refused, FilterError.badImage.rawValue], "no buffer")
        #expect(try ask(FilterProtocol.apply, FilterProtocol.applyPayload(width: 4, height: 4, params: []), cap: small)
            == [refused, FilterError.badImage.rawValue], "buffer too small")
        #expect(try ask(FilterProtocol.apply, FilterProtocol.applyPayload(width: 0, height: 4, params: []), cap: buffer)
            == [refused, FilterError.badImage.rawValue], "no pixels")
        #expect(try ask(FilterProtocol.apply, FilterProtocol.applyPayload(width: 9000, height: 1, params: []), cap: buffer)
            == [refused, FilterError.badImage.rawValue], "too wide")
        #expect(try ask(FilterProtocol.apply, FilterProtocol.applyPayload(width: 4, height: 4, params: []), cap: endpoint)
            == [refused, FilterError.badImage.rawValue], "not a buffer")
        #expect(try ask(FilterProtocol.apply, [4, 0, 0], cap: buffer) == [refused, FilterError.malformed.rawValue])
        #expect(try ask(0x0666, []) == [refused, FilterError.malformed.rawValue], "unknown opcode")
        let readOnly = try rig.kernel.derive(me, buffer, rights: [.read, .grant])
        #expect(try ask(FilterProtocol.apply, FilterProtocol.applyPayload(width: 4, height: 4, params: []), cap: readOnly)
            == [refused, FilterError.bufferFailed.rawValue], "cannot write the result")
        // Still serving.
        let input = Self.picture(width: 4, height: 4)
        #expect(try rig.client.apply(plugin, input, width: 4, height: 4) == input.map { ~$0 & 0x00ff_ffff })
    }

    /// Memory is freed between requests: many images through a plugin
    /// whose linear memory may not grow past 4 MiB (its stack and data
    /// take 1.1 MiB; without freeing, a dozen images would not fit).
    @Test func freesMemoryBetweenRequests() throws {
        var limits = ActorLimits()
        limits.memoryBytes = 4 << 20
        let rig = try Rig(limits: limits)
        defer { rig.stop() }
        let plugin = try rig.spawn("invert")
        let (w, h) = (300, 200)  // 240 KB a picture
        let input = Self.picture(width: w, height: h)
        let expected = input.map { ~$0 & 0x00ff_ffff }
        for round in 0..<16 {
            let output = try rig.client.apply(plugin, input, width: w, height: h)
            let same = output == expected
            #expect(same, "round \(round)")
        }
        // Too big for 4 MiB: refused, not a trap.
        let huge = [UInt32](repeating: 0, count: 1500 * 1500)
        #expect(throws: PluginCallError.refused(code: FilterError.noMemory.rawValue, message: "no memory for the image")) {
            _ = try rig.client.apply(plugin, huge, width: 1500, height: 1500)
        }
    }
}
