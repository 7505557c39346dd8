import AppProtocols
import Interp
import Testing

@testable import Compositor
@testable import Kernel

/// Plugins that trap, hang, never answer, answer garbage or try to reach
/// past their buffer (`actors/tests/*`): paint's canvas stays exactly as it
/// was, paint says what happened, and it goes on working.
@Suite(.serialized) struct HostilePluginTests {
    /// The menu rows: module names sorted.
    static let plugins = [
        "escape": "tests/escape.wasm", "garbage": "tests/garbage.wasm", "hang": "tests/hang.wasm",
        "invert": "plugins/invert.wasm", "silent": "tests/silent.wasm", "trap": "tests/trap.wasm",
    ]
    static func row(_ module: String) -> String { String(plugins.keys.sorted().firstIndex(of: module)! + 1) }

    /// Opens the menu with `f` and picks `module`'s row by its number.
    static func apply(_ module: String, in s: PaintSessionTests.Session) throws {
        try s.desk.type("f" + row(module))
    }

    /// A fiftieth of the usual watchdog — still several times what invert
    /// needs here: `hang` burns a core until the watchdog ends it (a kill takes
    /// effect at an actor's next host call), slowing every other test.
    static var limits: ActorLimits {
        var limits = ActorLimits()
        limits.fuelPerCall = 10_000_000
        return limits
    }

    /// Paint's wait for a plugin's answer: short, for the silent and hanging
    /// plugins, yet long enough for invert on the interpreter of a debug
    /// build on a busy machine (1.5 s was not).
    static let budgetMs = 4000
    static let timedOut = "no progress or answer for \(budgetMs) ms"
    static let died = "the plugin stopped (see the log)"

    /// Each hostile plugin and what paint may say of it. A loop without host
    /// calls outlasts the budget on the interpreter; compiled, the watchdog
    /// may end it first.
    @Test(arguments: [
        ("trap", "Trap (test)", [died]),
        ("hang", "Hang (test)", [timedOut, died]),
        ("silent", "Silent (test)", [timedOut]),
        ("garbage", "Garbage (test)", ["it answered: malformed request or answer"]),
    ])
    func leavesTheCanvasIntact(module: String, name: String, reasons: [String]) throws {
        let s = try PaintSessionTests.Session(plugins: Self.plugins, budgetMs: Self.budgetMs, limits: Self.limits)
        defer { s.stop() }
        let failures = Set(reasons.map { "paint: \(name) failed: \($0)" })
        try s.stroke([(30, 30), (200, 120)], radius: 2, color: PaintModel.palette[0])
        try s.expectCanvas("before")

        // The plugin scribbles magenta over its copy, then misbehaves.
        try Self.apply(module, in: s)
        let line = s.desk.log.wait(for: "failed", from: "paint")
        #expect(failures.contains(line ?? "(none)"), "\(line ?? "no failure logged")")
        try s.expectCanvas("after \(module)")
        #expect(s.waitForStatusError())

        // Still usable: a stroke, then the same plugin (a fresh instance)
        // fails again, then a good filter works.
        try s.desk.type("8")
        try s.stroke([(300, 200), (500, 20)], radius: 2, color: PaintModel.palette[7])
        try s.expectCanvas("a stroke after \(module)")
        try Self.apply(module, in: s)
        let again = s.desk.log.wait(for: "failed", from: "paint", skipping: 1)
        #expect(failures.contains(again ?? "(none)"), "\(again ?? "no second failure logged")")
        try Self.apply("invert", in: s)
        #expect(s.desk.log.wait(for: "paint: Invert applied", from: "paint") != nil)
        s.model.pixels = ReferenceFilters.apply(module: "invert", s.model.pixels, width: s.model.width, height: s.model.height)!
        try s.expectCanvas("inverted after \(module)")
    }

    /// `escape` tries every other handle slot and generation, writes past
    /// the end of its buffer, a framebuffer and a wider cap: all refused.
    @Test func cannotWriteOutsideItsBuffer() throws {
        let s = try PaintSessionTests.Session(plugins: Self.plugins, budgetMs: 10_000)
        defer { s.stop() }
        try s.stroke([(30, 30), (200, 120)], radius: 2, color: PaintModel.palette[0])
        try Self.apply("escape", in: s)
        #expect(s.desk.log.wait(for: "escape:", from: "escape") == "escape: 263 attempts, all refused")
        #expect(s.desk.log.wait(for: "paint: Escape (test) applied", from: "paint") != nil)
        try s.expectCanvas("after escape")
        #expect(!s.statusShowsError)
    }
}
