/// Where each output sits on the desktop, and how its picture is turned.
///
/// Coordinates: the *desktop* is one plane holding every output's logical
/// rectangle (windows, the pointer and damage live there). An output's
/// *panel* is its own pixels as the framebuffer scans them out (mode width x
/// mode height, what a touchscreen glued to it reports). Rotation happens
/// only in the compositor's final copy from desktop to panel: apps never see it.

/// How the picture is turned on a panel: `degrees90` turns it a quarter turn
/// clockwise, so the desktop's top edge runs down the panel's right edge. A
/// monitor mounted turned a quarter turn counterclockwise shows it upright.
public enum Rotation: Int, Sendable, CaseIterable, CustomStringConvertible {
    case degrees0 = 0
    case degrees90 = 90
    case degrees180 = 180
    case degrees270 = 270

    public init?(degrees: Int) { self.init(rawValue: degrees) }

    public var description: String { String(rawValue) }

    /// Whether width and height trade places.
    public var isSideways: Bool { self == .degrees90 || self == .degrees270 }

    /// The logical (desktop) size of a panel of this size.
    public func logicalSize(panelWidth: Int, panelHeight: Int) -> (width: Int, height: Int) {
        isSideways ? (panelHeight, panelWidth) : (panelWidth, panelHeight)
    }

    /// The panel pixel showing logical pixel (x, y), both counted from the
    /// output's own top left; the panel is `panelWidth` x `panelHeight`.
    public func panelPixel(logicalX x: Int, y: Int, panelWidth pw: Int, panelHeight ph: Int) -> (x: Int, y: Int) {
        switch self {
        case .degrees0: (x, y)
        case .degrees90: (pw - 1 - y, x)
        case .degrees180: (pw - 1 - x, ph - 1 - y)
        case .degrees270: (y, ph - 1 - x)
        }
    }

    /// The panel rectangle showing logical rectangle `rect` (output coordinates).
    public func panelRect(logical rect: Rect, panelWidth pw: Int, panelHeight ph: Int) -> Rect {
        switch self {
        case .degrees0: rect
        case .degrees90: Rect(x: pw - rect.maxY, y: rect.x, width: rect.height, height: rect.width)
        case .degrees180: Rect(x: pw - rect.maxX, y: ph - rect.maxY, width: rect.width, height: rect.height)
        case .degrees270: Rect(x: rect.y, y: ph - rect.maxX, width: rect.height, height: rect.width)
        }
    }

    /// The logical point (output coordinates, continuous) under panel point
    /// (u * panelWidth, v * panelHeight): where a touch at (u, v) of a
    /// touchscreen lands. u and v are in [0, 1]; pixel n covers [n, n+1).
    public func logicalPoint(panelU u: Double, v: Double, panelWidth pw: Int, panelHeight ph: Int) -> (x: Double, y: Double) {
        let px = u * Double(pw)
        let py = v * Double(ph)
        switch self {
        case .degrees0: return (px, py)
        case .degrees90: return (py, Double(pw) - px)
        case .degrees180: return (Double(pw) - px, Double(ph) - py)
        case .degrees270: return (Double(ph) - py, px)
        }
    }
}

/// One output on the desktop.
public struct OutputPlacement: Hashable, Sendable, CustomStringConvertible {
    /// The connector: "HDMI-A-1", "Virtual-2", "HEADLESS-1".
    public var name: String
    /// Top left of its logical rectangle on the desktop.
    public var x: Int
    public var y: Int
    /// The mode's size: the panel's pixels.
    public var panelWidth: Int
    public var panelHeight: Int
    public var rotation: Rotation
    /// Where new windows, dialogs and the kiosk app go.
    public var primary: Bool

    public init(name: String, x: Int, y: Int, panelWidth: Int, panelHeight: Int,
                rotation: Rotation = .degrees0, primary: Bool = false) {
        self.name = name
        self.x = x
        self.y = y
        self.panelWidth = panelWidth
        self.panelHeight = panelHeight
        self.rotation = rotation
        self.primary = primary
    }

    /// Its logical rectangle on the desktop.
    public var rect: Rect {
        let size = rotation.logicalSize(panelWidth: panelWidth, panelHeight: panelHeight)
        return Rect(x: x, y: y, width: size.width, height: size.height)
    }

    /// "HDMI-A-1 1920x1080 at 0,0 rotated 90 (primary)".
    public var description: String {
        let turned = rotation == .degrees0 ? "" : " rotated \(rotation)"
        return "\(name) \(panelWidth)x\(panelHeight) at \(x),\(y)\(turned)\(primary ? " (primary)" : "")"
    }
}

/// The outputs lit now. May be empty: wskdesk waits for a monitor then.
public struct OutputLayout: Hashable, Sendable {
    public private(set) var outputs: [OutputPlacement]

    /// Exactly one output is primary when there is any: the first marked,
    /// else the first.
    public init(_ outputs: [OutputPlacement]) {
        let primary = outputs.firstIndex(where: \.primary) ?? 0
        self.outputs = outputs.enumerated().map { index, output in
            var output = output
            output.primary = index == primary
            return output
        }
    }

    /// Outputs of these panel sizes, side by side left to right, tops aligned.
    public static func extended(_ panels: [(name: String, width: Int, height: Int)]) -> OutputLayout {
        var x = 0
        return OutputLayout(panels.map { panel in
            defer { x += panel.width }
            return OutputPlacement(name: panel.name, x: x, y: 0, panelWidth: panel.width, panelHeight: panel.height)
        })
    }

    public var isEmpty: Bool { outputs.isEmpty }

    public var primary: OutputPlacement? { outputs.first(where: \.primary) }

    /// The smallest rectangle holding every output; zero when there is none.
    public var bounds: Rect { outputs.reduce(Rect.zero) { $0.union($1.rect) } }

    public func output(named name: String) -> OutputPlacement? { outputs.first { $0.name == name } }

    /// The output showing desktop pixel (x, y), if any.
    public func output(atX x: Int, y: Int) -> OutputPlacement? {
        outputs.first { $0.rect.contains(x: x, y: y) }
    }

    /// The nearest point to (x, y) that some output shows: the pointer stays
    /// on screen, also in the gaps of an L-shaped layout. Unchanged when
    /// there are no outputs.
    public func clamp(x: Double, y: Double) -> (x: Double, y: Double) {
        var best: (x: Double, y: Double, distance: Double)?
        for output in outputs {
            let r = output.rect
            let cx = min(max(x, Double(r.x)), Double(r.maxX - 1))
            let cy = min(max(y, Double(r.y)), Double(r.maxY - 1))
            let distance = (cx - x) * (cx - x) + (cy - y) * (cy - y)
            if distance == 0 { return (x, y) }
            if best == nil || distance < best!.distance { best = (cx, cy, distance) }
        }
        return best.map { ($0.x, $0.y) } ?? (x, y)
    }

    /// The desktop point under (u, v) in [0, 1] of output `name`'s panel
    /// (a touch, or an absolute pointer mapped to that output), clamped to
    /// its last pixel; nil when no output is called that.
    public func desktopPoint(output name: String, panelU u: Double, v: Double) -> (x: Double, y: Double)? {
        guard let output = output(named: name) else { return nil }
        let u = min(max(u, 0), 1)
        let v = min(max(v, 0), 1)
        let local = output.rotation.logicalPoint(panelU: u, v: v, panelWidth: output.panelWidth, panelHeight: output.panelHeight)
        let r = output.rect
        return (min(Double(r.x) + local.x, Double(r.maxX) - 0.001), min(Double(r.y) + local.y, Double(r.maxY) - 0.001))
    }

    /// Two outputs whose rectangles overlap, if any (a layout error).
    public var overlap: (OutputPlacement, OutputPlacement)? {
        for (i, a) in outputs.enumerated() {
            for b in outputs[(i + 1)...] where a.rect.intersects(b.rect) { return (a, b) }
        }
        return nil
    }
}
