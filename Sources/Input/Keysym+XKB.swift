import CXKBCommon

/// Keysym names and Unicode, from xkbcommon.
extension Keysym: CustomStringConvertible {
    /// The keysym named `name` (`BackSpace`, `a`, `eacute`, `XF86AudioMute`,
    /// `U+00E9`, `0xff08`): the exact spelling first, then ignoring case.
    public init?(name: String) {
        var sym = xkb_keysym_from_name(name, XKB_KEYSYM_NO_FLAGS)
        if sym == UInt32(XKB_KEY_NoSymbol) {
            sym = xkb_keysym_from_name(name, XKB_KEYSYM_CASE_INSENSITIVE)
        }
        guard sym != UInt32(XKB_KEY_NoSymbol) else { return nil }
        self.init(rawValue: sym)
    }

    /// The keysym that types `scalar` (`a` -> `a`, `é` -> `eacute`, `€` ->
    /// `EuroSign`); newline and tab are `Return` and `Tab`.
    public init?(typing scalar: Unicode.Scalar) {
        switch scalar {
        case "\n", "\r": self = .returnKey
        case "\t": self.init(rawValue: UInt32(XKB_KEY_Tab))
        default:
            let sym = xkb_utf32_to_keysym(scalar.value)
            guard sym != UInt32(XKB_KEY_NoSymbol) else { return nil }
            self.init(rawValue: sym)
        }
    }

    /// xkbcommon's name for it, e.g. `BackSpace`; `0x…` for unnamed ones.
    public var name: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = xkb_keysym_get_name(rawValue, &buffer, buffer.count)
        guard n > 0 else { return String(rawValue, radix: 16) }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The character the keysym stands for, if any (no keymap involved).
    public var unicode: Unicode.Scalar? {
        let value = xkb_keysym_to_utf32(rawValue)
        return value == 0 ? nil : Unicode.Scalar(value)
    }

    public var description: String { name }
}
