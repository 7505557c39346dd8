import AppProtocols
import Foundation
import Interp
import TestSupport
import Testing

@testable import Compositor
@testable import Kernel

/// paint reloading plugins on PLUGINS_CHANGED: a changed module is started
/// and described again and swapped in, an added one joins the menu, a
/// removed one leaves it; a new version that fails to describe itself or
/// fails its first request gives way to the previous one; after a crash the
/// new file is described afresh. The files are rewritten in the plugins
/// folder for real (the spawner reads them at each spawn); the event is sent
/// by the test through ui_server as wskdesk's watcher sends it
/// (`PluginWatcherTests` tests the watcher itself).
@Suite(.serialized) struct PaintReloadTests {
    /// paint with the plugins `modules` (module name -> built file).
    static func session(_ modules: [String: String]) throws -> PaintSessionTests.Session {
        try PaintSessionTests.Session(plugins: modules, budgetMs: 5000)
    }

    /// Puts `built` (a path under build/actors) in the session's folder as
    /// `module`, or removes `module` when nil, then tells paint.
    static func change(_ s: PaintSessionTests.Session, _ line: String, _ module: String, to built: String?) throws {
        let path = s.plugins.path + "/" + module + ".wasm"
        try? FileManager.default.removeItem(atPath: path)
        if let built { try FileManager.default.copyItem(atPath: Repository.builtActor(built), toPath: path) }
        s.desk.server.sendToEveryWindow(of: s.paint, opcode: WindowProtocol.pluginsChanged, fields: Array(line.utf8))
    }

    /// Applies menu row `row` and waits for paint's line about `name`.
    static func apply(row: Int, named name: String, in s: PaintSessionTests.Session, skipping: Int = 0) throws -> String? {
        try s.desk.type("f\(row)")
        return s.desk.log.wait(for: "paint: \(name) ", from: "paint", skipping: skipping)
    }

    static func painted(_ s: PaintSessionTests.Session) throws {
        try s.stroke([(30, 30), (200, 120)], radius: 2, color: PaintModel.palette[0])
        try s.expectCanvas("before")
    }

    @Test func aChangedPluginIsSwappedInAndAnAddedOneJoinsTheMenu() throws {
        let s = try Self.session(["tool": "plugins/invert.wasm"])
        defer { s.stop() }
        try Self.painted(s)
        try Self.change(s, "~tool", "tool", to: "plugins/grayscale.wasm")
        let reloaded = s.desk.log.wait(for: "paint: reloaded tool in ", from: "paint")
        #expect(reloaded?.hasSuffix(" ms") == true, "\(reloaded ?? "not reloaded")")
        #expect(try Self.apply(row: 1, named: "Grayscale", in: s)?.hasPrefix("paint: Grayscale applied") == true)
        let (w, h) = (s.model.width, s.model.height)
        s.model.pixels = ReferenceFilters.apply(module: "grayscale", s.model.pixels, width: w, height: h)!
        try s.expectCanvas("grayscale, the new version")

        // Added: sepia sorts before tool.
        try Self.change(s, "+sepia", "sepia", to: "plugins/sepia.wasm")
        #expect(s.desk.log.wait(for: "paint: loaded sepia in ", from: "paint") != nil)
        #expect(try Self.apply(row: 1, named: "Sepia", in: s)?.hasPrefix("paint: Sepia applied") == true)
        s.model.pixels = ReferenceFilters.apply(module: "sepia", s.model.pixels, width: w, height: h)!
        try s.expectCanvas("sepia, added")

        // Removed: tool's row is gone, sepia's stays.
        try Self.change(s, "-tool", "tool", to: nil)
        #expect(s.desk.log.wait(for: "paint: removed tool", from: "paint") != nil)
        try s.desk.type("f2")  // no such row: nothing happens
        #expect(try Self.apply(row: 1, named: "Sepia", in: s, skipping: 1)?.hasPrefix("paint: Sepia applied") == true)
        s.model.pixels = ReferenceFilters.apply(module: "sepia", s.model.pixels, width: w, height: h)!
        try s.expectCanvas("sepia again")
        #expect(s.desk.log.lines(of: "paint").filter { $0.hasPrefix("paint: Grayscale applied") }.count == 1, "f2 did nothing")
    }

    @Test func aNewVersionThatFailsToDescribeItselfLeavesThePreviousOne() throws {
        let s = try Self.session(["tool": "plugins/invert.wasm"])
        defer { s.stop() }
        try Self.painted(s)
        try Self.change(s, "~tool", "tool", to: "tests/typo.wasm")
        let line = s.desk.log.wait(for: "paint: Invert: the new version failed", from: "paint")
        #expect(line?.hasSuffix("; the previous one is back") == true, "\(line ?? "none")")
        #expect(line?.contains("no parameter called") == true, "\(line ?? "none")")
        #expect(s.waitForStatusError())
        #expect(try Self.apply(row: 1, named: "Invert", in: s)?.hasPrefix("paint: Invert applied") == true)
        s.model.pixels = s.model.pixels.map { ~$0 & 0x00ff_ffff }
        try s.expectCanvas("inverted by the previous version")
    }

    @Test func aNewVersionThatFailsItsFirstRequestGivesWayToThePreviousOne() throws {
        let s = try Self.session(["tool": "plugins/invert.wasm"])
        defer { s.stop() }
        try Self.painted(s)
        try Self.change(s, "~tool", "tool", to: "tests/panic.wasm")
        #expect(s.desk.log.wait(for: "paint: reloaded tool", from: "paint") != nil)
        // The new version (Posterize) panics: the canvas stays, the old one is back.
        let failed = try Self.apply(row: 1, named: "Posterize (test)", in: s)
        #expect(failed?.contains("the new version failed (panicked at") == true, "\(failed ?? "none")")
        #expect(failed?.hasSuffix("; the previous one is back") == true, "\(failed ?? "none")")
        try s.expectCanvas("untouched by the new version")
        #expect(try Self.apply(row: 1, named: "Invert", in: s)?.hasPrefix("paint: Invert applied") == true)
        s.model.pixels = s.model.pixels.map { ~$0 & 0x00ff_ffff }
        try s.expectCanvas("inverted by the previous version")
    }

    @Test func afterACrashTheNewFileIsDescribedAfresh() throws {
        let s = try Self.session(["tool": "tests/panic.wasm"])
        defer { s.stop() }
        try Self.painted(s)
        #expect(try Self.apply(row: 1, named: "Posterize (test)", in: s)?.contains("failed: panicked at") == true)
        // The instance is gone; the fix is another plugin altogether.
        try Self.change(s, "~tool", "tool", to: "plugins/blur.wasm")
        #expect(s.desk.log.wait(for: "paint: reloaded tool", from: "paint") != nil)
        // Box blur has a parameter: picking it opens the parameters dialog,
        // whose Enter applies the defaults.
        try s.desk.type("f1")
        try s.desk.key(ParamsDialogTests.enter)
        let applied = s.desk.log.wait(for: "paint: Box blur applied", from: "paint")
        #expect(applied != nil)
        let (w, h) = (s.model.width, s.model.height)
        s.model.pixels = ReferenceFilters.apply(module: "blur", s.model.pixels, width: w, height: h)!
        try s.expectCanvas("blurred by the new file, with its own name and parameters")
    }
}
