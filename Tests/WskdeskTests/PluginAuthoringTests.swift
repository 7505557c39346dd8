import Compositor
import Foundation
import TestSupport
import Testing

@testable import wskdesk

/// An author's loop, as the author runs it: `wskdesk new-plugin`,
/// `build-plugin` (with whichever Rust toolchain this machine has, offline)
/// and `try` on a real PNG, from an empty folder outside the source tree;
/// and `try`'s answers to a bad picture, bad parameters and a plugin that traps.
@Suite struct PluginAuthoringTests {
    /// A fresh folder outside the source tree, with the data and cache
    /// folders the commands write to (the user's plugin folder, the compiled
    /// tier's cache) inside it.
    struct Scratch {
        let folder: String
        var environment: [String: String] { ["XDG_DATA_HOME": folder + "/data", "XDG_CACHE_HOME": folder + "/cache"] }

        init(_ name: String) throws {
            folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wskdesk-\(name)-\(getpid())")
                .resolvingSymlinksInPath().path
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            precondition(!folder.hasPrefix(Repository.root + "/"), "the scratch folder must be outside the tree")
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }

        /// Runs wskdesk with `arguments` in the folder; its status and output (both streams).
        func wskdesk(_ arguments: String...) throws -> (status: Int32, output: String) { try wskdesk(arguments) }

        func wskdesk(_ arguments: [String]) throws -> (status: Int32, output: String) {
            try runWskdesk(arguments, in: folder, environment: environment)
        }
    }

    /// A 64x48 picture with every channel's extremes (so clamping shows) and
    /// colours in between.
    static func writePicture(to path: String) throws -> [UInt32] {
        let (w, h) = (64, 48)
        let pixels = (0..<(w * h)).map { i -> UInt32 in
            let (x, y) = (UInt32(i % w), UInt32(i / w))
            return (x * 4) << 16 | (y * 5 + 10) << 8 | ((x * 7 + y * 3) & 0xff)
        }
        try pixels.withUnsafeBytes { try PNGWriter.write($0, width: w, height: h, stride: w * 4, to: path) }
        return pixels
    }

    /// The template filter: `amount` added to each channel, clamped.
    static func brightened(_ pixels: [UInt32], by amount: Int) -> [UInt32] {
        pixels.map { pixel in
            [16, 8, 0].reduce(UInt32(0)) { out, shift in
                out | UInt32(max(0, min(255, Int(pixel >> UInt32(shift) & 0xff) + amount))) << UInt32(shift)
            }
        }
    }

    static var hasCompiledTier: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/wasm2c") }
    }

    @Test func newBuildAndTryFromAnEmptyFolderOutsideTheTree() throws {
        let scratch = try Scratch("author")
        defer { scratch.remove() }

        let created = try scratch.wskdesk("new-plugin", "shade")
        #expect(created.status == 0, "\(created.output)")
        let manifest = try String(contentsOfFile: scratch.folder + "/shade/Cargo.toml", encoding: .utf8)
        #expect(manifest.contains("edition = \"2021\"") && manifest.contains("rust-version = \"1.63\""))
        #expect(manifest.contains("crate-type = [\"cdylib\"]") && manifest.contains("lto = true"))
        #expect(manifest.contains("path = \"\(Repository.root)/actors/sdk\""), "the tree's SDK, by path: \(manifest)")
        let again = try scratch.wskdesk("new-plugin", "shade")
        #expect(again.status == 1 && again.output.contains("shade is not empty"), "\(again.output)")

        let built = try scratch.wskdesk("build-plugin", "--offline", "--install", "shade")
        try #require(built.status == 0, "\(built.output)")
        #expect(built.output.contains("building with "), "it says which toolchain: \(built.output)")
        let wasm = scratch.folder + "/shade/target/wasm32-unknown-unknown/release/shade.wasm"
        let installed = scratch.folder + "/data/wskdesk/plugins/shade.wasm"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: wasm))
        #expect(try Data(contentsOf: URL(fileURLWithPath: installed)) == bytes)
        // The release profile keeps it to tens of KiB (without it: megabytes).
        #expect(bytes.count < 200_000, "\(bytes.count) bytes")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.folder + "/data/wskdesk/plugins") == ["shade.wasm"],
                "no temporary file left behind")

        let picture = try Self.writePicture(to: scratch.folder + "/in.png")
        for (arguments, amount) in [([String](), 40), (["--param", "amount=-100"], -100)] {
            let tried = try scratch.wskdesk(["try", wasm, "in.png", "out.png"] + arguments)
            #expect(tried.status == 0, "\(tried.output)")
            #expect(tried.output.contains("plugin:      shade\n"), "\(tried.output)")
            #expect(tried.output.contains("parameters:  amount -255..255 (default 40)\n"), "\(tried.output)")
            #expect(tried.output.contains("interpreter: "), "\(tried.output)")
            if Self.hasCompiledTier {
                #expect(tried.output.contains("both tiers give the same pixels"), "\(tried.output)")
            } else {
                #expect(tried.output.contains("compiled:    skipped: "), "\(tried.output)")
            }
            let result = try #require(PNGFile.read(scratch.folder + "/out.png"))
            #expect(result.width == 64 && result.height == 48)
            #expect(result.pixels == Self.brightened(picture, by: amount), "amount \(amount)")
            try FileManager.default.removeItem(atPath: scratch.folder + "/out.png")
        }
    }

    @Test func tryExplainsWhatIsWrong() throws {
        let scratch = try Scratch("try")
        defer { scratch.remove() }
        let template = Repository.builtActor("plugins/template.wasm")
        _ = try Self.writePicture(to: scratch.folder + "/in.png")
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: scratch.folder + "/bad.png"))
        let whole = try Data(contentsOf: URL(fileURLWithPath: scratch.folder + "/in.png"))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: scratch.folder + "/cut.png"))

        let cases: [([String], String)] = [
            (["bad.png"], "wskdesk try: bad.png is not a PNG file (it does not start with PNG's signature)\n"),
            (["cut.png"], "wskdesk try: cannot read cut.png as a PNG file (damaged or cut short): "),
            (["none.png"], "wskdesk try: cannot open none.png: No such file or directory\n"),
            (["in.png", "--param", "nope=1"],
             "wskdesk try: no parameter called \"nope\"; Brightness (template) has: amount -255..255 (default 40)\n"),
            (["in.png", "--param", "amount=300"], "wskdesk try: amount=300 is out of range: amount takes -255..255\n"),
            (["in.png", "--param", "amount"], "--param amount is not NAME=VALUE"),
        ]
        for (arguments, said) in cases {
            let tried = try scratch.wskdesk(["try", template, arguments[0], "out.png"] + arguments.dropFirst())
            #expect(tried.status == 1, "\(arguments)")
            #expect(tried.output.contains(said), "\(arguments): \(tried.output)")
        }

        let trapped = try scratch.wskdesk("try", Repository.builtActor("tests/trap.wasm"), "in.png", "out.png")
        #expect(trapped.status == 1)
        #expect(trapped.output.contains("plugin:      Trap (test)\n"), "\(trapped.output)")
        #expect(trapped.output.contains("interpreter: FAILED: the plugin trapped: "), "\(trapped.output)")
        if Self.hasCompiledTier {
            #expect(trapped.output.contains("compiled:    FAILED: the plugin trapped: "), "\(trapped.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.folder + "/out.png"), "nothing written")
    }

    /// A plugin's name is a crate's name and a module name at once.
    @Test func pluginNames() {
        for good in ["shade", "my-filter", "Blur2", "a_b"] { #expect(NewPlugin.problem(withName: good) == nil, "\(good)") }
        let bad = ["", "2blur", "-x", "_x", "my filter", "ünï", "a/b", "fn", "std", "wsk", "wsk-sdk", String(repeating: "a", count: 65)]
        for name in bad { #expect(NewPlugin.problem(withName: name) != nil, "\(name)") }
    }

    /// An installed wskdesk's new plugins use the SDK installed beside it.
    @Test func anInstalledBinaryUsesTheInstalledSDK() throws {
        let scratch = try Scratch("layout")
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.folder + "/usr/share/wskdesk/sdk", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: scratch.folder + "/usr/share/wskdesk/sdk/Cargo.toml"))
        let found = try PluginAuthoring.sdkFolder(executable: scratch.folder + "/usr/bin/wskdesk").get()
        #expect(found == scratch.folder + "/usr/share/wskdesk/sdk")
        #expect(throws: PluginToolError.self) { try PluginAuthoring.sdkFolder(executable: scratch.folder + "/opt/bin/wskdesk").get() }
    }
}
