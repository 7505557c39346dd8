/// Scripted input: a small text format (docs/input-script.md) replayed into
/// the same pipeline as libinput's events, for tests and headless demos.
///
///     # log in
///     move 100 80
///     click
///     type "hello"
///     key ctrl+alt+BackSpace
///
/// Parsing needs no keymap; turning the commands into key codes does
/// (`steps(keymap:output:)`): scripts name keysyms, the keymap says which
/// keys make them.
public struct InputScript: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var number: Int
        public var command: Command
    }

    public struct Point: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public init(_ x: Int, _ y: Int) {
            self.x = x
            self.y = y
        }
    }

    public enum Command: Sendable, Equatable {
        /// Press and release each combination in turn, modifiers around it.
        case key([KeyCombo])
        /// Hold a key down, or let it go.
        case keyDown(Keysym)
        case keyUp(Keysym)
        /// Type text, key by key, as the keymap types it.
        case type(String)
        /// Put the pointer on this pixel of the output.
        case move(Point)
        /// Move the pointer by this many pixels.
        case moveBy(dx: Double, dy: Double)
        /// Press and release a button, after moving there if given.
        case click(button: UInt32, at: Point?)
        case press(button: UInt32)
        case release(button: UInt32)
        /// Press at `from`, move to `to`, release.
        case drag(from: Point, to: Point, button: UInt32)
        /// Wheel steps; positive dy is down.
        case scroll(dx: Int, dy: Int)
        case wait(milliseconds: Int)
        /// A finger on the script's touchscreen ("script touch").
        case touch(Touch)
    }

    /// What a `touch` line does. X and Y are in [0, 1] of the touchscreen,
    /// left to right and top to bottom of its panel.
    public enum Touch: Sendable, Equatable {
        case down(slot: UInt32, x: Double, y: Double)
        case move(slot: UInt32, x: Double, y: Double)
        case up(slot: UInt32)
        case cancel
        case frame
    }

    public var name: String
    public var lines: [Line]

    /// Parses a script; `name` (its file) goes into error messages.
    public init(parsing text: String, name: String = "input script") throws(InputScriptError) {
        self.name = name
        var lines: [Line] = []
        var number = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let words: [Word]
            do {
                words = try tokenize(Substring(raw))
            } catch {
                throw InputScriptError(script: name, line: number, message: error.message)
            }
            guard !words.isEmpty else { continue }
            do {
                lines.append(Line(number: number, command: try Self.command(words)))
            } catch {
                throw InputScriptError(script: name, line: number, message: error.message)
            }
        }
        self.lines = lines
    }

    static let commands = "key, keydown, keyup, type, move, moveby, click, press, release, drag, scroll, wait, touch"
    static let touchUsage = "touch down SLOT X Y, touch move SLOT X Y, touch up SLOT, touch cancel or touch frame (X and Y from 0 to 1 of the touchscreen)"

    private static func command(_ words: [Word]) throws(LineError) -> Command {
        let verb = words[0]
        guard !verb.quoted else { throw LineError("a line starts with a command (\(commands)), not a string") }
        let args = Array(words.dropFirst())
        func bare(_ i: Int) throws(LineError) -> String {
            guard !args[i].quoted else { throw LineError("\(verb.text): unexpected string \(args[i].text.debugDescription)") }
            return args[i].text
        }
        func count(_ allowed: ClosedRange<Int>, _ usage: String) throws(LineError) {
            guard allowed.contains(args.count) else { throw LineError("usage: \(usage)") }
        }
        func point(_ i: Int) throws(LineError) -> Point {
            Point(try integer(bare(i), "x", min: 0), try integer(bare(i + 1), "y", min: 0))
        }
        switch verb.text.lowercased() {
        case "key":
            try count(1...64, "key COMBO... (e.g. key ctrl+alt+BackSpace)")
            var combos: [KeyCombo] = []
            for i in args.indices {
                let text = try bare(i)
                do { combos.append(try KeyCombo(parsing: text)) } catch { throw LineError(error.description) }
            }
            return .key(combos)
        case "keydown", "keyup":
            try count(1...1, "\(verb.text) KEYNAME (e.g. keydown Shift_L)")
            let text = try bare(0)
            guard let sym = Keysym(name: text) else { throw LineError(KeyComboError.unknownKey(text).description) }
            return verb.text.lowercased() == "keydown" ? .keyDown(sym) : .keyUp(sym)
        case "type":
            guard args.count == 1, args[0].quoted else { throw LineError("usage: type \"TEXT\" (one quoted string)") }
            return .type(args[0].text)
        case "move":
            try count(2...2, "move X Y")
            return .move(try point(0))
        case "moveby":
            try count(2...2, "moveby DX DY")
            return .moveBy(dx: Double(try integer(bare(0), "dx")), dy: Double(try integer(bare(1), "dy")))
        case "click":
            try count(0...3, "click [BUTTON] [X Y]")
            switch args.count {
            case 0: return .click(button: buttonLeft, at: nil)
            case 1: return .click(button: try button(bare(0)), at: nil)
            case 2:
                guard Int(args[0].text) != nil else { throw LineError("usage: click [BUTTON] [X Y]") }
                return .click(button: buttonLeft, at: try point(0))
            default: return .click(button: try button(bare(0)), at: try point(1))
            }
        case "press", "release":
            try count(0...1, "\(verb.text) [BUTTON]")
            let b = args.isEmpty ? buttonLeft : try button(bare(0))
            return verb.text.lowercased() == "press" ? .press(button: b) : .release(button: b)
        case "drag":
            try count(4...5, "drag X1 Y1 X2 Y2 [BUTTON]")
            return .drag(from: try point(0), to: try point(2), button: args.count == 5 ? try button(bare(4)) : buttonLeft)
        case "scroll":
            try count(1...2, "scroll DY, or scroll DX DY (wheel steps; positive is down and right)")
            if args.count == 1 { return .scroll(dx: 0, dy: try integer(bare(0), "dy")) }
            return .scroll(dx: try integer(bare(0), "dx"), dy: try integer(bare(1), "dy"))
        case "wait":
            try count(1...1, "wait MILLISECONDS")
            return .wait(milliseconds: try integer(bare(0), "milliseconds", min: 0, max: 3_600_000))
        case "touch":
            var words: [String] = []
            for i in args.indices { words.append(try bare(i)) }
            return .touch(try touch(words))
        default:
            throw LineError("unknown command '\(verb.text)' (commands: \(commands))")
        }
    }

    /// A touch line's words after `touch`.
    private static func touch(_ words: [String]) throws(LineError) -> Touch {
        guard let action = words.first else { throw LineError("usage: \(touchUsage)") }
        let rest = Array(words.dropFirst())
        func count(_ n: Int, _ usage: String) throws(LineError) {
            guard rest.count == n else { throw LineError("usage: \(usage)") }
        }
        func slot() throws(LineError) -> UInt32 { UInt32(try integer(rest[0], "slot", min: 0, max: 1023)) }
        func fraction(_ i: Int, _ what: String) throws(LineError) -> Double {
            let text = rest[i]
            guard let value = Double(text), value.isFinite, (0...1).contains(value) else {
                throw LineError("\(what) must be a number from 0 to 1 (a fraction of the touchscreen), not '\(text)'")
            }
            return value
        }
        switch action.lowercased() {
        case "down":
            try count(3, "touch down SLOT X Y (X and Y from 0 to 1 of the touchscreen)")
            return .down(slot: try slot(), x: try fraction(1, "x"), y: try fraction(2, "y"))
        case "move":
            try count(3, "touch move SLOT X Y (X and Y from 0 to 1 of the touchscreen)")
            return .move(slot: try slot(), x: try fraction(1, "x"), y: try fraction(2, "y"))
        case "up":
            try count(1, "touch up SLOT")
            return .up(slot: try slot())
        case "cancel":
            try count(0, "touch cancel (every finger of the touchscreen)")
            return .cancel
        case "frame":
            try count(0, "touch frame")
            return .frame
        default:
            throw LineError("unknown touch action '\(action)' (\(touchUsage))")
        }
    }

    static let buttonLeft: UInt32 = 0x110
    static let buttonNames: [String: UInt32] = [
        "left": 0x110, "right": 0x111, "middle": 0x112, "side": 0x113, "extra": 0x114, "forward": 0x115, "back": 0x116,
    ]

    private static func button(_ text: String) throws(LineError) -> UInt32 {
        if let code = buttonNames[text.lowercased()] { return code }
        let value = text.lowercased().hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
        guard let value, (0x100...0x2ff).contains(value) else {
            throw LineError("unknown button '\(text)' (left, right, middle, side, extra, forward, back, or a BTN_* code)")
        }
        return value
    }

    private static func integer(_ text: String, _ what: String, min: Int = -1_000_000, max: Int = 1_000_000)
        throws(LineError) -> Int
    {
        guard let value = Int(text) else { throw LineError("\(what) must be a whole number, not '\(text)'") }
        guard (min...max).contains(value) else { throw LineError("\(what) must be \(min)...\(max), not \(value)") }
        return value
    }
}

/// A script that cannot be parsed or played, with where.
public struct InputScriptError: Error, Equatable, CustomStringConvertible {
    public var script: String
    public var line: Int
    public var message: String

    public init(script: String, line: Int, message: String) {
        self.script = script
        self.line = line
        self.message = message
    }

    public var description: String { "\(script) line \(line): \(message)" }
}

struct LineError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A word of a line: bare, or a quoted string with its escapes resolved.
struct Word: Equatable {
    var text: String
    var quoted: Bool
}

/// Splits a line into words; `#` outside quotes starts a comment. Strings
/// are in double quotes with `\"`, `\\`, `\n` and `\t`.
func tokenize(_ line: Substring) throws(LineError) -> [Word] {
    var words: [Word] = []
    var i = line.startIndex
    while i < line.endIndex {
        let c = line[i]
        if c == "#" { break }
        if c.isWhitespace {
            i = line.index(after: i)
            continue
        }
        if c == "\"" {
            var text = ""
            i = line.index(after: i)
            var closed = false
            while i < line.endIndex {
                let d = line[i]
                i = line.index(after: i)
                if d == "\"" {
                    closed = true
                    break
                }
                if d == "\\" {
                    guard i < line.endIndex else { break }
                    let e = line[i]
                    i = line.index(after: i)
                    switch e {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "\"", "\\": text.append(e)
                    default: throw LineError("unknown escape \\\(e) in a string (use \\\", \\\\, \\n or \\t)")
                    }
                } else {
                    text.append(d)
                }
            }
            guard closed else { throw LineError("the string has no closing quote") }
            if i < line.endIndex, !line[i].isWhitespace, line[i] != "#" {
                throw LineError("put a space after the closing quote")
            }
            words.append(Word(text: text, quoted: true))
            continue
        }
        var text = ""
        while i < line.endIndex, !line[i].isWhitespace, line[i] != "#" {
            if line[i] == "\"" { throw LineError("a quote inside a word: put strings in their own \"quotes\"") }
            text.append(line[i])
            i = line.index(after: i)
        }
        words.append(Word(text: text, quoted: false))
    }
    return words
}
