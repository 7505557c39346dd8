import Foundation
import Logging
import TestSupport
import Testing

@testable import Interp
@testable import Kernel

/// No text of a module reaches the C the compiled tier builds (issue #13,
/// item 1): wasm2c 1.0.32 copies export names verbatim into C comments, and
/// an export named `x */ ... /*` would inject code into the object wskdesk
/// loads. Modules are written byte by byte here, since WAT cannot spell
/// every byte in a name.
@Suite struct ModuleTextTests {
    /// A canary the injected constructor would create.
    static let canary = testCacheRoot + "/injected-\(UUID().uuidString)"

    /// The audit's payload: ends wasm2c's comment, declares a constructor
    /// that creates the canary, and opens a comment for the rest of wasm2c's line.
    static let payload = Array(
        "x */ int creat(const char*, unsigned); __attribute__((constructor)) static void wsk_payload(void) { creat(\"\(canary)\", 0600); } /*"
            .utf8)

    /// Names made of C comment and preprocessor tricks, and of every byte a
    /// valid (UTF-8) name can hold.
    static let trickNames: [[UInt8]] = [
        Array("*/".utf8), Array("a */ b".utf8), Array("x\\\ny".utf8), Array("??/\n#error".utf8), Array("#define wsk 1".utf8),
        Array("\"quoted\"".utf8), Array("'single'".utf8), Array("/* open".utf8), Array("// line".utf8),
        [0x61, 0x00, 0x62, 0x2A, 0x2F], Array("\r\n#include <stdio.h>".utf8),
        Array(0...127),
        Array((0x80...0xFF).map { Character(Unicode.Scalar(UInt8($0))) }.map(String.init).joined().utf8),
        Array("\u{2028}\u{FEFF}\u{10FFFF}*/".utf8),
        payload,
    ]

    /// An actor that calls `sys_exit(exitCode)`, exporting `_start`, `memory`
    /// and a function under each of `names`, with `customSections` (name,
    /// contents) and a name section naming its function `functionName`.
    static func module(
        exporting names: [[UInt8]], customSections: [([UInt8], [UInt8])] = [], functionName: [UInt8]? = nil,
        exitCode: UInt8 = 42, importing imported: ([UInt8], [UInt8]) = (Array("env".utf8), Array("sys_exit".utf8))
    ) -> [UInt8] {
        func leb(_ n: Int) -> [UInt8] { ModuleRewrite.leb128(n) }
        func name(_ bytes: [UInt8]) -> [UInt8] { leb(bytes.count) + bytes }
        func section(_ id: UInt8, _ body: [UInt8]) -> [UInt8] { [id] + leb(body.count) + body }
        func vector(_ items: [[UInt8]]) -> [UInt8] { leb(items.count) + items.flatMap { $0 } }
        precondition(exitCode < 64)  // one-byte signed LEB
        let exports = [name(Array("_start".utf8)) + [0, 1], name(Array("memory".utf8)) + [2, 0]] + names.map { name($0) + [0, 1] }
        let body: [UInt8] = [0x00, 0x41, exitCode, 0x10, 0x00, 0x0B]  // no locals; i32.const; call 0; end
        var bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        bytes += section(1, vector([[0x60, 0x00, 0x00], [0x60, 0x01, 0x7F, 0x00]]))
        bytes += customSections.prefix(1).flatMap { section(0, name($0.0) + $0.1) }
        bytes += section(2, vector([name(imported.0) + name(imported.1) + [0x00, 0x01]]))
        bytes += section(3, vector([[0x00]]))
        bytes += section(5, vector([[0x00, 0x01]]))
        bytes += section(7, vector(exports))
        bytes += section(10, vector([leb(body.count) + body]))
        bytes += customSections.dropFirst().flatMap { section(0, name($0.0) + $0.1) }
        if let functionName {
            let functionNames = [0x01] + name(vector([leb(1) + name(functionName)]))
            bytes += section(0, name(Array("name".utf8)) + functionNames)
        }
        return bytes
    }

    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    static func toolchain() throws -> Toolchain { try Toolchain.find().get() }

    /// A directory of the test's own, for one translation.
    static func scratch() throws -> String {
        let path = testCacheRoot + "/translate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // MARK: The attack is real, and closed

    /// wasm2c on the module as it is copies the payload into the C: the
    /// hole. The rewrite gives it a module without the name, and the C it
    /// writes then holds none of it.
    @Test func wasm2cCopiesAnExportNameIntoCButNotAfterTheRewrite() throws {
        let bytes = Self.module(exporting: [Self.payload])
        let checked = try ModuleCheck.check(bytes: bytes, name: "inject", source: "inject.wasm")
        let directory = try Self.scratch()
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/raw.wasm"))
        let raw = Subprocess.run(try Self.toolchain().wasm2c, ["--no-debug-names", "-n", "wsk", directory + "/raw.wasm", "-o", directory + "/raw.c"])
        #expect(raw.problem == nil)
        #expect(Self.contains(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/raw.c"))), Self.payload))

        let sanitized = try ModuleBuild.translate(checked, toolchain: try Self.toolchain(), into: directory)
        #expect(sanitized.droppedExports.map(\.name) == [Self.payload])
        #expect(sanitized.droppedExports.map(\.index) == [2])
        #expect(!Self.contains(sanitized.bytes, Self.payload))
        for file in ["module.c", "module.h"] {
            let text = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
            #expect(!Self.contains(text, Array("constructor".utf8)), "\(file)")
            #expect(!Self.contains(text, Array("x */".utf8)), "\(file)")
        }
    }

    /// The module passes `check`, runs the same on both tiers (exits 42),
    /// and the constructor it tried to plant never runs.
    @Test(arguments: Tier.allCases) func theInjectedConstructorNeverRuns(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let module = try system.host.load(bytes: Self.module(exporting: [Self.payload]), name: "inject")
        let actor = try system.host.spawn(module)
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 42))
        #expect(system.ranOnItsTier)
        #expect(!FileManager.default.fileExists(atPath: Self.canary))
    }

    /// Every trick name, as an export, a custom section's name and contents
    /// and a function's name in the name section: each module passes check
    /// and its C holds none of the names. Then all of them in one module run
    /// the same on both tiers.
    @Test func trickNamesNeverReachTheC() throws {
        let toolchain = try Self.toolchain()
        let everyByte = Array(UInt8.min...UInt8.max)
        for (n, trick) in Self.trickNames.enumerated() {
            let bytes = Self.module(
                exporting: [trick], customSections: [(trick, everyByte), (Array("producers".utf8), trick)], functionName: trick)
            let checked = try ModuleCheck.check(bytes: bytes, name: "trick\(n)", source: "trick\(n).wasm")
            let directory = try Self.scratch()
            let sanitized = try ModuleBuild.translate(checked, toolchain: toolchain, into: directory)
            #expect(sanitized.customSections.map(\.name) == [trick, Array("producers".utf8), Array("name".utf8)])
            let inRewrite = Self.contains(sanitized.bytes, trick)
            #expect(!inRewrite, "name \(n) in the rewritten module")
            for file in ["module.c", "module.h"] {
                let text = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
                // The C is ASCII, so a name with a NUL or a byte over 0x7e is absent by that alone.
                let ascii = text.allSatisfy { $0 == 0x0A || $0 == 0x09 || (0x20...0x7E).contains($0) }
                #expect(ascii, "\(file) of name \(n)")
                // Two bytes ("*/") also occur in wasm2c's own comments: the
                // comment rule of checkGenerated covers those.
                let hasName = trick.count >= 3 && Self.contains(text, trick)
                #expect(!hasName, "name \(n) in \(file)")
                let hasContents = Self.contains(text, Array(everyByte[0x20...0x40]))
                #expect(!hasContents, "custom contents in \(file)")
            }
        }
        let all = Self.module(exporting: Self.trickNames, customSections: [(Self.payload, everyByte)], functionName: Self.payload, exitCode: 17)
        for tier in Tier.allCases {
            let system = TestSystem(tier: tier)
            let actor = try system.host.spawn(try system.host.load(bytes: all, name: "tricks"))
            #expect(system.host.wait(for: actor))
            #expect(system.kernel.exitReason(of: actor) == .exited(code: 17), "\(tier)")
            #expect(system.ranOnItsTier)
        }
        #expect(!FileManager.default.fileExists(atPath: Self.canary))
    }

    /// A name that is not UTF-8 (every byte value in one name) is refused
    /// by check before any tool sees it, in ModuleCheck's plain words
    /// (LanguageTests pins them with offsets).
    @Test func aNameOfEveryByteValueIsRefusedByCheck() throws {
        let bytes = Self.module(exporting: [Array(UInt8.min...UInt8.max)])
        do {
            _ = try ModuleCheck.check(bytes: bytes, name: "bytes", source: "bytes.wasm")
            Issue.record("a name that is not UTF-8 passed check")
        } catch {
            #expect(error.description.hasPrefix("bytes.wasm: has a name that is not valid UTF-8 at offset 0x"))
            #expect(error.description.hasSuffix(": the file is corrupt; build it again"))
        }
    }

    // MARK: The rewrite's own checks

    /// The rewrite does not trust check on imports: one not of the ABI is refused.
    @Test func theRewriteRefusesAnImportNotOfTheABI() {
        let bytes = Self.module(exporting: [], importing: (Array("env".utf8), Array("x */ evil".utf8)))
        #expect(throws: CompileError.self) { try ModuleRewrite.sanitize(bytes) }
        do {
            _ = try ModuleRewrite.sanitize(bytes)
        } catch {
            #expect(error.description == Self.notOurs)
        }
        let otherModule = Self.module(exporting: [], importing: (Array("wasi".utf8), Array("sys_exit".utf8)))
        do {
            _ = try ModuleRewrite.sanitize(otherModule)
            Issue.record("an import of module \"wasi\" was accepted")
        } catch {
            #expect(error.description == Self.notOurs)
        }
        // WASI's module, but a name that is not one of its functions.
        let notWASI = Self.module(exporting: [], importing: (Array("wasi_snapshot_preview1".utf8), Array("x */ evil".utf8)))
        do {
            _ = try ModuleRewrite.sanitize(notWASI)
            Issue.record("an import of WASI's module by a name not of WASI was accepted")
        } catch {
            #expect(error.description == Self.notOurs)
        }
    }

    static let notOurs = "import 0 is not a host call of \"env\" or a function of \"wasi_snapshot_preview1\"; only those are compiled"

    /// A WASI function is renamed into "env" (`wasi_<name>`): wasm2c is
    /// given one import module, and only names of ours.
    @Test func theRewriteRenamesWASIImportsIntoEnv() throws {
        let bytes = Self.module(exporting: [], importing: (Array("wasi_snapshot_preview1".utf8), Array("fd_write".utf8)))
        let sanitized = try ModuleRewrite.sanitize(bytes)
        let text = String(decoding: sanitized.bytes, as: UTF8.self)
        #expect(text.contains("\u{03}env\u{0d}wasi_fd_write"))
        #expect(!text.contains("wasi_snapshot_preview1"))
    }

    /// A truncated section is refused with where and how much.
    @Test func theRewriteRefusesATruncatedSection() {
        let bytes = Array(Self.module(exporting: []).dropLast(3))
        do {
            _ = try ModuleRewrite.sanitize(bytes)
            Issue.record("a truncated module was accepted")
        } catch {
            #expect(error.description == "section 10 (at byte \(bytes.count - 7)) claims 8 bytes; only 5 are left")
        }
    }

    /// The check on the C refuses, each in its words, what the rewrite
    /// should have kept out: a byte wasm2c does not write, a name comment
    /// not ours, a removed name.
    @Test func theCheckOnTheCRefusesModuleText() throws {
        let sanitized = try ModuleRewrite.sanitize(Self.module(exporting: [Array("a */ b".utf8), Array("init".utf8)]))
        func refusal(_ text: String) -> String? {
            do {
                try ModuleRewrite.checkGenerated(Array(text.utf8), file: "module.c", against: sanitized)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(refusal("/* export: '_start' */\n/* import: 'env' 'sys_exit' */\nint init;\n") == nil)
        #expect(refusal("int x;\n\u{1}\n") == "the generated module.c has byte 0x1 on line 2 (at byte 7), which wasm2c does not write by itself; refusing to compile it")
        #expect(refusal("\n/* export: 'other' */\n") == "the generated module.c names something not ours in a comment on line 2; refusing to compile it")
        #expect(refusal("/* export: '_start' */ int y;\n") == "the generated module.c names something not ours in a comment on line 1; refusing to compile it")
        #expect(refusal("/* import: 'env' 'system' */\n") == "the generated module.c names something not ours in a comment on line 1; refusing to compile it")
        #expect(refusal("int q; /* a */ b */\n") == "the generated module.c contains text of the module (6 bytes removed by the rewrite); refusing to compile it")
    }
}
