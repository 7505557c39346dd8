import Foundation
import Interp
import TestSupport

/// One .wast file of the official suite as wast2json writes it: its
/// commands in order, and the folder its modules were written to.
struct SpecScript {
    let name: String
    let folder: String
    let commands: [SpecCommand]

    /// Where the suite's .wast files are (the commit of the spec tests that
    /// wabt 1.0.32 matches): `$WSK_SPEC_SUITE`, else the shared copy beside
    /// the source tree (`../shared/wasm-testsuite`), else this machine's
    /// (`/work/shared/wasm-testsuite`). Missing, every spec test fails.
    static let suite: String = {
        if let chosen = ProcessInfo.processInfo.environment["WSK_SPEC_SUITE"] { return chosen }
        let beside = Repository.root + "/../shared/wasm-testsuite"
        return FileManager.default.fileExists(atPath: beside) ? beside : "/work/shared/wasm-testsuite"
    }()

    /// Converts `suite/<name>.wast` with wast2json into a new folder under `scratch`.
    static func convert(_ name: String, into scratch: String) throws -> SpecScript {
        let folder = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wast2json")
        process.arguments = [suite + "/" + name + ".wast", "-o", folder + "/" + name + ".json"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SpecScriptError("wast2json \(name).wast failed: \(String(decoding: said, as: UTF8.self))")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name + ".json"))
        let json = try JSONDecoder().decode(Script.self, from: data)
        return SpecScript(name: name, folder: folder, commands: json.commands)
    }

    /// The bytes of a module file named by a command.
    func module(_ filename: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + filename)))
    }

    private struct Script: Decodable {
        let commands: [SpecCommand]
    }
}

struct SpecScriptError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A command of wast2json's JSON (wabt 1.0.32): only the fields the runner reads.
struct SpecCommand: Decodable {
    let type: String
    let line: Int
    let name: String?
    let filename: String?
    let text: String?
    let moduleType: String?
    let action: Action?
    let expected: [Expected]?
    /// `register`: the name the module's exports are imported by.
    let `as`: String?

    struct Action: Decodable {
        /// "invoke" or "get".
        let type: String
        let module: String?
        let field: String
        let args: [Expected]?
    }

    /// A value, or for results also a NaN pattern: type and decimal text.
    struct Expected: Decodable {
        let type: String
        /// nil for a v128 (its lanes are an array), outside the accepted language.
        let value: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            value = try? container.decodeIfPresent(String.self, forKey: .value)
        }

        enum CodingKeys: String, CodingKey { case type, value }
    }

    enum CodingKeys: String, CodingKey {
        case type, line, name, filename, text, action, expected, `as`
        case moduleType = "module_type"
    }
}

/// What a test value or expectation is in the runner's terms.
enum SpecExpectation: Equatable {
    case value(SpecValue)
    case canonicalNaN(SpecValueType)
    case arithmeticNaN(SpecValueType)
    /// A non-null function reference (the JSON gives no value).
    case someFunction

    /// Reads a JSON value; nil for types outside the accepted language (v128).
    init?(_ json: SpecCommand.Expected) {
        let text = json.value
        switch (json.type, text) {
        case ("f32", "nan:canonical"): self = .canonicalNaN(.f32)
        case ("f32", "nan:arithmetic"): self = .arithmeticNaN(.f32)
        case ("f64", "nan:canonical"): self = .canonicalNaN(.f64)
        case ("f64", "nan:arithmetic"): self = .arithmeticNaN(.f64)
        case ("i32", let text?): guard let v = UInt32(text) else { return nil }; self = .value(.i32(v))
        case ("i64", let text?): guard let v = UInt64(text) else { return nil }; self = .value(.i64(v))
        case ("f32", let text?): guard let v = UInt32(text) else { return nil }; self = .value(.f32(v))
        case ("f64", let text?): guard let v = UInt64(text) else { return nil }; self = .value(.f64(v))
        case ("externref", "null"): self = .value(.externref(nil))
        case ("externref", let text?): guard let v = UInt32(text) else { return nil }; self = .value(.externref(v))
        case ("funcref", "null"): self = .value(.funcref(nil))
        case ("funcref", nil): self = .someFunction
        default: return nil
        }
    }

    /// Whether `actual` meets this expectation.
    func matches(_ actual: SpecValue) -> Bool {
        switch (self, actual) {
        case (.value(.funcref(nil)), .funcref(let v)): return v == nil
        case (.value(let expected), _): return expected == actual
        case (.someFunction, .funcref(let v)): return v != nil
        case (.canonicalNaN(.f32), .f32(let bits)): return bits & 0x7fff_ffff == 0x7fc0_0000
        case (.arithmeticNaN(.f32), .f32(let bits)): return bits & 0x7fc0_0000 == 0x7fc0_0000
        case (.canonicalNaN(.f64), .f64(let bits)): return bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000
        case (.arithmeticNaN(.f64), .f64(let bits)): return bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000
        default: return false
        }
    }

    /// The value itself, for an argument; nil for a pattern.
    var argument: SpecValue? {
        if case .value(let v) = self { return v }
        return nil
    }
}
