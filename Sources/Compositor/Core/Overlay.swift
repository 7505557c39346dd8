/// A message box the runtime draws over everything (but the cursor): kiosk
/// failure notices and the admin menu. Apps cannot draw it or see under it.
public struct Overlay: Equatable, Sendable {
    public var lines: [String]

    public init(lines: [String]) { self.lines = lines }

    static let padding = 16
    static let lineHeight = FontData.height + 4
    static let background: UInt32 = 0x0010_1010
    static let border: UInt32 = 0x00e0_a030
    static let text: UInt32 = 0x00f0_f0f0

    /// Where it sits on a screen: centred, as wide as its longest line.
    func frame(on screen: Rect) -> Rect {
        let width = min(screen.width, (lines.map { BitmapFont.textWidth($0) }.max() ?? 0) + 2 * Self.padding)
        let height = min(screen.height, lines.count * Self.lineHeight + 2 * Self.padding)
        return Rect(x: screen.x + (screen.width - width) / 2, y: screen.y + (screen.height - height) / 2, width: width, height: height)
    }

    /// Draws its part inside `clip` of the box centred on `screen`.
    func draw(into pixels: PixelBuffer, on screen: Rect, clip: Rect) {
        let frame = frame(on: screen)
        let area = frame.intersection(clip)
        guard !area.isEmpty else { return }
        Decorations.fill(area, Self.border, pixels)
        let inner = Rect(x: frame.x + 2, y: frame.y + 2, width: frame.width - 4, height: frame.height - 4)
        Decorations.fill(inner.intersection(area), Self.background, pixels)
        for (i, line) in lines.enumerated() {
            BitmapFont.draw(line, into: pixels, x: frame.x + Self.padding, y: frame.y + Self.padding + i * Self.lineHeight,
                            color: Self.text, clip: inner.intersection(area))
        }
    }
}
