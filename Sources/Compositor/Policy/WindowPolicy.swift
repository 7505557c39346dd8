/// The calls a shell makes and the compositor does not: how big a new window
/// is asked to be, where it goes, what a press on each part of a window does,
/// who gets focus when one closes, whether windows are decorated and the
/// cursor shows. ui_server asks; it never decides these itself. Two shells
/// answer, side by side as weston's sit on libweston: `DesktopPolicy` and
/// `KioskPolicy`. A policy written as an actor would plug in here.
public protocol WindowPolicy: Sendable {
    /// Whether windows get a title bar and a border (unless an app asks for none).
    var decorates: Bool { get }

    /// Whether the cursor shows before the pointer first moves.
    var showsCursorAtStart: Bool { get }

    /// The size a new window is configured to (its first CONFIGURE), given
    /// the size the app created it with.
    func configuredSize(width: Int, height: Int, screen: Rect) -> (width: Int, height: Int)

    /// Top-left of a new window's content, given the frames of the windows
    /// placed before it, oldest first.
    func placement(width: Int, height: Int, screen: Rect, existing: [Rect]) -> (x: Int, y: Int)

    /// What pressing `button` on `part` of a window does.
    func press(_ button: UInt32, on part: WindowPart) -> Press

    /// The window to focus once the focused one has closed, from those left
    /// (bottom to top); nil leaves nothing focused.
    func focusAfterClose(remaining: [Window]) -> UInt32?
}

/// What a press on a window does: the window is focused and maybe raised,
/// then the pointer is held by it until every button is up.
public struct Press: Sendable, Equatable {
    public enum Grab: Sendable, Equatable {
        /// Pointer events go to the app.
        case content
        /// The window follows the pointer (a title bar drag).
        case move
        /// A release still over the close button asks the app to close.
        case close
        /// Nothing; the press only focused (and raised).
        case none
    }

    public var raises: Bool
    public var grab: Grab

    public init(raises: Bool, grab: Grab) {
        self.raises = raises
        self.grab = grab
    }
}
