import Wire

/// The filter-plugin protocol, restating `actors/sdk/src/filter.rs` (its
/// definition; `docs/plugins.md` describes it). A plugin answers two calls
/// on its boot endpoint: `describe` and `apply` (an XRGB8888 image in a
/// passed buffer, filtered in place).
public enum FilterProtocol {
    // MARK: Requests

    /// No payload. Answer: `description`.
    public static let describe: UInt32 = 0x0600
    /// Cap: the image buffer (read, write). Payload: width u32, height u32,
    /// parameter values i32. Answer: `done` or `error`.
    public static let apply: UInt32 = 0x0601

    // MARK: Answers

    /// UTF-8: the filter's name, then `name min max default` per parameter, one per line.
    public static let description: UInt32 = 0x0680
    /// The buffer holds the result. Payload: how long the filter function
    /// took, u64 nanoseconds by the plugin's clock, or none (a figure for
    /// benchmarks; callers may ignore it).
    public static let done: UInt32 = 0x0681
    /// Code u32 (`FilterError`), message UTF-8.
    public static let error: UInt32 = 0x06FF

    // MARK: Values

    /// The most parameters a filter has.
    public static let maxParams = 8
    /// The largest width or height.
    public static let maxSide = 8192
    /// The largest image in pixels.
    public static let maxPixels = 16 * 1024 * 1024

    /// Every opcode with the name the SDK and docs use.
    public static let allOpcodes: [(name: String, value: UInt32)] = [
        ("DESCRIBE", describe), ("APPLY", apply), ("DESCRIPTION", description), ("DONE", done), ("ERROR", error),
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
}
