import Dispatch
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// A real ui_server over headless monitors that tests plug and unplug.
final class MultiHeadHarness: RunningUIServer, @unchecked Sendable {
    let display: HeadlessDisplay
    let log = LogCapture()

    init(sizes: [(width: Int, height: Int)], rules: [OutputRule] = []) throws {
        display = HeadlessDisplay(sizes: sizes)
        var logger = log.logger
        logger.logLevel = .info
        let kernel = Kernel()
        let server = try UIServer(
            kernel: kernel, display: display, configurator: OutputConfigurator(rules: rules), policy: DesktopPolicy(), logger: logger)
        try super.init(kernel: kernel, server: server)
    }

    /// Waits until every request sent so far is handled and drawn.
    func settle() throws {
        let syncer = try app("sync")
        defer { kernel.terminate(syncer.actor, reason: .exited(code: 0)) }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            try syncer.sync()
            if onServer({ $0.isIdle && !$0.outputsChanged }) { return }
            Thread.sleep(forTimeInterval: 0.001)
        }
        throw HarnessError("ui_server never became idle within 10 s")
    }

    /// What the head on `connector` shows, its own pixels (panel orientation).
    func panel(_ connector: String) throws -> Picture {
        try settle()
        return onServer { _ in Picture(self.display.head(connector)!.frontBuffer()) }
    }

    func moveBy(_ dx: Double, _ dy: Double) throws {
        var p = PayloadWriter()
        p.u32(0)
        p.f64(dx)
        p.f64(dy)
        try kernel.send(input, to: inputHandle, opcode: WindowProtocol.inputPointerMotion, payload: p.bytes)
    }

    /// Relative motion to desktop pixel (x, y), from wherever the pointer is.
    func moveTo(_ x: Int, _ y: Int) throws {
        try settle()
        let (px, py) = onServer { ($0.pointer.x, $0.pointer.y) }
        try moveBy(Double(x) + 0.5 - px, Double(y) + 0.5 - py)
    }

    func button(_ pressed: Bool) throws {
        var p = PayloadWriter()
        p.u32(WindowProtocol.buttonLeft)
        p.u32(pressed ? 1 : 0)
        try kernel.send(input, to: inputHandle, opcode: WindowProtocol.inputPointerButton, payload: p.bytes)
    }

    var cursor: (x: Int, y: Int) {
        onServer { ($0.compositor.cursor.x, $0.compositor.cursor.y) }
    }

    func frame(of window: UInt32) -> Rect? {
        onServer { $0.compositor.scene.window(window)?.frame }
    }
}

@Suite struct MultiHeadUIServerTests {
    static let windowColor: UInt32 = 0x00d0_2020

    /// An app with one undecorated-content window of a plain colour, drawn.
    static func appWithWindow(_ h: MultiHeadHarness) throws -> (TestApp, TestApp.Created) {
        let app = try h.app("app")
        let window = try app.createWindow(width: 40, height: 30) { _, _ in windowColor }
        try h.settle()
        _ = try app.events(window)
        return (app, window)
    }

    /// Drags `window` by its title bar so its frame's top left lands at (x, y).
    static func drag(_ h: MultiHeadHarness, _ window: UInt32, toFrameX x: Int, y: Int) throws {
        let frame = h.frame(of: window)!
        try h.moveTo(frame.x + 8, frame.y + 4)  // the title bar, left of the title
        try h.button(true)
        try h.moveTo(x + 8, y + 4)
        try h.button(false)
        try h.settle()
    }

    @Test func twoHeadsShowTheDesktopAndTheScreenshotJoinsThem() throws {
        let h = try MultiHeadHarness(sizes: [(200, 150), (160, 120)])
        defer { h.stop() }
        let (_, window) = try Self.appWithWindow(h)
        #expect(h.log.messages.contains("output HEADLESS-1 200x150 lit at 0,0"), "\(h.log.messages)")
        #expect(h.log.messages.contains("output HEADLESS-2 160x120 lit at 200,0"), "\(h.log.messages)")
        // New windows go on the primary output.
        let placed = h.frame(of: window.id)!
        #expect(Rect(x: 0, y: 0, width: 200, height: 150).intersection(placed) == placed)
        try Self.drag(h, window.id, toFrameX: 250, y: 40)
        let frame = h.frame(of: window.id)!
        #expect((frame.x, frame.y) == (250, 40))
        let left = try h.panel("HEADLESS-1")
        let right = try h.panel("HEADLESS-2")
        // Content starts one border and the title bar in from the frame.
        let contentX = 250 + Decorations.border - 200
        let contentY = 40 + Decorations.border + Decorations.titleHeight
        #expect(right[contentX, contentY] == Self.windowColor && right[contentX + 39, contentY + 29] == Self.windowColor)
        #expect(!left.pixels.contains(Self.windowColor))

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wskdesk-two-heads-\(getpid()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = Mutex<Result<Void, PNGWriter.Failure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        h.server.screenshot(to: path) { result in
            written.withLock { $0 = result }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        try written.withLock { $0 }!.get()
        let shot = try PNGReader.read(path)
        #expect((shot.width, shot.height) == (360, 150))
        let desktop = Picture(width: shot.width, height: shot.height, pixels: shot.pixels)
        for y in 0..<150 {
            for x in 0..<360 {
                let expected: UInt32 = x < 200 ? left[x, y] : y < 120 ? right[x - 200, y] : 0  // below the right head: black
                if desktop[x, y] != expected {
                    Issue.record("screenshot at (\(x), \(y)) is \(desktop[x, y]), the panels show \(expected)")
                    return
                }
            }
        }
    }

    /// The desktop screenshot as a picture.
    static func screenshot(_ h: MultiHeadHarness) throws -> Picture {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wskdesk-heads-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = Mutex<Result<Void, PNGWriter.Failure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        h.server.screenshot(to: path) { result in
            written.withLock { $0 = result }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        try written.withLock { $0 }!.get()
        let shot = try PNGReader.read(path)
        return Picture(width: shot.width, height: shot.height, pixels: shot.pixels)
    }

    /// A head turned by its rule: a window dragged onto it shows turned on
    /// its panel and upright in the desktop screenshot, which is the panel
    /// turned back.
    @Test(arguments: [Rotation.degrees90, .degrees180, .degrees270])
    func rotatedHeadThroughTheRealUIServer(rotation: Rotation) throws {
        let h = try MultiHeadHarness(sizes: [(200, 150), (160, 120)], rules: [OutputRule(match: "HEADLESS-2", rotation: rotation)])
        defer { h.stop() }
        let turned = rotation.logicalSize(panelWidth: 160, panelHeight: 120)
        let app = try h.app("app")
        // A window whose every pixel differs, so a turn or mirror shows.
        let window = try app.createWindow(width: 40, height: 30) { x, y in UInt32(0x0040_0000 + y * 64 + x) }
        try h.settle()
        try Self.drag(h, window.id, toFrameX: 210, y: 20)
        #expect(h.frame(of: window.id).map { [$0.x, $0.y] } == [210, 20])
        #expect(h.log.messages.contains("output HEADLESS-2 160x120 lit at 200,0 rotated \(rotation)"), "\(h.log.messages)")
        let panel = try h.panel("HEADLESS-2")
        let shot = try Self.screenshot(h)
        #expect((shot.width, shot.height) == (200 + turned.width, max(150, turned.height)))
        // The screenshot's part for HEADLESS-2 is its panel turned back.
        let upright = panel.turned(4 - rotation.rawValue / 90)
        #expect((upright.width, upright.height) == (turned.width, turned.height))
        var part = [UInt32]()
        for y in 0..<turned.height { for x in 0..<turned.width { part.append(shot[200 + x, y]) } }
        #expect(Picture(width: turned.width, height: turned.height, pixels: part).firstDifference(upright) == nil)
        // And it holds the window upright, where it was put.
        let content = (x: 210 + Decorations.border, y: 20 + Decorations.border + Decorations.titleHeight)
        for (x, y) in [(0, 0), (39, 0), (0, 29), (39, 29), (17, 11)] {
            #expect(shot[content.x + x, content.y + y] == UInt32(0x0040_0000 + y * 64 + x), "window pixel (\(x), \(y))")
        }
    }

    /// A primary output right of another: new windows open on it, and the
    /// pointer starts in its middle.
    @Test func windowsOpenOnThePrimaryWhereverItIs() throws {
        let h = try MultiHeadHarness(sizes: [(200, 150), (160, 120)], rules: [OutputRule(match: "HEADLESS-2", primary: true)])
        defer { h.stop() }
        let (_, window) = try Self.appWithWindow(h)
        let primary = Rect(x: 200, y: 0, width: 160, height: 120)
        #expect(h.onServer { $0.compositor.screen } == primary)
        let frame = h.frame(of: window.id)!
        #expect(primary.intersection(frame) == frame, "\(frame)")
        #expect(h.cursor == (280, 60))
    }

    /// The pointer crosses to the next output and stays on the outputs:
    /// the gap under the shorter one is off screen.
    @Test func pointerCrossesOutputsAndIsClampedToThem() throws {
        let h = try MultiHeadHarness(sizes: [(200, 150), (160, 100)])
        defer { h.stop() }
        try h.settle()
        #expect(h.cursor == (100, 75))  // the primary's middle
        try h.moveBy(150, 0)
        try h.settle()
        #expect(h.cursor == (250, 75))
        try h.moveBy(0, 60)  // into the gap below HEADLESS-2
        try h.settle()
        #expect(h.cursor == (250, 99))
        try h.moveBy(1000, 0)
        try h.settle()
        #expect(h.cursor == (359, 99))
        try h.moveBy(-1000, 1000)
        try h.settle()
        #expect(h.cursor == (0, 149))
        // The cursor is drawn where it is, on the head showing it.
        try h.moveBy(300, -100)
        try h.settle()
        #expect(h.cursor == (300, 49))
        let right = try h.panel("HEADLESS-2")
        let background = Background().color(atRow: 49, of: 100)
        #expect(right[100, 49] != background || right[101, 50] != background)
    }

    /// An output unplugged takes no window with it: its windows move onto
    /// the primary, wholly inside it.
    @Test func unplugMovesWindowsToTheRemainingOutput() throws {
        let h = try MultiHeadHarness(sizes: [(200, 150), (160, 120)])
        defer { h.stop() }
        let (_, window) = try Self.appWithWindow(h)
        try Self.drag(h, window.id, toFrameX: 300, y: 60)  // wholly on HEADLESS-2
        #expect(h.frame(of: window.id).map { [$0.x, $0.y] } == [300, 60])
        h.display.unplug(connector: "HEADLESS-2")
        try h.settle()
        let frame = h.frame(of: window.id)!
        #expect(Rect(x: 0, y: 0, width: 200, height: 150).intersection(frame) == frame, "\(frame)")
        #expect(h.log.messages.contains("output HEADLESS-2 gone: 1 window moved to HEADLESS-1"), "\(h.log.messages)")
        #expect(h.onServer { $0.compositor.layout.outputs.map(\.name) } == ["HEADLESS-1"])
        let left = try h.panel("HEADLESS-1")
        let content = (x: frame.x + Decorations.border, y: frame.y + Decorations.border + Decorations.titleHeight)
        #expect(left[content.x, content.y] == Self.windowColor)
        #expect(h.display.head("HEADLESS-2") == nil)  // darkened
        // The pointer, if it was there, is back on an output.
        let cursor = h.cursor
        #expect(cursor.x < 200 && cursor.y < 150)
    }

    /// No output at all: ui_server waits, apps keep committing and are
    /// told each frame is done; a monitor plugged in again shows them.
    @Test func zeroOutputsThenReplug() throws {
        let h = try MultiHeadHarness(sizes: [(200, 150)])
        defer { h.stop() }
        let (app, window) = try Self.appWithWindow(h)
        h.display.unplug(connector: "HEADLESS-1")
        try h.settle()
        #expect(h.log.messages.contains("no outputs: waiting for a monitor"), "\(h.log.messages)")
        #expect(h.onServer { $0.compositor.heads.isEmpty })
        for frame in 0..<3 {
            try app.fill(window.surface, width: 40, height: 30) { _, _ in 0x0000_8000 + UInt32(frame) }
            try app.commit(window.id)
            // Wait for the frame-done of this commit.
            let deadline = Date().addingTimeInterval(5)
            var done = false
            while !done, Date() < deadline {
                done = try app.events(window).contains { $0.0 == WindowProtocol.frameDone }
                if !done { Thread.sleep(forTimeInterval: 0.002) }
            }
            #expect(done, "no frame-done for commit \(frame) with no output")
        }
        // Relative motion with nowhere to point changes nothing.
        try h.moveBy(50, 50)
        h.display.plug(connector: "HEADLESS-1", width: 240, height: 160)
        let panel = try h.panel("HEADLESS-1")
        #expect((panel.width, panel.height) == (240, 160))
        let frame = h.frame(of: window.id)!
        #expect(panel[frame.x + Decorations.border, frame.y + Decorations.border + Decorations.titleHeight] == 0x0000_8002)
        #expect(h.log.messages.contains("output HEADLESS-1 240x160 lit at 0,0"), "\(h.log.messages)")
    }

    /// The absolute pointer (a VM's tablet) spans the primary output only.
    @Test func absolutePointerMapsToThePrimaryOutput() throws {
        let h = try MultiHeadHarness(sizes: [(200, 150), (160, 120)])
        defer { h.stop() }
        var p = PayloadWriter()
        p.u32(1)
        p.f64(1)
        p.f64(0.5)
        try h.kernel.send(h.input, to: h.inputHandle, opcode: WindowProtocol.inputPointerMotion, payload: p.bytes)
        try h.settle()
        #expect(h.cursor == (199, 75))
    }
}
