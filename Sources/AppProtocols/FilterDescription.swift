/// A filter plugin's `description` text, parsed (the SDK's
/// `filter::Description::parse` restated; docs/plugins.md). Line 1 is the
/// filter's name; then, in any order, metadata lines `key: value` (a line
/// whose first word ends in `:`; keys `version`, `author`, `description`,
/// others ignored so that newer plugins still parse) and parameter lines
/// `name min max default`, at most `FilterProtocol.maxParams`. Plugins
/// without metadata (the first form of the protocol) parse the same.
///
/// Every string in it came from the plugin: escape it (`escaped`) before it
/// goes to a log or a terminal.
public struct FilterDescription: Equatable, Sendable {
    public struct Parameter: Equatable, Sendable {
        public let name: String
        public let range: ClosedRange<Int32>
        public let defaultValue: Int32

        public init(name: String, range: ClosedRange<Int32>, defaultValue: Int32) {
            self.name = name
            self.range = range
            self.defaultValue = defaultValue
        }

        /// `radius 1..32 (default 2)`.
        public var summary: String {
            "\(name) \(range.lowerBound)..\(range.upperBound) (default \(defaultValue))"
        }
    }

    public let name: String
    public let version: String?
    public let author: String?
    public let about: String?
    public let parameters: [Parameter]

    /// The longest metadata value, in bytes.
    public static let maxMetadataBytes = 200
    /// The longest parameter name, in bytes.
    public static let maxParameterNameBytes = 32

    /// Parses `text`; nil when it is not a description: no name, a
    /// parameter line that is not four words with `min <= default <= max`,
    /// a parameter name outside `[A-Za-z0-9_-]{1,32}` or given twice, too
    /// many parameters, or a metadata value with a control character or
    /// over `maxMetadataBytes`.
    public init?(parsing text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard let first = lines.popFirst() else { return nil }
        let name = first.trimmingSpaces
        guard !name.isEmpty, !name.unicodeScalars.contains(where: Self.isControl) else { return nil }
        var metadata: [Substring: Substring] = [:]
        var parameters: [Parameter] = []
        for line in lines {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let key = words.first else { continue }  // a blank line
            if key.hasSuffix(":") {
                let value = line.drop { $0 == " " || $0 == "\t" }.dropFirst(key.count).trimmingSpaces
                guard value.utf8.count <= Self.maxMetadataBytes, !value.unicodeScalars.contains(where: Self.isControl)
                else { return nil }
                if metadata[key.dropLast()] == nil { metadata[key.dropLast()] = value }  // the first one counts
                continue
            }
            guard words.count == 4, Self.isParameterName(key), let min = Int32(words[1]), let max = Int32(words[2]),
                let value = Int32(words[3]), min <= value, value <= max,
                parameters.count < FilterProtocol.maxParams, !parameters.contains(where: { $0.name == key })
            else { return nil }
            parameters.append(Parameter(name: String(key), range: min...max, defaultValue: value))
        }
        self.name = String(name)
        version = metadata["version"].map(String.init)
        author = metadata["author"].map(String.init)
        about = metadata["description"].map(String.init)
        self.parameters = parameters
    }

    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    /// `radius 1..32 (default 2), passes 1..3 (default 1)`, or `none`.
    public var parameterSummary: String {
        parameters.isEmpty ? "none" : parameters.map(\.summary).joined(separator: ", ")
    }

    static func isParameterName(_ word: Substring) -> Bool {
        (1...maxParameterNameBytes).contains(word.utf8.count)
            && word.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || isASCIILetterOrDigit($0) }
    }

    static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }

    /// `text` safe to print: control characters (escape sequences, line
    /// breaks) spelled as `\u{…}`.
    public static func escaped<S: StringProtocol>(_ text: S) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}

extension Substring {
    /// Without the spaces, tabs and carriage returns around it.
    fileprivate var trimmingSpaces: Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return self[first...last]
    }
}
