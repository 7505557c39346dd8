import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// The shells' calls (`DesktopPolicy`, `KioskPolicy`) and how ui_server
/// follows them: placement, presses, focus, the cursor, and the boot order
/// of windows.
@Suite(.serialized) struct WindowPolicyTests {
    static let colors: [UInt32] = [0x00d0_2020, 0x0020_d040, 0x0020_40d0]

    /// What the screen holds of each app's windows: place, stacking and focus.
    struct Layout: Equatable, Sendable {
        var frames: [String: Rect] = [:]
        /// Bottom to top.
        var stacking: [String] = []
        var focused: String?
    }

    static func layout(_ h: UIServerHarness) -> Layout {
        h.onServer { state in
            var layout = Layout()
            for window in state.compositor.scene.windows {
                let name = state.kernel.name(of: window.owner) ?? "?"
                layout.frames[name] = window.contentRect
                layout.stacking.append(name)
            }
            layout.focused = state.compositor.scene.focused.flatMap { state.kernel.name(of: $0.owner) }
            return layout
        }
    }

    /// Opens one window for each app named, in the order given, sized by its
    /// place in `names` (so that a mix-up shows).
    static func open(_ apps: [String: TestApp], in order: [String], names: [String]) throws {
        for name in order {
            let i = names.firstIndex(of: name)!
            _ = try apps[name]!.createWindow(width: 60 + 20 * i, height: 40 + 10 * i) { _, _ in colors[i] }
        }
    }

    @Test func bootWindowsTakeTheOrderOfTheirAppsWhoeverOpensFirst() throws {
        let names = ["a", "b", "c"]
        // Apps that open their windows one after the other, in order.
        let inTurn = try UIServerHarness(width: 640, height: 480)
        defer { inTurn.stop() }
        let turnApps = try Dictionary(uniqueKeysWithValues: names.map { ($0, try inTurn.app($0)) })
        try Self.open(turnApps, in: names, names: names)
        _ = try inTurn.settle()
        let expected = Self.layout(inTurn)
        #expect(expected.stacking == names && expected.focused == "c")
        #expect(expected.frames["a"]!.maxX < expected.frames["b"]!.x, "side by side: \(expected)")

        // The same apps racing: each order of opening gives the same screen.
        for order in [["c", "a", "b"], ["b", "c", "a"], ["c", "b", "a"]] {
            let raced = try UIServerHarness(width: 640, height: 480)
            defer { raced.stop() }
            let apps = try Dictionary(uniqueKeysWithValues: names.map { ($0, try raced.app($0)) })
            raced.server.arrangeInBootOrder(names.map { apps[$0]!.actor })
            try Self.open(apps, in: order, names: names)
            _ = try raced.settle()
            #expect(Self.layout(raced) == expected, "opened in the order \(order)")
        }
    }

    @Test func theBootOrderEndsWithTheFirstPress() throws {
        let h = try UIServerHarness(width: 640, height: 480)
        defer { h.stop() }
        let a = try h.app("a")
        let b = try h.app("b")
        h.server.arrangeInBootOrder([a.actor, b.actor])
        let wb = try b.createWindow(width: 60, height: 40) { _, _ in Self.colors[1] }
        _ = try h.settle()
        try h.click(at: 600, 460)  // on the background
        _ = try h.settle()
        _ = try a.createWindow(width: 60, height: 40) { _, _ in Self.colors[0] }
        _ = try h.settle()
        // a came after someone used the screen: placed beside b, on top, focused.
        let layout = Self.layout(h)
        #expect(layout.stacking == ["b", "a"])
        #expect(layout.focused == "a")
        #expect(layout.frames["b"] == Rect(x: wb.x, y: wb.y, width: 60, height: 40), "b did not move")
        #expect(layout.frames["a"]!.x > layout.frames["b"]!.maxX)
    }

    @Test func theDesktopDragsByTheTitleBarAndClosesWithTheLeftButton() {
        let desktop = DesktopPolicy()
        #expect(desktop.press(WindowProtocol.buttonLeft, on: .content) == Press(raises: true, grab: .content))
        #expect(desktop.press(WindowProtocol.buttonRight, on: .content) == Press(raises: true, grab: .content))
        #expect(desktop.press(WindowProtocol.buttonLeft, on: .titleBar) == Press(raises: true, grab: .move))
        #expect(desktop.press(WindowProtocol.buttonRight, on: .titleBar) == Press(raises: true, grab: .none))
        #expect(desktop.press(WindowProtocol.buttonLeft, on: .closeButton) == Press(raises: true, grab: .close))
        #expect(desktop.press(WindowProtocol.buttonMiddle, on: .closeButton) == Press(raises: true, grab: .none))
        #expect(desktop.press(WindowProtocol.buttonLeft, on: .border) == Press(raises: true, grab: .none))
    }

    @Test func theKioskFillsTheScreenWithoutDecorationsOrCursor() throws {
        let h = try UIServerHarness(width: 200, height: 100, policy: KioskPolicy())
        defer { h.stop() }
        let app = try h.app("app")
        let w = try app.createWindow(width: 40, height: 30) { _, _ in Self.colors[0] }
        _ = try h.settle()
        #expect((w.x, w.y) == (0, 0))
        let events = try app.events(w)
        #expect(events.first?.0 == WindowProtocol.configure)
        #expect(ints(events.first?.1 ?? []) == [200, 100])
        let (decorated, cursorShown) = h.onServer { ($0.compositor.scene.window(w.id)!.decorated, $0.compositor.cursor.visible) }
        #expect(!decorated && !cursorShown)
        try h.moveTo(10, 10)
        _ = try h.settle()
        #expect(h.onServer { $0.compositor.cursor.visible })
    }

    @Test func focusGoesToTheTopmostShownWindowWhenTheFocusedOneCloses() throws {
        let h = try UIServerHarness(width: 640, height: 480)
        defer { h.stop() }
        let a = try h.app("a")
        let b = try h.app("b")
        let c = try h.app("c")
        _ = try a.createWindow(width: 40, height: 30) { _, _ in Self.colors[0] }
        _ = try b.createWindow(width: 40, height: 30) { _, _ in Self.colors[1] }
        _ = try c.createWindow(width: 40, height: 30, commit: false) { _, _ in Self.colors[2] }  // never shown
        let wa = try a.createWindow(width: 40, height: 30) { _, _ in Self.colors[0] }
        _ = try h.settle()
        #expect(Self.layout(h).focused == "a")
        var p = PayloadWriter()
        p.u32(wa.id)
        try a.send(WindowProtocol.destroyWindow, p.bytes)
        _ = try h.settle()
        // c's window is higher but not shown: b's gets the focus.
        #expect(Self.layout(h).focused == "b")
    }
}
