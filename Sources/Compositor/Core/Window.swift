import Kernel

/// A window as the compositor sees it: a surface of pixels at a place on the
/// screen, with server-side decorations unless the app asked for none.
///
/// Its place, title, focus and mapping change only through `Compositor`
/// (`move`, `setTitle`, `setFocus`, `contentChanged`, `replaceSurface`), which records the
/// damage of every change.
public final class Window {
    public let id: UInt32
    /// The actor that owns it.
    public let owner: ActorID
    /// Top-left of the content (the surface), in screen coordinates.
    public private(set) var x: Int
    public private(set) var y: Int
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var format: UInt32
    public private(set) var title: String
    public let decorated: Bool
    public private(set) var focused = false
    /// The pixels, `width × height × 4` bytes at least (checked at creation).
    public private(set) var surface: BufferMapping
    /// Has the app committed content yet? Uncommitted windows are not shown.
    public private(set) var mapped: Bool

    /// `mapped`: shown at once, as if the app had committed (benchmarks, tests).
    public init(id: UInt32, owner: ActorID, x: Int, y: Int, width: Int, height: Int, format: UInt32,
                title: String, decorated: Bool, surface: BufferMapping, mapped: Bool = false) {
        precondition(surface.count >= width * height * 4)
        self.id = id
        self.owner = owner
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.format = format
        self.title = title
        self.decorated = decorated
        self.surface = surface
        self.mapped = mapped
    }

    // The changes `Compositor` makes, recording their damage.
    func place(x: Int, y: Int) { (self.x, self.y) = (x, y) }
    func retitle(_ title: String) { self.title = title }
    func setFocused(_ focused: Bool) { self.focused = focused }
    func map() { mapped = true }

    func replaceSurface(_ surface: BufferMapping, width: Int, height: Int) {
        precondition(surface.count >= width * height * 4)
        self.surface = surface
        self.width = width
        self.height = height
    }

    public var isOpaque: Bool { format == WindowProtocol.formatXRGB8888 }

    public var contentRect: Rect { Rect(x: x, y: y, width: width, height: height) }

    /// Content plus decorations.
    public var frame: Rect {
        guard decorated else { return contentRect }
        let b = Decorations.border
        return Rect(x: x - b, y: y - Decorations.titleHeight - b,
                    width: width + 2 * b, height: height + Decorations.titleHeight + 2 * b)
    }

    public var titleBar: Rect {
        guard decorated else { return .zero }
        let f = frame
        return Rect(x: f.x, y: f.y, width: f.width, height: Decorations.titleHeight + Decorations.border)
    }

    public var closeButton: Rect {
        guard decorated else { return .zero }
        let bar = titleBar
        let size = Decorations.closeSize
        return Rect(x: bar.maxX - size - 4, y: bar.y + (bar.height - size) / 2, width: size, height: size)
    }

    /// What part of the window a screen point hits.
    public func hit(x px: Int, y py: Int) -> WindowPart? {
        guard frame.contains(x: px, y: py) else { return nil }
        if contentRect.contains(x: px, y: py) { return .content }
        if closeButton.contains(x: px, y: py) { return .closeButton }
        if titleBar.contains(x: px, y: py) { return .titleBar }
        return .border
    }
}

public enum WindowPart: Sendable, Equatable {
    case content, titleBar, closeButton, border
}
