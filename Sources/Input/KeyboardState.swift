import CXKBCommon
import Foundation
import Logging

/// A compose table (xkb compose, the X11 Compose files): dead keys and
/// Multi_key sequences, for a locale.
public final class ComposeTable: @unchecked Sendable {
    // Immutable after init; states that ref it are made under the keymap's
    // `refLock` (xkbcommon's reference counts are not atomic).
    let table: OpaquePointer
    let keymap: Keymap
    public let locale: String

    /// The table for `locale` (`en_US.UTF-8`; `C` and `POSIX` use
    /// en_US.UTF-8's), or nil when the system has none (libx11-data holds
    /// them, under /usr/share/X11/locale).
    public init?(keymap: Keymap, locale: String) {
        // The table refs the keymap's context: under `refLock` like every ref.
        let made = keymap.refLock.withLock { _ in
            xkb_compose_table_new_from_locale(keymap.context, locale, XKB_COMPOSE_COMPILE_NO_FLAGS)
        }
        guard let table = made else { return nil }
        self.table = table
        self.keymap = keymap
        self.locale = locale
    }

    deinit {
        keymap.refLock.withLock { _ in xkb_compose_table_unref(table) }
    }

    /// The locale that decides compose sequences: `LC_ALL`, `LC_CTYPE`,
    /// `LANG`, else `C` — the order setlocale uses.
    public static func locale(from environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return "C"
    }
}

/// One seat's keyboard: the xkb state (which modifiers and locks are on)
/// and the compose state, fed key by key. Not thread-safe: its owner
/// (`InputPipeline`) serialises access.
public final class KeyboardState {
    public let keymap: Keymap
    public let compose: ComposeTable?
    private var state: OpaquePointer
    private var composeState: OpaquePointer?

    public init(keymap: Keymap, compose: ComposeTable? = nil) {
        self.keymap = keymap
        self.compose = compose
        (state, composeState) = keymap.refLock.withLock { _ in
            let state = xkb_state_new(keymap.keymap)!
            let composeState = compose.map { xkb_compose_state_new($0.table, XKB_COMPOSE_STATE_NO_FLAGS)! }
            return (state, composeState)
        }
    }

    deinit {
        keymap.refLock.withLock { _ in
            xkb_state_unref(state)
            if let composeState { xkb_compose_state_unref(composeState) }
        }
    }

    /// Forgets every key held and every lock (a new session, a lost device).
    public func reset() {
        keymap.refLock.withLock { _ in
            xkb_state_unref(state)
            state = xkb_state_new(keymap.keymap)!
            if let composeState { xkb_compose_state_reset(composeState) }
        }
    }

    /// Feeds a key press or release and returns what it means: the keysym
    /// and text it produced (after compose) and the modifiers that were in
    /// effect when it happened. The key's own effect on the modifiers (Shift
    /// going down) shows from the next key on.
    public func update(keycode: UInt32, pressed: Bool) -> KeyEvent {
        let xkbCode = keycode + 8
        let modifiers = self.modifiers
        var keysym = Keysym(rawValue: xkb_state_key_get_one_sym(state, xkbCode))
        var text = ""
        if pressed {
            text = typedText(xkbCode)
            if let composeState, xkb_compose_state_feed(composeState, keysym.rawValue) == XKB_COMPOSE_FEED_ACCEPTED {
                switch xkb_compose_state_get_status(composeState) {
                case XKB_COMPOSE_COMPOSING:
                    text = ""
                case XKB_COMPOSE_COMPOSED:
                    let sym = xkb_compose_state_get_one_sym(composeState)
                    if sym != UInt32(XKB_KEY_NoSymbol) { keysym = Keysym(rawValue: sym) }
                    text = printable(composedText(composeState))
                    xkb_compose_state_reset(composeState)
                case XKB_COMPOSE_CANCELLED:
                    text = ""
                    xkb_compose_state_reset(composeState)
                default:
                    break
                }
            }
        }
        xkb_state_update_key(state, xkbCode, pressed ? XKB_KEY_DOWN : XKB_KEY_UP)
        return KeyEvent(keycode: keycode, keysym: keysym, text: text, modifiers: modifiers,
                        state: pressed ? .pressed : .released)
    }

    /// A repeat of a held key: what it types now, compose not involved.
    public func repeated(keycode: UInt32) -> KeyEvent {
        let xkbCode = keycode + 8
        return KeyEvent(keycode: keycode, keysym: Keysym(rawValue: xkb_state_key_get_one_sym(state, xkbCode)),
                        text: typedText(xkbCode), modifiers: modifiers, state: .repeated)
    }

    /// The modifiers and locks in effect now.
    public var modifiers: Modifiers {
        var out: Modifiers = []
        for (index, bit) in keymap.modifierIndices
        where xkb_state_mod_index_is_active(state, index, XKB_STATE_MODS_EFFECTIVE) > 0 {
            out.insert(bit)
        }
        return out
    }

    /// Keyboard LEDs that should be lit.
    public var leds: KeyboardLEDs {
        var out: KeyboardLEDs = []
        if xkb_state_led_name_is_active(state, "Caps Lock") > 0 { out.insert(.capsLock) }
        if xkb_state_led_name_is_active(state, "Num Lock") > 0 { out.insert(.numLock) }
        if xkb_state_led_name_is_active(state, "Scroll Lock") > 0 { out.insert(.scrollLock) }
        return out
    }

    private func typedText(_ xkbCode: UInt32) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = xkb_state_key_get_utf8(state, xkbCode, &buffer, buffer.count)
        guard n > 0 else { return "" }
        return printable(String(decoding: buffer.prefix(min(Int(n), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    private func composedText(_ composeState: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = xkb_compose_state_get_utf8(composeState, &buffer, buffer.count)
        guard n > 0 else { return "" }
        return String(decoding: buffer.prefix(min(Int(n), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Text without control characters: Return, BackSpace, Escape and
    /// Ctrl+letter type nothing; apps see them by keysym.
    private func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.generalCategory != .control }))
    }
}

/// Keyboard lights, as libinput sets them.
public struct KeyboardLEDs: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let numLock = KeyboardLEDs(rawValue: 1 << 0)
    public static let capsLock = KeyboardLEDs(rawValue: 1 << 1)
    public static let scrollLock = KeyboardLEDs(rawValue: 1 << 2)
}
