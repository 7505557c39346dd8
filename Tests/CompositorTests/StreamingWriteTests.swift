import TestSupport
import Testing

@testable import Compositor
@testable import Kernel

/// Repaints of at least `FrameWriter.streamingThreshold` bytes write their
/// rows with streaming stores; everything smaller with ordinary ones. The
/// other compositor tests use small screens, so they only reach the latter:
/// these pin the streaming path to the same pixels.
@Suite struct StreamingWriteTests {
    @Test func streamedCopiesEqualOrdinaryOnesAtEveryAlignment() {
        let writer = FrameWriter(bytes: FrameWriter.streamingThreshold)
        #expect(writer.streams)
        let source = (0..<800).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        // Offsets 0..<64 put the destination at every phase of a 64-byte line.
        for offset in 0..<64 {
            for sourceOffset in [0, 1, 4, 13] {
                for count in [0, 1, 3, 63, 64, 65, 127, 128, 129, 200, 513] {
                    var streamed = [UInt8](repeating: 0xee, count: 700)
                    var expected = streamed
                    expected[offset..<offset + count] = source[sourceOffset..<sourceOffset + count]
                    streamed.withUnsafeMutableBytes { to in
                        source.withUnsafeBytes { from in
                            writer.copy(to: to.baseAddress! + offset, from: from.baseAddress! + sourceOffset, byteCount: count)
                        }
                    }
                    writer.finish()
                    if let byte = firstDifference(streamed, expected) {
                        Issue.record("offset \(offset), source offset \(sourceOffset), \(count) bytes: byte \(byte) differs")
                        return
                    }
                }
            }
        }
    }

    @Test func streamedFillsEqualOrdinaryOnesAtEveryAlignment() {
        let writer = FrameWriter(bytes: FrameWriter.streamingThreshold)
        // Offsets 0..<16 put the destination at every pixel phase of a line.
        for offset in 0..<16 {
            for count in [0, 1, 15, 16, 17, 31, 32, 33, 100] {
                var streamed = [UInt32](repeating: 0xeeee_eeee, count: 150)
                var expected = streamed
                for i in offset..<offset + count { expected[i] = 0x0012_3456 }
                streamed.withUnsafeMutableBufferPointer { pixels in
                    writer.fill(pixels.baseAddress! + offset, with: 0x0012_3456, count: count)
                }
                writer.finish()
                if let pixel = firstDifference(streamed, expected) {
                    Issue.record("offset \(offset), \(count) pixels: pixel \(pixel) differs")
                    return
                }
            }
        }
    }

    /// 1000x600: a full repaint (2.4 MB) streams; one in 20-row bands (80 KB
    /// each) does not. Windows at odd positions and widths, so rows start and
    /// end inside cache lines; one translucent, blended over streamed pixels.
    @Test func aLargeRepaintEqualsTheSameRepaintInSmallPieces() throws {
        let (width, height) = (1000, 600)
        let compositor = Compositor(backend: HeadlessBackend(width: width, height: height))
        compositor.add(try Fixture.window(id: 1, x: 333, y: 150, width: 421, height: 300) { x, y in UInt32(x * 5 + y * 977) })
        compositor.add(try Fixture.window(id: 2, x: 77, y: 260, width: 610, height: 250, format: WindowProtocol.formatARGB8888) { x, y in
            0x8000_0000 | UInt32(x ^ y) & 0x007f_7f7f
        })
        compositor.add(try Fixture.window(id: 3, x: 13, y: 7, width: 501, height: 333, decorated: false) { x, y in UInt32(x << 12 | y) })
        compositor.moveCursor(toX: 900, y: 550)
        #expect(width * height * 4 >= FrameWriter.streamingThreshold)
        #expect(width * 20 * 4 < FrameWriter.streamingThreshold)

        let whole = OwnedPixels(width: width, height: height)
        compositor.renderFull(into: whole.buffer)
        let inBands = OwnedPixels(width: width, height: height)
        render(compositor, inBandsOf: 20, into: inBands.buffer)
        if let (x, y) = inBands.firstDifference(whole.buffer) {
            Issue.record("the streamed repaint differs from the banded one at (\(x), \(y))")
        }
        // The topmost window, pixel for pixel, and the background beside it.
        for y in 0..<333 {
            for x in 0..<501 where whole.buffer.pixel(13 + x, 7 + y) != UInt32(x << 12 | y) {
                Issue.record("window 3's pixel (\(x), \(y)) is \(whole.buffer.pixel(13 + x, 7 + y))")
                return
            }
            #expect(whole.buffer.pixel(12, 7 + y) == Renderer().background.color(atRow: 7 + y, of: height))
        }
    }

    /// Damaged frames equal a full recomposite on a screen large enough that
    /// some frames stream (full repaints, big windows moved) and others do
    /// not, so each buffer holds pixels written both ways.
    @Test func damagedFramesEqualFullRecompositeWhenSomeStream() throws {
        var rng = SeededGenerator(seed: 2024)
        let (width, height) = (1000, 600)
        let backend = HeadlessBackend(width: width, height: height)
        let compositor = Compositor(backend: backend)
        let reference = OwnedPixels(width: width, height: height)
        for id in UInt32(1)...4 {
            let color = UInt32.random(in: 0...0xffffff, using: &rng)
            compositor.add(try Fixture.window(
                id: id, x: Int.random(in: -50...700, using: &rng), y: Int.random(in: 0...400, using: &rng),
                width: Int.random(in: 451...951, using: &rng), height: Int.random(in: 301...551, using: &rng),
                decorated: id % 2 == 0, title: "win \(id)"
            ) { x, y in color &+ UInt32(x * 3 + y) })
        }
        var streamedFrames = 0
        let frames = 120
        for step in 0..<frames {
            let id = UInt32.random(in: 1...4, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: compositor.move(id, toX: Int.random(in: -100...900, using: &rng), y: Int.random(in: 0...550, using: &rng))
            case 1: compositor.raise(id)
            case 2: compositor.contentChanged(id)
            case 3: compositor.contentChanged(id, rect: Rect(x: 5, y: 3, width: Int.random(in: 1...300, using: &rng), height: 40))
            default: compositor.moveCursor(toX: Int.random(in: 0..<width, using: &rng), y: Int.random(in: 0..<height, using: &rng))
            }
            let before = compositor.pixelsDrawn
            try compositor.renderFrame()
            if (compositor.pixelsDrawn - before) * 4 >= FrameWriter.streamingThreshold { streamedFrames += 1 }
            render(compositor, inBandsOf: 20, into: reference.buffer)
            if let (x, y) = reference.firstDifference(backend.frontBuffer()) {
                Issue.record("step \(step): damaged frame differs from a full recomposite at (\(x), \(y))")
                return
            }
        }
        #expect(streamedFrames >= frames / 8 && streamedFrames <= frames - frames / 8, "\(streamedFrames) of \(frames) frames streamed")
    }

    private func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> Int? {
        a.indices.first { a[$0] != b[$0] }
    }

    /// The whole screen as bands of `rows` rows, each its own (small) repaint.
    private func render(_ compositor: Compositor, inBandsOf rows: Int, into pixels: PixelBuffer) {
        for y in stride(from: 0, to: pixels.height, by: rows) {
            let band = Rect(x: 0, y: y, width: pixels.width, height: min(rows, pixels.height - y))
            compositor.renderer.render(compositor.scene, cursor: compositor.cursor, overlay: compositor.overlay, into: pixels, region: Region(band))
        }
    }
}
