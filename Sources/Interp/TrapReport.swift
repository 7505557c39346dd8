import Kernel
import WasmKit
import WasmParser

/// How a trap is told, the same on both tiers: its kind in WasmKit's words,
/// the function it happened in and a short backtrace with names from the
/// module's name section, and, when a `memory.grow` was refused by a limit
/// before it, that the actor ran out of memory:
///
///     out of memory (memory limit 256 MiB): unreachable in alloc::alloc::handle_alloc_error <- posterize::apply <- _start
///     call stack exhausted in fib::down <- fib::down <- … 9991 more
///
/// Every name is the module's, so hostile: decoded leniently, demangled,
/// cut to `maximumNameLength` and escaped as log text (`FunctionNames`).
struct TrapReport {
    /// The trap's kind: "unreachable", "out of bounds memory access", ...
    var reason: String
    /// The Wasm frames when it trapped (none when it happened outside a function).
    var frames: TrapFrames = TrapFrames()
    /// The limit that refused a `memory.grow` before the trap, if one did.
    var refusal: MemoryRefusal?

    /// Frames named in a report; deeper ones are counted.
    static let shownFrames = 8

    /// The report, names looked up in `module`.
    func text(module: CheckedModule) -> String {
        var text = reason
        if !frames.innermost.isEmpty {
            let names = FunctionNames.lookup(frames.innermost, in: module)
            var chain = frames.innermost.map { names[$0] ?? "function \($0)" }
            if frames.depth > frames.innermost.count { chain.append("… \(frames.depth - frames.innermost.count) more") }
            text += (reason.hasPrefix("watchdog:") ? "; stopped in " : " in ") + chain.joined(separator: " <- ")
        }
        if let refusal { text = "out of memory (\(refusal)): " + text }
        return text
    }
}

/// The Wasm frames of a trap: the innermost `TrapReport.shownFrames`
/// function indices, innermost first, and how many frames there were in all.
struct TrapFrames: Equatable {
    var innermost: [UInt32] = []
    var depth = 0
}

/// A `memory.grow` that an actor's limit refused: the memory's own limit
/// (`ActorLimits.memoryBytes`), the actor's account, or all actors' budget.
/// A growth past the module's own declared maximum is not one.
enum MemoryRefusal: Equatable, CustomStringConvertible {
    case memoryLimit(bytes: Int)
    case budget(bytes: Int)

    init(_ refusal: ChargeRefusal, account: ResourceAccount) {
        switch refusal {
        case .actorLimit: self = .memoryLimit(bytes: account.limit)
        case .globalBudget: self = .budget(bytes: account.budget.limit)
        }
    }

    var description: String {
        switch self {
        case .memoryLimit(let bytes): "memory limit \(Self.byteCount(bytes))"
        case .budget(let bytes): "all actors' memory budget \(Self.byteCount(bytes))"
        }
    }

    static func byteCount(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

/// Function names from a module's name section (its "function names"
/// subsection), else from its exports: never trusted. A name section that is
/// malformed is ignored, as the spec says, and never fails a load: WasmKit
/// does not see it at all (`ModuleCheck` hides it), so it reads only indices.
/// Names are decoded leniently (invalid UTF-8 becomes U+FFFD), Rust symbols
/// demangled (`RustNames`), cut to `maximumNameLength` characters and escaped
/// as log text; none of them reaches generated C, which knows indices only.
package enum FunctionNames {
    /// Characters of a name in a report; a longer one is cut and ends in "…".
    package static let maximumNameLength = 120
    /// Bytes of a name read at all: enough for any name worth showing.
    static let maximumRawName = 1024

    /// The printable names of `indices` in `module`; an index without a name is left out.
    static func lookup(_ indices: [UInt32], in module: CheckedModule) -> [UInt32: String] {
        names(of: Set(indices), in: module)
    }

    /// Every name the module gives a function, as a report would print it:
    /// the fuzzer's oracle holds each to `maximumNameLength` and to text
    /// without controls, whatever the name section says.
    package static func allNames(in module: CheckedModule) -> [UInt32: String] {
        names(of: nil, in: module)
    }

    /// The printable names of `wanted` (nil: of every function named).
    private static func names(of wanted: Set<UInt32>?, in module: CheckedModule) -> [UInt32: String] {
        var raw = nameSectionNames(of: wanted, in: module.bytes) ?? [:]
        for export in module.module.exports {
            if case .function(let index) = export.descriptor, wanted?.contains(index) ?? true, raw[index] == nil {
                raw[index] = Array(export.name.utf8.prefix(maximumRawName))
            }
        }
        return raw.mapValues(printable)
    }

    /// A name's bytes as a report shows them: decoded, demangled, cut, escaped.
    static func printable(_ bytes: [UInt8]) -> String {
        let name = RustNames.demangled(String(decoding: bytes, as: UTF8.self))
        let scalars = name.unicodeScalars
        guard scalars.count > maximumNameLength else { return LogText.escaped(name) }
        return LogText.escaped(String(String.UnicodeScalarView(scalars.prefix(maximumNameLength)))) + "…"
    }

    /// The raw names of `wanted` (nil: all) in the first custom section
    /// called "name", or nil when there is none or it is malformed. Every
    /// length is checked against what is left; the work is bounded by the
    /// section's size.
    static func nameSectionNames(of wanted: Set<UInt32>?, in bytes: [UInt8]) -> [UInt32: [UInt8]]? {
        guard let section = nameSection(in: bytes) else { return nil }
        var reader = SectionReader(bytes: bytes, range: section)
        var lastSubsection: UInt8?
        var found: [UInt32: [UInt8]] = [:]
        while !reader.atEnd {
            guard let id = reader.byte(), let size = reader.u32(), let body = reader.take(Int(size)) else { return nil }
            // Subsections come in order of their ids, each at most once.
            if let lastSubsection, id <= lastSubsection { return nil }
            lastSubsection = id
            guard id == 1 else { continue }
            var names = SectionReader(bytes: bytes, range: body)
            guard let count = names.u32() else { return nil }
            var previous: UInt32?
            for _ in 0..<count {
                guard let index = names.u32(), let length = names.u32(), let name = names.take(Int(length)) else { return nil }
                if let previous, index <= previous { return nil }  // in order of index, each once
                previous = index
                if wanted?.contains(index) ?? true { found[index] = Array(bytes[name].prefix(maximumRawName)) }
            }
            guard names.atEnd else { return nil }
        }
        return found
    }

    /// Where the contents of the first custom section named "name" lie in
    /// `bytes`, if the section framing holds that far.
    static func nameSection(in bytes: [UInt8]) -> Range<Int>? {
        guard bytes.count >= 8 else { return nil }
        var reader = SectionReader(bytes: bytes, range: 8..<bytes.count)
        while !reader.atEnd {
            guard let id = reader.byte(), let size = reader.u32(), let body = reader.take(Int(size)) else { return nil }
            guard id == 0 else { continue }
            var section = SectionReader(bytes: bytes, range: body)
            guard let length = section.u32(), let name = section.take(Int(length)) else { return nil }
            if bytes[name].elementsEqual("name".utf8) { return section.rest }
        }
        return nil
    }

    /// `bytes` with every custom section named "name" renamed `hiddenName`
    /// (as long, so no offset changes), or `bytes` itself when it has none:
    /// what WasmKit parses. WasmKit would read the name section when a trap
    /// is symbolicated and index its functions with whatever indices it
    /// holds; it reads only indices this way, and `lookup` does the rest.
    static func hidingNameSection(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 8 else { return bytes }
        var result: [UInt8]?
        var reader = SectionReader(bytes: bytes, range: 8..<bytes.count)
        while !reader.atEnd {
            guard let id = reader.byte(), let size = reader.u32(), let body = reader.take(Int(size)) else { break }
            guard id == 0 else { continue }
            var section = SectionReader(bytes: bytes, range: body)
            guard let length = section.u32(), let name = section.take(Int(length)) else { break }
            if bytes[name].elementsEqual("name".utf8) {
                if result == nil { result = bytes }
                result!.replaceSubrange(name, with: hiddenName)
            }
        }
        return result ?? bytes
    }

    /// What WasmKit sees a name section called: no name it reads.
    static let hiddenName = Array("nam_".utf8)
}

/// Reads LEB128 integers and byte runs from a part of an array, every
/// length checked against what is left: nil, never a trap, when one does not fit.
struct SectionReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    var atEnd: Bool { offset >= end }
    var rest: Range<Int> { offset..<end }

    mutating func byte() -> UInt8? {
        guard offset < end else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// An unsigned LEB128 of at most 5 bytes that fits 32 bits.
    mutating func u32() -> UInt32? {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 35, by: 7) {
            guard let byte = byte() else { return nil }
            value |= UInt64(byte & 0x7f) << UInt64(shift)
            if byte & 0x80 == 0 { return value <= UInt64(UInt32.max) ? UInt32(value) : nil }
        }
        return nil
    }

    /// The range of the next `count` bytes.
    mutating func take(_ count: Int) -> Range<Int>? {
        guard count >= 0, count <= end - offset else { return nil }
        defer { offset += count }
        return offset..<offset + count
    }
}

/// Rust symbol names made readable: the legacy mangling
/// (`_ZN9posterize5apply17h0123456789abcdefE`) and what linkers leave of it
/// when they demangle it as C++ (`posterize::apply::h0123456789abcdef`)
/// become `posterize::apply`: the hash dropped, `$LT$`-style escapes and
/// `..` decoded. Anything else (C, v0 `_R` symbols) is kept as it is.
enum RustNames {
    static func demangled(_ name: String) -> String {
        if let legacy = legacyComponents(name) { return join(legacy) }
        guard name.contains("::") else { return name }
        return join(name.split(separator: "::", omittingEmptySubsequences: false).map(String.init))
    }

    /// The components of `_ZN<len><ident>...E` (also `ZN`, `__ZN`, with a
    /// `.llvm.N`-style suffix after the `E`), or nil when it is not one.
    static func legacyComponents(_ name: String) -> [String]? {
        var bytes = Substring(name).utf8[...]
        for prefix in ["__ZN", "_ZN", "ZN"] where bytes.starts(with: prefix.utf8) {
            bytes = bytes.dropFirst(prefix.utf8.count)
            var components: [String] = []
            while let first = bytes.first, first != UInt8(ascii: "E") {
                var length = 0
                while let digit = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) {
                    length = length * 10 + Int(digit - UInt8(ascii: "0"))
                    guard length <= bytes.count else { return nil }
                    bytes = bytes.dropFirst()
                }
                guard length > 0, length <= bytes.count else { return nil }
                components.append(String(decoding: bytes.prefix(length), as: UTF8.self))
                bytes = bytes.dropFirst(length)
            }
            guard bytes.first == UInt8(ascii: "E"), !components.isEmpty else { return nil }
            return components
        }
        return nil
    }

    /// Components joined with `::`, each decoded, the trailing hash dropped.
    private static func join(_ components: [String]) -> String {
        var parts = components
        if parts.count > 1, let last = parts.last, isHash(last) { parts.removeLast() }
        return parts.map(decoded).joined(separator: "::")
    }

    /// `h` and 16 hex digits: the legacy scheme's hash.
    static func isHash(_ component: String) -> Bool {
        let utf8 = component.utf8
        return utf8.count == 17 && utf8.first == UInt8(ascii: "h") && utf8.dropFirst().allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }
    }

    /// A component with the legacy escapes decoded: `$LT$` `<`, `$GT$` `>`,
    /// `$RF$` `&`, `$BP$` `*`, `$C$` `,`, `$SP$` `@`, `$u20$` (any
    /// `$uXX$`), `..` `::`, and a leading `_$` is `$`. An escape it does not
    /// know is kept as it is.
    static func decoded(_ component: String) -> String {
        guard component.contains("$") || component.contains("..") else { return component }
        var text = Substring(component)
        if text.hasPrefix("_$") { text = text.dropFirst() }
        var result = ""
        while let first = text.first {
            if first == "$", let close = text.dropFirst().firstIndex(of: "$") {
                let code = text[text.index(after: text.startIndex)..<close]
                if let replacement = escape(code) {
                    result += replacement
                    text = text[text.index(after: close)...]
                    continue
                }
            }
            if text.hasPrefix("..") {
                result += "::"
                text = text.dropFirst(2)
                continue
            }
            result.append(first)
            text = text.dropFirst()
        }
        return result
    }

    private static func escape(_ code: Substring) -> String? {
        switch code {
        case "LT": return "<"
        case "GT": return ">"
        case "RF": return "&"
        case "BP": return "*"
        case "C": return ","
        case "SP": return "@"
        case "LP": return "("
        case "RP": return ")"
        default:
            guard code.hasPrefix("u"), code.count <= 7, let value = UInt32(code.dropFirst(), radix: 16),
                let scalar = Unicode.Scalar(value)
            else { return nil }
            return String(Character(scalar))
        }
    }
}
