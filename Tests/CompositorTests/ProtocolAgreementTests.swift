import Foundation
import TestSupport
import Testing

@testable import Compositor

/// `Sources/Compositor/Protocol/WindowProtocol.swift` is the one definition of
/// the window protocol; the Rust SDK (`actors/sdk/src/protocol.rs`) and
/// docs/protocol.md restate it. These tests fail when either drifts.
@Suite struct ProtocolAgreementTests {
    /// `name: value` for a list of (name, value) pairs; a repeated name fails the test.
    static func table(_ pairs: [(String, String)], _ what: String) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for (name, text) in pairs {
            #expect(out[name] == nil, "\(what) \(name) appears twice")
            out[name] = SourceText.value(text)
        }
        return out
    }

    static var opcodes: [String: Int64] {
        Dictionary(uniqueKeysWithValues: WindowProtocol.allOpcodes.map { ($0.name, Int64($0.value)) })
    }

    /// The protocol's other numbers, with the names the SDK and the docs use.
    static let values: [(name: String, value: Int64)] = [
        ("FLAG_UNDECORATED", Int64(WindowProtocol.flagUndecorated)),
        ("FLAG_TOUCH", Int64(WindowProtocol.flagTouch)),
        ("FORMAT_XRGB8888", Int64(WindowProtocol.formatXRGB8888)),
        ("FORMAT_ARGB8888", Int64(WindowProtocol.formatARGB8888)),
        ("MOD_SHIFT", Int64(WindowProtocol.modShift)),
        ("MOD_CAPS_LOCK", Int64(WindowProtocol.modCapsLock)),
        ("MOD_CTRL", Int64(WindowProtocol.modCtrl)),
        ("MOD_ALT", Int64(WindowProtocol.modAlt)),
        ("MOD_LOGO", Int64(WindowProtocol.modLogo)),
        ("MOD_ALTGR", Int64(WindowProtocol.modAltGr)),
        ("MOD_NUM_LOCK", Int64(WindowProtocol.modNumLock)),
        ("BUTTON_LEFT", Int64(WindowProtocol.buttonLeft)),
        ("BUTTON_RIGHT", Int64(WindowProtocol.buttonRight)),
        ("BUTTON_MIDDLE", Int64(WindowProtocol.buttonMiddle)),
        ("MAX_TITLE_BYTES", Int64(WindowProtocol.maxTitleBytes)),
        ("MAX_WINDOWS_PER_CLIENT", Int64(WindowProtocol.maxWindowsPerClient)),
        ("MAX_WINDOW_SIZE", Int64(WindowProtocol.maxWindowSize)),
        ("MAX_DAMAGE_RECTS", Int64(WindowProtocol.maxDamageRects)),
        ("EVENT_QUEUE_LENGTH", Int64(WindowProtocol.eventQueueLength)),
        ("MAX_PLUGINS_CHANGED_BYTES", Int64(WindowProtocol.maxPluginsChangedBytes)),
        ("CHOOSE_OPEN", Int64(FileChooserMode.open.rawValue)),
        ("CHOOSE_EDIT", Int64(FileChooserMode.edit.rawValue)),
        ("CHOOSE_SAVE", Int64(FileChooserMode.save.rawValue)),
    ]

    static var errors: [String: Int64] {
        Dictionary(uniqueKeysWithValues: ProtocolError.allCases.map { (SourceText.screamingSnake("\($0)"), Int64($0.rawValue)) })
    }

    // MARK: WindowProtocol itself

    /// `allOpcodes` lists every opcode constant of WindowProtocol once, under
    /// its own name in SCREAMING_SNAKE, and no two opcodes share a value.
    @Test func opcodeTableListsEveryOpcode() throws {
        let swift = try Repository.text("Sources/Compositor/Protocol/WindowProtocol.swift")
        let opcodeSection = try #require(swift.components(separatedBy: "// MARK: Values").first)
        let declared = SourceText.matches(#"^\s*public static let (\w+): UInt32 = (0x[0-9A-Fa-f]+)\s*$"#, in: opcodeSection)
        #expect(!declared.isEmpty, "no opcode declarations found: has WindowProtocol.swift's layout changed?")
        let listed = Self.table(WindowProtocol.allOpcodes.map { ($0.name, "\($0.value)") }, "opcode")
        #expect(listed.count == declared.count, "allOpcodes has \(listed.count) entries, WindowProtocol declares \(declared.count) opcodes")
        for d in declared {
            #expect(listed[SourceText.screamingSnake(d[1])] == SourceText.value(d[2]), "\(d[1]) = \(d[2])")
        }
        #expect(Set(WindowProtocol.allOpcodes.map(\.value)).count == WindowProtocol.allOpcodes.count)
    }

    // MARK: Rust SDK

    @Test func rustOpcodesAndValuesMatch() throws {
        let rust = try Repository.text("actors/sdk/src/protocol.rs")
        let u32s = Self.table(SourceText.matches(#"^pub const (\w+): u32 = ([^;]+);"#, in: rust).map { ($0[1], $0[2]) }, "u32")
        let usizes = Self.table(SourceText.matches(#"^pub const (\w+): usize = ([^;]+);"#, in: rust).map { ($0[1], $0[2]) }, "usize")
        var expected = Self.opcodes
        for (name, value) in Self.values { expected[name] = value }
        let found = u32s.merging(usizes) { a, _ in a }
        #expect(Set(found.keys) == Set(expected.keys), "protocol.rs has exactly the protocol's constants")
        for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(found[name] == value, "\(name)")
        }
        #expect(usizes.keys.sorted() == [
            "EVENT_QUEUE_LENGTH", "MAX_DAMAGE_RECTS", "MAX_PLUGINS_CHANGED_BYTES", "MAX_TITLE_BYTES", "MAX_WINDOWS_PER_CLIENT",
            "MAX_WINDOW_SIZE",
        ])
    }

    @Test func rustErrorCodesMatch() throws {
        let rust = try Repository.text("actors/sdk/src/protocol.rs")
        let errorModule = try #require(rust.components(separatedBy: "pub mod error {").last)
        let codes = Self.table(SourceText.matches(#"^\s*pub const (\w+): i32 = (-?\d+);"#, in: errorModule).map { ($0[1], $0[2]) }, "error")
        #expect(codes == Self.errors)
        // Each code has its name in `error::name`.
        for name in Self.errors.keys {
            #expect(errorModule.contains("\(name) => \"\(name)\""), "error::name(\(name))")
        }
    }

    // MARK: docs/protocol.md

    @Test func docsListEveryOpcode() throws {
        let doc = try Repository.text("docs/protocol.md")
        let rows = Self.table(SourceText.matches(#"^\| (0x[0-9A-Fa-f]{4}) \| ([A-Z_]+) \|"#, in: doc).map { ($0[2], $0[1]) }, "opcode row")
        #expect(rows == Self.opcodes)
        let headings = Set(SourceText.matches(#"^### ([A-Z_]+)\s*$"#, in: doc).map { $0[1] })
        for name in Self.opcodes.keys.sorted() {
            #expect(headings.contains(name), "docs/protocol.md has a section ### \(name)")
        }
    }

    @Test func docsListEveryErrorCodeAndValue() throws {
        let doc = try Repository.text("docs/protocol.md")
        let errors = Self.table(SourceText.matches(#"^\| (\d+) \| ([A-Z_]+) \|"#, in: doc).map { ($0[2], $0[1]) }, "error row")
        #expect(errors == Self.errors)
        let values = Self.table(
            SourceText.matches(#"^\| ([A-Z][A-Z0-9_]+) \| (0x[0-9A-Fa-f]+|\d+) \|"#, in: doc).map { ($0[1], $0[2]) }, "value row")
        #expect(values == Dictionary(uniqueKeysWithValues: Self.values.map { ($0.name, $0.value) }))
    }
}
