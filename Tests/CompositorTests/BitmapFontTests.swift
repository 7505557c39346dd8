import Foundation
import TestSupport
import Testing

@testable import Compositor

/// `assets/font/wsk-8x16.txt` is the one definition of the font; the Swift and
/// Rust tables are generated from it by scripts/gen-font. These tests fail when
/// either table drifts from it, and pin down where `BitmapFont.draw` writes.
@Suite struct BitmapFontTests {
    static let glyphCount = 0x7F - 0x20 + 1  // printable ASCII and the box

    /// The codes of the glyphs whose 16 bytes differ between two tables.
    static func differingGlyphs(_ a: [UInt8], _ b: [UInt8]) -> [String] {
        (0..<max(a.count, b.count, glyphCount * 16) / 16).filter { g in
            let rows = g * 16..<g * 16 + 16
            return a.count < rows.upperBound || b.count < rows.upperBound || a[rows] != b[rows]
        }.map { "0x" + String(0x20 + $0, radix: 16, uppercase: true) }
    }

    // MARK: the tables agree with the source

    @Test func swiftTableMatchesTheSourceFile() throws {
        var codes: [Int] = []
        var bytes: [UInt8] = []
        let lines = try Repository.text("assets/font/wsk-8x16.txt").split(separator: "\n", omittingEmptySubsequences: false)
        var i = 0
        while i < lines.count {
            let words = lines[i].split(separator: " ")
            i += 1
            guard words.first == "char" else { continue }
            let code = try #require(Int(words[1].dropFirst(2), radix: 16), "line \(i)")
            codes.append(code)
            for row in lines[i..<i + 16] {
                #expect(row.count == 8 && row.allSatisfy { $0 == "#" || $0 == "." }, "glyph \(code): \(row)")
                bytes.append(row.enumerated().reduce(0) { $0 | ($1.element == "#" ? 0x80 >> UInt8($1.offset) : 0) })
            }
            i += 16
        }
        #expect(codes == Array(0x20...0x7F))
        #expect(FontData.width == 8 && FontData.height == 16 && FontData.firstCharacter == 0x20)
        #expect(FontData.glyphs.count == Self.glyphCount * 16)
        let stale = Self.differingGlyphs(FontData.glyphs, bytes)
        #expect(stale.isEmpty, "FontData.swift differs from the font in glyphs \(stale): run scripts/gen-font")
    }

    @Test func rustTableMatchesTheSwiftTable() throws {
        let rust = try Repository.text("actors/sdk/src/font_data.rs")
        // Drop comments: they name characters by their codes too.
        let code = rust.split(separator: "\n").map { $0.components(separatedBy: "//")[0] }.joined(separator: "\n")
        func constant(_ name: String) -> String? {
            let pattern = "pub const \(name): [^=]+= ([^;]+);"
            guard let range = code.range(of: pattern, options: .regularExpression) else { return nil }
            return code[range].components(separatedBy: "= ").last?.dropLast().trimmingCharacters(in: .whitespaces)
        }
        #expect(constant("WIDTH") == "8")
        #expect(constant("HEIGHT") == "16")
        #expect(constant("FIRST") == "0x20")
        #expect(code.contains("pub const GLYPHS: [u8; \(Self.glyphCount * 16)] = ["))
        let list = try #require(constant("GLYPHS"))
        let words = list.split(whereSeparator: { "[], \n".contains($0) })
        let bytes = words.compactMap { $0.hasPrefix("0x") ? UInt8($0.dropFirst(2), radix: 16) : nil }
        #expect(bytes.count == words.count, "GLYPHS holds something other than 0xNN bytes")
        let stale = Self.differingGlyphs(FontData.glyphs, bytes)
        #expect(stale.isEmpty, "font_data.rs differs from FontData.swift in glyphs \(stale): run scripts/gen-font")
    }

    @Test func glyphLookup() {
        let h = BitmapFont.glyph(for: "H")
        #expect(h.count == 16)
        #expect(h[h.startIndex + 3] == 0b1100_0110)
        #expect(h[h.startIndex + 7] == 0b1111_1110)
        let box = Array(FontData.glyphs.suffix(16))
        for outside: Unicode.Scalar in ["\u{0}", "\n", "\u{1F}", "\u{7F}", "\u{E9}", "\u{1F600}"] {
            #expect(Array(BitmapFont.glyph(for: outside)) == box)
        }
        #expect(Array(BitmapFont.glyph(for: "~")) != box)
        #expect(BitmapFont.textWidth("") == 0)
        #expect(BitmapFont.textWidth("Hi") == 16)
        #expect(BitmapFont.textWidth("e\u{301}") == 16)  // one character, two scalars
    }

    // MARK: drawing

    /// A buffer with a guard band: rows above and below and pixels past each
    /// row's end, all of which must keep their sentinel value.
    final class Canvas {
        static let background: UInt32 = 0x0011_2233
        static let sentinel: UInt32 = 0xDEAD_BEEF
        static let padding = 3  // pixels past each row's end

        let width: Int
        let height: Int
        let stride: Int
        let memory: UnsafeMutableRawPointer

        init(width: Int, height: Int) {
            self.width = width
            self.height = height
            stride = (width + Self.padding) * 4
            memory = .allocate(byteCount: (height + 2) * stride, alignment: 16)
            let all = memory.bindMemory(to: UInt32.self, capacity: (height + 2) * stride / 4)
            for i in 0..<(height + 2) * stride / 4 { all[i] = Self.sentinel }
            for y in 0..<height {
                for x in 0..<width { pixels.row(y)[x] = Self.background }
            }
        }

        deinit { memory.deallocate() }

        var pixels: PixelBuffer { PixelBuffer(base: memory + stride, width: width, height: height, stride: stride) }

        /// The pixel at (`x`, `y`), which may lie in the guard band.
        func pixel(x: Int, y: Int) -> UInt32 {
            memory.load(fromByteOffset: (y + 1) * stride + x * 4, as: UInt32.self)
        }

        /// Every pixel of the guard band and the buffer: (x, y, value).
        func everyPixel() -> [(x: Int, y: Int, value: UInt32)] {
            (-1...height).flatMap { y in (0..<width + Self.padding).map { x in (x, y, pixel(x: x, y: y)) } }
        }
    }

    /// Whether `text` drawn with its first cell's corner at (`x`, `y`) has ink
    /// at (`px`, `py`), read straight from `FontData`.
    static func ink(_ text: String, x: Int, y: Int, px: Int, py: Int) -> Bool {
        let scalars = Array(text.unicodeScalars)
        let (dx, dxOverflow) = px.subtractingReportingOverflow(x)
        let (dy, dyOverflow) = py.subtractingReportingOverflow(y)
        guard !dxOverflow, !dyOverflow, dx >= 0, dy >= 0, dy < 16, dx / 8 < scalars.count else { return false }
        let value = Int(scalars[dx / 8].value)
        let index = (0x20..<0x7F).contains(value) ? value - 0x20 : 0x7F - 0x20
        return FontData.glyphs[index * 16 + dy] & (0x80 >> UInt8(dx % 8)) != 0
    }

    @Test func drawsExactlyTheInk() {
        let canvas = Canvas(width: 24, height: 22)
        let color: UInt32 = 0x00FF_FFFF
        BitmapFont.draw("Hi", into: canvas.pixels, x: 3, y: 4, color: color, clip: canvas.pixels.bounds)
        var inked = 0
        for (x, y, value) in canvas.everyPixel() {
            let inside = x < canvas.width && y >= 0 && y < canvas.height
            let expected = !inside ? Canvas.sentinel
                : Self.ink("Hi", x: 3, y: 4, px: x, py: y) ? color : Canvas.background
            #expect(value == expected, "pixel (\(x), \(y))")
            if value == color { inked += 1 }
        }
        // 'H': two 10-row stems of 2 px and 3 more in the bar; 'i': a 2x2 dot,
        // a 3 px top, five rows of a 2 px stem and a 4 px foot.
        #expect(inked == (40 + 3) + (4 + 3 + 10 + 4))
    }

    @Test(arguments: [
        (x: -5, y: -7, clip: nil),  // off the top left
        (x: 14, y: 10, clip: nil),  // off the bottom right
        (x: -12, y: 3, clip: Rect(x: 2, y: 5, width: 9, height: 6)),
        (x: 1, y: 1, clip: Rect(x: 4, y: 3, width: 10, height: 40)),  // clip past the buffer
        (x: 1, y: 1, clip: Rect(x: -8, y: -8, width: 12, height: 12)),
        (x: 0, y: 0, clip: Rect(x: 5, y: 5, width: 0, height: 9)),  // empty clip
        (x: Int.min, y: 0, clip: nil),
        (x: Int.max, y: 0, clip: nil),
        (x: 0, y: Int.min, clip: nil),
        (x: 0, y: Int.max, clip: nil),
        (x: Int.min + 3, y: Int.max - 3, clip: Rect(x: -4, y: -4, width: 100, height: 100)),
    ] as [(x: Int, y: Int, clip: Rect?)])
    func writesNothingOutsideTheClip(x: Int, y: Int, clip: Rect?) {
        let canvas = Canvas(width: 20, height: 18)
        let clip = clip ?? canvas.pixels.bounds
        let visible = clip.intersection(canvas.pixels.bounds)
        let text = "W@M#\u{1F600}W"
        BitmapFont.draw(text, into: canvas.pixels, x: x, y: y, color: 7, clip: clip)
        for (px, py, value) in canvas.everyPixel() {
            let inside = px < canvas.width && py >= 0 && py < canvas.height
            let expected: UInt32 = !inside ? Canvas.sentinel
                : visible.contains(x: px, y: py) && Self.ink(text, x: x, y: y, px: px, py: py) ? 7 : Canvas.background
            #expect(value == expected, "pixel (\(px), \(py)) drawing at (\(x), \(y)) clipped to \(clip)")
        }
    }
}
