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
    /// Connected monitors left dark (a rule's `off`, `--only`, no modes), in
    /// connector order.
    public var dark: [String]

    public init(layout: OutputLayout, modes: [String: DisplayMode], warnings: [String] = [], dark: [String] = []) {
        self.layout = layout
        self.modes = modes
        self.warnings = warnings
        self.dark = dark
    }
}

/// The hotplug state machine's brain, as a value: given the monitors
/// connected now, which to light, in which mode, where and turned how.
///
/// Each monitor's settings come from the rule naming its connector, else
/// from what this monitor (connector and EDID identity: `Monitor.key`) had
/// when it was last lit, else its preferred mode, unrotated (`--mode` for
/// the primary). The primary: the output a rule marks, else the first one
/// a bare `--output NAME` names, else the one that was primary, else the
/// leftmost. A rule that only turns, places or sets the mode of a monitor does
/// not make it the primary. Placement: a
/// rule's `pos`, else the position a rule once gave this monitor; all the
/// others left to right after those, tops at y = 0, in connector-name order.
/// Positions worked out that way are not remembered: they follow from which
/// monitors are lit, never from the order they arrived in (cosmic-comp#2813),
/// and leave no gap when one goes away.
///
/// `arrange` never fails: a problem after a hotplug (a mode not offered, an
/// overlap) is a warning and a fallback. `validate`/`arrangeAtStart` turn
/// the same problems into errors, for settings a user just gave.
public struct OutputConfigurator: Sendable {
    public var rules: [OutputRule]
    /// `--only`: light only monitors a rule names.
    public var onlyListed: Bool
    /// `--mode`: the primary output's mode when its rule gives none.
    public var primaryMode: DisplayMode.Request?

    private var memory = Memory()

    public init(rules: [OutputRule] = [], onlyListed: Bool = false, primaryMode: DisplayMode.Request? = nil) {
        self.rules = rules
        self.onlyListed = onlyListed
        self.primaryMode = primaryMode
    }

    /// The arrangement for `monitors` (after a hotplug), remembered for the
    /// next call. Problems become warnings and fallbacks.
    public mutating func arrange(_ monitors: [Monitor]) -> Arrangement {
        let plan = plan(monitors)
        memory.note(plan)
        return plan.arrangement
    }

    /// `arrange` for settings a user just gave (at start): a rule set that
    /// cannot work, a mode not offered or an overlap is an error.
    public mutating func arrangeAtStart(_ monitors: [Monitor]) throws(LayoutError) -> Arrangement {
        try OutputRule.check(rules)
        let plan = plan(monitors)
        if let error = plan.errors.first { throw LayoutError(error) }
        memory.note(plan)
        return plan.arrangement
    }

    /// What `arrangeAtStart` would say, without remembering anything: the
    /// warnings, or the first error.
    public func validate(monitors: [Monitor]) throws(LayoutError) -> [String] {
        var copy = self
        return try copy.arrangeAtStart(monitors).warnings
    }

    // MARK: planning

    /// An arrangement and what went wrong on the way: `errors` are the
    /// problems that stop a start (each also has its fallback and warning).
    struct Plan {
        var arrangement: Arrangement
        var errors: [String]
        /// For the memory: each lit monitor's key and settings, and whether a
        /// rule or the memory placed it (a position worth remembering).
        var lit: [(key: String, placement: OutputPlacement, mode: DisplayMode, pinned: Bool)]
        var primaryKey: String?
    }

    /// Warnings, and those of them that are errors at the start.
    private struct Problems {
        var warnings: [String] = []
        var errors: [String] = []

        mutating func add(warning: String, error: String? = nil) {
            warnings.append(warning)
            if let error { errors.append(error) }
        }
    }

    /// A monitor to light, while its settings are decided.
    private struct Candidate {
        let monitor: Monitor
        let rule: OutputRule?
        var mode: DisplayMode
        var rotation: Rotation
        var position = (x: 0, y: 0)
        /// Placed by a rule or the memory rather than worked out.
        var pinned = false
        var primary = false

        var rect: Rect {
            let size = rotation.logicalSize(panelWidth: mode.width, panelHeight: mode.height)
            return Rect(x: position.x, y: position.y, width: size.width, height: size.height)
        }

        /// "HDMI-A-1 (1920x1080 at 0,0)".
        var shown: String { "\(monitor.connector) (\(rect.width)x\(rect.height) at \(rect.x),\(rect.y))" }
    }

    func plan(_ monitors: [Monitor]) -> Plan {
        var problems = Problems()
        let connected = distinct(monitors, &problems)
        let names = connected.isEmpty ? "none" : connected.map(\.connector).joined(separator: ", ")
        for rule in rules where !connected.contains(where: { rule.matches($0.connector) }) {
            problems.add(warning: "no monitor on connector \(rule.match) (connected: \(names)): "
                + "its settings wait until one is plugged in")
        }
        var (candidates, dark) = lightable(connected, &problems)
        if candidates.isEmpty && !connected.isEmpty {
            problems.add(warning: "no output is lit: the settings leave \(names) dark")
        }
        let primary = primaryIndex(candidates)
        if let primary { candidates[primary].primary = true }
        chooseModes(&candidates, &problems)
        place(&candidates, &problems)

        let placements = candidates.map { candidate in
            OutputPlacement(name: candidate.monitor.connector, x: candidate.position.x, y: candidate.position.y,
                            panelWidth: candidate.mode.width, panelHeight: candidate.mode.height,
                            rotation: candidate.rotation, primary: candidate.primary)
        }
        let modes = Dictionary(uniqueKeysWithValues: candidates.map { ($0.monitor.connector, $0.mode) })
        return Plan(
            arrangement: Arrangement(layout: OutputLayout(placements), modes: modes, warnings: problems.warnings, dark: dark),
            errors: problems.errors,
            lit: zip(candidates, placements).map { ($0.monitor.key, $1, $0.mode, $0.pinned) },
            primaryKey: primary.map { candidates[$0].monitor.key })
    }

    /// One monitor per connector (a display that says otherwise is wrong),
    /// in connector order.
    private func distinct(_ monitors: [Monitor], _ problems: inout Problems) -> [Monitor] {
        var connected: [Monitor] = []
        for monitor in monitors {
            if connected.contains(where: { $0.connector.lowercased() == monitor.connector.lowercased() }) {
                problems.add(warning: "two monitors are reported on connector \(monitor.connector): the second is ignored")
            } else {
                connected.append(monitor)
            }
        }
        return connected.sorted { ConnectorOrder.precedes($0.connector, $1.connector) }
    }

    /// The monitors to light, each with its rule, its preferred mode and
    /// its rotation; and the connectors left dark.
    private func lightable(_ connected: [Monitor], _ problems: inout Problems) -> ([Candidate], dark: [String]) {
        var candidates: [Candidate] = []
        var dark: [String] = []
        for monitor in connected {
            let rule = rules.first { $0.matches(monitor.connector) }
            guard rule?.off != true, !onlyListed || rule != nil else {
                dark.append(monitor.connector)
                continue
            }
            guard let preferred = ModeChoice.choose(from: monitor.modes, request: nil) else {
                problems.add(warning: "\(monitor.connector) offers no modes: left dark")
                dark.append(monitor.connector)
                continue
            }
            candidates.append(Candidate(
                monitor: monitor, rule: rule, mode: monitor.modes[preferred],
                rotation: rule?.rotation ?? memory.settings[monitor.key]?.rotation ?? .degrees0))
        }
        return (candidates, dark)
    }

    /// The output a rule marks, else the first a bare rule names; without
    /// such a rule for a lit monitor, the one that was primary (an arrival
    /// does not take it), else the leftmost.
    private func primaryIndex(_ candidates: [Candidate]) -> Int? {
        func lit(_ rule: OutputRule) -> Int? { candidates.firstIndex { rule.matches($0.monitor.connector) } }
        return rules.lazy.filter(\.primary).compactMap(lit).first
            ?? rules.lazy.filter(\.namesOnly).compactMap(lit).first
            ?? memory.primary.flatMap { key in candidates.firstIndex { $0.monitor.key == key } }
            ?? leftmost(candidates)
    }

    /// The output that will be leftmost (then topmost): of those with a
    /// position (a rule's or a remembered one) the one furthest left, as the
    /// others are placed to the right of them; else the first in connector
    /// order, placed at 0,0.
    private func leftmost(_ candidates: [Candidate]) -> Int? {
        let positioned = candidates.indices.compactMap { index in
            (candidates[index].rule?.position ?? memory.settings[candidates[index].monitor.key]?.position).map { (index, $0) }
        }
        let first = positioned.min { a, b in (a.1.x, a.1.y) < (b.1.x, b.1.y) }
        return first?.0 ?? candidates.indices.first
    }

    /// The rule's mode, else the one the monitor had, else `--mode` for the
    /// primary, else the preferred one (already set). A mode not offered
    /// leaves the preferred one.
    private func chooseModes(_ candidates: inout [Candidate], _ problems: inout Problems) {
        for index in candidates.indices {
            let candidate = candidates[index]
            let monitor = candidate.monitor
            let request: (mode: DisplayMode.Request, said: String)
            if let mode = candidate.rule?.mode {
                request = (mode, "mode=\(mode)")
            } else if let old = memory.settings[monitor.key]?.mode, monitor.modes.contains(old) {
                candidates[index].mode = old
                continue
            } else if candidate.primary, let mode = primaryMode {
                request = (mode, "mode \(mode) (--mode, for the primary output)")
            } else {
                continue
            }
            if let chosen = ModeChoice.choose(from: monitor.modes, request: request.mode) {
                candidates[index].mode = monitor.modes[chosen]
            } else {
                let offered = ModeChoice.list(monitor.modes)
                problems.add(
                    warning: "\(monitor.connector) does not offer \(request.said): using its preferred mode "
                        + "\(candidate.mode) (it offers \(offered))",
                    error: "\(monitor.connector) does not offer \(request.said): it offers \(offered)")
            }
        }
    }

    /// Rules' positions first, then those a rule once gave (of two that
    /// overlap, the later one is not pinned); then the rest left to right
    /// after all of them, tops at y = 0.
    private func place(_ candidates: inout [Candidate], _ problems: inout Problems) {
        var pinned: [Int] = []
        func pin(_ index: Int, at position: (x: Int, y: Int), remembered: Bool) {
            candidates[index].position = position
            let candidate = candidates[index]
            guard let clash = pinned.first(where: { candidates[$0].rect.intersects(candidate.rect) }) else {
                candidates[index].pinned = true
                pinned.append(index)
                return
            }
            let other = candidates[clash].shown
            if remembered {
                problems.add(warning: "\(candidate.shown), where it was last time, would overlap \(other): "
                    + "placed to the right instead")
            } else {
                problems.add(
                    warning: "\(candidate.shown) would overlap \(other): placed to the right instead",
                    error: "outputs \(other) and \(candidate.shown) overlap: move one with pos=X,Y")
            }
        }
        // In the order the rules were given: of two that overlap, the later one moves.
        for rule in rules where rule.position != nil {
            if let index = candidates.firstIndex(where: { $0.rule == rule }), !candidates[index].pinned {
                pin(index, at: rule.position!, remembered: false)
            }
        }
        for index in candidates.indices where candidates[index].rule?.position == nil {
            if let position = memory.settings[candidates[index].monitor.key]?.position {
                pin(index, at: position, remembered: true)
            }
        }
        var x = pinned.map { candidates[$0].rect.maxX }.max() ?? 0
        for index in candidates.indices where !candidates[index].pinned {
            candidates[index].position = (x, 0)
            x += candidates[index].rect.width
        }
    }

    // MARK: memory

    /// What each monitor had when it was last lit, by `Monitor.key`.
    struct Memory: Sendable {
        struct Settings: Sendable {
            var mode: DisplayMode
            var rotation: Rotation
            /// Set by a rule (not worked out): kept even if the rule goes.
            var position: (x: Int, y: Int)?
            /// When it was last lit, to forget the longest-unseen first.
            var lastLit: Int
        }

        /// Monitors remembered at most: a flaky cable or a hostile EDID can
        /// make up identities without end.
        static let capacity = 64

        var settings: [String: Settings] = [:]
        var primary: String?
        private var clock = 0

        mutating func note(_ plan: Plan) {
            clock += 1
            for lit in plan.lit {
                let position = lit.pinned ? (lit.placement.x, lit.placement.y) : nil
                settings[lit.key] = Settings(mode: lit.mode, rotation: lit.placement.rotation, position: position, lastLit: clock)
            }
            while settings.count > Self.capacity, let oldest = settings.min(by: { $0.value.lastLit < $1.value.lastLit }) {
                settings[oldest.key] = nil
            }
            if let key = plan.primaryKey { primary = key }
        }
    }
}

/// Connector names in order: the text as the kernel spells it ("DP-1",
/// "HDMI-A-1", "eDP-1": capitals first), numbers by value ("DP-2" before
/// "DP-10").
enum ConnectorOrder {
    static func precedes(_ a: String, _ b: String) -> Bool {
        let (x, y) = (chunks(a), chunks(b))
        for (p, q) in zip(x, y) where p != q {
            switch (p, q) {
            case let (.number(m), .number(n)):
                // Without leading zeros, a longer run of digits is the larger number.
                return m.count != n.count ? m.count < n.count : m < n
            case let (.text(s), .text(t)): return s < t
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
        return x.count != y.count ? x.count < y.count : a < b
    }

    enum Chunk: Equatable {
        case text(String)
        /// The digits without leading zeros.
        case number(String)
    }

    static func chunks(_ name: String) -> [Chunk] {
        var out: [Chunk] = []
        var current = ""
        var inDigits = false
        func flush() {
            guard !current.isEmpty else { return }
            if inDigits {
                let trimmed = current.drop { $0 == "0" }
                out.append(.number(String(trimmed)))
            } else {
                out.append(.text(current))
            }
            current = ""
        }
        for character in name {
            let digit = character.isASCII && character.isNumber
            if digit != inDigits { flush() }
            inDigits = digit
            current.append(character)
        }
        flush()
        return out
    }
}
