import Foundation
import Interp
import TestSupport
import Testing
import WAT

@testable import wskfuzz

/// The fuzzer's harness (Sources/wskfuzz) on the seed corpus: that its oracle
/// catches module text in the C, code run at load and a failed load, and
/// reads every kind of name a module carries. The fuzzer itself runs in
/// scripts/test (scripts/fuzz 60), not here.
@Suite struct HarnessTests {
    static let corpus = Repository.root + "/build/fuzz/seeds"  // Tests/fuzz/make-corpus writes it

    /// wskfuzz, built beside this test bundle: the harness's loader.
    static let wskfuzzBinary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("wskfuzz").path
    }()

    static func harness(rewrite: Bool) throws -> FuzzHarness {
        FuzzHarness(pipeline: Pipeline(stages: try CompileStages.find(limits: FuzzHarness.limits).get(), rewrite: rewrite), buildEvery: 1, loader: wskfuzzBinary)
    }

    static func seed(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + name)))
    }

    static let injectionFound =
        #"module text reached the generated C: export name "x */\x0a#ifndef WSKFUZZ_PAYLOAD\x0a#define WSKFUZZ_PAYLOAD\x0a__attribute__((constructor)" (205 bytes) is in module.c 1×, module.h 1×; the C of the module without its text has it 0×"#

    @Test func everySeedPassesModuleCheckSoThatItReachesThePipeline() throws {
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).sorted()
        #expect(seeds.count == 15)
        for seed in seeds {
            #expect(throws: Never.self, "\(seed)") {
                try ModuleCheck.check(bytes: try Self.seed(seed), name: seed, source: seed)
            }
        }
    }

    @Test func withoutTheRewriteTheOracleFindsTheInjectedConstructor() throws {
        let finding = try Self.harness(rewrite: false).run(try Self.seed("injection-constructor.wasm"))
        #expect(finding?.description == Self.injectionFound)
    }

    @Test func replayingAnInputWithoutTheRewriteSaysWhatWasFoundAndFails() throws {
        let seed = Self.corpus + "/injection-constructor.wasm"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.wskfuzzBinary)
        process.arguments = [seed]
        process.environment = ProcessInfo.processInfo.environment.merging(["WSKFUZZ_WITHOUT_REWRITE": "1"]) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(printed == "\(seed): FOUND: \(Self.injectionFound)\n")
        #expect(said == "wskfuzz: WSKFUZZ_WITHOUT_REWRITE=1: the rewrite is skipped\n")
    }

    @Test func withTheRewriteTheOracleFindsNothingInAnySeed() throws {
        let harness = FuzzHarness(pipeline: try Self.harness(rewrite: true).pipeline, buildEvery: 0, loader: Self.wskfuzzBinary)
        for seed in try FileManager.default.contentsOfDirectory(atPath: Self.corpus).sorted() {
            let bytes = try Self.seed(seed)
            #expect(harness.run(bytes) == nil, "\(seed)")
            // Nothing found because the C is clean, not because the tier refused the seed.
            let module = try ModuleCheck.check(bytes: bytes, name: seed, source: seed)
            #expect(throws: Never.self, "\(seed)") { try withDirectory { try harness.pipeline.translate(module, into: $0) } }
        }
    }

    @Test func withTheRewriteTheInjectedConstructorIsBuiltAndLoadedWithoutRunning() throws {
        #expect(try Self.harness(rewrite: true).run(try Self.seed("injection-constructor.wasm")) == nil)
    }

    @Test func aModuleWithoutTextIsBuiltAndLoadedWithNothingFound() throws {
        #expect(try Self.harness(rewrite: false).run(try Self.seed("minimal.wasm")) == nil)
    }

    @Test func theCanaryCatchesCodeThatRunsWhenTheObjectLoads() throws {
        let finding = try withDirectory { directory in
            try Self.compileC(
                """
                #include <fcntl.h>
                __attribute__((constructor)) static void payload(void) { open("wskfuzz-canary", O_CREAT | O_WRONLY, 0600); }
                """, to: directory + "/module.so")
            return try Self.harness(rewrite: true).load(directory + "/module.so", in: directory)
        }
        #expect(finding?.description == "code ran while the object loaded: it created wskfuzz-canary in the build folder")
    }

    @Test func anObjectTheTierCannotLoadIsAFinding() throws {
        let finding = try withDirectory { directory in
            try Self.compileC("int not_a_module(void) { return 0; }", to: directory + "/module.so")
            return try Self.harness(rewrite: true).load(directory + "/module.so", in: directory)
        }
        #expect(finding?.description == "loading the object failed: the loader exited with status 3")
    }

    @Test func moduleTextIsTheNonABIExportNamesWithoutWhichTheModuleStillChecks() throws {
        let bytes = try wat2wasm(
            """
            (module
              (memory (export "memory") 1)
              (func (export "_start"))
              (func (export "*/ x") (export "ab")))
            """)
        let text = try #require(ModuleText(bytes))
        #expect(text.pieces.map(\.kind) == [.exportName])
        #expect(text.pieces.map(\.bytes) == [Array("*/ x".utf8)])
        #expect(occurrences(of: Array("*/ x".utf8), in: text.withoutText) == 0)
        #expect(occurrences(of: Array("e3".utf8), in: text.withoutText) == 1)
        #expect(occurrences(of: Array("_start".utf8), in: text.withoutText) == 1)
        let plain = try ModuleCheck.check(bytes: text.withoutText, name: "plain", source: "plain")
        #expect(plain.bytes.count == bytes.count - "*/ xab".utf8.count + "e2e3".utf8.count)
    }

    @Test func moduleTextReadsCustomSectionsAndEveryNameOfTheNameSection() throws {
        let payload = try #require(ModuleText(try Self.seed("injection-constructor.wasm"))).pieces.map(\.bytes)
        #expect(payload.count == 1)
        #expect(occurrences(of: Array("__attribute__((constructor))".utf8), in: payload[0]) == 1)
        let text = try #require(ModuleText(try Self.seed("name-section.wasm")))
        #expect(text.pieces.map(\.kind) == [.customName, .customContent, .nameSectionEntry, .nameSectionEntry, .nameSectionEntry])
        #expect(text.pieces[0].bytes == Array("name".utf8))
        #expect(text.pieces[2...].map(\.bytes) == [payload[0], payload[0], Array("??/\n".utf8)])
        #expect(ModuleText(text.withoutText)?.pieces.isEmpty == true)
    }

    @Test func occurrencesCountsOverlapsAndBothEnds() {
        let hay = Array("aaaa-b-aa".utf8)
        #expect(occurrences(of: Array("aa".utf8), in: hay) == 4)
        #expect(occurrences(of: Array("aaaa-b-aa".utf8), in: hay) == 1)
        #expect(occurrences(of: Array("-aa".utf8), in: hay) == 1)
        #expect(occurrences(of: Array("aaaa-b-aaa".utf8), in: hay) == 0)
        #expect(occurrences(of: [], in: hay) == 0)
    }

    @Test func quotedShowsPrintableBytesAndEscapesTheRest() {
        #expect(quoted(Array("a\"\\\n\u{7f}".utf8) + [0xff]) == #""a\"\\\x0a\x7f\xff""#)
        #expect(quoted([UInt8](repeating: 0x41, count: 81)) == "\"" + String(repeating: "A", count: 80) + "\" (81 bytes)")
    }

    static func compileC(_ source: String, to object: String) throws {
        let file = object + ".c"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-shared", "-fPIC", "-o", object, file]
        try cc.run()
        cc.waitUntilExit()
        try #require(cc.terminationStatus == 0)
    }

    @Test func functionNamesFromAHostileNameSectionStayBoundedAndEscaped() throws {
        let plain = try wat2wasm(#"(module (memory (export "memory") 1) (func (export "_start")) (func) (func))"#)
        func leb(_ value: Int) -> [UInt8] {
            var value = value
            var bytes: [UInt8] = []
            repeat {
                bytes.append(UInt8(value & 0x7f) | (value > 0x7f ? 0x80 : 0))
                value >>= 7
            } while value != 0
            return bytes
        }
        let names: [(Int, [UInt8])] = [
            (1, Array("a\u{202e}b\n\u{1b}c".utf8)), (2, Array(repeating: 0x85, count: 100_000)),
        ]
        var map = leb(names.count)
        for (index, name) in names { map += leb(index) + leb(name.count) + name }
        let contents = leb(4) + Array("name".utf8) + [1] + leb(map.count) + map
        let module = try ModuleCheck.check(bytes: plain + [0] + leb(contents.count) + contents, name: "names", source: "names")
        #expect(try Self.harness(rewrite: true).unprintableName(module) == nil)
        let shown = FunctionNames.allNames(in: module)
        #expect(shown[0] == "_start")
        #expect(shown[1] == "a\\u{202e}b\\n\\ec")
        #expect(shown[2] == String(repeating: "\u{fffd}", count: FunctionNames.maximumNameLength) + "…")
    }
}
