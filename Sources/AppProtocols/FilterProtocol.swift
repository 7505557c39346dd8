import Wire

/// The filter-plugin protocol, restating `actors/sdk/src/filter.rs` (its
/// definition; `docs/plugins.md` describes it). A plugin answers two calls
/// on its boot endpoint: `describe` and `apply` (an XRGB8888 image in a
/// passed buffer, filtered in place). An `apply` sent without a reply cap
/// is answered on the plugin's handle 2 (an answer endpoint the app
/// granted at spawn), after `progress` notes.
public enum FilterProtocol {
    // MARK: Requests

    /// No payload. Answer: `description`.
    public static let describe: UInt32 = 0x0600
    /// Cap: the image buffer (read, write). Payload: width u32, height u32,
    /// parameter values i32. Answer: `done` or `error` (on the reply cap, or
    /// on the answer endpoint when sent).
    public static let apply: UInt32 = 0x0601
    /// No payload, never answered: a send that fails says the plugin died.
    public static let ping: UInt32 = 0x0602

    // MARK: Answers

    /// UTF-8: the filter's name, then metadata lines `key: value`, then
    /// `name min max default` per parameter, one per line (`FilterDescription`).
    public static let description: UInt32 = 0x0680
    /// The buffer holds the result. Payload: how long the filter function
    /// took, u64 nanoseconds by the plugin's clock, then the engine u32
    /// (0 interpreter, 1 compiled), each optional (figures for benchmarks
    /// and logs; callers may ignore them).
    public static let done: UInt32 = 0x0681
    /// On the answer endpoint while an `apply` runs: done u32, total u32.
    public static let progress: UInt32 = 0x0682
    /// Code u32 (`FilterError`), message UTF-8.
    public static let error: UInt32 = 0x06FF

    // MARK: Values

    /// The most parameters a filter has.
    public static let maxParams = 8
    /// The largest width or height.
    public static let maxSide = 8192
    /// The largest image in pixels.
    public static let maxPixels = 16 * 1024 * 1024
    /// The longest name or metadata value of a description, in bytes.
    public static let maxMetaBytes = 200
    /// The longest parameter name, in bytes.
    public static let maxParamName = 32

    /// Every opcode with the name the SDK and docs use.
    public static let allOpcodes: [(name: String, value: UInt32)] = [
        ("DESCRIBE", describe), ("APPLY", apply), ("PING", ping), ("DESCRIPTION", description), ("DONE", done),
        ("PROGRESS", progress), ("ERROR", error),
    ]

    /// The payload of `apply`.
    public static func applyPayload(width: Int, height: Int, params: [Int32]) -> [UInt8] {
        var w = PayloadWriter()
        w.u32(UInt32(truncatingIfNeeded: width))
        w.u32(UInt32(truncatingIfNeeded: height))
        for p in params { w.i32(p) }
        return w.bytes
    }
}

/// Codes in a filter plugin's `error` answer.
public enum FilterError: UInt32, Sendable, CaseIterable {
    case malformed = 1
    case badImage = 2
    case noMemory = 3
    case bufferFailed = 4
    /// The filter panicked; the message is the panic's text.
    case panicked = 5
}

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
