import Foundation
import TestSupport
import Testing

@testable import Kernel

/// `Sources/Kernel/ABI.swift` is the one definition of the ABI; the Rust SDK
/// and docs/ABI.md restate it. These tests fail when either drifts.
@Suite struct ABIAgreementTests {
    static let openFlags: [(OpenOptions, String)] = [
        (.create, "CREATE"), (.exclusive, "EXCLUSIVE"), (.truncate, "TRUNCATE"), (.directory, "DIRECTORY"),
    ]

    // MARK: Rust SDK

    @Test func rustHostCallDeclarationsMatch() throws {
        let rust = try Repository.text("actors/sdk/src/abi.rs")
        let declared = SourceText.matches(#"pub fn (sys_\w+)\(([^)]*)\)(?:\s*->\s*(\w+|!))?;"#, in: rust)
        var rustCalls: [String: String] = [:]
        for m in declared {
            let params = m[2].split(separator: ",").map { p in
                p.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)
            }
            let result = (m[3].isEmpty || m[3] == "!") ? "" : " -> " + m[3]
            rustCalls[m[1]] = "(" + params.joined(separator: ", ") + ")" + result
        }
        #expect(Set(rustCalls.keys) == Set(ABI.hostCalls.map(\.name)))
        for call in ABI.hostCalls {
            #expect(rustCalls[call.name] == call.text, "\(call.name)")
        }
    }

    @Test func rustErrorCodesMatch() throws {
        let rust = try Repository.text("actors/sdk/src/abi.rs")
        let consts = Dictionary(uniqueKeysWithValues: SourceText.matches(#"pub const (\w+): i32 = (-?\d+);"#, in: rust).map { ($0[1], $0[2]) })
        #expect(consts.count == SysError.allCases.count)
        for error in SysError.allCases {
            #expect(consts[error.abiName].flatMap { Int32($0) } == error.rawValue, "\(error.abiName)")
        }
    }

    @Test func rustRightsKindsAndLayoutMatch() throws {
        let rust = try Repository.text("actors/sdk/src/abi.rs")
        let u32s = Dictionary(
            SourceText.matches(#"pub const (\w+): u32 = ([^;]+);"#, in: rust).map { ($0[1], $0[2]) }, uniquingKeysWith: { a, _ in a })
        for (right, name) in Rights.names {
            #expect(u32s[name.uppercased()].flatMap(SourceText.value) == Int64(right.rawValue), "right \(name)")
        }
        for kind in ObjectKind.allCases {
            #expect(u32s[SourceText.screamingSnake("\(kind)")].flatMap(SourceText.value) == Int64(kind.rawValue), "kind \(kind)")
        }
        for engine in ActorEngine.allCases {
            #expect(u32s[engine.abiName].flatMap(SourceText.value) == Int64(engine.rawValue), "\(engine.abiName)")
        }
        let usizes = Dictionary(
            SourceText.matches(#"pub const (\w+): usize = ([^;]+);"#, in: rust).map { ($0[1], $0[2]) }, uniquingKeysWith: { a, _ in a })
        let layout: [(String, Int)] = [
            ("MESSAGE_HEADER_SIZE", ABI.messageHeaderSize),
            ("HEADER_OPCODE_OFFSET", MessageHeader.opcodeOffset),
            ("HEADER_PAYLOAD_LENGTH_OFFSET", MessageHeader.payloadLengthOffset),
            ("HEADER_CAP_OFFSET", MessageHeader.capOffset),
            ("HEADER_REPLY_OFFSET", MessageHeader.replyOffset),
            ("DIRECTORY_ENTRY_HEADER_SIZE", DirectoryListing.headerSize),
        ]
        for (name, expected) in layout {
            #expect(usizes[name].flatMap(SourceText.value) == Int64(expected), "\(name)")
        }
        let flagsBlock = try #require(SourceText.matches(#"pub mod open_flags \{([^}]*)\}"#, in: rust).first?[1])
        let flags = Dictionary(
            SourceText.matches(#"pub const (\w+): u32 = ([^;]+);"#, in: flagsBlock).map { ($0[1], $0[2]) }, uniquingKeysWith: { a, _ in a })
        for (flag, name) in Self.openFlags {
            #expect(flags[name].flatMap(SourceText.value) == Int64(flag.rawValue), "open flag \(name)")
        }
        #expect(usizes["MAX_PAYLOAD"].map { $0.replacingOccurrences(of: " ", with: "") } == "64*1024")
        #expect(ABI.maxPayload == 64 * 1024)
    }

    // MARK: docs/ABI.md

    @Test func docsDefineEveryHostCallWithItsSignature() throws {
        let doc = try Repository.text("docs/ABI.md")
        let headings = SourceText.matches(#"^### (sys_\w+)\s*$"#, in: doc).map { $0[1] }
        #expect(headings == ABI.hostCalls.map(\.name), "docs/ABI.md lists the calls in ABI.swift's order")
        let signatures = SourceText.matches(#"^### (sys_\w+)\s*\n+\*\*Signature\*\*: `([^`]*)`"#, in: doc)
        let documented = Dictionary(uniqueKeysWithValues: signatures.map { ($0[1], $0[2]) })
        for call in ABI.hostCalls {
            #expect(documented[call.name] == call.text, "\(call.name)")
        }
    }

    @Test func docsListEveryErrorCodeRightAndKind() throws {
        let doc = try Repository.text("docs/ABI.md")
        let errors = Dictionary(uniqueKeysWithValues: SourceText.matches(#"^\| (-\d+) \| ([A-Z_]+) \|"#, in: doc).map { ($0[2], $0[1]) })
        #expect(errors.count == SysError.allCases.count)
        for error in SysError.allCases {
            #expect(errors[error.abiName].flatMap { Int32($0) } == error.rawValue, "\(error.abiName)")
        }
        let rights = Dictionary(uniqueKeysWithValues: SourceText.matches(#"^\| (0x[0-9a-f]+) \| ([A-Z]+) \|"#, in: doc).map { ($0[2], $0[1]) })
        for (right, name) in Rights.names {
            #expect(rights[name.uppercased()].flatMap(SourceText.value) == Int64(right.rawValue), "right \(name)")
        }
        let kinds = Dictionary(uniqueKeysWithValues: SourceText.matches(#"^\| ([A-Z]+) \| (\d+) \|[^|\n]+\|[^|\n]+\|$"#, in: doc).map { ($0[1], $0[2]) })
        for kind in ObjectKind.allCases {
            #expect(kinds[SourceText.screamingSnake("\(kind)")].flatMap(SourceText.value) == Int64(kind.rawValue), "kind \(kind)")
        }
        let flags = Dictionary(uniqueKeysWithValues: SourceText.matches(#"^\| ([A-Z]+) \| (\d+) \|[^|\n]+\|$"#, in: doc).map { ($0[1], $0[2]) })
        for (flag, name) in Self.openFlags {
            #expect(flags[name].flatMap(SourceText.value) == Int64(flag.rawValue), "open flag \(name)")
        }
        #expect(doc.contains("`DIRECTORY_ENTRY_HEADER_SIZE` = \(DirectoryListing.headerSize)"))
        #expect(doc.contains("`MESSAGE_HEADER_SIZE` = \(ABI.messageHeaderSize)"))
        #expect(doc.contains("`MAX_PAYLOAD` = \(ABI.maxPayload)"))
        for engine in ActorEngine.allCases {
            #expect(doc.contains("`\(engine.abiName)` = \(engine.rawValue)"), "\(engine.abiName)")
        }
    }
}
