/// Draws the scene into a pixel buffer, only where asked: the background,
/// each window's visible part (decorations and content) and the cursor.
///
/// Opaque windows hide what is below them, so each pixel of a damaged area
/// is written once for opaque content; translucent (ARGB) surfaces blend over
/// what was drawn beneath. Large repaints bypass the cache (`FrameWriter`).
public struct Renderer {
    public var background: Background

    public init(background: Background = Background()) {
        self.background = background
    }

    /// Redraws the part of `region` (desktop coordinates) that `pixels`
    /// covers. The overlay and the file dialog are centred on `screen` (the
    /// primary output), by default on the buffer itself.
    public func render(
        _ scene: Scene, cursor: Cursor, overlay: Overlay? = nil, dialog: FileDialog? = nil, screen: Rect? = nil,
        into pixels: PixelBuffer, region: Region
    ) {
        let region = region.clipped(to: pixels.bounds)
        let writer = FrameWriter(bytes: region.area * 4)
        let screen = screen ?? pixels.bounds
        for rect in region.rects {
            render(scene, cursor: cursor, overlay: overlay, dialog: dialog, screen: screen, into: pixels, rect: rect, writer: writer)
        }
        writer.finish()
    }

    func render(
        _ scene: Scene, cursor: Cursor, overlay: Overlay?, dialog: FileDialog?, screen: Rect, into pixels: PixelBuffer,
        rect: Rect, writer: FrameWriter
    ) {
        // Top to bottom: what each window shows, and what is left beneath.
        var remaining = [rect]
        var layers: [(Window, [Rect])] = []
        for window in scene.windows.reversed() where window.mapped {
            let frame = window.frame
            let visible = remaining.map { $0.intersection(frame) }.filter { !$0.isEmpty }
            guard !visible.isEmpty else { continue }
            layers.append((window, visible))
            // Opaque parts hide what is beneath: the whole frame of an opaque
            // window, only the decorations of a translucent one.
            let opaqueParts = window.isOpaque ? [frame] : frame.subtracting(window.contentRect)
            for part in opaqueParts {
                remaining = remaining.flatMap { $0.subtracting(part) }
            }
        }
        // Bottom to top.
        for part in remaining { background.draw(into: pixels, rect: part, writer: writer) }
        for (window, visible) in layers.reversed() {
            for part in visible { draw(window, into: pixels, rect: part, writer: writer) }
        }
        dialog?.draw(into: pixels, on: screen, clip: rect)
        overlay?.draw(into: pixels, on: screen, clip: rect)
        cursor.draw(into: pixels, clip: rect)
    }

    func draw(_ window: Window, into pixels: PixelBuffer, rect: Rect, writer: FrameWriter) {
        if window.decorated { Decorations.draw(window, into: pixels, clip: rect) }
        let content = rect.intersection(window.contentRect)
        guard !content.isEmpty else { return }
        let source = window.surface.bytes.baseAddress!
        let rowBytes = window.width * 4
        let dx = content.x - window.x
        if window.isOpaque {
            for y in content.y..<content.maxY {
                let from = source + (y - window.y) * rowBytes + dx * 4
                writer.copy(to: UnsafeMutableRawPointer(pixels.row(y) + content.x), from: from, byteCount: content.width * 4)
            }
        } else {
            for y in content.y..<content.maxY {
                let from = (source + (y - window.y) * rowBytes + dx * 4).assumingMemoryBound(to: UInt32.self)
                let to = pixels.row(y) + content.x
                for i in 0..<content.width { to[i] = Renderer.over(from[i], to[i]) }
            }
        }
    }

    /// Premultiplied ARGB `src` over opaque `dst`.
    @inline(__always)
    static func over(_ src: UInt32, _ dst: UInt32) -> UInt32 {
        let a = src >> 24
        if a == 0xff { return src & 0x00ff_ffff }
        let inv = 255 - a
        func channel(_ shift: UInt32) -> UInt32 {
            let s = (src >> shift) & 0xff
            let d = (dst >> shift) & 0xff
            return min(255, s + (d * inv + 127) / 255) << shift
        }
        return channel(16) | channel(8) | channel(0)
    }
}

/// The desktop behind the windows: a vertical gradient down each output
/// (down the buffer drawn into, which covers one output).
public struct Background: Sendable {
    public var top: UInt32
    public var bottom: UInt32

    public init(top: UInt32 = 0x0023_3a4f, bottom: UInt32 = 0x0010_1820) {
        self.top = top
        self.bottom = bottom
    }

    public func color(atRow y: Int, of height: Int) -> UInt32 {
        guard height > 1 else { return top }
        func mix(_ shift: UInt32) -> UInt32 {
            let a = Int((top >> shift) & 0xff)
            let b = Int((bottom >> shift) & 0xff)
            return UInt32(a + (b - a) * y / (height - 1)) << shift
        }
        return mix(16) | mix(8) | mix(0)
    }

    func draw(into pixels: PixelBuffer, rect: Rect, writer: FrameWriter) {
        let r = rect.intersection(pixels.bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            writer.fill(pixels.row(y) + r.x, with: color(atRow: y - pixels.originY, of: pixels.height), count: r.width)
        }
    }
}
