/// Global key bindings: keys the desktop takes before any app sees them.

/// What a binding does. The desktop decides how (wskdesk: quit stops it,
/// screenshot writes a PNG; VT switching is the session layer's).
public enum BindingAction: Sendable, Equatable, CustomStringConvertible {
    case quit
    case switchVT(Int)
    case screenshot
    /// The kiosk's admin box (restart the app, quit); nothing outside kiosk mode.
    case admin

    /// Parses an action as `--bind` writes it: `quit`, `screenshot`,
    /// `admin`, `vt3`.
    public init(parsing text: String) throws(KeyComboError) {
        switch text.lowercased() {
        case "quit": self = .quit
        case "screenshot": self = .screenshot
        case "admin": self = .admin
        case let name where name.hasPrefix("vt"):
            guard let n = Int(name.dropFirst(2)), (1...63).contains(n) else { throw .unknownAction(text) }
            self = .switchVT(n)
        default: throw .unknownAction(text)
        }
    }

    public var description: String {
        switch self {
        case .quit: "quit"
        case .switchVT(let n): "switch to VT \(n)"
        case .screenshot: "screenshot"
        case .admin: "admin box"
        }
    }
}

/// Modifiers and a keysym, written `ctrl+alt+BackSpace`: modifier names
/// (shift, ctrl/control, alt, super/logo, altgr), then a keysym name as
/// xkbcommon spells it.
public struct KeyCombo: Sendable, Equatable, CustomStringConvertible {
    public var modifiers: Modifiers
    public var keysym: Keysym

    public init(modifiers: Modifiers, keysym: Keysym) {
        self.modifiers = modifiers
        self.keysym = keysym
    }

    static let modifierNames: [String: Modifiers] = [
        "shift": .shift, "ctrl": .ctrl, "control": .ctrl, "alt": .alt, "mod1": .alt,
        "super": .logo, "logo": .logo, "mod4": .logo, "win": .logo, "altgr": .altGr, "mod5": .altGr,
    ]

    /// Parses `ctrl+alt+BackSpace`, `Print`, `shift+a`, `ctrl+plus`.
    public init(parsing text: String) throws(KeyComboError) {
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        guard let last = parts.last, !last.isEmpty, !parts.dropLast().contains("") else {
            throw .malformed(text)
        }
        var modifiers: Modifiers = []
        for name in parts.dropLast() {
            guard let bit = Self.modifierNames[name.lowercased()] else { throw .unknownModifier(name) }
            modifiers.insert(bit)
        }
        guard let keysym = Keysym(name: last) else { throw .unknownKey(last) }
        self.init(modifiers: modifiers, keysym: keysym)
    }

    public var description: String {
        let mods = Modifiers.names.filter { modifiers.contains($0.0) }.map(\.1)
        return (mods + [keysym.name]).joined(separator: "+")
    }
}

public enum KeyComboError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case unknownModifier(String)
    case unknownKey(String)
    case unknownAction(String)
    case malformedBinding(String)

    public var description: String {
        switch self {
        case .malformed(let text): "'\(text)' is not a key combination (write e.g. ctrl+alt+BackSpace)"
        case .unknownModifier(let name): "unknown modifier '\(name)' (shift, ctrl, alt, super, altgr)"
        case .unknownKey(let name): "unknown key name '\(name)' (xkbcommon keysym names: a, Return, BackSpace, F1, Print, ...)"
        case .unknownAction(let name): "unknown action '\(name)' (quit, screenshot, admin, vt1 ... vt12, or none to unbind)"
        case .malformedBinding(let text): "'\(text)' is not a binding (write COMBO=ACTION, e.g. super+q=quit or Print=none)"
        }
    }
}

public struct KeyBinding: Sendable, Equatable {
    public var combo: KeyCombo
    public var action: BindingAction

    public init(_ combo: KeyCombo, _ action: BindingAction) {
        self.combo = combo
        self.action = action
    }
}

/// The binding table. Matching is on keysyms with modifiers: the held
/// modifiers (not the locks) must be exactly the combo's, and the key must
/// give the combo's keysym either as it is pressed or on its first level —
/// so `ctrl+alt+F1` matches although xkb turns that key into
/// XF86Switch_VT_1, and `ctrl+shift+a` matches the key that gives `A`.
public struct Bindings: Sendable, Equatable {
    public var entries: [KeyBinding]

    public init(_ entries: [KeyBinding]) { self.entries = entries }

    /// The table from text: `(combo, action)` pairs.
    public init(table: [(String, BindingAction)]) throws(KeyComboError) {
        var entries: [KeyBinding] = []
        for (combo, action) in table { entries.append(KeyBinding(try KeyCombo(parsing: combo), action)) }
        self.init(entries)
    }

    /// The default table: Ctrl+Alt+BackSpace quits (not in kiosk mode),
    /// Ctrl+Alt+F1…F12 switch VTs, Print takes a screenshot.
    public static func standard(kiosk: Bool = false) -> Bindings {
        var table: [(String, BindingAction)] = kiosk ? [] : [("ctrl+alt+BackSpace", .quit)]
        for n in 1...12 { table.append(("ctrl+alt+F\(n)", .switchVT(n))) }
        table.append(("Print", .screenshot))
        // The names are xkbcommon's own; a failure here is a bug.
        return try! Bindings(table: table)
    }

    public static let none = Bindings([])

    /// This table changed by `COMBO=ACTION` lines, in order: each binds its
    /// combination anew (`none` unbinds it), e.g. `super+q=quit`,
    /// `ctrl+alt+BackSpace=none`, `ctrl+alt+Delete=admin`.
    public func overridden(by lines: [String]) throws(KeyComboError) -> Bindings {
        var entries = self.entries
        for line in lines {
            guard let equals = line.lastIndex(of: "="), equals != line.startIndex else { throw .malformedBinding(line) }
            let combo = try KeyCombo(parsing: String(line[..<equals]).trimmingSpaces)
            let actionName = String(line[line.index(after: equals)...]).trimmingSpaces
            entries.removeAll { $0.combo == combo }
            if actionName.lowercased() != "none" {
                entries.append(KeyBinding(combo, try BindingAction(parsing: actionName)))
            }
        }
        return Bindings(entries)
    }

    /// The action bound to a key press, if any.
    public func action(keysym: Keysym, baseKeysym: Keysym, modifiers: Modifiers) -> BindingAction? {
        let held = modifiers.intersection(.held)
        for entry in entries where entry.combo.modifiers == held {
            if entry.combo.keysym == keysym || entry.combo.keysym == baseKeysym { return entry.action }
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
