import Foundation
import TestSupport
import Testing

@testable import Compositor
@testable import Kernel

/// Test fixtures: windows whose surfaces hold known pixels.
enum Fixture {
    /// A native actor owning surfaces, and a kernel to hold them.
    static let kernel = Kernel()
    static let owner = kernel.createActor(name: "fixture")

    /// A surface where pixel (x, y) is `pattern(x, y)`.
    static func surface(width: Int, height: Int, pattern: (Int, Int) -> UInt32) throws -> BufferMapping {
        let handle = try kernel.createBuffer(owner, size: width * height * 4)
        var pixels = [UInt32](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width { pixels[y * width + x] = pattern(x, y) } }
        try pixels.withUnsafeBytes { bytes in
            try Result { () throws(SysError) in try kernel.write(owner, to: handle, offset: 0, from: bytes) }.get()
        }
        return try kernel.mapBuffer(owner, handle)
    }

    static func window(
        id: UInt32, x: Int, y: Int, width: Int, height: Int, decorated: Bool = true, format: UInt32 = WindowProtocol.formatXRGB8888,
        title: String = "w", pattern: @escaping (Int, Int) -> UInt32
    ) throws -> Window {
        let w = Window(
            id: id, owner: owner, x: x, y: y, width: width, height: height, format: format, title: title,
            decorated: decorated, surface: try surface(width: width, height: height, pattern: pattern), mapped: true)
        return w
    }
}

extension PixelBuffer {
    func pixel(_ x: Int, _ y: Int) -> UInt32 { row(y)[x] & 0x00ff_ffff }
}

/// An owned pixel buffer for reference renders.
final class OwnedPixels {
    let buffer: PixelBuffer
    init(width: Int, height: Int) {
        let base = UnsafeMutableRawPointer.allocate(byteCount: width * height * 4, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: width * height * 4)
        buffer = PixelBuffer(base: base, width: width, height: height, stride: width * 4)
    }
    deinit { buffer.base.deallocate() }

    func equals(_ other: PixelBuffer) -> Bool { firstDifference(other) == nil }

    func firstDifference(_ other: PixelBuffer) -> (x: Int, y: Int)? {
        for y in 0..<buffer.height where memcmp(buffer.row(y), other.row(y), buffer.width * 4) != 0 {
            for x in 0..<buffer.width where buffer.pixel(x, y) != other.pixel(x, y) { return (x, y) }
        }
        return nil
    }
}

@Suite struct CompositorTests {
    @Test func windowsShowTheirContentInStackingOrder() throws {
        let backend = HeadlessBackend(width: 200, height: 150)
        let compositor = Compositor(backend: backend)
        compositor.moveCursor(toX: 199, y: 149)
        let a = try Fixture.window(id: 1, x: 20, y: 40, width: 80, height: 60) { _, _ in 0x00aa_0000 }
        let b = try Fixture.window(id: 2, x: 60, y: 70, width: 80, height: 60) { x, y in UInt32(x << 8 | y) }
        compositor.add(a)
        compositor.add(b)
        try compositor.renderFrame()
        let screen = backend.frontBuffer()
        #expect(screen.pixel(25, 45) == 0x00aa_0000)  // a alone
        #expect(screen.pixel(70, 80) == UInt32(10 << 8 | 10))  // b over a
        #expect(screen.pixel(139, 129) == UInt32(79 << 8 | 59))  // b's last pixel
        #expect(screen.pixel(5, 5) == Renderer().background.color(atRow: 5, of: 150))
        // Decorations: border above a's title bar, title bar colour below it.
        #expect(screen.pixel(30, 40 - Decorations.titleHeight - 1) == Decorations.borderColor)
        #expect(screen.pixel(21, 40 - 2) == (a.focused ? Decorations.titleFocused : Decorations.titleUnfocused))

        compositor.raise(1)
        try compositor.renderFrame()
        #expect(backend.frontBuffer().pixel(70, 80) == 0x00aa_0000)  // a now over b
        #expect(backend.frontBuffer().pixel(139, 129) == UInt32(79 << 8 | 59))
    }

    @Test func windowsPartlyOffScreenAreClipped() throws {
        let backend = HeadlessBackend(width: 64, height: 48)
        let compositor = Compositor(backend: backend)
        let w = try Fixture.window(id: 1, x: -30, y: 30, width: 50, height: 40, decorated: false) { x, y in UInt32(x + 1000 * y) }
        compositor.add(w)
        try compositor.renderFrame()
        let screen = backend.frontBuffer()
        #expect(screen.pixel(0, 30) == 30)
        #expect(screen.pixel(19, 47) == UInt32(49 + 1000 * 17))
        #expect(screen.pixel(20, 47) == Renderer().background.color(atRow: 47, of: 48))
    }

    @Test func cursorDrawsOverWindowsAndClipsAtEdges() throws {
        let backend = HeadlessBackend(width: 100, height: 80)
        let compositor = Compositor(backend: backend)
        let w = try Fixture.window(id: 1, x: 0, y: 30, width: 100, height: 50, decorated: false) { _, _ in 0x0012_3456 }
        compositor.add(w)
        compositor.moveCursor(toX: 10, y: 40)
        try compositor.renderFrame()
        let screen = backend.frontBuffer()
        #expect(screen.pixel(10, 40) == 0)  // outline tip
        #expect(screen.pixel(11, 42) == 0x00ff_ffff)  // fill
        #expect(screen.pixel(20, 40) == 0x0012_3456)  // transparent part shows the window
        compositor.moveCursor(toX: 500, y: 500)  // clamped to the last pixel
        #expect(compositor.cursor.x == 99 && compositor.cursor.y == 79)
        try compositor.renderFrame()
        #expect(backend.frontBuffer().pixel(99, 79) == 0)
        #expect(backend.frontBuffer().pixel(10, 40) == 0x0012_3456)  // old cursor gone
    }

    @Test func nothingChangedMeansNothingDrawn() throws {
        let backend = HeadlessBackend(width: 64, height: 48)
        let compositor = Compositor(backend: backend)
        #expect(try compositor.renderFrame())
        let frames = backend.presentedFrames
        #expect(try !compositor.renderFrame())
        #expect(backend.presentedFrames == frames)
        compositor.moveCursor(toX: compositor.cursor.x, y: compositor.cursor.y)
        #expect(!compositor.needsFrame)
    }

    @Test func cursorOnlyFrameRedrawsOnlyTheCursor() throws {
        let backend = HeadlessBackend(width: 320, height: 200)
        let compositor = Compositor(backend: backend)
        try compositor.renderFrame()
        compositor.damage(Rect(x: 0, y: 0, width: 1, height: 1))
        try compositor.renderFrame()  // both buffers drawn: steady state
        let before = compositor.pixelsDrawn
        compositor.moveCursor(toX: 100, y: 100)
        try compositor.renderFrame()
        // Old and new cursor rects, plus what the other buffer missed (its old spot).
        #expect(compositor.pixelsDrawn - before <= 3 * Cursor.width * Cursor.height)
    }

    /// Damage-only frames equal a full recomposite, pixel for pixel, over a
    /// seeded random sequence of window operations.
    @Test(arguments: [7 as UInt64, 42, 1234])
    func damagedFramesEqualFullRecomposite(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let width = 240, height = 180
        let backend = HeadlessBackend(width: width, height: height)
        let compositor = Compositor(backend: backend)
        let reference = OwnedPixels(width: width, height: height)
        var nextID: UInt32 = 1
        var log: [String] = []
        for step in 0..<300 {
            let ids = compositor.scene.windows.map(\.id)
            let op = Int.random(in: 0..<10, using: &rng)
            log.append("\(step):\(op)")
            switch op {
            case 0 where ids.count < 6, 1 where ids.isEmpty:
                let id = nextID
                nextID += 1
                let color = UInt32.random(in: 0...0xffffff, using: &rng)
                let translucent = Int.random(in: 0..<4, using: &rng) == 0
                let w = try Fixture.window(
                    id: id, x: Int.random(in: -40...200, using: &rng), y: Int.random(in: -20...160, using: &rng),
                    width: Int.random(in: 10...120, using: &rng), height: Int.random(in: 10...90, using: &rng),
                    decorated: Bool.random(using: &rng),
                    format: translucent ? WindowProtocol.formatARGB8888 : WindowProtocol.formatXRGB8888,
                    title: "win \(id)"
                ) { x, y in translucent ? 0x8000_0000 | (color &+ UInt32(x ^ y)) & 0x007f_7f7f : color &+ UInt32(x * 3 + y) }
                compositor.add(w)
            case 2 where !ids.isEmpty:
                compositor.remove(ids.randomElement(using: &rng)!)
            case 3 where !ids.isEmpty:
                compositor.raise(ids.randomElement(using: &rng)!)
            case 4 where !ids.isEmpty:
                compositor.move(ids.randomElement(using: &rng)!, toX: Int.random(in: -60...230, using: &rng), y: Int.random(in: -30...170, using: &rng))
            case 5 where !ids.isEmpty:
                let id = ids.randomElement(using: &rng)!
                compositor.setFocus(id)
                compositor.setTitle(id, "t\(step)")
            case 6 where !ids.isEmpty:
                compositor.contentChanged(ids.randomElement(using: &rng)!, rect: Rect(x: 3, y: 2, width: 9, height: 5))
            case 7:
                compositor.setCursorVisible(Int.random(in: 0..<5, using: &rng) != 0)
            default:
                compositor.moveCursor(toX: Int.random(in: -10...250, using: &rng), y: Int.random(in: -10...190, using: &rng))
            }
            if Int.random(in: 0..<3, using: &rng) == 0 { continue }  // let damage accumulate sometimes
            try compositor.renderFrame()
            compositor.renderFull(into: reference.buffer)
            if let (x, y) = reference.firstDifference(backend.frontBuffer()) {
                let windows = compositor.scene.windows.map { "\($0.id):\($0.frame)\($0.isOpaque ? "" : " argb")\($0.decorated ? " deco" : "")" }
                Issue.record("seed \(seed) step \(step): damaged frame differs from a full recomposite at (\(x), \(y)); ops \(log.suffix(6)); windows \(windows); cursor \(compositor.cursor)")
                return
            }
        }
    }

    @Test func regionsStayDisjointAndCoverWhatWasAdded() {
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<200 {
            var region = Region()
            var added: [Rect] = []
            for _ in 0..<Int.random(in: 1...10, using: &rng) {
                let r = Rect(x: Int.random(in: 0...50, using: &rng), y: Int.random(in: 0...50, using: &rng),
                             width: Int.random(in: 0...30, using: &rng), height: Int.random(in: 0...30, using: &rng))
                region.add(r)
                added.append(r)
            }
            for (i, a) in region.rects.enumerated() {
                for b in region.rects[(i + 1)...] { #expect(!a.intersects(b)) }
            }
            for x in stride(from: 0, to: 80, by: 3) {
                for y in stride(from: 0, to: 80, by: 3) {
                    let covered = added.contains { $0.contains(x: x, y: y) }
                    if covered { #expect(region.contains(x: x, y: y)) }
                    // Exact unless it collapsed to its bounds (one rect) after growing past the limit.
                    if region.rects.count > 1 { #expect(region.contains(x: x, y: y) == covered) }
                }
            }
        }
    }
}

