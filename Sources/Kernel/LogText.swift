/// Text from an actor or a module — a `sys_log` line, a module's import
/// name, an actor's name — made safe to put inside one log line: it can
/// neither end the line (and forge the next one) nor drive the terminal.
///
/// Escaped: C0 controls and DEL (`\n`, `\r`, `\t`, `\0`, `\e`, else
/// `\x1f`), C1 controls, the line and paragraph separators, and the
/// bidirectional overrides and isolates that can make text read backwards
/// (`\u{202e}`), and the backslash itself, so every escape reads one way.
/// Everything else, any script and emoji included, is kept.
public enum LogText {
    public static func escaped(_ text: some StringProtocol) -> String {
        escape(text, where: needsEscape)
    }

    /// The controls of `text` escaped, backslashes kept: for a log handler,
    /// the last line of defence for text that was escaped (or not) before.
    /// Idempotent, so text escaped by `escaped` passes unchanged.
    public static func controlsEscaped(_ text: some StringProtocol) -> String {
        escape(text) { $0 != "\\" && needsEscape($0) }
    }

    private static func escape(_ text: some StringProtocol, where needsEscape: (Unicode.Scalar) -> Bool) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return String(text) }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\0": result += "\\0"
            case "\u{1b}": result += "\\e"
            default:
                let hex = String(scalar.value, radix: 16)
                result += scalar.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex : "\\u{\(hex)}"
            }
        }
        return result
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1f, 0x7f...0x9f: true  // C0, DEL, C1
        case 0x5c: true  // the backslash
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069: true  // bidirectional marks, overrides, isolates
        default: false
        }
    }
}
