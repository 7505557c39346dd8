import Foundation
import TestSupport
import Testing

@testable import Compositor
@testable import Kernel

/// A picture as plain pixels, to turn and compare.
struct Picture: Equatable, CustomStringConvertible {
    let width: Int
    let height: Int
    var pixels: [UInt32]

    init(width: Int, height: Int, pixels: [UInt32]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A copy of `buffer`'s own pixels (its top left first, whatever its desktop place).
    init(_ buffer: PixelBuffer) {
        self.init(width: buffer.width, height: buffer.height, pixels: [])
        pixels.reserveCapacity(width * height)
        for y in 0..<height {
            let row = (buffer.base + y * buffer.stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width { pixels.append(row[x] & 0x00ff_ffff) }
        }
    }

    subscript(x: Int, y: Int) -> UInt32 { pixels[y * width + x] }

    /// Turned a quarter turn clockwise: the left column becomes the top row,
    /// read bottom to top.
    func turnedClockwise() -> Picture {
        var out = [UInt32](repeating: 0, count: pixels.count)
        for y in 0..<width {
            for x in 0..<height { out[y * height + x] = self[y, height - 1 - x] }
        }
        return Picture(width: height, height: width, pixels: out)
    }

    /// Turned `quarters` quarter turns clockwise.
    func turned(_ quarters: Int) -> Picture {
        (0..<quarters).reduce(self) { picture, _ in picture.turnedClockwise() }
    }

    /// The first pixel where the two differ.
    func firstDifference(_ other: Picture) -> (x: Int, y: Int)? {
        guard width == other.width, height == other.height else { return (-1, -1) }
        for y in 0..<height {
            for x in 0..<width where self[x, y] != other[x, y] { return (x, y) }
        }
        return nil
    }

    var description: String { "\(width)x\(height) picture" }
}

@Suite struct MultiHeadTests {
    /// What a head should show: the scene drawn upright over its rectangle
    /// alone (its own background gradient), turned as the head is.
    static func expectedPanel(_ compositor: Compositor, _ head: Head) -> Picture {
        let rect = head.rect
        let upright = OwnedPixels(width: rect.width, height: rect.height)
        compositor.renderFull(into: upright.buffer.placed(atX: rect.x, y: rect.y))
        return Picture(upright.buffer).turned(head.placement.rotation.rawValue / 90)
    }

    static func placements(_ specs: [(String, Int, Int, Int, Int, Rotation)]) -> [(placement: OutputPlacement, backend: any DisplayBackend)] {
        specs.map { name, x, y, pw, ph, rotation in
            (OutputPlacement(name: name, x: x, y: y, panelWidth: pw, panelHeight: ph, rotation: rotation),
             HeadlessBackend(width: pw, height: ph, name: name) as any DisplayBackend)
        }
    }

    /// Windows across two heads: each head's front buffer is its part of
    /// the desktop, with its own gradient behind.
    @Test func twoHeadsSideBySideEachShowTheirPart() throws {
        let compositor = Compositor(heads: Self.placements([
            ("LEFT", 0, 0, 200, 150, .degrees0), ("RIGHT", 200, 0, 160, 120, .degrees0),
        ]))
        #expect(compositor.screen == Rect(x: 0, y: 0, width: 200, height: 150))
        #expect(compositor.desktop == Rect(x: 0, y: 0, width: 360, height: 150))
        // One window straddling the edge between the heads.
        compositor.add(try Fixture.window(id: 1, x: 150, y: 40, width: 100, height: 50, decorated: false) { x, _ in x < 50 ? 0x00aa_0000 : 0x0000_00bb })
        try compositor.renderFrame()
        let left = compositor.head(named: "LEFT")!
        let right = compositor.head(named: "RIGHT")!
        let leftPanel = Picture(left.backend.frontBuffer())
        let rightPanel = Picture(right.backend.frontBuffer())
        #expect(leftPanel[160, 50] == 0x00aa_0000)  // the window's left half, on the left head
        #expect(rightPanel[10, 50] == 0x0000_00bb)  // desktop x 210: its right half, on the right head
        #expect(rightPanel[0, 50] == 0x0000_00bb)
        #expect(leftPanel[199, 50] == 0x00aa_0000)  // window column 49, the last red one, at the left head's edge
        // Each background is its own gradient: both heads start with the top colour.
        let background = Background()
        #expect(leftPanel[10, 0] == background.top && rightPanel[150, 0] == background.top)
        #expect(leftPanel[10, 149] == background.color(atRow: 149, of: 150))
        #expect(rightPanel[150, 119] == background.color(atRow: 119, of: 120))
        for head in compositor.heads {
            let difference = Self.expectedPanel(compositor, head).firstDifference(Picture(head.backend.frontBuffer()))
            #expect(difference == nil, "\(head.name) differs at \(String(describing: difference))")
        }
    }

    /// Each rotation: the panel holds the upright rendering turned, in the
    /// first frame and after damage in later ones.
    @Test(arguments: [Rotation.degrees90, .degrees180, .degrees270])
    func rotatedHeadShowsTheUprightPictureTurned(rotation: Rotation) throws {
        let compositor = Compositor(heads: Self.placements([("TURNED", 0, 0, 120, 90, rotation)]))
        let logical = rotation.logicalSize(panelWidth: 120, panelHeight: 90)
        #expect(compositor.desktop == Rect(x: 0, y: 0, width: logical.width, height: logical.height))
        // Asymmetric content, so a wrong turn or mirror shows.
        compositor.add(try Fixture.window(id: 1, x: 5, y: 30, width: 40, height: 20, title: "tall") { x, y in UInt32(0x0010_0000 + x * 256 + y) })
        compositor.add(try Fixture.window(id: 2, x: 30, y: 60, width: 25, height: 15, decorated: false) { _, _ in 0x00ff_8800 })
        compositor.moveCursor(toX: 12, y: 70)
        let head = compositor.heads[0]
        try compositor.renderFrame()
        #expect(Self.expectedPanel(compositor, head).firstDifference(Picture(head.backend.frontBuffer())) == nil)
        // A part of one window: only it is drawn, into the other buffer, which missed the first frame too.
        compositor.move(2, toX: 8, y: 40)
        compositor.contentChanged(1, rect: Rect(x: 2, y: 2, width: 5, height: 5))
        try compositor.renderFrame()
        #expect(Self.expectedPanel(compositor, head).firstDifference(Picture(head.backend.frontBuffer())) == nil)
        compositor.moveCursor(toX: 50, y: 10)
        try compositor.renderFrame()
        #expect(Self.expectedPanel(compositor, head).firstDifference(Picture(head.backend.frontBuffer())) == nil)
    }

    /// Random scene changes on four heads, one of each rotation, in an
    /// L-shaped layout with a gap: after every frame, every head shows what
    /// a full redraw would, turned.
    @Test(arguments: [3 as UInt64, 77])
    func damagedFramesOnFourHeadsEqualFullRedraws(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let compositor = Compositor(heads: Self.placements([
            ("A", 0, 0, 120, 100, .degrees0), ("B", 120, 0, 100, 80, .degrees90),
            ("C", 0, 100, 90, 70, .degrees180), ("D", 200, 100, 60, 50, .degrees270),
        ]))
        var nextID: UInt32 = 1
        for step in 0..<150 {
            let ids = compositor.scene.windows.map(\.id)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where ids.count < 5, 1 where ids.isEmpty:
                let color = UInt32.random(in: 0...0xffffff, using: &rng)
                compositor.add(try Fixture.window(
                    id: nextID, x: Int.random(in: -30...250, using: &rng), y: Int.random(in: -20...180, using: &rng),
                    width: Int.random(in: 10...90, using: &rng), height: Int.random(in: 10...70, using: &rng),
                    decorated: Bool.random(using: &rng)) { x, y in color &+ UInt32(x * 5 + y * 3) })
                nextID += 1
            case 2 where !ids.isEmpty:
                compositor.move(ids.randomElement(using: &rng)!, toX: Int.random(in: -30...250, using: &rng), y: Int.random(in: -20...180, using: &rng))
            case 3 where !ids.isEmpty:
                compositor.contentChanged(ids.randomElement(using: &rng)!, rect: Rect(x: 1, y: 2, width: 7, height: 4))
            case 4 where !ids.isEmpty:
                compositor.remove(ids.randomElement(using: &rng)!)
            default:
                compositor.moveCursor(toX: Int.random(in: -10...270, using: &rng), y: Int.random(in: -10...190, using: &rng))
            }
            if Int.random(in: 0..<3, using: &rng) == 0 { continue }
            try compositor.renderFrame()
            for head in compositor.heads {
                if let at = Self.expectedPanel(compositor, head).firstDifference(Picture(head.backend.frontBuffer())) {
                    Issue.record("seed \(seed) step \(step): head \(head.name) (\(head.placement.rotation)) differs at panel \(at)")
                    return
                }
            }
        }
    }

    /// Damage on one head draws and presents on that head only.
    @Test func damageOnOneHeadLeavesTheOtherAlone() throws {
        let compositor = Compositor(heads: Self.placements([
            ("LEFT", 0, 0, 200, 150, .degrees0), ("RIGHT", 200, 0, 160, 120, .degrees90),
        ]))
        try compositor.renderFrame()
        let left = compositor.head(named: "LEFT")!
        let right = compositor.head(named: "RIGHT")!
        #expect(left.framesDrawn == 1 && right.framesDrawn == 1)
        compositor.moveCursor(toX: 40, y: 40)
        try compositor.renderFrame()
        #expect(compositor.presentedHeads.map(\.name) == ["LEFT"])
        #expect(left.framesDrawn == 2 && right.framesDrawn == 1)
        #expect((right.backend as! HeadlessBackend).presentedFrames == 1)
        compositor.moveCursor(toX: 300, y: 40)  // from LEFT to RIGHT: both
        try compositor.renderFrame()
        #expect(Set(compositor.presentedHeads.map(\.name)) == ["LEFT", "RIGHT"])
        compositor.damage(Rect(x: 250, y: 10, width: 5, height: 5))
        try compositor.renderFrame()
        #expect(compositor.presentedHeads.map(\.name) == ["RIGHT"])
        #expect(left.framesDrawn == 3 && right.framesDrawn == 3)
    }

    /// The cursor stays on some output, also in the gap of an L.
    @Test func cursorIsClampedIntoAnLShapedLayout() {
        let compositor = Compositor(heads: Self.placements([
            ("TOP", 0, 0, 200, 100, .degrees0), ("BOTTOM", 0, 100, 100, 80, .degrees0),
        ]))
        compositor.moveCursor(toX: 120, y: 160)  // the gap right of BOTTOM, nearer BOTTOM than TOP
        #expect((compositor.cursor.x, compositor.cursor.y) == (99, 160))
        compositor.moveCursor(toX: 180, y: 120)  // the gap, nearer TOP
        #expect((compositor.cursor.x, compositor.cursor.y) == (180, 99))
        compositor.moveCursor(toX: 500, y: 50)
        #expect((compositor.cursor.x, compositor.cursor.y) == (199, 50))
        compositor.moveCursor(toX: 50, y: 170)
        #expect((compositor.cursor.x, compositor.cursor.y) == (50, 170))
    }

    /// No heads: nothing to draw, nothing needed, no crash.
    @Test func noHeadsDrawNothing() throws {
        let compositor = Compositor()
        compositor.add(try Fixture.window(id: 1, x: 10, y: 10, width: 20, height: 20) { _, _ in 0x00ff_0000 })
        compositor.moveCursor(toX: 5, y: 5)
        #expect(compositor.screen == .zero && compositor.desktop == .zero)
        #expect(!compositor.needsFrame)
        #expect(try compositor.renderFrame() == false)
        let backend = HeadlessBackend(width: 64, height: 48)
        compositor.setHeads([(OutputPlacement(name: "NEW", x: 0, y: 0, panelWidth: 64, panelHeight: 48), backend)])
        #expect(compositor.needsFrame)
        try compositor.renderFrame()
        #expect(Picture(backend.frontBuffer())[25, 25] == 0x00ff_0000)  // clear of the cursor at (5, 5)
    }
}
