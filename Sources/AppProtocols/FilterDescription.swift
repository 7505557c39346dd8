// The same type as FilterProtocol.swift's on branch i19-engine (H3, issue 19),
// copied verbatim so that wskdesk try builds before that branch lands: when
// it does, this file goes (the merge keeps i19-engine's definition).

/// A `description` text, parsed as strictly as the SDK's
/// `Description::parse` (it comes from a plugin): old texts (name and
/// parameter lines) and new ones (with metadata) alike.
public struct FilterDescription: Equatable, Sendable {
    public struct Param: Equatable, Sendable {
        public let name: String
        public let min: Int32
        public let max: Int32
        public let `default`: Int32

        public init(name: String, min: Int32, max: Int32, default: Int32) {
            self.name = name
            self.min = min
            self.max = max
            self.default = `default`
        }
    }

    public var name: String
    public var version: String?
    public var author: String?
    public var description: String?
    public var params: [Param]

    public init(name: String, version: String? = nil, author: String? = nil, description: String? = nil, params: [Param] = []) {
        self.name = name
        self.version = version
        self.author = author
        self.description = description
        self.params = params
    }

    /// Nil when there is no name line, the name or a metadata value is too
    /// long or holds a control character, a parameter name is not 1 to 32
    /// of `[A-Za-z0-9_-]`, a parameter line is not `name min max default`
    /// with `min <= default <= max`, or there are more than 8 parameters.
    /// Metadata with an unknown key is skipped.
    public init?(parsing text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }[...]
        guard let first = lines.popFirst() else { return nil }
        let name = first.trimmingWhitespace
        guard !name.isEmpty, Self.printable(name) else { return nil }
        self.init(name: String(name))
        for line in lines {
            let words = line.split(whereSeparator: \.isWhitespace)
            guard let head = words.first else { continue }
            if head.hasSuffix(":") {
                let value = line.trimmingWhitespace.dropFirst(head.count).trimmingWhitespace
                guard Self.printable(value) else { return nil }
                switch head.dropLast() {
                case "version": version = String(value)
                case "author": author = String(value)
                case "description": description = String(value)
                default: continue
                }
                continue
            }
            guard words.count == 4, Self.isParamName(head),
                let min = Int32(words[1]), let max = Int32(words[2]), let value = Int32(words[3]),
                min <= value, value <= max, params.count < FilterProtocol.maxParams
            else { return nil }
            params.append(Param(name: String(head), min: min, max: max, default: value))
        }
    }

    static func printable(_ text: Substring) -> Bool {
        text.utf8.count <= FilterProtocol.maxMetaBytes
            && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    static func isParamName(_ name: Substring) -> Bool {
        (1...FilterProtocol.maxParamName).contains(name.utf8.count)
            && name.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}

extension Substring {
    /// Without leading and trailing whitespace, as Rust's `str::trim`.
    fileprivate var trimmingWhitespace: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<Swift.max(start, end)]
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5a).contains(self) || (0x61...0x7a).contains(self)
    }
}

extension FilterProtocol {
    /// The longest name or metadata value of a description, in bytes.
    public static let maxMetaBytes = 200
    /// The longest parameter name, in bytes.
    public static let maxParamName = 32
}
