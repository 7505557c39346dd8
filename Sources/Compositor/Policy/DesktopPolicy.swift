/// The desktop: decorated windows side by side while they fit, then
/// cascaded; a press focuses and raises; title bars drag, close buttons close
/// (cage's placement is a ten-line function too).
public struct DesktopPolicy: WindowPolicy {
    public init() {}

    public var decorates: Bool { true }
    public var showsCursorAtStart: Bool { true }

    /// An app keeps the size it asked for.
    public func configuredSize(width: Int, height: Int, screen: Rect) -> (width: Int, height: Int) {
        (width, height)
    }

    /// Beside the existing windows if there is room on the screen (the
    /// primary output, wherever it sits on the desktop), else cascaded from
    /// its top left. Windows on other outputs are not in the way.
    public func placement(width: Int, height: Int, screen: Rect, existing: [Rect]) -> (x: Int, y: Int) {
        let margin = 24
        let top = screen.y + margin + Decorations.titleHeight + Decorations.border
        let right = existing.filter { $0.intersects(screen) }.map(\.maxX).max() ?? screen.x
        let x = right + margin + Decorations.border
        if x + width + Decorations.border <= screen.maxX { return (x, top) }
        let step = Decorations.titleHeight + 8
        let n = existing.count % 8
        return (screen.x + margin + Decorations.border + n * step, top + n * step)
    }

    /// Any press raises; the left button drags a title bar or closes.
    public func press(_ button: UInt32, on part: WindowPart) -> Press {
        let left = button == WindowProtocol.buttonLeft
        switch part {
        case .content: return Press(raises: true, grab: .content)
        case .titleBar where left: return Press(raises: true, grab: .move)
        case .closeButton where left: return Press(raises: true, grab: .close)
        default: return Press(raises: true, grab: .none)
        }
    }

    /// The topmost window on screen, else the topmost one at all.
    public func focusAfterClose(remaining: [Window]) -> UInt32? {
        (remaining.last(where: \.mapped) ?? remaining.last)?.id
    }
}
