import AppProtocols
import Foundation
import Interp
import Testing

@testable import Compositor
@testable import Kernel

/// paint applying filters without blocking: progress in the status line,
/// Escape cancelling with the canvas untouched, a panic's message shown,
/// a plugin that fails at DESCRIBE left out with its reason, a flooding
/// and oversized answerer survived.
@Suite(.serialized) struct PaintRunTests {
    /// Menu rows are the module names sorted.
    static let plugins = [
        "flood": "tests/flood.wasm", "invert": "plugins/invert.wasm", "panic": "tests/panic.wasm",
        "slow": "tests/slow.wasm", "typo": "tests/typo.wasm",
    ]
    /// typo is left out of the menu.
    static func row(_ module: String) -> String {
        String(plugins.keys.filter { $0 != "typo" }.sorted().firstIndex(of: module)! + 1)
    }

    /// Applies slow with its remembered values (Ctrl and the row's number in
    /// the Filters menu): it has a parameter, so picking it would open the
    /// parameters dialog instead.
    static func applySlow(_ s: PaintSessionTests.Session) throws {
        try s.desk.type("f")
        try s.desk.key(UInt32(Character(row("slow")).asciiValue!), modifiers: WindowProtocol.modCtrl)
    }

    static func session() throws -> PaintSessionTests.Session {
        try PaintSessionTests.Session(plugins: plugins, budgetMs: 5000)
    }

    /// The status line's pixels.
    static func status(_ s: PaintSessionTests.Session) -> [UInt32] {
        let bar = Rect(x: s.window.x, y: s.window.maxY - PaintModel.status, width: s.window.width, height: PaintModel.status)
        return s.desk.screen().pixels(in: bar)
    }

    @Test func showsProgressThenTheResult() throws {
        let s = try Self.session()
        defer { s.stop() }
        try s.stroke([(30, 30), (200, 120)], radius: 2, color: PaintModel.palette[0])
        try s.expectCanvas("before")
        let before = Self.status(s)
        try Self.applySlow(s)  // about 3 s, a note per 50 ms
        // Every different status line seen until the filter is applied:
        // "Slow (test)... Esc cancels", then percentages, then "applied".
        var seen: [[UInt32]] = [before]
        let deadline = Date().addingTimeInterval(60)
        while s.desk.log.lines(of: "paint").allSatisfy({ !$0.hasPrefix("paint: Slow (test) applied") }), Date() < deadline {
            let now = Self.status(s)
            if now != seen.last { seen.append(now) }
            Thread.sleep(forTimeInterval: 0.02)
            if seen.count > 200 { break }
        }
        #expect(seen.count >= 4, "\(seen.count - 1) status lines shown while the filter ran")
        s.model.pixels = s.model.pixels.map { ~$0 & 0x00ff_ffff }
        try s.expectCanvas("inverted slowly")
    }

    @Test func escapeCancelsWithTheCanvasUntouched() throws {
        let s = try Self.session()
        defer { s.stop() }
        try s.stroke([(30, 30), (200, 120)], radius: 2, color: PaintModel.palette[0])
        try s.expectCanvas("before")
        let before = Self.status(s)
        try Self.applySlow(s)
        // Running: the status line shows it.
        #expect(waitUntil { Self.status(s) != before })
        try s.desk.key(0xff1b)
        #expect(s.desk.log.wait(for: "paint: Slow (test) cancelled", from: "paint") != nil)
        try s.expectCanvas("after cancel")
        // The instance was ended, not left running.
        let slow = (1...400).map { ActorID(rawValue: UInt32($0)) }.filter { s.desk.kernel.name(of: $0) == "slow" }
        #expect(!slow.isEmpty && slow.allSatisfy { !s.desk.kernel.isAlive($0) })
        // paint goes on: a stroke, then a filter.
        try s.stroke([(300, 200), (500, 20)], radius: 2, color: PaintModel.palette[0])
        try s.desk.type("f" + Self.row("invert"))
        #expect(s.desk.log.wait(for: "paint: Invert applied", from: "paint") != nil)
        s.model.pixels = s.model.pixels.map { ~$0 & 0x00ff_ffff }
        try s.expectCanvas("inverted after the cancel")
        #expect(!s.desk.log.lines(of: "paint").contains { $0.hasPrefix("paint: Slow (test) applied") })
    }

    @Test func aPanicsMessageReachesTheStatusLine() throws {
        let s = try Self.session()
        defer { s.stop() }
        try s.stroke([(30, 30), (200, 120)], radius: 2, color: PaintModel.palette[0])
        try s.desk.type("f" + Self.row("panic"))
        let line = s.desk.log.wait(for: "paint: Posterize (test) failed", from: "paint")
        #expect(line?.hasPrefix("paint: Posterize (test) failed: panicked at") == true, "\(line ?? "none")")
        #expect(line?.contains("cannot posterize to 0 levels") == true, "\(line ?? "none")")
        #expect(line?.contains("panic/src/lib.rs:") == true, "\(line ?? "none")")
        #expect(s.waitForStatusError())
        try s.expectCanvas("after the panic")
    }

    @Test func aParameterTypoLeavesThePluginOutWithItsReason() throws {
        let s = try Self.session()
        defer { s.stop() }
        let line = s.desk.log.lines(of: "paint").first { $0.hasPrefix("paint: plugin typo left out") }
        #expect(line?.hasPrefix("paint: plugin typo left out: panicked at") == true, "\(line ?? "none")")
        #expect(line?.contains(#"no parameter called "raduis"; this filter has: radius"#) == true, "\(line ?? "none")")
        #expect(s.desk.log.lines(of: "paint").contains("paint: ready, 4 filters"))
    }

    @Test func aFloodAndAnOversizedAnswerLeaveTheCanvas() throws {
        let s = try Self.session()
        defer { s.stop() }
        try s.stroke([(30, 30), (200, 120)], radius: 2, color: PaintModel.palette[0])
        try s.expectCanvas("before")
        // flood scribbles magenta over its copy, floods progress notes for
        // a second, then answers DONE with 60 KB.
        try s.desk.type("f" + Self.row("flood"))
        let line = s.desk.log.wait(for: "paint: Flood (test) failed", from: "paint")
        #expect(line == "paint: Flood (test) failed: it answered: malformed request or answer")
        try s.expectCanvas("after the flood")
        #expect(s.waitForStatusError())
        try s.stroke([(300, 200), (500, 20)], radius: 2, color: PaintModel.palette[0])
        try s.expectCanvas("a stroke after the flood")
    }
}
