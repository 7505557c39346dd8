/// A display mode as a plain value: what `wskdesk outputs` lists and what
/// mode choice works on. Built from a `drmModeModeInfo` by `DRMDevice`.
public struct DisplayMode: Hashable, Sendable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    /// Vertical refresh in millihertz (59_951 for 59.951 Hz).
    public let refreshMilliHertz: Int
    /// The mode the display itself asks for (DRM_MODE_TYPE_PREFERRED).
    public let isPreferred: Bool
    public let isInterlaced: Bool

    public init(width: Int, height: Int, refreshMilliHertz: Int, isPreferred: Bool = false, isInterlaced: Bool = false) {
        self.width = width
        self.height = height
        self.refreshMilliHertz = refreshMilliHertz
        self.isPreferred = isPreferred
        self.isInterlaced = isInterlaced
    }

    public var refreshHertz: Double { Double(refreshMilliHertz) / 1000 }

    /// "1280x800@60", "1920x1080@59.94", "1920x1080i@60": the refresh
    /// rounded to 1/100 Hz, trailing zeros dropped.
    public var description: String {
        "\(width)x\(height)\(isInterlaced ? "i" : "")@\(Self.formatHertz(milli: refreshMilliHertz))"
    }

    static func formatHertz(milli: Int) -> String {
        let centi = (milli + 5) / 10
        let whole = centi / 100, fraction = centi % 100
        if fraction == 0 { return "\(whole)" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// DRM_MODE_FLAG_INTERLACE and DRM_MODE_FLAG_DBLSCAN (drm_mode.h).
    static let interlaceFlag: UInt32 = 1 << 4
    static let doubleScanFlag: UInt32 = 1 << 5

    /// The refresh rate the way the kernel's `drm_mode_vrefresh` computes
    /// it, in millihertz: pixel clock / (htotal * vtotal), doubled for
    /// interlaced modes, halved for double scan, divided by vscan.
    /// `fallbackHertz` (the mode's own `vrefresh`) when the timings are zero.
    package static func refreshMilliHertz(
        clockKHz: UInt32, htotal: UInt16, vtotal: UInt16, vscan: UInt16, flags: UInt32, fallbackHertz: UInt32
    ) -> Int {
        var numerator = UInt64(clockKHz) * 1_000_000
        var denominator = UInt64(htotal) * UInt64(vtotal)
        if flags & interlaceFlag != 0 { numerator *= 2 }
        if flags & doubleScanFlag != 0 { denominator *= 2 }
        if vscan > 1 { denominator *= UInt64(vscan) }
        guard denominator > 0 else { return Int(fallbackHertz) * 1000 }
        return Int((numerator + denominator / 2) / denominator)
    }
}

/// A mode a user asked for: "1280x800" or "1280x800@60" (Hz, decimals allowed).
public struct ModeRequest: Hashable, Sendable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    /// nil: any refresh rate.
    public let refreshMilliHertz: Int?

    public init(width: Int, height: Int, refreshMilliHertz: Int? = nil) {
        self.width = width
        self.height = height
        self.refreshMilliHertz = refreshMilliHertz
    }

    public init(parsing text: String) throws(DisplayError) {
        let invalid = DisplayError(
            "invalid mode '\(text)': expected WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, e.g. 1280x800 or 1280x800@60")
        let atSplit = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let size = atSplit[0].split(separator: "x", omittingEmptySubsequences: false)
        guard size.count == 2,
              let width = Self.dimension(size[0]), let height = Self.dimension(size[1])
        else { throw invalid }
        var refresh: Int?
        if atSplit.count == 2 {
            guard let milli = Self.milliHertz(atSplit[1]) else { throw invalid }
            refresh = milli
        }
        self.init(width: width, height: height, refreshMilliHertz: refresh)
    }

    /// 1...16384 in plain decimal digits (no sign, no spaces).
    private static func dimension(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(text), value >= 1, value <= 16384 else { return nil }
        return value
    }

    /// "60", "59.94", "59.951" -> millihertz; more than three decimals,
    /// anything but digits and one point, or outside 1...1000 Hz: nil.
    private static func milliHertz(_ text: Substring) -> Int? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard !parts[0].isEmpty, parts[0].count <= 4, digits(parts[0]), let whole = Int(parts[0]) else { return nil }
        var milli = whole * 1000
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 3, digits(fraction), let f = Int(fraction) else { return nil }
            milli += f * [100, 10, 1][fraction.count - 1]
        }
        return milli >= 1000 && milli <= 1_000_000 ? milli : nil
    }

    public var description: String {
        guard let refresh = refreshMilliHertz else { return "\(width)x\(height)" }
        return "\(width)x\(height)@\(DisplayMode.formatHertz(milli: refresh))"
    }
}

package enum ModeChoice {
    /// How far a requested refresh may be from a mode's: "@60" finds 59.94.
    package static let refreshTolerance = 500  // millihertz

    /// The index in `modes` to use, or nil when nothing fits.
    ///
    /// Without a request: the display's preferred mode, else the first
    /// progressive one, else the first. With one: a mode of that size,
    /// progressive before interlaced; then with a refresh, the closest within
    /// `refreshTolerance`; without, the preferred one, else the highest
    /// refresh. Ties keep the kernel's order.
    package static func choose(from modes: [DisplayMode], request: ModeRequest?) -> Int? {
        guard let request else {
            return modes.firstIndex { $0.isPreferred }
                ?? modes.firstIndex { !$0.isInterlaced }
                ?? (modes.isEmpty ? nil : 0)
        }
        let sized = modes.indices.filter { modes[$0].width == request.width && modes[$0].height == request.height }
        if let wanted = request.refreshMilliHertz {
            let near = sized.filter { abs(modes[$0].refreshMilliHertz - wanted) <= refreshTolerance }
            return near.min { a, b in
                let (ma, mb) = (modes[a], modes[b])
                let (da, db) = (abs(ma.refreshMilliHertz - wanted), abs(mb.refreshMilliHertz - wanted))
                if ma.isInterlaced != mb.isInterlaced { return !ma.isInterlaced }
                if da != db { return da < db }
                if ma.isPreferred != mb.isPreferred { return ma.isPreferred }
                return a < b
            }
        }
        return sized.min { a, b in
            let (ma, mb) = (modes[a], modes[b])
            if ma.isInterlaced != mb.isInterlaced { return !ma.isInterlaced }
            if ma.isPreferred != mb.isPreferred { return ma.isPreferred }
            if ma.refreshMilliHertz != mb.refreshMilliHertz { return ma.refreshMilliHertz > mb.refreshMilliHertz }
            return a < b
        }
    }

    /// "1280x800@60 (preferred), 1024x768@60": duplicates listed once.
    package static func list(_ modes: [DisplayMode]) -> String {
        var seen = Set<String>()
        var items: [String] = []
        for mode in modes {
            let text = mode.description + (mode.isPreferred ? " (preferred)" : "")
            if seen.insert(mode.description).inserted { items.append(text) }
        }
        return items.isEmpty ? "none" : items.joined(separator: ", ")
    }
}
