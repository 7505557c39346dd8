import Foundation
import Testing

@testable import Input

/// Real xkbcommon with real keymaps from xkb-data.
@Suite struct KeyboardTests {
    static func key(_ keyboard: KeyboardState, _ code: UInt32) -> KeyEvent {
        let down = keyboard.update(keycode: code, pressed: true)
        _ = keyboard.update(keycode: code, pressed: false)
        return down
    }

    @Test func usTypesLettersShiftAndCapsLock() throws {
        let keyboard = KeyboardState(keymap: try Keymaps.us)
        let a = Self.key(keyboard, Key.a)
        #expect(a == KeyEvent(keycode: Key.a, keysym: Keysym(rawValue: 0x61), text: "a", modifiers: [], state: .pressed))

        let shift = keyboard.update(keycode: Key.leftShift, pressed: true)
        #expect(shift.keysym.name == "Shift_L")
        #expect(shift.text == "")
        #expect(shift.modifiers == [])  // the state before Shift went down
        let shifted = keyboard.update(keycode: Key.a, pressed: true)
        #expect(shifted.keysym == Keysym(rawValue: 0x41))
        #expect(shifted.text == "A")
        #expect(shifted.modifiers == .shift)
        let up = keyboard.update(keycode: Key.a, pressed: false)
        #expect(up.state == .released)
        #expect(up.text == "")
        #expect(up.modifiers == .shift)
        _ = keyboard.update(keycode: Key.leftShift, pressed: false)
        #expect(keyboard.modifiers == [])

        _ = Self.key(keyboard, Key.capsLock)
        #expect(keyboard.modifiers == .capsLock)
        #expect(keyboard.leds == .capsLock)
        let caps = Self.key(keyboard, Key.a)
        #expect(caps.text == "A")
        #expect(caps.keysym.name == "A")
        #expect(caps.modifiers == .capsLock)
        _ = Self.key(keyboard, Key.capsLock)
        #expect(Self.key(keyboard, Key.a).text == "a")
        #expect(keyboard.leds == [])
    }

    /// The pipeline says when the lights change, so the device source can
    /// set them: at the press that changes them, not at other keys.
    @Test func thePipelineReportsEachChangeOfTheLights() throws {
        let rig = PipelineRig(keymap: try Keymaps.us)
        #expect(rig.pipeline.handle(.key(code: Key.capsLock, pressed: true)) == .capsLock)
        #expect(rig.pipeline.handle(.key(code: Key.capsLock, pressed: false)) == nil)
        #expect(rig.pipeline.handle(.key(code: Key.a, pressed: true)) == nil)
        #expect(rig.pipeline.handle(.key(code: Key.a, pressed: false)) == nil)
        // xkb's lock: on at the first press, off at the second one's release.
        #expect(rig.pipeline.handle(.key(code: Key.capsLock, pressed: true)) == nil)
        #expect(rig.pipeline.handle(.key(code: Key.capsLock, pressed: false)) == [])
        rig.tap(Key.capsLock)  // on again
        // A paused session forgets the locks: the lights go out.
        #expect(rig.pipeline.releaseAll() == [])
        #expect(rig.pipeline.releaseAll() == nil)
    }

    @Test func controlKeysTypeNoText() throws {
        let keyboard = KeyboardState(keymap: try Keymaps.us)
        #expect(Self.key(keyboard, Key.backspace).keysym == .backSpace)
        #expect(Self.key(keyboard, Key.backspace).text == "")
        #expect(Self.key(keyboard, Key.escape).text == "")
        _ = keyboard.update(keycode: Key.leftCtrl, pressed: true)
        let ctrlC = Self.key(keyboard, Key.c)
        #expect(ctrlC.keysym.name == "c")
        #expect(ctrlC.text == "")
        #expect(ctrlC.modifiers == .ctrl)
    }

    @Test func germanLayoutSwapsYAndZ() throws {
        let keyboard = KeyboardState(keymap: try Keymaps.de)
        let y = Self.key(keyboard, Key.y)  // KEY_Y is where US keyboards have Y
        #expect(y.keysym.name == "z")
        #expect(y.text == "z")
        #expect(Self.key(keyboard, Key.z).text == "y")
        #expect(try Keymaps.de.stroke(for: Keysym(name: "z")!) == KeyStroke(keycode: Key.y, modifiers: []))
    }

    @Test func altGrGivesThirdLevelSymbols() throws {
        let keyboard = KeyboardState(keymap: try Keymaps.de)
        _ = keyboard.update(keycode: Key.rightAlt, pressed: true)
        #expect(keyboard.modifiers == .altGr)
        let at = keyboard.update(keycode: Key.q, pressed: true)
        #expect(at.keysym.name == "at")
        #expect(at.text == "@")
        #expect(at.modifiers == .altGr)
        _ = keyboard.update(keycode: Key.q, pressed: false)
        _ = keyboard.update(keycode: Key.rightAlt, pressed: false)
        #expect(Self.key(keyboard, Key.q).text == "q")
        // And the script side finds the same: '@' is AltGr + q.
        #expect(try Keymaps.de.stroke(for: Keysym(typing: "@")!) == KeyStroke(keycode: Key.q, modifiers: .altGr))
    }

    /// The X11 compose tables come with libx11-data; C and POSIX use
    /// en_US.UTF-8's.
    static func composeTable(_ keymap: Keymap) -> ComposeTable? {
        ComposeTable(keymap: keymap, locale: "en_US.UTF-8") ?? ComposeTable(keymap: keymap, locale: "C")
    }

    @Test func deadAcuteThenEComposesEAcute() throws {
        let keymap = try Keymaps.de
        let compose = try #require(Self.composeTable(keymap), "no compose table: install libx11-data (/usr/share/X11/locale)")
        let keyboard = KeyboardState(keymap: keymap, compose: compose)
        // Find the dead key from the keymap rather than trusting a key code.
        let deadAcute = try #require(keymap.stroke(for: Keysym(name: "dead_acute")!))
        #expect(deadAcute == KeyStroke(keycode: Key.equal, modifiers: []))  // ´ right of ß
        let dead = Self.key(keyboard, deadAcute.keycode)
        #expect(dead.keysym.name == "dead_acute")
        #expect(dead.text == "")
        let e = Self.key(keyboard, Key.e)
        #expect(e.keysym.name == "eacute")
        #expect(e.text == "é")
        // The sequence is over: the next e is plain.
        #expect(Self.key(keyboard, Key.e).text == "e")
    }

    @Test func composeLocaleComesFromTheEnvironment() {
        #expect(ComposeTable.locale(from: ["LANG": "de_DE.UTF-8"]) == "de_DE.UTF-8")
        #expect(ComposeTable.locale(from: ["LANG": "de_DE.UTF-8", "LC_CTYPE": "fr_FR.UTF-8"]) == "fr_FR.UTF-8")
        #expect(ComposeTable.locale(from: ["LANG": "x", "LC_CTYPE": "y", "LC_ALL": "en_US.UTF-8"]) == "en_US.UTF-8")
        #expect(ComposeTable.locale(from: [:]) == "C")
    }

    @Test func unknownLayoutNamesItselfAndHowToList() {
        #expect(throws: KeyboardError.unknownLayout("xx")) {
            _ = try Keymap(names: KeymapNames(layout: "xx"), logger: quietLogger)
        }
        let message = KeyboardError.unknownLayout("xx").description
        #expect(message == "unknown keyboard layout 'xx': list the layouts with `localectl list-x11-keymap-layouts` or see /usr/share/X11/xkb/rules/evdev.lst")
        #expect(throws: KeyboardError.unknownLayout("xx")) {
            _ = try Keymap(names: KeymapNames(layout: "us,xx"), logger: quietLogger)
        }
    }

    @Test func unknownVariantNamesLayoutAndVariant() {
        #expect(throws: KeyboardError.unknownVariant(layout: "de", variant: "bogus")) {
            _ = try Keymap(names: KeymapNames(layout: "de", variant: "bogus"), logger: quietLogger)
        }
    }

    @Test func namesComeFromFlagsOverTheEnvironment() {
        let env = ["XKB_DEFAULT_LAYOUT": "de", "XKB_DEFAULT_VARIANT": "nodeadkeys", "XKB_DEFAULT_OPTIONS": "ctrl:nocaps",
                   "XKB_DEFAULT_MODEL": "pc105", "XKB_DEFAULT_RULES": "evdev", "XKB_DEFAULT_IGNORED": "x"]
        let fromEnv = KeymapNames.fromEnvironment(env)
        #expect(fromEnv == KeymapNames(rules: "evdev", model: "pc105", layout: "de", variant: "nodeadkeys", options: "ctrl:nocaps"))
        let merged = fromEnv.overridden(by: KeymapNames(layout: "us", variant: ""))
        #expect(merged.layout == "us")
        #expect(merged.variant == "")  // an empty flag clears the variant
        #expect(merged.options == "ctrl:nocaps")
        #expect(KeymapNames.fromEnvironment(["XKB_DEFAULT_LAYOUT": ""]) == KeymapNames())
    }

    @Test func variantAndOptionsAreApplied() throws {
        // de(nodeadkeys): the ´ key types ´ itself; ctrl:nocaps makes Caps a Ctrl.
        let keymap = try Keymap(names: KeymapNames(layout: "de", variant: "nodeadkeys", options: "ctrl:nocaps"), logger: quietLogger)
        let keyboard = KeyboardState(keymap: keymap)
        #expect(Self.key(keyboard, Key.equal).text == "´")
        _ = keyboard.update(keycode: Key.capsLock, pressed: true)
        #expect(keyboard.modifiers == .ctrl)
    }

    @Test func keysymNames() {
        #expect(Keysym(name: "BackSpace") == .backSpace)
        #expect(Keysym(name: "backspace") == .backSpace)  // case-insensitive fallback
        #expect(Keysym(name: "a")?.rawValue == 0x61)
        #expect(Keysym(name: "A")?.rawValue == 0x41)  // exact spelling first
        #expect(Keysym(name: "F1") == .function(1))
        #expect(Keysym(name: "nosuchkey") == nil)
        #expect(Keysym(typing: "é")?.name == "eacute")
        #expect(Keysym(typing: "\n") == .returnKey)
        #expect(Keysym.print.name == "Print")
    }

    @Test func keymapKnowsWhichKeysRepeat() throws {
        let us = try Keymaps.us
        #expect(us.repeats(Key.a))
        #expect(!us.repeats(Key.leftShift))
        #expect(us.key(for: .shift) == Key.leftShift)
        #expect(us.key(for: .ctrl) == Key.leftCtrl)
        #expect(us.key(for: .alt) == Key.leftAlt)
        #expect(us.baseKeysym(Key.f1) == .function(1))
    }
}
