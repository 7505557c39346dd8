import AppProtocols
import Foundation
import TestSupport
import Testing

/// The plugin protocols and the boot configuration are defined in the Rust
/// SDK (`actors/sdk/src/{filter,formula,boot}.rs`); `AppProtocols` and
/// `docs/plugins.md` restate them. These fail when any of them drifts.
@Suite struct PluginProtocolAgreementTests {
    /// `NAME: value` for each `pub const NAME: type = value;` at the start of a line in `rust`.
    static func constants(_ rust: String, type: String) -> [String: Int64] {
        let regex = try! NSRegularExpression(pattern: #"^\s*pub const (\w+): \#(type) = ([^;]+);"#, options: [.anchorsMatchLines])
        var out: [String: Int64] = [:]
        for m in regex.matches(in: rust, range: NSRange(rust.startIndex..., in: rust)) {
            let name = String(rust[Range(m.range(at: 1), in: rust)!])
            let text = rust[Range(m.range(at: 2), in: rust)!].replacingOccurrences(of: "_", with: "")
            out[name] = SourceText.value(text)
        }
        return out
    }

    /// The rows `| 0x0600 | DESCRIBE |` of a markdown table in `doc`.
    static func documentedOpcodes(_ doc: String) -> [String: Int64] {
        let regex = try! NSRegularExpression(pattern: #"^\| (0x[0-9A-Fa-f]{4}) \| ([A-Z_]+) \|"#, options: [.anchorsMatchLines])
        var out: [String: Int64] = [:]
        for m in regex.matches(in: doc, range: NSRange(doc.startIndex..., in: doc)) {
            out[String(doc[Range(m.range(at: 2), in: doc)!])] = SourceText.value(String(doc[Range(m.range(at: 1), in: doc)!]))
        }
        return out
    }

    /// The rows `| 2 | BAD_IMAGE |` of a markdown table in `doc`.
    static func documentedCodes(_ doc: String) -> [String: Int64] {
        let regex = try! NSRegularExpression(pattern: #"^\| (\d+) \| ([A-Z_]+) \|"#, options: [.anchorsMatchLines])
        var out: [String: Int64] = [:]
        for m in regex.matches(in: doc, range: NSRange(doc.startIndex..., in: doc)) {
            out[String(doc[Range(m.range(at: 2), in: doc)!])] = SourceText.value(String(doc[Range(m.range(at: 1), in: doc)!]))
        }
        return out
    }

    static func errorTable<E: RawRepresentable>(_ cases: [E]) -> [String: Int64] where E.RawValue == UInt32 {
        Dictionary(uniqueKeysWithValues: cases.map { (SourceText.screamingSnake("\($0)"), Int64($0.rawValue)) })
    }

    static func table(_ opcodes: [(name: String, value: UInt32)]) -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: opcodes.map { ($0.name, Int64($0.value)) })
    }

    @Test func filterProtocol() throws {
        let rust = try Repository.text("actors/sdk/src/filter.rs")
        let (main, errors) = try #require(rust.components(separatedBy: "pub mod error {").splitPair)
        let opcodes = Self.table(FilterProtocol.allOpcodes)
        #expect(Self.constants(main, type: "u32") == opcodes.merging(["MAX_SIDE": Int64(FilterProtocol.maxSide)]) { a, _ in a })
        #expect(Self.constants(main, type: "usize") == [
            "MAX_PARAMS": Int64(FilterProtocol.maxParams), "MAX_PIXELS": Int64(FilterProtocol.maxPixels),
            "MAX_META_BYTES": Int64(FilterProtocol.maxMetaBytes), "MAX_PARAM_NAME": Int64(FilterProtocol.maxParamName),
        ])
        let codes = Self.errorTable(FilterError.allCases)
        #expect(Self.constants(String(errors.prefix { $0 != "}" }), type: "u32") == codes)
        let section = try Self.section("Filter plugins")
        #expect(Self.documentedOpcodes(section) == opcodes, "docs/plugins.md")
        #expect(Self.documentedCodes(section) == codes, "docs/plugins.md")
    }

    /// The SDK's `Description::parse` cases (`actors/sdk/src/filter.rs`,
    /// tests `descriptions_round_trip` and `descriptions_carry_metadata`),
    /// through the Swift parser: the same texts accepted and refused.
    @Test func filterDescriptions() {
        let full = FilterDescription(parsing:
            "Box blur\nversion: 1.2.0\nauthor: Jane Doe\ndescription: Averages: each pixel\nradius 1 32 2\npasses 1 3 1\n")
        #expect(full == FilterDescription(name: "Box blur", version: "1.2.0", author: "Jane Doe", description: "Averages: each pixel",
                                          params: [.init(name: "radius", min: 1, max: 32, default: 2),
                                                   .init(name: "passes", min: 1, max: 3, default: 1)]))
        #expect(FilterDescription(parsing: "Box blur\nradius 1 32 2\n")?.params.count == 1, "an old text")
        #expect(FilterDescription(parsing: "Invert")?.params == [])
        let skipped = FilterDescription(parsing: "X\nlicense: MIT\nhomepage:\nr 1 2 1\n")
        #expect(skipped?.version == nil && skipped?.params.count == 1, "unknown keys skipped")
        let long = String(repeating: "a", count: FilterProtocol.maxMetaBytes + 1)
        let nine = (0..<9).map { "p\($0) 0 1 0\n" }.joined()
        for (text, why) in [
            ("x\nr 5 1 3\n", "min above max"), ("x\nr 1 5\n", "missing default"), ("\n", "no name"),
            ("X\nauthor: a\u{7}b\n", "a control character"), ("X\nversion: \(long)\n", "too long"), ("\(long)\n", "a name too long"),
            ("X\nr\u{1b}[2J 1 2 1\n", "an escape in a parameter name"), ("X\nrädius 1 2 1\n", "not [A-Za-z0-9_-]"),
            ("X\n\(String(repeating: "r", count: 33)) 1 2 1\n", "a parameter name too long"), ("X\n\(nine)", "nine parameters"),
        ] {
            #expect(FilterDescription(parsing: text) == nil, "\(why)")
        }
    }

    @Test func formulaProtocol() throws {
        let rust = try Repository.text("actors/sdk/src/formula.rs")
        let (main, errors) = try #require(rust.components(separatedBy: "pub mod error {").splitPair)
        #expect(Self.constants(main, type: "u32") == Self.table(FormulaProtocol.allOpcodes), "opcodes")
        let sizes = Self.constants(main, type: "usize")
        #expect(sizes == ["MAX_TILE_SAMPLES": Int64(FormulaProtocol.maxTileSamples), "TILE_BYTES": Int64(FormulaProtocol.tileBytes)])
        let codes = Self.errorTable(FormulaError.allCases)
        #expect(Self.constants(String(errors.prefix { $0 != "}" }), type: "u32") == codes)
        let section = try Self.section("Calculation plugins")
        #expect(Self.documentedOpcodes(section) == Self.table(FormulaProtocol.allOpcodes), "docs/plugins.md")
        #expect(Self.documentedCodes(section) == codes, "docs/plugins.md")
        // The tile layout: the same 68 bytes both ways.
        let tile = FormulaTile(job: 9, x0: -3, y0: 4, columns: 5, rows: 6, stride: 7, iterations: 8, left: -2.5, top: 1.25,
                               step: 0.125, p0: -0.8, p1: 0.156)
        #expect(tile.payload.count == FormulaProtocol.tileBytes)
        #expect(FormulaTile(payload: tile.payload) == tile)
        #expect(Array(tile.payload[28..<36]) == Array(withUnsafeBytes(of: (-2.5).bitPattern.littleEndian) { Array($0) }))
    }

    @Test func bootConfiguration() throws {
        let rust = try Repository.text("actors/sdk/src/boot.rs")
        #expect(Self.constants(rust, type: "u32") == [
            "BOOT_CONFIG": Int64(BootConfig.opcode), "OPEN_FILE": Int64(BootConfig.openFileOpcode),
        ])
        #expect(Self.constants(rust, type: "usize")["MAX_CONFIG_BYTES"] == Int64(BootConfig.maxBytes))
        var config = BootConfig()
        config.set("plugins", list: ["blur", "invert"])
        config.set("size", "640x480")
        #expect(config.text == "plugins=blur,invert\nsize=640x480\n")
        #expect(try Repository.text("docs/plugins.md").contains("| 0x0500 | BOOT_CONFIG |"))
    }

    /// A section of docs/plugins.md, from its `## title` to the next `## `.
    static func section(_ title: String) throws -> String {
        let doc = try Repository.text("docs/plugins.md")
        guard let start = doc.range(of: "\n## \(title)") else { return "" }
        let rest = doc[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)])
    }
}

extension Array where Element == String {
    /// The two parts of a two-way split, or nil.
    var splitPair: (String, String)? { count == 2 ? (self[0], self[1]) : nil }
}
