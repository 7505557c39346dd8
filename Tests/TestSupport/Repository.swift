import Foundation

/// The source tree the tests run in: its root (found from this file's path),
/// the files in it, and the actors `scripts/build-actors` built into it.
public enum Repository {
    public static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TestSupport/Repository.swift
        return parts.joined(separator: "/")
    }()

    /// The text of a file, by its path from the root.
    public static func text(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// A built actor: `build/actors/<path>`, e.g. `paint.wasm` or `plugins/blur.wasm`.
    public static func builtActor(_ path: String) -> String {
        root + "/build/actors/" + path
    }
}

/// Reading constants out of Swift, Rust and Markdown, for the tests that
/// check that a definition and its restatements agree.
public enum SourceText {
    /// `invalidHandle` -> `INVALID_HANDLE`.
    public static func screamingSnake(_ name: String) -> String {
        name.reduce(into: "") { out, c in out += (c.isUppercase ? "_" : "") + c.uppercased() }
    }

    /// The capture groups of each match of `pattern` (`^` and `$` match at
    /// line ends); an unmatched group is "".
    public static func matches(_ pattern: String, in text: String) -> [[String]] {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? "" : ns.substring(with: m.range(at: $0)) }
        }
    }

    /// Evaluates a constant as the sources write it: `1 << 4`, `0x01FF`,
    /// `16 * 1024 * 1024`, `4_096` or `-3`.
    public static func value(_ expression: String) -> Int64? {
        let e = expression.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        if let shift = e.range(of: "<<") {
            guard let a = value(String(e[..<shift.lowerBound])), let b = value(String(e[shift.upperBound...])) else { return nil }
            return a << b
        }
        if e.contains("*") {
            var product: Int64 = 1
            for factor in e.split(separator: "*") {
                guard let v = value(String(factor)) else { return nil }
                product *= v
            }
            return product
        }
        if e.hasPrefix("0x") { return Int64(e.dropFirst(2), radix: 16) }
        return Int64(e)
    }
}
