import Wire

/// The boot configuration the desktop sends an app before it starts,
/// restating `actors/sdk/src/boot.rs`: one message of `key=value` lines
/// on an endpoint the app receives on (paint and fractal: handle 3).
public struct BootConfig: Sendable, Equatable {
    /// The message's opcode.
    public static let opcode: UInt32 = 0x0500
    /// A file the desktop hands the app to open (`--open`), after the
    /// configuration on the same endpoint: payload handle u64 (a FILE cap
    /// already in the app's space), the file's name UTF-8.
    public static let openFileOpcode: UInt32 = 0x0501

    /// The payload of an `openFileOpcode` message.
    public static func openFilePayload(handle: UInt64, name: String) -> [UInt8] {
        var writer = PayloadWriter()
        writer.u64(handle)
        writer.text(name)
        return writer.bytes
    }
    /// The longest text an app reads.
    public static let maxBytes = 4096

    public private(set) var entries: [(key: String, value: String)] = []

    public init() {}

    public static func == (a: BootConfig, b: BootConfig) -> Bool { a.text == b.text }

    /// Adds a setting. Keys and values must not hold `=` (keys) or newlines.
    public mutating func set(_ key: String, _ value: String) {
        precondition(!key.contains("=") && !key.contains("\n") && !value.contains("\n"), "malformed boot setting")
        entries.append((key, value))
    }

    public mutating func set(_ key: String, list: [String]) { set(key, list.joined(separator: ",")) }

    public var text: String { entries.map { "\($0.key)=\($0.value)\n" }.joined() }

    /// The message payload; nil when longer than `maxBytes`.
    public var payload: [UInt8]? {
        let bytes = Array(text.utf8)
        return bytes.count <= Self.maxBytes ? bytes : nil
    }
}
