import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// Settings a user gave for one output: a `--output` flag or a line of a
/// layout file ("HDMI-A-1 mode=1920x1080@60 pos=1280,0 rotate=90 primary").
public struct OutputRule: Hashable, Sendable {
    /// A connector name ("HDMI-A-1"), matched in any case.
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
        hasher.combine(primary)
        hasher.combine(off)
    }

    /// A bare `--output NAME`: the connector and nothing else, which says
    /// "show the desktop there" (it makes that output the primary).
    public var namesOnly: Bool { mode == nil && position == nil && rotation == nil && !primary && !off }

    /// Whether this rule is about the monitor on `connector`.
    public func matches(_ connector: String) -> Bool { match.lowercased() == connector.lowercased() }
}

/// Output settings that cannot be used, in words a user can act on: a
/// malformed `--output` or layout line, an unreadable layout file, or a
/// layout the connected monitors cannot have (an overlap, a mode not offered).
public struct LayoutError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

// MARK: - SPEC: NAME [mode=WxH[@HZ]] [pos=X,Y] [rotate=0|90|180|270] [primary] [off]

extension OutputRule {
    /// Kernel connector names are short ("HDMI-A-1", "DP-1-1", "Virtual-1").
    static let maxNameLength = 32
    /// Positions stay in the range every framebuffer API takes (16-bit).
    public static let maxPosition = 32767

    static let settingsList = "mode=WIDTHxHEIGHT[@HZ], pos=X,Y, rotate=0|90|180|270, primary and off"

    /// Parses one SPEC, fields separated by spaces or tabs:
    /// `NAME [mode=WxH[@HZ]] [pos=X,Y] [rotate=0|90|180|270] [primary] [off]`.
    /// "Virtual-1" alone is a rule too: that output, with its defaults.
    public init(parsing spec: String) throws(LayoutError) {
        let words = spec.split { $0 == " " || $0 == "\t" }
        guard let first = words.first else {
            throw LayoutError("an empty output rule: it starts with the output's connector name, e.g. HDMI-A-1 (wskdesk outputs lists them)")
        }
        let name = String(first)
        if name.contains("=") || ["primary", "off"].contains(name.lowercased()) {
            throw LayoutError("\(Self.shown(name)) is a setting, not an output: a rule starts with the output's connector name, "
                + "e.g. \"HDMI-A-1 \(Self.shown(name))\"")
        }
        guard Self.isConnectorName(name) else {
            throw LayoutError("\(Self.shownInMessage(name, limit: 40)) is not an output name: outputs are named by their connector, e.g. HDMI-A-1, "
                + "eDP-1 or Virtual-1 (letters, digits, '-' and '_', at most \(Self.maxNameLength); wskdesk outputs lists them)")
        }
        self.init(match: name)

        var given: [String: String] = [:]
        for word in words.dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count == 2 ? parts[1] : nil
            if let earlier = given[key] {
                throw LayoutError("\(Self.shown(key)) is given twice for \(name) (\(Self.shown(earlier)) and \(Self.shown(word))): give it once")
            }
            switch key {
            case "mode":
                mode = try Self.mode(value ?? "", word: word, output: name)
            case "pos":
                position = try Self.position(value ?? "", word: word, output: name)
            case "rotate":
                rotation = try Self.rotation(value ?? "", word: word, output: name)
            case "primary", "off":
                guard value == nil else {
                    throw LayoutError("\(Self.shown(word)) for \(name): \(key) takes no value, write just \(key)")
                }
                if key == "primary" { primary = true } else { off = true }
            default:
                throw LayoutError("unknown setting \(Self.shown(word)) for \(name): the settings are \(Self.settingsList)")
            }
            given[key] = String(word)
        }
        if primary && off {
            throw LayoutError("\(name) is both primary and off: the primary output is one that is lit")
        }
    }

    private static func mode(_ text: Substring, word: Substring, output: String) throws(LayoutError) -> DisplayMode.Request {
        do {
            return try DisplayMode.Request(parsing: String(text))
        } catch {
            throw LayoutError("\(shown(word)) for \(output): a mode is WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, "
                + "e.g. mode=1920x1080 or mode=1920x1080@60 (wskdesk outputs lists each output's modes)")
        }
    }

    private static func position(_ text: Substring, word: Substring, output: String) throws(LayoutError) -> (x: Int, y: Int) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let coordinates = parts.compactMap { part -> Int? in
            guard !part.isEmpty, part.count <= 5, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(part), value <= maxPosition else { return nil }
            return value
        }
        guard parts.count == 2, coordinates.count == 2 else {
            throw LayoutError("\(shown(word)) for \(output): a position is X,Y in desktop pixels, "
                + "each 0 to \(maxPosition), e.g. pos=1920,0")
        }
        return (coordinates[0], coordinates[1])
    }

    private static func rotation(_ text: Substring, word: Substring, output: String) throws(LayoutError) -> Rotation {
        guard text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }), let degrees = Int(text),
              let rotation = Rotation(degrees: degrees)
        else { throw LayoutError("\(shown(word)) for \(output): a rotation is 0, 90, 180 or 270 (degrees clockwise)") }
        return rotation
    }

    /// User text quoted for a message, made safe to print (controls and bidi
    /// marks escaped, long text cut): `"HDMI\\e[31m"`.
    public static func shownInMessage(_ text: String, limit: Int = 200) -> String { "\"" + shown(text, limit: limit) + "\"" }

    static func isConnectorName(_ name: String) -> Bool {
        (1...maxNameLength).contains(name.utf8.count)
            && name.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// User text for a message: controls and bidi marks escaped, long text cut.
    static func shown(_ text: some StringProtocol, limit: Int = 40) -> String {
        let scalars = text.unicodeScalars
        let cut = scalars.count > limit
        let kept = String(String.UnicodeScalarView(scalars.prefix(limit)))
        return LogText.escaped(kept) + (cut ? "..." : "")
    }

    /// A set of rules that can be used together: one rule per output, one
    /// primary. `sources` (parallel to `rules`, e.g. "layout.conf:3",
    /// "--output") say where each came from in the message.
    public static func check(_ rules: [OutputRule], sources: [String]? = nil) throws(LayoutError) {
        func from(_ index: Int) -> String { sources.map { " (\($0[index]))" } ?? "" }
        var seen: [String: Int] = [:]
        var primary: Int?
        for (index, rule) in rules.enumerated() {
            if let earlier = seen[rule.match.lowercased()] {
                throw LayoutError("two rules for \(rule.match): \(rules[earlier].match)\(from(earlier)) and "
                    + "\(rule.match)\(from(index)); put all of an output's settings in one rule")
            }
            seen[rule.match.lowercased()] = index
            if rule.primary {
                if let earlier = primary {
                    throw LayoutError("\(rules[earlier].match)\(from(earlier)) and \(rule.match)\(from(index)) are both "
                        + "marked primary: one output is")
                }
                primary = index
            }
        }
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

// MARK: - Layout files

/// A layout file: one SPEC (as `--output` takes) a line; `#` starts a
/// comment, blank lines are ignored.
public enum LayoutFile {
    /// A layout is a line per output: anything this long is not one.
    public static let maxBytes = 64 * 1024

    /// The rules in `path`. Errors name the file, and the line as FILE:LINE.
    public static func load(path: String) throws(LayoutError) -> [OutputRule] {
        try parse(read(path), file: path)
    }

    /// The rules in `bytes`, the contents of `file` (named in errors).
    public static func parse(_ bytes: [UInt8], file: String) throws(LayoutError) -> [OutputRule] {
        let shownFile = LogText.escaped(file)
        var rules: [OutputRule] = []
        var lines: [String] = []
        for (index, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let place = "\(shownFile):\(index + 1)"
            var line = rawLine[...]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw LayoutError("\(place): not UTF-8 text: a layout file is plain text, one output rule a line")
            }
            if let control = text.unicodeScalars.first(where: isControl) {
                throw LayoutError("\(place): a control character (\(LogText.escaped(String(control)))): a layout file is plain text, "
                    + "one output rule a line")
            }
            let spec = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard spec.contains(where: { $0 != " " && $0 != "\t" }) else { continue }
            do {
                rules.append(try OutputRule(parsing: String(spec)))
            } catch {
                throw LayoutError("\(place): \(error.description)")
            }
            lines.append("\(shownFile):\(index + 1)")
        }
        try OutputRule.check(rules, sources: lines)
        return rules
    }

    /// Controls other than tab, and the marks that turn text around
    /// (bidi overrides and isolates): what makes a line read differently
    /// on screen than it parses.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: false
        case 0x00...0x1f, 0x7f...0x9f: true
        case 0x200e, 0x200f, 0x2028, 0x2029, 0x202a...0x202e, 0x2066...0x2069: true
        default: false
        }
    }

    /// The bytes of a regular file of at most `maxBytes`, or why not.
    static func read(_ path: String) throws(LayoutError) -> [UInt8] {
        let shownPath = OutputRule.shownInMessage(path)
        // Non-blocking: a FIFO must not hang the start; it is refused below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            let reason = errno
            throw LayoutError(reason == ENOENT
                ? "no layout file \(shownPath): check the name and the folder"
                : "cannot read the layout file \(shownPath): \(String(cString: strerror(reason)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw LayoutError("cannot read the layout file \(shownPath): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let what = info.st_mode & S_IFMT == S_IFDIR ? "a folder" : "not a regular file (a device, FIFO or socket)"
            throw LayoutError("\(shownPath) is \(what): a layout is a text file, one output rule a line")
        }
        let tooBig = LayoutError("the layout file \(shownPath) is larger than \(maxBytes / 1024) KiB: "
            + "a layout is a few lines, one output rule a line")
        guard info.st_size <= maxBytes else { throw tooBig }
        // Read one byte past the limit: the file may have grown since fstat.
        var bytes = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                throw LayoutError("cannot read the layout file \(shownPath): \(String(cString: strerror(errno)))")
            }
            count += got
        }
        guard count <= maxBytes else { throw tooBig }
        return Array(bytes[..<count])
    }
}
