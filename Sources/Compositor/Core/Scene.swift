/// The windows in stacking order, and which has focus. Mechanism only: who
/// gets focus and where windows go is the `WindowPolicy`'s call.
public struct Scene {
    /// Bottom to top.
    public private(set) var windows: [Window] = []

    public init() {}

    public var focused: Window? { windows.last { $0.focused } }

    public func window(_ id: UInt32) -> Window? { windows.first { $0.id == id } }

    /// Adds `window` on top, or just below the window `below`.
    public mutating func add(_ window: Window, below: UInt32? = nil) {
        let index = below.flatMap { id in windows.firstIndex { $0.id == id } } ?? windows.endIndex
        windows.insert(window, at: index)
    }

    @discardableResult
    public mutating func remove(_ id: UInt32) -> Window? {
        guard let i = windows.firstIndex(where: { $0.id == id }) else { return nil }
        return windows.remove(at: i)
    }

    /// Moves the window to the top; true if that changed the order.
    @discardableResult
    public mutating func raise(_ id: UInt32) -> Bool {
        guard let i = windows.firstIndex(where: { $0.id == id }), i != windows.count - 1 else { return false }
        windows.append(windows.remove(at: i))
        return true
    }

    /// The topmost mapped window under a screen point, and the part hit.
    public func hit(x: Int, y: Int) -> (Window, WindowPart)? {
        for window in windows.reversed() where window.mapped {
            if let part = window.hit(x: x, y: y) { return (window, part) }
        }
        return nil
    }
}
