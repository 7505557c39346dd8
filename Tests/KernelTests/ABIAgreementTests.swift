import Foundation
import Testing

@testable import Kernel

/// `Sources/Kernel/ABI.swift` is the one definition of the ABI; the Rust SDK
/// and docs/ABI.md restate it. These tests fail when either drifts.
@Suite struct ABIAgreementTests {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/KernelTests/ABIAgreementTests.swift
        return parts.joined(separator: "/")
    }()

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// `invalidHandle` -> `INVALID_HANDLE`.
    static func screamingSnake(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase { out += "_" }
            out += c.uppercased()
        }
        return out
    }

    static func matches(_ pattern: String, in text: String) -> [[String]] {
        let regex = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? "" : ns.substring(with: m.range(at: $0)) }
        }
    }

    /// Evaluates `1 << 4`, `0x10` or `-3`.
    static func value(_ expression: String) -> Int64? {
        let e = expression.trimmingCharacters(in: .whitespaces)
        if let shift = e.range(of: "<<") {
            guard let a = value(String(e[..<shift.lowerBound])), let b = value(String(e[shift.upperBound...])) else { return nil }
            return a << b
        }
        if e.hasPrefix("0x") { return Int64(e.dropFirst(2), radix: 16) }
        return Int64(e.replacingOccurrences(of: "_", with: ""))
    }

    // MARK: Rust SDK

    @Test func rustHostCallDeclarationsMatch() throws {
        let rust = try Self.text("actors/sdk/src/abi.rs")
        let declared = Self.matches(#"pub fn (sys_\w+)\(([^)]*)\)(?:\s*->\s*(\w+|!))?;"#, in: rust)
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
        let rust = try Self.text("actors/sdk/src/abi.rs")
        let consts = Dictionary(uniqueKeysWithValues: Self.matches(#"pub const (\w+): i32 = (-?\d+);"#, in: rust).map { ($0[1], $0[2]) })
        #expect(consts.count == SysError.allCases.count)
        for error in SysError.allCases {
            #expect(consts[error.abiName].flatMap { Int32($0) } == error.rawValue, "\(error.abiName)")
        }
    }

    @Test func rustRightsKindsAndLayoutMatch() throws {
        let rust = try Self.text("actors/sdk/src/abi.rs")
        let u32s = Dictionary(
            Self.matches(#"pub const (\w+): u32 = ([^;]+);"#, in: rust).map { ($0[1], $0[2]) }, uniquingKeysWith: { a, _ in a })
        for (right, name) in Rights.names {
            #expect(u32s[name.uppercased()].flatMap(Self.value) == Int64(right.rawValue), "right \(name)")
        }
        for kind in ObjectKind.allCases {
            #expect(u32s[Self.screamingSnake("\(kind)")].flatMap(Self.value) == Int64(kind.rawValue), "kind \(kind)")
        }
        let usizes = Dictionary(
            Self.matches(#"pub const (\w+): usize = ([^;]+);"#, in: rust).map { ($0[1], $0[2]) }, uniquingKeysWith: { a, _ in a })
        let layout: [(String, Int)] = [
            ("MESSAGE_HEADER_SIZE", ABI.messageHeaderSize),
            ("HEADER_OPCODE_OFFSET", MessageHeader.opcodeOffset),
            ("HEADER_PAYLOAD_LENGTH_OFFSET", MessageHeader.payloadLengthOffset),
            ("HEADER_CAP_OFFSET", MessageHeader.capOffset),
            ("HEADER_REPLY_OFFSET", MessageHeader.replyOffset),
        ]
        for (name, expected) in layout {
            #expect(usizes[name].flatMap(Self.value) == Int64(expected), "\(name)")
        }
        #expect(usizes["MAX_PAYLOAD"].map { $0.replacingOccurrences(of: " ", with: "") } == "64*1024")
        #expect(ABI.maxPayload == 64 * 1024)
    }

    // MARK: docs/ABI.md

    @Test func docsDefineEveryHostCallWithItsSignature() throws {
        let doc = try Self.text("docs/ABI.md")
        let headings = Self.matches(#"^### (sys_\w+)\s*$"#, in: doc).map { $0[1] }
        #expect(headings == ABI.hostCalls.map(\.name), "docs/ABI.md lists the calls in ABI.swift's order")
        let signatures = Self.matches(#"^### (sys_\w+)\s*\n+\*\*Signature\*\*: `([^`]*)`"#, in: doc)
        let documented = Dictionary(uniqueKeysWithValues: signatures.map { ($0[1], $0[2]) })
        for call in ABI.hostCalls {
            #expect(documented[call.name] == call.text, "\(call.name)")
        }
    }

    @Test func docsListEveryErrorCodeRightAndKind() throws {
        let doc = try Self.text("docs/ABI.md")
        let errors = Dictionary(uniqueKeysWithValues: Self.matches(#"^\| (-\d+) \| ([A-Z_]+) \|"#, in: doc).map { ($0[2], $0[1]) })
        #expect(errors.count == SysError.allCases.count)
        for error in SysError.allCases {
            #expect(errors[error.abiName].flatMap { Int32($0) } == error.rawValue, "\(error.abiName)")
        }
        let rights = Dictionary(uniqueKeysWithValues: Self.matches(#"^\| (0x[0-9a-f]+) \| ([A-Z]+) \|"#, in: doc).map { ($0[2], $0[1]) })
        for (right, name) in Rights.names {
            #expect(rights[name.uppercased()].flatMap(Self.value) == Int64(right.rawValue), "right \(name)")
        }
        let kinds = Dictionary(uniqueKeysWithValues: Self.matches(#"^\| ([A-Z]+) \| (\d+) \|"#, in: doc).map { ($0[1], $0[2]) })
        for kind in ObjectKind.allCases {
            #expect(kinds[Self.screamingSnake("\(kind)")].flatMap(Self.value) == Int64(kind.rawValue), "kind \(kind)")
        }
        #expect(doc.contains("`MESSAGE_HEADER_SIZE` = \(ABI.messageHeaderSize)"))
        #expect(doc.contains("`MAX_PAYLOAD` = \(ABI.maxPayload)"))
    }
}
