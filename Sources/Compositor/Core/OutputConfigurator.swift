/// Settings a user gave for one output: a `--output` flag or a line of a
/// layout file ("HDMI-A-1 mode=1920x1080@60 pos=1280,0 rotate=90 primary").
public struct OutputRule: Hashable, Sendable {
    /// A connector name ("HDMI-A-1", any case) or a monitor identity.
    public var match: String
    public var mode: DisplayMode.Request?
    /// Desktop position of its top left; nil: placed to the right of the others.
    public var position: (x: Int, y: Int)?
    public var rotation: Rotation?
    public var primary: Bool
    /// Left dark.
    public var off: Bool

    public init(match: String, mode: DisplayMode.Request? = nil, position: (x: Int, y: Int)? = nil,
                rotation: Rotation? = nil, primary: Bool = false, off: Bool = false) {
        self.match = match
        self.mode = mode
        self.position = position
        self.rotation = rotation
        self.primary = primary
        self.off = off
    }

    public static func == (a: OutputRule, b: OutputRule) -> Bool {
        a.match == b.match && a.mode == b.mode && a.position?.x == b.position?.x && a.position?.y == b.position?.y
            && a.rotation == b.rotation && a.primary == b.primary && a.off == b.off
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(match)
        hasher.combine(mode)
        hasher.combine(position?.x)
        hasher.combine(position?.y)
        hasher.combine(rotation)
    }
}

extension DisplayMode {
    /// A mode a user asked for: "1280x800" or "1280x800@60".
    public typealias Request = ModeRequest
}

/// What to light for the monitors connected now.
public struct Arrangement: Hashable, Sendable {
    public var layout: OutputLayout
    /// The mode of each output in the layout, by connector.
    public var modes: [String: DisplayMode]
    /// Said once each in the log: a rule naming no monitor, a mode a
    /// monitor does not offer (its preferred one is used), an overlap.
    public var warnings: [String]

    public init(layout: OutputLayout, modes: [String: DisplayMode], warnings: [String] = []) {
        self.layout = layout
        self.modes = modes
        self.warnings = warnings
    }
}

/// The hotplug state machine's brain, as a value: given the monitors
/// connected now, which to light, in which mode, where and turned how.
/// Settings come from the rules, else from what this monitor (connector and
/// EDID identity) had last time, else its preferred mode, unrotated, to the
/// right of the others in connector-name order (not arrival order).
public struct OutputConfigurator: Sendable {
    public let rules: [OutputRule]

    public init(rules: [OutputRule] = []) {
        self.rules = rules
    }

    public mutating func arrange(_ monitors: [Monitor]) -> Arrangement {
        let lit = monitors.filter { !$0.modes.isEmpty }.sorted { $0.connector < $1.connector }
        let layout = OutputLayout.extended(lit.map { ($0.connector, $0.modes[0].width, $0.modes[0].height) })
        return Arrangement(layout: layout, modes: Dictionary(uniqueKeysWithValues: lit.map { ($0.connector, $0.modes[0]) }))
    }
}
