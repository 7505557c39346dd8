import Foundation
import TestSupport
import Testing

/// `wskdesk check` says why a module is refused, in the load check's words:
/// a module outside the accepted language (docs/ABI.md) and a malformed one.
@Suite struct CheckCommandTests {
    /// An actor (`_start` and `memory`) whose `_start` body is `body`.
    static func module(body: [UInt8]) -> [UInt8] {
        func section(_ id: UInt8, _ contents: [UInt8]) -> [UInt8] { [id, UInt8(contents.count)] + contents }
        let code = [0x00] + body + [0x0b]
        return [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
            + section(1, [0x01, 0x60, 0x00, 0x00]) + section(3, [0x01, 0x00]) + section(5, [0x01, 0x00, 0x01])
            + section(7, [0x02, 0x06] + Array("_start".utf8) + [0x00, 0x00, 0x06] + Array("memory".utf8) + [0x02, 0x00])
            + section(10, [0x01, UInt8(code.count)] + code)
    }

    @Test func refusedModulesAreExplainedAndTheStatusIsOne() throws {
        let directory = NSTemporaryDirectory() + "wskdesk-check-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // v128.const 0 (0xfd 0x0c and 16 bytes), drop.
        let simd = Self.module(body: [0xfd, 0x0c] + [UInt8](repeating: 0, count: 16) + [0x1a])
        let simdOffset = simd.indices.first { simd[$0...].starts(with: [0xfd, 0x0c]) }!
        let files = [
            (directory + "/simd.wasm", simd),
            (directory + "/v2.wasm", [0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]),
        ]
        for (path, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: wskdeskBinary)
        process.arguments = ["check"] + files.map(\.0)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(text == """
            \(directory)/simd.wasm: uses SIMD (instruction 0xfd 0x0c in function 0 at offset 0x\(String(simdOffset, radix: 16))), \
            which wskdesk does not support: build without the simd128 target feature
            \(directory)/v2.wasm: is WebAssembly binary version 2; wskdesk runs version 1 modules

            """)
    }

    /// A valid actor: one line says so, and nothing else is printed (the
    /// runtime's log, such as which tier a module runs on, stays out).
    @Test func aValidActorGetsItsOneLineAndNothingElse() throws {
        let hello = Repository.builtActor("hello.wasm")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wskdeskBinary)
        process.arguments = ["check", hello]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("\(hello): ok — "), "\(text)")
    }
}
