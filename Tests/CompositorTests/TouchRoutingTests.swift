import Foundation
import Input
import Logging
import TestSupport
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// Touch end to end on the headless ui_server: script lines through the
/// input pipeline and the input endpoint to the apps (docs/protocol.md,
/// "Touch"), and the mapping of touchscreens to outputs and rotations.
@Suite(.serialized) struct TouchRoutingTests {
    typealias Seen = ScriptedInputTests.Seen
    static let left = Int32(WindowProtocol.buttonLeft)
    static let yellow: UInt32 = 0x00e0_e020

    /// "U V" of the script's touchscreen for the centre of screen pixel (x, y)
    /// of the harness's one 320 × 240 output.
    static func at(_ x: Int, _ y: Int) -> String { "\((Double(x) + 0.5) / 320) \((Double(y) + 0.5) / 240)" }

    static func seen(_ app: TestApp, _ window: TestApp.Created) throws -> [Seen] {
        ScriptedInputTests.seen(try app.events(window))
    }

    /// A window with its events so far read, its content moved to (x, y).
    static func window(_ h: UIServerHarness, _ app: TestApp, at x: Int, _ y: Int, flags: UInt32 = 0,
                       width: Int = 100, height: Int = 80) throws -> TestApp.Created {
        let w = try app.createWindow(width: width, height: height, flags: flags) { _, _ in yellow }
        h.onServer { $0.compositor.move(w.id, toX: x, y: y) }
        _ = try h.settle()
        _ = try app.events(w)
        return TestApp.Created(id: w.id, x: x, y: y, events: w.events, surface: w.surface)
    }

    static func cursorVisible(_ h: UIServerHarness) -> Bool { h.onServer { $0.compositor.cursor.visible } }

    // MARK: Windows created with FLAG_TOUCH

    @Test func aTouchWindowGetsFingersWithIdsItsCoordinatesAndFrames() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("touchy")
        let w = try Self.window(h, app, at: 40, 50, flags: WindowProtocol.flagTouch)
        let input = ScriptedInputTests.Input(h)
        try input.play("""
            touch down 0 \(Self.at(w.x + 10, w.y + 20))
            touch frame
            touch down 1 \(Self.at(w.x + 30, w.y + 40))
            touch move 0 \(Self.at(w.x + 12, w.y + 25))
            touch frame
            """)
        _ = try h.settle()
        #expect(!Self.cursorVisible(h), "the cursor hides while a finger is down")
        try input.play("""
            touch move 1 \(Self.at(w.x + 150, w.y - 30))
            touch up 0
            touch up 1
            touch frame
            touch down 0 \(Self.at(w.x, w.y))
            touch up 0
            touch frame
            """)
        _ = try h.settle()
        let got = try Self.seen(app, w)
        let downs = got.filter { $0.opcode == WindowProtocol.touchDown }.map { UInt32(bitPattern: $0.fields[0]) }
        try #require(downs.count == 3)
        let (first, second, third) = (Int32(bitPattern: downs[0]), Int32(bitPattern: downs[1]), Int32(bitPattern: downs[2]))
        #expect(Set(downs).count == 3, "each touch has its own id, also a new touch in a slot used before")
        let expected: [Seen] = [
            .pointer(WindowProtocol.touchDown, first, 10, 20),
            .pointer(WindowProtocol.touchFrame),
            .pointer(WindowProtocol.touchDown, second, 30, 40),
            .pointer(WindowProtocol.touchMotion, first, 12, 25),
            .pointer(WindowProtocol.touchFrame),
            // Off the window: the touch stays with it, in its coordinates.
            .pointer(WindowProtocol.touchMotion, second, 150, -30),
            .pointer(WindowProtocol.touchUp, first),
            .pointer(WindowProtocol.touchUp, second),
            .pointer(WindowProtocol.touchFrame),
            .pointer(WindowProtocol.touchDown, third, 0, 0),
            .pointer(WindowProtocol.touchUp, third),
            .pointer(WindowProtocol.touchFrame),
        ]
        #expect(got == expected)
    }

    /// Pressing a touch window's content focuses and raises it, as a click would.
    @Test func aTouchFocusesAndRaisesItsWindow() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("touchy")
        let a = try Self.window(h, app, at: 20, 40, flags: WindowProtocol.flagTouch)
        let b = try Self.window(h, app, at: 60, 60)  // over a, focused
        #expect(try Self.seen(app, a) == [.pointer(WindowProtocol.focus, 0)])
        let input = ScriptedInputTests.Input(h)
        try input.play("touch down 0 \(Self.at(a.x + 5, a.y + 5))\ntouch up 0")  // a's corner, out from under b
        _ = try h.settle()
        #expect(h.onServer { $0.compositor.scene.focused?.id } == a.id)
        #expect(h.onServer { $0.compositor.scene.windows.last?.id } == a.id)
        #expect(try Self.seen(app, b) == [.pointer(WindowProtocol.focus, 0)])
        #expect(try Self.seen(app, a).map(\.opcode) == [WindowProtocol.focus, WindowProtocol.touchDown, WindowProtocol.touchUp])
    }

    // MARK: Pointer emulation

    @Test func aPointerOnlyWindowGetsTheFirstFingerAsTheLeftButton() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("mouse only")
        let w = try Self.window(h, app, at: 40, 50)
        let input = ScriptedInputTests.Input(h)
        try input.play("""
            touch down 0 \(Self.at(w.x + 10, w.y + 20))
            touch frame
            touch down 1 \(Self.at(w.x + 50, w.y + 50))
            touch move 1 \(Self.at(w.x + 60, w.y + 60))
            touch move 0 \(Self.at(w.x + 40, w.y + 30))
            touch frame
            """)
        _ = try h.settle()
        #expect(!Self.cursorVisible(h), "the cursor hides while a finger drives the pointer")
        try input.play("touch up 1\ntouch up 0\ntouch frame")
        _ = try h.settle()
        let expected: [Seen] = [
            .pointer(WindowProtocol.pointerEnter, 10, 20),
            .pointer(WindowProtocol.pointerMotion, 10, 20, 0),
            .pointer(WindowProtocol.pointerButton, 10, 20, Self.left, 1),
            // The second finger is nobody's: one finger is the pointer.
            .pointer(WindowProtocol.pointerMotion, 40, 30, 1),
            .pointer(WindowProtocol.pointerButton, 40, 30, Self.left, 0),
        ]
        #expect(try Self.seen(app, w) == expected)
        #expect(!Self.cursorVisible(h))
        try input.play("moveby 1 1")  // the mouse brings the cursor back
        _ = try h.settle()
        #expect(Self.cursorVisible(h))
    }

    /// While the mouse holds a button, a finger does not take the pointer
    /// from it.
    @Test func aFingerLeavesAPointerGrabAlone() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("mouse only")
        let w = try Self.window(h, app, at: 40, 50)
        let input = ScriptedInputTests.Input(h)
        try input.play("move \(w.x + 5) \(w.y + 5)\npress\ntouch down 0 \(Self.at(w.x + 50, w.y + 50))\ntouch up 0\nrelease")
        _ = try h.settle()
        #expect(try Self.seen(app, w) == [
            .pointer(WindowProtocol.pointerEnter, 5, 5),
            .pointer(WindowProtocol.pointerMotion, 5, 5, 0),
            .pointer(WindowProtocol.pointerButton, 5, 5, Self.left, 1),
            .pointer(WindowProtocol.pointerButton, 5, 5, Self.left, 0),
        ])
    }

    @Test func aFingerOnATitleBarDragsTheWindow() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        let w = try Self.window(h, app, at: 40, 60, flags: WindowProtocol.flagTouch, width: 60, height: 40)
        let input = ScriptedInputTests.Input(h)
        try input.play("""
            touch down 0 \(Self.at(w.x + 10, w.y - 10))
            touch move 0 \(Self.at(w.x + 40, w.y + 10))
            touch move 0 \(Self.at(w.x + 45, w.y + 15))
            touch up 0
            touch frame
            """)
        let screen = try h.settle()
        #expect(h.onServer { $0.compositor.scene.window(w.id).map { [$0.x, $0.y] } } == [w.x + 35, w.y + 25])
        #expect(screen[w.x + 35, w.y + 25] == Self.yellow)
        #expect(try Self.seen(app, w).isEmpty, "the title bar is ui_server's: no touch or pointer events")
    }

    // MARK: A touch stays with its window

    @Test func aTouchStaysWithTheWindowItWentDownOn() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("two")
        let a = try Self.window(h, app, at: 10, 40, flags: WindowProtocol.flagTouch)
        let b = try Self.window(h, app, at: 170, 40)
        let input = ScriptedInputTests.Input(h)
        _ = try Self.seen(app, a)  // b took the focus
        // Down on a, across b, up there.
        try input.play("touch down 0 \(Self.at(a.x + 10, a.y + 10))\ntouch move 0 \(Self.at(b.x + 20, b.y + 20))\ntouch up 0\ntouch frame")
        _ = try h.settle()
        let aSaw = try Self.seen(app, a)
        let id = try #require(aSaw.first { $0.opcode == WindowProtocol.touchDown }?.fields.first)
        #expect(aSaw == [
            .pointer(WindowProtocol.focus, 1),
            .pointer(WindowProtocol.touchDown, id, 10, 10),
            .pointer(WindowProtocol.touchMotion, id, Int32(b.x + 20 - a.x), 20),
            .pointer(WindowProtocol.touchUp, id),
            .pointer(WindowProtocol.touchFrame),
        ])
        #expect(try Self.seen(app, b) == [.pointer(WindowProtocol.focus, 0)], "b never sees a touch that began on a")
        // And the other way: down on b (the pointer), across a (a touch window).
        try input.play("touch down 0 \(Self.at(b.x + 5, b.y + 5))\ntouch move 0 \(Self.at(a.x + 5, a.y + 5))\ntouch up 0\ntouch frame")
        _ = try h.settle()
        // a loses the focus to b, and has the (hidden) pointer over it once
        // the finger lifts there: no touch events.
        #expect(try Self.seen(app, a).map(\.opcode) == [WindowProtocol.focus, WindowProtocol.pointerEnter])
        let bSaw = try Self.seen(app, b).map(\.opcode)
        #expect(bSaw == [WindowProtocol.pointerEnter, WindowProtocol.pointerMotion, WindowProtocol.focus,
                         WindowProtocol.pointerButton, WindowProtocol.pointerMotion, WindowProtocol.pointerButton,
                         WindowProtocol.pointerLeave])
    }

    // MARK: Cancel

    @Test func cancelEndsEveryFingerOfTheDevice() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("two")
        let a = try Self.window(h, app, at: 10, 40, flags: WindowProtocol.flagTouch)
        let b = try Self.window(h, app, at: 170, 40)
        let input = ScriptedInputTests.Input(h)
        try input.play("""
            touch down 0 \(Self.at(a.x + 10, a.y + 10))
            touch down 1 \(Self.at(a.x + 20, a.y + 20))
            touch down 2 \(Self.at(b.x + 30, b.y + 30))
            touch frame
            """)
        _ = try h.settle()
        _ = try Self.seen(app, a)
        let before = try Self.seen(app, b).filter { $0.opcode == WindowProtocol.pointerButton }
        #expect(before == [.pointer(WindowProtocol.pointerButton, 30, 30, Self.left, 1)])
        try input.play("touch cancel\ntouch frame\ntouch up 0\ntouch down 3 \(Self.at(b.x + 1, b.y + 1))\ntouch up 3")
        _ = try h.settle()
        #expect(try Self.seen(app, a) == [.pointer(WindowProtocol.touchCancel)], "one cancel, no frame after it")
        let after = try Self.seen(app, b).filter { $0.opcode == WindowProtocol.pointerButton }
        // The button comes up at cancel; a new finger drives the pointer again.
        #expect(after == [
            .pointer(WindowProtocol.pointerButton, 30, 30, Self.left, 0),
            .pointer(WindowProtocol.pointerButton, 1, 1, Self.left, 1),
            .pointer(WindowProtocol.pointerButton, 1, 1, Self.left, 0),
        ])
    }

    // MARK: The file chooser

    /// The chooser is modal: a finger is a click on it, and nobody else's.
    @Test func aFingerOnTheFileChooserIsAClickOnIt() throws {
        let f = try FileChooserTests.Fixture()
        try f.ask(.open)
        let cancel = try f.layout().cancel
        let (u, v) = ((Double(cancel.x) + 5.5) / 640, (Double(cancel.y) + 5.5) / 480)
        try ScriptedInputTests.Input(f.h).play("touch down 0 \(u) \(v)\ntouch move 0 0.1 0.1\ntouch up 0\ntouch frame")
        _ = try f.h.settle()
        let events = try f.app.events(f.window)
        #expect(f.dialog == nil)
        let answers = events.filter { $0.0 == WindowProtocol.fileNotChosen }
        try #require(answers.count == 1)
        #expect(ints(Array(answers[0].1.prefix(4))) == [ProtocolError.cancelled.rawValue])
        #expect(!events.contains { $0.0 == WindowProtocol.pointerButton || $0.0 == WindowProtocol.pointerMotion })
    }

    // MARK: Outputs

    /// Two outputs side by side on the headless screen: LEFT (primary) and
    /// RIGHT, turned `rotation`. A touchscreen glued to RIGHT's panel,
    /// touched on the panel pixel that shows a desktop pixel, reaches the
    /// window there at that pixel — for every pixel tried and every rotation.
    @Test(arguments: Rotation.allCases)
    func aTouchLandsOnThePixelItsPanelShows(rotation: Rotation) throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("touchy")
        let w = try Self.window(h, app, at: 170, 30, flags: WindowProtocol.flagTouch, width: 140, height: 200)
        let panel = rotation.isSideways ? (width: 240, height: 160) : (width: 160, height: 240)
        let layout = OutputLayout([
            OutputPlacement(name: "LEFT", x: 0, y: 0, panelWidth: 160, panelHeight: 240, primary: true),
            OutputPlacement(name: "RIGHT", x: 160, y: 0, panelWidth: panel.width, panelHeight: panel.height, rotation: rotation),
        ])
        let outputs = TouchOutputs(layout: layout)
        let glued = Touchscreen(widthMM: 100, heightMM: 150, outputHint: "RIGHT")
        var expected: [Seen] = []
        var id: Int32 = 0
        for (x, y) in [(170, 30), (309, 229), (171, 228), (308, 31), (240, 130)] {
            // The panel pixel showing desktop pixel (x, y), as the renderer's final copy turns it.
            let p = rotation.panelPixel(logicalX: x - 160, y: y, panelWidth: panel.width, panelHeight: panel.height)
            let u = (Double(p.x) + 0.5) / Double(panel.width), v = (Double(p.y) + 0.5) / Double(panel.height)
            h.onServer { server in
                server.routeTouch(.down(device: 9, slot: 0, u: u, v: v, screen: glued), outputs: outputs)
                server.routeTouch(.up(device: 9, slot: 0), outputs: outputs)
            }
            id += 1
            expected += [.pointer(WindowProtocol.touchDown, id, Int32(x - w.x), Int32(y - w.y)), .pointer(WindowProtocol.touchUp, id)]
        }
        _ = try h.settle()
        #expect(try Self.seen(app, w) == expected)
    }

    /// Motion maps through the output its finger went down on.
    @Test func motionFollowsTheRotationToo() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("touchy")
        let w = try Self.window(h, app, at: 0, 0, flags: WindowProtocol.flagTouch | WindowProtocol.flagUndecorated,
                                width: 320, height: 240)
        // One output turned a quarter: the panel is 240 × 320.
        let outputs = TouchOutputs(layout: OutputLayout([
            OutputPlacement(name: "PORTRAIT", x: 0, y: 0, panelWidth: 240, panelHeight: 320, rotation: .degrees90),
        ]))
        // The desktop's top edge runs down the panel's right edge: moving
        // down the panel's right edge moves right along the desktop's top.
        h.onServer { server in
            server.routeTouch(.down(device: 1, slot: 0, u: 1, v: 0.25, screen: Touchscreen()), outputs: outputs)
            server.routeTouch(.motion(device: 1, slot: 0, u: 1, v: 0.75), outputs: outputs)
            server.routeTouch(.motion(device: 1, slot: 0, u: 0.75, v: 0.75), outputs: outputs)
        }
        _ = try h.settle()
        // v 0.25 of the panel's 320 rows is 80 along the desktop's top; v
        // 0.75 is 240; u 0.75 is 60 of the panel's 240 columns in from its
        // right edge, so 60 down from the desktop's top.
        #expect(try Self.seen(app, w) == [
            .pointer(WindowProtocol.touchDown, 1, 80, 0),
            .pointer(WindowProtocol.touchMotion, 1, 240, 0),
            .pointer(WindowProtocol.touchMotion, 1, 240, 60),
        ])
    }

    @Test func withNoOutputTouchesAreDroppedAndSaidOncePerDevice() throws {
        let log = LogCapture()
        let h = try UIServerHarness(logger: log.logger)
        defer { h.stop() }
        let app = try h.app("touchy")
        let w = try Self.window(h, app, at: 0, 0, flags: WindowProtocol.flagTouch, width: 320, height: 240)
        let none = TouchOutputs(layout: OutputLayout([]))
        h.onServer { server in
            for device: UInt32 in [3, 3, 4] {
                server.routeTouch(.down(device: device, slot: 0, u: 0.5, v: 0.5, screen: Touchscreen()), outputs: none)
                server.routeTouch(.motion(device: device, slot: 0, u: 0.6, v: 0.5), outputs: none)
                server.routeTouch(.up(device: device, slot: 0), outputs: none)
                server.routeTouch(.frame(device: device), outputs: none)
            }
        }
        _ = try h.settle()
        #expect(try Self.seen(app, w).isEmpty)
        let said = log.messages(atLeast: .warning).filter { $0.contains("no output") }
        #expect(said == [
            "touch device 3: no output to map it to; its touches are dropped until an output is lit",
            "touch device 4: no output to map it to; its touches are dropped until an output is lit",
        ])
        // An output again: device 3 maps, and says where.
        h.onServer { server in
            server.routeTouch(.down(device: 3, slot: 0, u: 0.5, v: 0.5, screen: Touchscreen()), outputs: server.touchOutputs)
            server.routeTouch(.up(device: 3, slot: 0), outputs: server.touchOutputs)
        }
        _ = try h.settle()
        #expect(try Self.seen(app, w).map(\.opcode) == [WindowProtocol.touchDown, WindowProtocol.touchUp])
        #expect(log.messages.contains("touch device 3 maps to HEADLESS-1, by the primary output"))
    }

    @Test func touchOutputFlagMapsEveryTouchscreenWhileItsOutputIsLit() throws {
        let log = LogCapture()
        let h = try UIServerHarness(logger: log.logger)
        defer { h.stop() }
        let app = try h.app("touchy")
        let w = try Self.window(h, app, at: 160, 0, flags: WindowProtocol.flagTouch, width: 160, height: 240)
        let layout = OutputLayout.extended([(name: "DP-1", width: 160, height: 240), (name: "HDMI-A-1", width: 160, height: 240)])
        h.server.mapTouchscreens(to: "hdmi-a-1")
        h.onServer { server in
            server.routeTouch(.down(device: 2, slot: 0, u: 0.5, v: 0.5, screen: Touchscreen(outputHint: "DP-1")),
                              outputs: TouchOutputs(layout: layout))
            server.routeTouch(.up(device: 2, slot: 0), outputs: TouchOutputs(layout: layout))
        }
        _ = try h.settle()
        #expect(try Self.seen(app, w) == [.pointer(WindowProtocol.touchDown, 1, 80, 120), .pointer(WindowProtocol.touchUp, 1)])
        #expect(log.messages.contains("touch device 2 maps to HDMI-A-1, by --touch-output"))
        // Its output unlit: the device's hint decides, and the log says why.
        let alone = TouchOutputs(layout: .extended([(name: "DP-1", width: 160, height: 240)]))
        h.onServer { server in
            server.routeTouch(.down(device: 2, slot: 0, u: 0.5, v: 0.5, screen: Touchscreen(outputHint: "DP-1")), outputs: alone)
        }
        _ = try h.settle()
        #expect(log.messages.contains("touch device 2 maps to DP-1, by udev's output hint (WL_OUTPUT) (--touch-output hdmi-a-1 is not lit)"))
    }

    // MARK: The protocol's edges

    @Test func createWindowTakesTheTouchFlagAndStillRefusesUnknownOnes() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        let both = try app.createWindow(width: 10, height: 10, flags: WindowProtocol.flagTouch | WindowProtocol.flagUndecorated) { _, _ in 0 }
        #expect(h.onServer { $0.windows[both.id]?.takesTouch } == true)
        let plain = try app.createWindow(width: 10, height: 10) { _, _ in 0 }
        #expect(h.onServer { $0.windows[plain.id]?.takesTouch } == false)
        #expect(throws: HarnessError.self) { _ = try app.createWindow(width: 10, height: 10, flags: 1 << 2) { _, _ in 0 } }
    }

    /// Input on the window endpoint is forged, touch included.
    @Test func touchFromAnAppIsDropped() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("forger")
        let w = try Self.window(h, app, at: 0, 0, flags: WindowProtocol.flagTouch, width: 320, height: 240)
        var p = PayloadWriter()
        p.u32(0)
        p.u32(0)
        p.f64(0.5)
        p.f64(0.5)
        p.u32(0)
        p.u32(0)
        try app.send(WindowProtocol.inputTouchDown, p.bytes)
        _ = try h.settle()
        #expect(try Self.seen(app, w).isEmpty)
    }

    /// Short or non-numeric touch messages from the input source are dropped.
    @Test func malformedTouchInputIsDropped() {
        var p = PayloadWriter()
        p.u32(1)
        p.u32(0)
        p.f64(.nan)
        p.f64(0.5)
        p.u32(0)
        p.u32(0)
        #expect(TouchInput(opcode: WindowProtocol.inputTouchDown, payload: p.bytes) == nil)
        #expect(TouchInput(opcode: WindowProtocol.inputTouchUp, payload: [1, 0, 0, 0]) == nil)
        #expect(TouchInput(opcode: WindowProtocol.inputTouchFrame, payload: [1, 0, 0]) == nil)
        #expect(TouchInput(opcode: WindowProtocol.inputTouchCancel, payload: [2, 0, 0, 0]) == .cancel(device: 2))
    }
}

/// The choice of output for a touchscreen, as a pure function of the
/// layout, the monitors and the device.
@Suite struct TouchMappingTests {
    static let layout = OutputLayout([
        OutputPlacement(name: "HDMI-A-1", x: 0, y: 0, panelWidth: 1920, panelHeight: 1080, primary: true),
        OutputPlacement(name: "eDP-1", x: 1920, y: 0, panelWidth: 1366, panelHeight: 768),
        OutputPlacement(name: "DP-2", x: 3286, y: 0, panelWidth: 1024, panelHeight: 600),
    ])
    static let monitors = [
        Monitor(connector: "HDMI-A-1", modes: [], widthMM: 600, heightMM: 340),
        Monitor(connector: "eDP-1", modes: [], widthMM: 310, heightMM: 174, isBuiltIn: true),
        Monitor(connector: "DP-2", modes: [], widthMM: 154, heightMM: 86),
        Monitor(connector: "DP-3", modes: [], widthMM: 200, heightMM: 120, isBuiltIn: true),  // not lit
    ]

    static func choose(_ screen: Touchscreen, forced: String? = nil, layout: OutputLayout = layout,
                       monitors: [Monitor] = monitors) -> String? {
        let choice = TouchMapping.output(for: screen, forced: forced, outputs: TouchOutputs(layout: layout, monitors: monitors))
        return choice.map { "\($0.name) by \($0.reason)" }
    }

    @Test func theFlagThenTheHintThenBuiltInThenSizeThenPrimary() {
        let dp2Sized = Touchscreen(widthMM: 154, heightMM: 86)
        #expect(Self.choose(Touchscreen(outputHint: "DP-2"), forced: "dp-2") == "DP-2 by flag")
        #expect(Self.choose(Touchscreen(outputHint: "DP-2"), forced: "HDMI-A-1") == "HDMI-A-1 by flag")
        // A flag naming an output that is not lit: the rest decide.
        #expect(Self.choose(Touchscreen(outputHint: "DP-2"), forced: "VGA-1") == "DP-2 by hint")
        #expect(Self.choose(Touchscreen(outputHint: "dp-2")) == "DP-2 by hint")
        // A hint naming no lit output: the built-in one (only a lit one counts).
        #expect(Self.choose(Touchscreen(widthMM: 154, heightMM: 86, outputHint: "DP-3")) == "eDP-1 by builtIn")
        let external = Self.monitors.filter { !$0.isBuiltIn }
        #expect(Self.choose(dp2Sized, monitors: external) == "DP-2 by size")
        #expect(Self.choose(Touchscreen(widthMM: 100, heightMM: 60), monitors: external) == "HDMI-A-1 by primary")
        #expect(Self.choose(Touchscreen(), monitors: []) == "HDMI-A-1 by primary")
        #expect(Self.choose(Touchscreen(), layout: OutputLayout([])) == nil)
        #expect(Self.choose(Touchscreen(outputHint: "HDMI-A-1"), forced: "HDMI-A-1", layout: OutputLayout([])) == nil)
    }

    /// Within 10% of the monitor's width and height, each.
    @Test func aSizeMatchesWithinTenPercent() {
        let external = Self.monitors.filter { !$0.isBuiltIn }
        #expect(Self.choose(Touchscreen(widthMM: 169, heightMM: 78), monitors: external) == "DP-2 by size")  // +9.7%, -9.3%
        #expect(Self.choose(Touchscreen(widthMM: 170, heightMM: 86), monitors: external) == "HDMI-A-1 by primary")  // +10.4%
        #expect(Self.choose(Touchscreen(widthMM: 154, heightMM: 77), monitors: external) == "HDMI-A-1 by primary")  // -10.5%
        // A monitor of unknown size matches nothing.
        let unknown = [Monitor(connector: "DP-2", modes: [])]
        #expect(Self.choose(Touchscreen(widthMM: 154, heightMM: 86), monitors: unknown) == "HDMI-A-1 by primary")
        // Two of the device's size: the primary first.
        let twins = [Monitor(connector: "DP-2", modes: [], widthMM: 600, heightMM: 340),
                     Monitor(connector: "HDMI-A-1", modes: [], widthMM: 600, heightMM: 340)]
        #expect(Self.choose(Touchscreen(widthMM: 600, heightMM: 340), monitors: twins) == "HDMI-A-1 by size")
    }
}
