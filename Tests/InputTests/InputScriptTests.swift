import Foundation
import TestSupport
import Testing

@testable import Input

/// The script format (docs/input-script.md): every command, the errors with
/// their line numbers, and what the commands become on a real keymap.
@Suite struct InputScriptTests {
    typealias P = InputScript.Point

    static func commands(_ text: String) throws -> [InputScript.Command] {
        try InputScript(parsing: text).lines.map(\.command)
    }

    @Test func everyCommandParses() throws {
        let text = """
            # a comment, then a blank line

            key ctrl+alt+BackSpace
            key Return a shift+b   # several, a trailing comment
            keydown Shift_L
            keyup Shift_L
            type "Hello, \\"world\\" # not a comment\\n"
            move 10 20
            moveby -5 7
            click
            click right
            click 3 4
            click middle 5 6
            press
            release right
            press 0x113
            drag 1 2 30 40
            drag 1 2 3 4 right
            scroll 2
            scroll -1 3
            wait 250
            """
        let parsed = try InputScript(parsing: text)
        #expect(parsed.lines.map(\.number) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21])
        #expect(parsed.lines.map(\.command) == [
            .key([KeyCombo(modifiers: [.ctrl, .alt], keysym: .backSpace)]),
            .key([KeyCombo(modifiers: [], keysym: .returnKey), KeyCombo(modifiers: [], keysym: Keysym(rawValue: 0x61)),
                  KeyCombo(modifiers: .shift, keysym: Keysym(rawValue: 0x62))]),
            .keyDown(.shiftL),
            .keyUp(.shiftL),
            .type("Hello, \"world\" # not a comment\n"),
            .move(P(10, 20)),
            .moveBy(dx: -5, dy: 7),
            .click(button: 0x110, at: nil),
            .click(button: 0x111, at: nil),
            .click(button: 0x110, at: P(3, 4)),
            .click(button: 0x112, at: P(5, 6)),
            .press(button: 0x110),
            .release(button: 0x111),
            .press(button: 0x113),
            .drag(from: P(1, 2), to: P(30, 40), button: 0x110),
            .drag(from: P(1, 2), to: P(3, 4), button: 0x111),
            .scroll(dx: 0, dy: 2),
            .scroll(dx: -1, dy: 3),
            .wait(milliseconds: 250),
        ])
    }

    @Test func windowsLineEndingsAndIndentationAreFine() throws {
        #expect(try Self.commands("  move 1 2\r\n\twait 5\r\n") == [.move(P(1, 2)), .wait(milliseconds: 5)])
    }

    /// Each bad line: the error names the script, the line and what is wrong.
    @Test(arguments: [
        ("clik 1 2", "unknown command 'clik' (commands: key, keydown, keyup, type, move, moveby, click, press, release, drag, scroll, wait, touch)"),
        ("move 10", "usage: move X Y"),
        ("move -1 5", "x must be 0...1000000, not -1"),
        ("move 1 two", "y must be a whole number, not 'two'"),
        ("moveby 1.5 2", "dx must be a whole number, not '1.5'"),
        ("key", "usage: key COMBO... (e.g. key ctrl+alt+BackSpace)"),
        ("key ctrl+Bogus", "unknown key name 'Bogus' (xkbcommon keysym names: a, Return, BackSpace, F1, Print, ...)"),
        ("key hyper+a", "unknown modifier 'hyper' (shift, ctrl, alt, super, altgr)"),
        ("keydown", "usage: keydown KEYNAME (e.g. keydown Shift_L)"),
        ("type hello", "usage: type \"TEXT\" (one quoted string)"),
        ("type \"unclosed", "the string has no closing quote"),
        ("type \"a\"b", "put a space after the closing quote"),
        ("type \"\\q\"", "unknown escape \\q in a string (use \\\", \\\\, \\n or \\t)"),
        ("click left 1", "usage: click [BUTTON] [X Y]"),
        ("click wheel", "unknown button 'wheel' (left, right, middle, side, extra, forward, back, or a BTN_* code)"),
        ("press 5", "unknown button '5' (left, right, middle, side, extra, forward, back, or a BTN_* code)"),
        ("drag 1 2 3", "usage: drag X1 Y1 X2 Y2 [BUTTON]"),
        ("scroll", "usage: scroll DY, or scroll DX DY (wheel steps; positive is down and right)"),
        ("wait -1", "milliseconds must be 0...3600000, not -1"),
        ("wait soon", "milliseconds must be a whole number, not 'soon'"),
        ("\"move\" 1 2", "a line starts with a command (key, keydown, keyup, type, move, moveby, click, press, release, drag, scroll, wait, touch), not a string"),
        ("move \"1\" 2", "move: unexpected string \"1\""),
    ])
    func badLinesSayWhereAndWhat(line: String, message: String) {
        let text = "# header\nmove 1 1\n\n" + line + "\nwait 1\n"
        #expect(throws: InputScriptError(script: "demo.txt", line: 4, message: message)) {
            _ = try InputScript(parsing: text, name: "demo.txt")
        }
    }

    @Test func errorDescriptionReadsWell() {
        #expect(InputScriptError(script: "demo.txt", line: 4, message: "usage: move X Y").description == "demo.txt line 4: usage: move X Y")
    }

    @Test func aMissingFileSaysSo() {
        do {
            _ = try InputScript(contentsOf: "/nonexistent/script.txt")
            Issue.record("no error")
        } catch {
            #expect(error.script == "/nonexistent/script.txt")
            #expect(error.line == 0)
            #expect(error.message.hasPrefix("cannot read it: "))
        }
    }

    // MARK: Steps on a real keymap

    static func steps(_ text: String, _ keymap: Keymap, width: Int = 320, height: Int = 240) throws -> [ScriptStep] {
        try InputScript(parsing: text).steps(keymap: keymap, width: width, height: height)
    }

    static func keys(_ steps: [ScriptStep]) -> [(UInt32, Bool)] {
        steps.compactMap { if case .event(.key(let code, let pressed)) = $0 { (code, pressed) } else { nil } }
    }

    @Test func typedTextUsesTheKeymapsKeysAndShift() throws {
        let steps = try Self.steps("type \"aA@\"", try Keymaps.us)
        let expected: [(UInt32, Bool)] = [
            (Key.a, true), (Key.a, false),
            (Key.leftShift, true), (Key.a, true), (Key.a, false), (Key.leftShift, false),
            (Key.leftShift, true), (3, true), (3, false), (Key.leftShift, false),  // '@' is Shift+2 on us
        ]
        #expect(Self.keys(steps).map(\.0) == expected.map(\.0))
        #expect(Self.keys(steps).map(\.1) == expected.map(\.1))
    }

    @Test func typedTextOnGermanUsesAltGrAndTheSwappedKeys() throws {
        let steps = try Self.steps("type \"z@\"", try Keymaps.de)
        let keymap = try Keymaps.de
        let altGr = try #require(keymap.key(for: .altGr))
        let expected: [(UInt32, Bool)] = [
            (Key.y, true), (Key.y, false),
            (altGr, true), (Key.q, true), (Key.q, false), (altGr, false),
        ]
        #expect(Self.keys(steps).map(\.0) == expected.map(\.0))
        #expect(Self.keys(steps).map(\.1) == expected.map(\.1))
    }

    @Test func keyCombosPressModifiersAroundTheKey() throws {
        let steps = try Self.steps("key ctrl+alt+BackSpace", try Keymaps.us)
        #expect(Self.keys(steps).map(\.0) == [Key.leftCtrl, Key.leftAlt, Key.backspace, Key.backspace, Key.leftAlt, Key.leftCtrl])
        #expect(Self.keys(steps).map(\.1) == [true, true, true, false, false, false])
    }

    @Test func keysTheKeymapCannotTypeAreErrorsAtTheirLine() throws {
        #expect(throws: InputScriptError(script: "input script", line: 2, message: "no key in the keymap (layout us) types \"é\"")) {
            _ = try Self.steps("move 1 1\ntype \"é\"", try Keymaps.us)
        }
        #expect(throws: InputScriptError(script: "input script", line: 1,
                                         message: "A needs shift: hold them with their own keydown lines and name the key's plain symbol")) {
            _ = try Self.steps("keydown A", try Keymaps.us)
        }
    }

    @Test func pointerCommandsBecomePointerEvents() throws {
        let steps = try Self.steps("move 0 0\nmove 319 239\nmoveby 3 -4\nclick right 10 20\nscroll -2\nwait 7\ndrag 0 0 64 0", try Keymaps.us)
        let abs: (Int, Int) -> ScriptStep = { x, y in
            .event(.pointerMotionAbsolute(x: min(1, (Double(x) + 0.5) / 320), y: min(1, (Double(y) + 0.5) / 240)))
        }
        #expect(steps == [
            abs(0, 0),
            abs(319, 239),
            .event(.pointerMotion(dx: 3, dy: -4)),
            abs(10, 20),
            .event(.pointerButton(button: 0x111, pressed: true)),
            .event(.pointerButton(button: 0x111, pressed: false)),
            .event(.pointerScroll(dx: 0, dy: -2)),
            .wait(milliseconds: 7),
            abs(0, 0),
            .event(.pointerButton(button: 0x110, pressed: true)),
            abs(16, 0), abs(32, 0), abs(48, 0), abs(64, 0),
            .event(.pointerButton(button: 0x110, pressed: false)),
        ])
    }

    @Test func playingFeedsEventsAndWaitsInOrder() {
        var log: [String] = []
        ScriptPlayer.play([.event(.pointerMotion(dx: 1, dy: 0)), .wait(milliseconds: 5), .event(.key(code: 30, pressed: true))],
                          into: { log.append("\($0)") }, sleep: { log.append("sleep \($0)") })
        #expect(log == ["pointerMotion(dx: 1.0, dy: 0.0)", "sleep 5", "key(code: 30, pressed: true)"])
    }

    @Test func theDocumentedExampleParses() throws {
        // docs/input-script.md's example must stay valid.
        let doc = try Repository.text("docs/input-script.md")
        let blocks = doc.components(separatedBy: "```wskscript\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(!blocks.isEmpty)
        for block in blocks {
            let script = try InputScript(parsing: block, name: "docs/input-script.md")
            _ = try script.steps(keymap: try Keymaps.us, width: 1280, height: 800)
        }
    }
}
