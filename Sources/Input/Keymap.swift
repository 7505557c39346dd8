import CLogSinks
import CXKBCommon
import Foundation
import Logging
import Synchronization

/// Rules, model, layout, variant and options: how xkbcommon picks a keymap
/// (RMLVO). Empty fields take xkbcommon's defaults (evdev, pc105, us).
public struct KeymapNames: Sendable, Equatable, CustomStringConvertible {
    public var rules: String?
    public var model: String?
    public var layout: String?
    public var variant: String?
    public var options: String?

    public init(rules: String? = nil, model: String? = nil, layout: String? = nil, variant: String? = nil, options: String? = nil) {
        self.rules = rules
        self.model = model
        self.layout = layout
        self.variant = variant
        self.options = options
    }

    /// `XKB_DEFAULT_RULES`, `_MODEL`, `_LAYOUT`, `_VARIANT` and `_OPTIONS`,
    /// the convention of sway and cage.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> KeymapNames {
        func value(_ name: String) -> String? {
            guard let v = environment["XKB_DEFAULT_" + name], !v.isEmpty else { return nil }
            return v
        }
        return KeymapNames(rules: value("RULES"), model: value("MODEL"), layout: value("LAYOUT"),
                           variant: value("VARIANT"), options: value("OPTIONS"))
    }

    /// These names, with each field `other` sets taking its place (flags over
    /// the environment).
    public func overridden(by other: KeymapNames) -> KeymapNames {
        KeymapNames(rules: other.rules ?? rules, model: other.model ?? model, layout: other.layout ?? layout,
                    variant: other.variant ?? variant, options: other.options ?? options)
    }

    public var description: String {
        [("rules", rules), ("model", model), ("layout", layout), ("variant", variant), ("options", options)]
            .compactMap { name, value in value.map { "\(name) \($0)" } }
            .joined(separator: ", ")
            .nonEmpty ?? "xkbcommon defaults"
    }
}

/// Keyboard setup failures, said so a user can act on them.
public enum KeyboardError: Error, Equatable, CustomStringConvertible {
    case unknownLayout(String)
    case unknownVariant(layout: String, variant: String)
    case keymapFailed(KeymapNames, details: [String])
    case noContext

    public static let howToListLayouts =
        "list the layouts with `localectl list-x11-keymap-layouts` or see /usr/share/X11/xkb/rules/evdev.lst"

    public var description: String {
        switch self {
        case .unknownLayout(let layout):
            "unknown keyboard layout '\(layout)': \(Self.howToListLayouts)"
        case .unknownVariant(let layout, let variant):
            "keyboard layout '\(layout)' has no variant '\(variant)': list them with `localectl list-x11-keymap-variants \(layout)` or see /usr/share/X11/xkb/rules/evdev.lst"
        case .keymapFailed(let names, let details):
            "cannot compile a keymap from \(names)" + (details.isEmpty ? "" : ": " + details.joined(separator: "; "))
        case .noContext:
            "cannot create an xkbcommon context (is xkb-data installed? /usr/share/X11/xkb)"
        }
    }
}

/// How to type a keysym: a key (evdev code) and the modifiers to hold.
public struct KeyStroke: Sendable, Equatable {
    public var keycode: UInt32
    public var modifiers: Modifiers
}

/// A compiled xkb keymap and what we look up in it. The keymap itself is
/// immutable; everything derived from it is computed once, at load.
public final class Keymap: @unchecked Sendable {
    // `context` and `keymap` are read-only after init (xkbcommon keymaps are
    // immutable). xkbcommon's reference counts are not atomic, so creating or
    // dropping a state (which refs the keymap) goes through `refLock`.
    let context: OpaquePointer
    let keymap: OpaquePointer
    let refLock = Mutex<Void>(())
    private let logBox: XKBLog
    public let names: KeymapNames

    /// Real modifier index -> our bit, for the modifiers we report.
    let modifierIndices: [(index: UInt32, bit: Modifiers)]
    /// evdev code -> level-1 keysym (what the key says with no modifiers).
    private let baseKeysyms: [UInt32: Keysym]
    /// keysym -> the simplest way to type it.
    private let strokes: [Keysym: KeyStroke]
    private let repeating: Set<UInt32>

    /// Compiles the keymap `names` describe.
    public init(names: KeymapNames, logger: Logger = Logger(label: "wskdesk.input")) throws(KeyboardError) {
        // The environment is read by `KeymapNames.fromEnvironment`, not by
        // xkbcommon behind our back: the names here are the whole truth.
        guard let context = xkb_context_new(XKB_CONTEXT_NO_ENVIRONMENT_NAMES) else { throw .noContext }
        let log = XKBLog(logger: logger)
        xkb_context_set_user_data(context, Unmanaged.passUnretained(log).toOpaque())
        wsk_xkb_set_log_sink(context, xkbLogSink)
        xkb_context_set_log_level(context, XKB_LOG_LEVEL_ERROR)

        let compiled: OpaquePointer? = withRuleNames(names) { rmlvo in
            xkb_keymap_new_from_names(context, rmlvo, XKB_KEYMAP_COMPILE_NO_FLAGS)
        }
        guard let keymap = compiled else {
            let details = log.takeErrors()
            let diagnosis = Keymap.diagnose(names, context: context)
            xkb_context_unref(context)
            throw diagnosis ?? .keymapFailed(names, details: details)
        }
        _ = log.takeErrors()
        self.context = context
        self.keymap = keymap
        self.logBox = log
        self.names = names

        var indices: [(UInt32, Modifiers)] = []
        for (name, bit) in [("Shift", Modifiers.shift), ("Lock", .capsLock), ("Control", .ctrl), ("Mod1", .alt),
                            ("Mod4", .logo), ("Mod5", .altGr), ("Mod2", .numLock)] {
            let index = xkb_keymap_mod_get_index(keymap, name)
            if index != XKB_MOD_INVALID { indices.append((index, bit)) }
        }
        modifierIndices = indices
        (baseKeysyms, strokes, repeating) = Keymap.scan(keymap, modifierIndices: indices)
    }

    deinit {
        xkb_keymap_unref(keymap)
        xkb_context_unref(context)
    }

    /// The keysym `keycode` (evdev) gives with no modifiers, in the first layout.
    public func baseKeysym(_ keycode: UInt32) -> Keysym {
        baseKeysyms[keycode] ?? .noSymbol
    }

    /// The key and modifiers that type `keysym` in the first layout (fewest
    /// modifiers, then lowest key code), or nil when no key does without a
    /// lock (Caps or Num Lock).
    public func stroke(for keysym: Keysym) -> KeyStroke? {
        strokes[keysym]
    }

    /// True when holding the key repeats it (not modifiers, per the keymap).
    public func repeats(_ keycode: UInt32) -> Bool {
        repeating.contains(keycode)
    }

    /// The key to hold for one modifier (Shift_L for .shift, ISO_Level3_Shift
    /// for .altGr, ...).
    public func key(for modifier: Modifiers) -> UInt32? {
        let candidates: [Keysym] = switch modifier {
        case .shift: [.shiftL, Keysym(rawValue: 0xffe2)]
        case .ctrl: [.controlL, Keysym(rawValue: 0xffe4)]
        case .alt: [.altL, Keysym(rawValue: 0xffea), Keysym(rawValue: 0xffe7)]
        case .logo: [.superL, Keysym(rawValue: 0xffec)]
        case .altGr: [.isoLevel3Shift, Keysym(rawValue: 0xff7e)]
        default: []
        }
        for sym in candidates {
            if let stroke = strokes[sym], stroke.modifiers.isEmpty { return stroke.keycode }
        }
        return nil
    }

    // MARK: Loading

    private static func scan(_ keymap: OpaquePointer, modifierIndices: [(index: UInt32, bit: Modifiers)])
        -> ([UInt32: Keysym], [Keysym: KeyStroke], Set<UInt32>)
    {
        var base: [UInt32: Keysym] = [:]
        var strokes: [Keysym: KeyStroke] = [:]
        var repeating: Set<UInt32> = []
        let holdable: Modifiers = [.shift, .ctrl, .alt, .logo, .altGr]
        func bits(_ mask: UInt32) -> Modifiers? {
            var out: Modifiers = []
            for (index, bit) in modifierIndices where mask & (1 << index) != 0 { out.insert(bit) }
            let known = modifierIndices.reduce(UInt32(0)) { $0 | (1 << $1.index) }
            return mask & ~known == 0 ? out : nil
        }
        let minimum = xkb_keymap_min_keycode(keymap)
        let maximum = xkb_keymap_max_keycode(keymap)
        guard minimum >= 8, maximum >= minimum else { return (base, strokes, repeating) }
        for xkbCode in minimum...maximum {
            let evdev = xkbCode - 8
            if xkb_keymap_key_repeats(keymap, xkbCode) != 0 { repeating.insert(evdev) }
            let levels = xkb_keymap_num_levels_for_key(keymap, xkbCode, 0)
            guard levels > 0 else { continue }
            for level in 0..<levels {
                var syms: UnsafePointer<xkb_keysym_t>?
                guard xkb_keymap_key_get_syms_by_level(keymap, xkbCode, 0, level, &syms) == 1, let sym = syms?.pointee
                else { continue }
                let keysym = Keysym(rawValue: sym)
                if level == 0 { base[evdev] = keysym }
                var masks = [xkb_mod_mask_t](repeating: 0, count: 16)
                let count = xkb_keymap_key_get_mods_for_level(keymap, xkbCode, 0, level, &masks, masks.count)
                let options = masks.prefix(count).compactMap(bits).filter { holdable.isSuperset(of: $0) }
                guard let mods = options.min(by: { $0.rawValue.nonzeroBitCount < $1.rawValue.nonzeroBitCount }) else { continue }
                let stroke = KeyStroke(keycode: evdev, modifiers: mods)
                if let old = strokes[keysym], old.modifiers.rawValue.nonzeroBitCount <= mods.rawValue.nonzeroBitCount {
                    continue
                }
                strokes[keysym] = stroke
            }
        }
        return (base, strokes, repeating)
    }

    /// Why xkbcommon refused the names, when it is a layout or variant that
    /// does not exist in any include path.
    private static func diagnose(_ names: KeymapNames, context: OpaquePointer) -> KeyboardError? {
        var roots: [String] = []
        for i in 0..<xkb_context_num_include_paths(context) {
            if let path = xkb_context_include_path_get(context, i) { roots.append(String(cString: path)) }
        }
        let layouts = (names.layout ?? "us").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let variants = (names.variant ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for (i, layout) in layouts.enumerated() {
            let trimmed = layout.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard !trimmed.contains("/"),
                let file = roots.lazy.map({ "\($0)/symbols/\(trimmed)" }).first(where: { FileManager.default.fileExists(atPath: $0) })
            else { return .unknownLayout(trimmed) }
            let variant = i < variants.count ? variants[i].trimmingCharacters(in: .whitespaces) : ""
            if !variant.isEmpty, let text = try? String(contentsOfFile: file, encoding: .utf8),
                !text.contains("xkb_symbols \"\(variant)\"")
            {
                return .unknownVariant(layout: trimmed, variant: variant)
            }
        }
        return nil
    }
}

/// Runs `body` with an `xkb_rule_names` whose strings live for the call.
private func withRuleNames<R>(_ names: KeymapNames, _ body: (UnsafePointer<xkb_rule_names>) -> R) -> R {
    func c(_ s: String?) -> UnsafeMutablePointer<CChar>? { s.flatMap { $0.isEmpty ? nil : strdup($0) } }
    let fields = [c(names.rules), c(names.model), c(names.layout), c(names.variant), c(names.options)]
    defer { fields.forEach { free($0) } }
    var rmlvo = xkb_rule_names(rules: fields[0], model: fields[1], layout: fields[2], variant: fields[3], options: fields[4])
    return body(&rmlvo)
}

/// xkbcommon's log lines for one context: errors are kept (a failed compile
/// reports them) and sent to the logger.
final class XKBLog: Sendable {
    let logger: Logger
    private let errors = Mutex<[String]>([])
    init(logger: Logger) { self.logger = logger }

    func record(priority: Int32, line: String) {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if priority <= Int32(XKB_LOG_LEVEL_ERROR.rawValue) {
            errors.withLock { $0.append(text) }
            logger.debug("xkbcommon: \(text)")
        } else {
            logger.trace("xkbcommon: \(text)")
        }
    }

    func takeErrors() -> [String] {
        errors.withLock { lines in
            defer { lines.removeAll() }
            return lines
        }
    }
}

/// The shim calls this with the context's user data: its `XKBLog`.
private let xkbLogSink: wsk_log_sink = { context, priority, line in
    guard let context, let line else { return }
    Unmanaged<XKBLog>.fromOpaque(context).takeUnretainedValue().record(priority: priority, line: String(cString: line))
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
