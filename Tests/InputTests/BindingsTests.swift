import Synchronization
import Testing

@testable import Input

/// Global bindings: taken before any app sees the key, matched on keysyms
/// with modifiers, from a table.
@Suite struct BindingsTests {
    @Test func ctrlAltBackspaceQuitsAndNoAppSeesTheKey() throws {
        let rig = PipelineRig(keymap: try Keymaps.us)
        rig.press(Key.leftCtrl)
        rig.press(Key.leftAlt)
        rig.tap(Key.backspace)
        rig.release(Key.leftAlt)
        rig.release(Key.leftCtrl)
        #expect(rig.actions.all == [.quit])
        // Ctrl and Alt went through (apps track modifiers); BackSpace did not, nor its release.
        #expect(rig.sink.keys.map(\.keycode) == [Key.leftCtrl, Key.leftAlt, Key.leftAlt, Key.leftCtrl])
        #expect(rig.sink.keys.map(\.state) == [.pressed, .pressed, .released, .released])
    }

    @Test func ctrlAltFunctionKeysSwitchVTs() throws {
        // xkb turns Ctrl+Alt+F3 into XF86Switch_VT_3; the binding still matches F3.
        let keymap = try Keymaps.us
        let keyboard = KeyboardState(keymap: keymap)
        _ = keyboard.update(keycode: Key.leftCtrl, pressed: true)
        _ = keyboard.update(keycode: Key.leftAlt, pressed: true)
        #expect(keyboard.update(keycode: Key.f3, pressed: true).keysym.name == "XF86Switch_VT_3")

        let rig = PipelineRig(keymap: keymap)
        rig.press(Key.leftCtrl)
        rig.press(Key.leftAlt)
        rig.tap(Key.f1)
        rig.tap(Key.f3)
        #expect(rig.actions.all == [.switchVT(1), .switchVT(3)])
        #expect(!rig.sink.keys.contains { $0.keycode == Key.f1 || $0.keycode == Key.f3 })
    }

    @Test func printTakesAScreenshotButShiftedKeysDoNotMatch() throws {
        let rig = PipelineRig(keymap: try Keymaps.us)
        rig.tap(Key.sysrq)
        #expect(rig.actions.all == [.screenshot])
        #expect(rig.sink.all.isEmpty)
        // Ctrl+BackSpace is not Ctrl+Alt+BackSpace: the app gets it.
        rig.press(Key.leftCtrl)
        rig.tap(Key.backspace)
        #expect(rig.actions.all == [.screenshot])
        #expect(rig.sink.keys.map(\.keycode) == [Key.leftCtrl, Key.backspace, Key.backspace])
    }

    @Test func locksDoNotSpoilAMatch() throws {
        let rig = PipelineRig(keymap: try Keymaps.us)
        rig.tap(Key.capsLock)
        rig.press(Key.leftCtrl)
        rig.press(Key.leftAlt)
        rig.tap(Key.backspace)
        #expect(rig.actions.all == [.quit])
    }

    @Test func kioskHasNoQuit() throws {
        let rig = PipelineRig(keymap: try Keymaps.us, configuration: InputConfiguration(bindings: .standard(kiosk: true)))
        rig.press(Key.leftCtrl)
        rig.press(Key.leftAlt)
        rig.tap(Key.backspace)
        #expect(rig.actions.all == [])
        #expect(rig.sink.keys.contains { $0.keycode == Key.backspace })
        #expect(Bindings.standard(kiosk: true).entries.count == 13)
        #expect(Bindings.standard().entries.count == 14)
    }

    @Test func theTableIsData() throws {
        let bindings = try Bindings(table: [("ctrl+shift+a", .screenshot), ("super+Escape", .quit)])
        let rig = PipelineRig(keymap: try Keymaps.us, configuration: InputConfiguration(bindings: bindings))
        rig.press(Key.leftCtrl)
        rig.press(Key.leftShift)
        rig.tap(Key.a)  // gives 'A'; the combo names 'a', the key's first level
        #expect(rig.actions.all == [.screenshot])
        rig.release(Key.leftShift)
        rig.release(Key.leftCtrl)
        rig.tap(Key.sysrq)  // Print is not in this table
        #expect(rig.actions.all == [.screenshot])
        #expect(rig.sink.keys.contains { $0.keycode == Key.sysrq })
    }

    @Test func combosParseAndSayWhatIsWrong() throws {
        let combo = try KeyCombo(parsing: "ctrl+alt+BackSpace")
        #expect(combo == KeyCombo(modifiers: [.ctrl, .alt], keysym: .backSpace))
        #expect(combo.description == "ctrl+alt+BackSpace")
        #expect(try KeyCombo(parsing: "Control+Mod1+F12") == KeyCombo(modifiers: [.ctrl, .alt], keysym: .function(12)))
        #expect(try KeyCombo(parsing: "altgr+q").modifiers == .altGr)
        #expect(throws: KeyComboError.unknownModifier("hyper")) { _ = try KeyCombo(parsing: "hyper+a") }
        #expect(throws: KeyComboError.unknownKey("Bogus")) { _ = try KeyCombo(parsing: "ctrl+Bogus") }
        #expect(throws: KeyComboError.malformed("ctrl+")) { _ = try KeyCombo(parsing: "ctrl+") }
        #expect(throws: KeyComboError.malformed("ctrl++a")) { _ = try KeyCombo(parsing: "ctrl++a") }
        #expect(KeyComboError.unknownModifier("hyper").description == "unknown modifier 'hyper' (shift, ctrl, alt, super, altgr)")
    }

    @Test func bindFlagsChangeTheDefaults() throws {
        let bindings = try Bindings.standard().overridden(by: [
            "ctrl+alt+BackSpace=none", "super+q = quit", "Print=vt2", "ctrl+alt+Delete=admin",
        ])
        let rig = PipelineRig(keymap: try Keymaps.us, configuration: InputConfiguration(bindings: bindings))
        rig.press(Key.leftCtrl)
        rig.press(Key.leftAlt)
        rig.tap(Key.backspace)  // unbound: the app gets it
        rig.tap(Key.delete)
        rig.release(Key.leftAlt)
        rig.release(Key.leftCtrl)
        rig.tap(Key.sysrq)
        rig.press(Key.leftMeta)
        rig.tap(Key.q)
        rig.release(Key.leftMeta)
        #expect(rig.actions.all == [.admin, .switchVT(2), .quit])
        #expect(rig.sink.keys.contains { $0.keycode == Key.backspace })
        #expect(!rig.sink.keys.contains { [Key.delete, Key.sysrq, Key.q].contains($0.keycode) })
        // Rebinding a combo replaces its entry rather than adding a second one.
        #expect(bindings.entries.count == Bindings.standard().entries.count + 1)
    }

    @Test func badBindFlagsSayWhatIsWrong() throws {
        #expect(throws: KeyComboError.malformedBinding("super+q")) { _ = try Bindings.standard().overridden(by: ["super+q"]) }
        #expect(throws: KeyComboError.unknownAction("reboot")) { _ = try Bindings.standard().overridden(by: ["super+r=reboot"]) }
        #expect(throws: KeyComboError.unknownAction("vt99")) { _ = try Bindings.standard().overridden(by: ["super+r=vt99"]) }
        #expect(throws: KeyComboError.unknownKey("Bogus")) { _ = try Bindings.standard().overridden(by: ["Bogus=quit"]) }
        #expect(KeyComboError.unknownAction("reboot").description
            == "unknown action 'reboot' (quit, screenshot, admin, vt1 ... vt12, or none to unbind)")
        #expect(try BindingAction(parsing: "VT12") == .switchVT(12))
    }

    /// Takes keys while `active`, as the kiosk's admin box does while shown.
    final class Interceptor: KeyInterceptor {
        let active = Atomic<Bool>(false)
        let taken = Mutex<[String]>([])
        var takesKeys: Bool { active.load(ordering: .acquiring) }
        func take(_ key: KeyEvent) { taken.withLock { $0.append(key.keysym.name) } }
    }

    @Test func anInterceptorTakesPressesButHeldKeysAreStillReleasedToTheApp() throws {
        let interceptor = Interceptor()
        let rig = PipelineRig(keymap: try Keymaps.us, interceptor: interceptor)
        rig.press(Key.a)
        #expect(rig.pipeline.repeatingKey == Key.a)
        interceptor.active.store(true, ordering: .releasing)
        #expect(rig.pipeline.repeatingKey == nil)
        rig.tap(Key.q)
        rig.release(Key.a)  // went down before the grab: the app sees it go up
        rig.tap(Key.sysrq)  // bindings still come first
        interceptor.active.store(false, ordering: .releasing)
        rig.tap(Key.c)
        #expect(interceptor.taken.withLock { $0 } == ["q"])
        #expect(rig.actions.all == [.screenshot])
        #expect(rig.sink.keys.map(\.keycode) == [Key.a, Key.a, Key.c, Key.c])
        #expect(rig.sink.keys.map(\.state) == [.pressed, .released, .pressed, .released])
    }
}
