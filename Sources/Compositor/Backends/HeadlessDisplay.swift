import Synchronization

/// Monitors in memory: `HEADLESS-1`, `HEADLESS-2`, ... of the given sizes,
/// each lit as a `HeadlessBackend`. Tests plug and unplug monitors
/// (`plug`, `unplug`) and the hotplug handler is told, as udev would.
public final class HeadlessDisplay: Display, @unchecked Sendable {
    // Everything mutable is behind `state`.
    public let name = "headless"
    public var kind: BackendKind { .headless }
    private let state = Mutex(State())

    private struct State {
        /// Connected monitors, in plug order.
        var monitors: [Monitor] = []
        var hotplug: (@Sendable () -> Void)?
        /// Heads lit now, by connector.
        var lit: [String: HeadlessBackend] = [:]
    }

    /// One monitor per size, named HEADLESS-1, HEADLESS-2, ... in order.
    public init(sizes: [(width: Int, height: Int)]) {
        state.withLock { s in
            s.monitors = sizes.enumerated().map { i, size in
                Self.monitor("HEADLESS-\(i + 1)", width: size.width, height: size.height)
            }
        }
    }

    private static func monitor(_ connector: String, width: Int, height: Int) -> Monitor {
        Monitor(connector: connector, modes: [DisplayMode(width: width, height: height, refreshMilliHertz: 60_000, isPreferred: true)])
    }

    public func monitors() -> [Monitor] { state.withLock { $0.monitors } }

    public func light(_ connector: String, mode: DisplayMode) throws(DisplayError) -> any DisplayBackend {
        try state.withLock { s throws(DisplayError) in
            guard let monitor = s.monitors.first(where: { $0.connector == connector }) else {
                throw DisplayError("cannot light \(connector): no monitor is connected to it")
            }
            guard monitor.modes.contains(where: { $0.width == mode.width && $0.height == mode.height }) else {
                throw DisplayError("cannot light \(connector) in \(mode): it offers \(monitor.modes.map(\.description).joined(separator: ", "))")
            }
            let head = HeadlessBackend(width: mode.width, height: mode.height, name: connector)
            s.lit[connector] = head
            return head
        }
    }

    public func darken(_ head: any DisplayBackend) {
        state.withLock { s in
            if let connector = s.lit.first(where: { $0.value === head })?.key { s.lit[connector] = nil }
        }
    }

    /// The head lit on `connector` now, for tests to look at its panel.
    public func head(_ connector: String) -> HeadlessBackend? { state.withLock { $0.lit[connector] } }

    public func onHotplug(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.hotplug = handler }
    }

    /// A monitor of this size is plugged into `connector` (replacing one there).
    public func plug(connector: String, width: Int, height: Int) {
        let handler = state.withLock { s in
            s.monitors.removeAll { $0.connector == connector }
            s.monitors.append(Self.monitor(connector, width: width, height: height))
            return s.hotplug
        }
        handler?()
    }

    /// The monitor on `connector` is unplugged.
    public func unplug(connector: String) {
        let handler = state.withLock { s in
            s.monitors.removeAll { $0.connector == connector }
            return s.hotplug
        }
        handler?()
    }

    public func restore() {}
    public func suspend() {}
    public func resume() throws(DisplayError) {}
}

/// A `Display` of one head that is already lit: a `DisplayBackend` made by
/// hand (tests, and the single-connector `DRMBackend` until the DRM
/// display drives several). Its one monitor is always connected.
public final class SingleHeadDisplay: Display, @unchecked Sendable {
    // Immutable after init.
    public let head: any DisplayBackend
    public let connector: String

    /// `connector` names its monitor; by default a headless head is
    /// HEADLESS-1, as `HeadlessDisplay` names its first, and any other is
    /// called by its backend's name.
    public init(_ head: any DisplayBackend, connector: String? = nil) {
        self.head = head
        self.connector = connector ?? (head.kind == .headless ? "HEADLESS-1" : head.name)
    }

    public var name: String { head.name }
    public var kind: BackendKind { head.kind }

    public func monitors() -> [Monitor] {
        [Monitor(connector: connector, modes: [DisplayMode(width: head.width, height: head.height, refreshMilliHertz: 0, isPreferred: true)])]
    }

    public func light(_ connector: String, mode: DisplayMode) throws(DisplayError) -> any DisplayBackend {
        guard connector == self.connector else { throw DisplayError("cannot light \(connector): only \(self.connector) is driven") }
        return head
    }

    /// The head stays lit: it is given back by `restore`.
    public func darken(_ head: any DisplayBackend) {}
    public func onHotplug(_ handler: @escaping @Sendable () -> Void) {}
    public func restore() { head.restore() }
    // The compositor suspends and resumes its heads itself.
    public func suspend() {}
    public func resume() throws(DisplayError) {}
}
