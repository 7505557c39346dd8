/// Where windows go and who gets focus: small, and apart from the mechanism
/// that draws (cage's placement is a ten-line function too).
public struct Policy: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Decorated windows side by side, then cascaded; click to focus and raise.
        case desktop
        /// One app fullscreen, no decorations, cursor hidden until the pointer moves.
        case kiosk
    }

    public var mode: Mode

    public init(mode: Mode = .desktop) { self.mode = mode }

    public var decorates: Bool { mode == .desktop }

    /// The size a new window is configured to (its first CONFIGURE): a
    /// kiosk app is asked to fill the screen, a desktop app keeps its own.
    public func configuredSize(width: Int, height: Int, screen: Rect) -> (width: Int, height: Int) {
        mode == .kiosk ? (screen.width, screen.height) : (width, height)
    }

    /// Top-left of a new window's content: beside the existing windows if
    /// there is room on the screen, else cascaded from the top left.
    public func placement(width: Int, height: Int, screen: Rect, existing: [Rect]) -> (x: Int, y: Int) {
        if mode == .kiosk { return (0, 0) }
        let margin = 24
        let top = margin + Decorations.titleHeight + Decorations.border
        let right = existing.map(\.maxX).max() ?? 0
        let x = right + margin + Decorations.border
        if x + width + Decorations.border <= screen.maxX { return (x, top) }
        let step = Decorations.titleHeight + 8
        let n = existing.count % 8
        return (margin + Decorations.border + n * step, top + n * step)
    }
}
