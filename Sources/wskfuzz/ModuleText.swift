/// The text a module carries that is its own, not the ABI's: export names
/// other than `_start` and `memory`, custom section names and contents, and
/// each name of a "name" section. None of it may reach the generated C
/// (DESIGN.md, "The sandbox's rules"); the harness looks for each piece in
/// wasm2c's output.
///
/// Also the module with that text taken out (`withoutText`): exports renamed
/// `e0`, `e1`, … and custom sections dropped. A piece found in the C of the
/// module but not as often in the C of `withoutText` came from the module;
/// one found as often in both is the generated code's own text (a name like
/// `int` or `memcpy`).
struct ModuleText {
    /// Pieces shorter than this are not looked for: any C has them.
    static let minimumLength = 3
    /// The export names the ABI fixes, which the C names by design.
    static let abiExports: Set<[UInt8]> = [Array("_start".utf8), Array("memory".utf8)]

    /// What a piece is, for the report.
    enum Kind: String {
        case exportName = "export name"
        case customName = "custom section name"
        case customContent = "custom section content"
        case nameSectionEntry = "name section entry"
    }

    private(set) var pieces: [(kind: Kind, bytes: [UInt8])] = []
    private(set) var withoutText: [UInt8] = []

    /// The module's text, or nil when `bytes` is not a sequence of sections
    /// after the 8-byte header (ModuleCheck has refused such bytes already).
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 8 else { return nil }
        withoutText = Array(bytes[0..<8])
        var reader = ByteReader(bytes, from: 8)
        while !reader.atEnd {
            guard let id = reader.byte(), let size = reader.leb(), let payload = reader.bytes(size) else { return nil }
            switch id {
            case 0:
                var section = ByteReader(payload, from: 0)
                guard let name = section.name() else { return nil }
                let content = Array(payload[section.offset...])
                add(.customName, name)
                add(.customContent, content)
                if name == Array("name".utf8) { addNames(content) }
            case 7:
                guard let exports = renamedExports(payload) else { return nil }
                withoutText += [7] + leb(exports.count) + exports
            default:
                withoutText += [id] + leb(size) + payload
            }
        }
    }

    private mutating func add(_ kind: Kind, _ piece: [UInt8]) {
        if piece.count >= Self.minimumLength, !Self.abiExports.contains(piece) { pieces.append((kind, piece)) }
    }

    /// The export section with its names added to `pieces` and replaced.
    private mutating func renamedExports(_ payload: [UInt8]) -> [UInt8]? {
        var reader = ByteReader(payload, from: 0)
        guard let count = reader.leb() else { return nil }
        var out = leb(count)
        for n in 0..<count {
            guard let name = reader.name(), let kind = reader.byte(), let index = reader.leb() else { return nil }
            add(.exportName, name)
            let renamed = Self.abiExports.contains(name) ? name : Array("e\(n)".utf8)
            out += leb(renamed.count) + renamed + [kind] + leb(index)
        }
        return reader.atEnd ? out : nil
    }

    /// The names of a "name" section: the module's (subsection 0), name maps
    /// (1 functions, 4–11 types, tables, memories, globals, segments, fields,
    /// tags) and indirect name maps (2 locals, 3 labels). Stops at the first
    /// thing it cannot read; the section's whole content is a piece anyway.
    private mutating func addNames(_ content: [UInt8]) {
        var reader = ByteReader(content, from: 0)
        while !reader.atEnd {
            guard let id = reader.byte(), let size = reader.leb(), let payload = reader.bytes(size) else { return }
            var sub = ByteReader(payload, from: 0)
            switch id {
            case 0:
                guard let name = sub.name() else { return }
                add(.nameSectionEntry, name)
            case 1, 4...11:
                guard addNameMap(&sub) else { return }
            case 2, 3:
                guard let count = sub.leb() else { return }
                for _ in 0..<count {
                    guard sub.leb() != nil, addNameMap(&sub) else { return }
                }
            default:
                continue
            }
        }
    }

    private mutating func addNameMap(_ reader: inout ByteReader) -> Bool {
        guard let count = reader.leb() else { return false }
        for _ in 0..<count {
            guard reader.leb() != nil, let name = reader.name() else { return false }
            add(.nameSectionEntry, name)
        }
        return true
    }
}

/// Unsigned LEB128.
func leb(_ value: Int) -> [UInt8] {
    var value = value
    var out: [UInt8] = []
    repeat {
        let byte = UInt8(value & 0x7f)
        value >>= 7
        out.append(value == 0 ? byte : byte | 0x80)
    } while value != 0
    return out
}

/// Reads a module's bytes; every read checks the bounds and says nil past them.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], from offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    var atEnd: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        offset += 1
        return bytes[offset - 1]
    }

    /// An unsigned LEB128 of at most 5 bytes (a u32, as Wasm's sizes and counts are).
    mutating func leb() -> Int? {
        var value = 0
        for shift in stride(from: 0, to: 35, by: 7) {
            guard let byte = byte() else { return nil }
            value |= Int(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count <= bytes.count - offset else { return nil }
        offset += count
        return Array(bytes[offset - count..<offset])
    }

    /// A name: its length, then its bytes.
    mutating func name() -> [UInt8]? {
        guard let count = leb() else { return nil }
        return bytes(count)
    }
}
