/// The built-in 8x16 bitmap font (`assets/font/wsk-8x16.txt`, via `FontData`):
/// printable ASCII, one fixed-width cell per Unicode scalar, a box for the rest.
public enum BitmapFont {
    /// Cell width in pixels: every character advances this far.
    public static let width = FontData.width
    /// Cell height in pixels: rows per glyph.
    public static let height = FontData.height

    /// The 16 rows of `scalar`'s glyph, top first; bit 7 is the leftmost column.
    /// Anything outside 0x20...0x7E gets the box.
    public static func glyph(for scalar: Unicode.Scalar) -> ArraySlice<UInt8> {
        let first = UInt32(FontData.firstCharacter)
        let box = UInt32(FontData.glyphs.count / FontData.height) - 1  // the last glyph
        let index = (first..<first + box).contains(scalar.value) ? scalar.value - first : box
        let start = Int(index) * FontData.height
        return FontData.glyphs[start..<start + FontData.height]
    }

    /// Pixels `s` takes across: one cell per Unicode scalar.
    public static func textWidth(_ s: String) -> Int {
        s.unicodeScalars.count * width
    }

    /// Draws the ink pixels of `text` in `color` with its top left cell corner at
    /// (`x`, `y`); background pixels are left alone. Nothing outside `clip` and
    /// the buffer is written, wherever the text starts or however long it is.
    public static func draw(_ text: String, into pixels: PixelBuffer, x: Int, y: Int, color: UInt32, clip: Rect) {
        let area = clip.intersection(pixels.bounds)
        // After these checks `x + width` and `y + height` cannot overflow.
        guard !area.isEmpty, x < area.maxX, y < area.maxY, y > area.y - height else { return }
        let rows = max(area.y, y)..<min(area.maxY, y + height)
        var penX = x
        for scalar in text.unicodeScalars {
            if penX >= area.maxX { break }
            defer { penX += width }
            if penX + width <= area.x { continue }
            let columns = max(area.x, penX)..<min(area.maxX, penX + width)
            let glyph = glyph(for: scalar)
            for py in rows {
                let bits = glyph[glyph.startIndex + (py - y)]
                if bits == 0 { continue }
                let row = pixels.row(py)
                for px in columns where bits & (0x80 >> (px - penX)) != 0 {
                    row[px] = color
                }
            }
        }
    }
}
