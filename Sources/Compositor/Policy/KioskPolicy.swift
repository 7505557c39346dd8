/// The kiosk: every window fills the screen at its top left, undecorated;
/// the cursor stays hidden until the pointer moves (a touch screen has none
/// to show). A press focuses and raises; there is nothing to drag or close.
public struct KioskPolicy: WindowPolicy {
    public init() {}

    public var decorates: Bool { false }
    public var showsCursorAtStart: Bool { false }

    /// Asked to fill the screen, whatever it was created with.
    public func configuredSize(width: Int, height: Int, screen: Rect) -> (width: Int, height: Int) {
        (screen.width, screen.height)
    }

    public func placement(width: Int, height: Int, screen: Rect, existing: [Rect]) -> (x: Int, y: Int) {
        (screen.x, screen.y)
    }

    public func press(_ button: UInt32, on part: WindowPart) -> Press {
        Press(raises: true, grab: part == .content ? .content : .none)
    }

    /// The window on top: the one the app opened last.
    public func focusAfterClose(remaining: [Window]) -> UInt32? {
        (remaining.last(where: \.mapped) ?? remaining.last)?.id
    }
}
