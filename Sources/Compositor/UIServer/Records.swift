import Kernel

/// What ui_server keeps per window beyond the compositor's `Window`.
struct WindowRecord {
    let window: Window
    /// Its derived copy of the app's surface buffer cap.
    var surface: Handle
    /// The window's event endpoint (ui_server owns it) and the receive cap
    /// derived for the app; releasing the latter revokes the app's copy.
    let events: Handle
    let appEvents: Handle
    /// Created with `flagTouch`: touches come as TOUCH_* events, not as
    /// pointer emulation (TouchRouting.swift).
    var takesTouch = false
}

/// Per app: its windows and how badly it keeps up with its events.
struct ClientRecord {
    var windows: Set<UInt32> = []
    /// Events dropped in a row because the app's queue was full.
    var droppedInARow = 0

    /// An app that leaves this many events unread in a row is disconnected.
    static let maxDroppedInARow = 256
}

/// The pointer and what it holds.
struct PointerState {
    var x: Double = 0
    var y: Double = 0
    /// Buttons held: bit 0 left, 1 right, 2 middle.
    var buttons: UInt32 = 0
    var grab: Grab?
    /// The window whose content is under the pointer.
    var hovered: UInt32?

    enum Grab: Equatable {
        /// Pointer events go to this window until the buttons are released.
        case content(UInt32)
        /// Dragging this window by its title bar; the pointer's offset from its origin.
        case move(UInt32, dx: Int, dy: Int)
        /// Pressed on the close button; a release still on it asks the app to close.
        case close(UInt32)
    }
}
