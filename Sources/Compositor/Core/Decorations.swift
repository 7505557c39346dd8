/// Server-side decorations: sizes and colours, and how to draw them.
public enum Decorations {
    public static let border = 1
    public static let titleHeight = 22
    public static let closeSize = 14

    static let borderColor: UInt32 = 0x0020_2428
    static let titleFocused: UInt32 = 0x0033_5c99
    static let titleUnfocused: UInt32 = 0x0050_5860
    static let titleText: UInt32 = 0x00f0_f0f0
    static let closeFill: UInt32 = 0x00c8_4040
    static let closeMark: UInt32 = 0x00ff_ffff

    /// Draws the title bar and border of `window` into `pixels`, only inside `clip`.
    static func draw(_ window: Window, into pixels: PixelBuffer, clip: Rect) {
        let frame = window.frame
        let area = clip.intersection(frame)
        guard !area.isEmpty else { return }
        // Border: the frame minus the title bar and content.
        let bar = window.titleBar
        for below in frame.subtracting(bar) {
            for rect in below.subtracting(window.contentRect) { fill(rect.intersection(area), borderColor, pixels) }
        }
        // The title bar's own top/left/right border pixels.
        let barInner = Rect(x: bar.x + border, y: bar.y + border, width: bar.width - 2 * border, height: bar.height - border)
        for rect in bar.subtracting(barInner) { fill(rect.intersection(area), borderColor, pixels) }
        fill(barInner.intersection(area), window.focused ? titleFocused : titleUnfocused, pixels)
        let textY = bar.y + border + (titleHeight - FontData.height) / 2
        let textClip = Rect(x: barInner.x + 6, y: barInner.y, width: max(0, window.closeButton.x - 6 - barInner.x - 6), height: barInner.height)
        BitmapFont.draw(window.title, into: pixels, x: barInner.x + 6, y: textY, color: titleText, clip: textClip.intersection(area))
        // Close button: a filled square with an X.
        let close = window.closeButton
        fill(close.intersection(area), closeFill, pixels)
        for i in 3..<(close.width - 3) {
            for (px, py) in [(close.x + i, close.y + i), (close.x + close.width - 1 - i, close.y + i)] {
                for dx in 0..<2 where area.contains(x: px + dx, y: py) && close.contains(x: px + dx, y: py) {
                    pixels.row(py)[px + dx] = closeMark
                }
            }
        }
    }

    static func fill(_ rect: Rect, _ color: UInt32, _ pixels: PixelBuffer) {
        let r = rect.intersection(pixels.bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            (pixels.row(y) + r.x).update(repeating: color, count: r.width)
        }
    }
}
