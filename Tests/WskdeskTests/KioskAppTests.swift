import Compositor
import Foundation
import Interp
import Kernel
import Logging
import Synchronization
import TestSupport
import Testing
import Wire

@testable import wskdesk

/// The kiosk with a real app on the headless backend: `--kiosk paint` fills
/// the output at any size, laid out as paint's `ui.rs` documents, with the
/// filters it has on the desktop.
@Suite(.serialized) struct KioskAppTests {
    // paint's window as `actors/paint/src/ui.rs` documents it: a 28-pixel
    // toolbar on top, a 20-pixel status line at the bottom, the canvas
    // between them; swatch i at x = 4 + 24 i, y = 4, 20 × 20, in the
    // palette's order (black, white, red, ...); the canvas starts as paper.
    static let toolbar = 28
    static let status = 20
    static let paper: UInt32 = 0xffffff
    static let swatches: [UInt32] = [0x000000, 0xffffff, 0xe53935]
    static let toolbarBackground: UInt32 = 0xd8d8d8
    static let statusBackground: UInt32 = 0x303030

    /// wskdesk's kiosk parts as `Desktop.startKiosk` puts them together,
    /// with the actors of `build/actors`.
    struct Kiosk {
        let kernel = Kernel()
        let host: WasmActorHost
        let server: UIServer
        let supervisor: KioskSupervisor
        let log = AppLog()

        init(app: String, width: Int, height: Int, open: String? = nil, files: String? = nil) throws {
            var logger = Logger(label: "test.kiosk")
            logger.logLevel = .critical
            let log = self.log
            // The interpreter, always: the test must not depend on a compile cache.
            host = WasmActorHost(kernel: kernel, tier: .interpreter, logSink: { actor, line in
                if actor == app { log.append(line) }
            })
            server = try UIServer(
                kernel: kernel, backend: HeadlessBackend(width: width, height: height), policy: KioskPolicy(),
                logger: logger)
            if let files { try server.allowFiles(in: files, label: "Home") }
            let server = self.server
            Thread { server.run() }.start()
            let actors = Repository.builtActor("")
            var entry = Manifest.kioskApp(app)
            entry.open = open
            supervisor = KioskSupervisor(
                kernel: kernel, host: host, server: server, module: try host.load(path: actors + app + ".wasm"),
                app: entry, grants: ManifestGrants(kernel: kernel, server: server, actorsDir: actors),
                policy: Self.policy, logger: logger, quit: {})
            supervisor.start()
        }

        /// The kiosk's own policy but for the hang timeout: this test is not
        /// about timing, and a loaded machine must not get the app restarted.
        static var policy: RestartPolicy {
            var policy = RestartPolicy()
            policy.hangTimeout = 0
            return policy
        }

        func stop() {
            supervisor.stop()
            server.stop()
            _ = host.shutdown()
        }

        /// The first log line of the app containing `text`, waiting up to `seconds`.
        func logLine(containing text: String, seconds: Double = 120) -> String? {
            var found: String?
            _ = waitUntil(seconds: seconds) {
                found = log.first { $0.contains(text) }
                return found != nil
            }
            return found
        }

        /// The app's window on screen (content rectangle), if it is shown.
        var window: Rect? {
            server.query { $0.compositor.scene.windows.first { $0.mapped }?.contentRect } ?? nil
        }

        /// The screen as last presented, row after row, `0x00RRGGBB`.
        func screen() -> [UInt32] {
            server.query { server in
                let front = server.compositor.heads[0].backend.frontBuffer()
                return (0..<front.height).flatMap { y in (0..<front.width).map { front.row(y)[$0] & 0xffffff } }
            } ?? []
        }
    }

    /// The app's log lines.
    final class AppLog: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        func first(where matches: (String) -> Bool) -> String? { lines.withLock { $0.first(where: matches) } }
    }

    /// What must be where on a `width × height` screen showing kiosk paint,
    /// from paint's documented layout; nil when it is all there.
    static func paintLayoutMismatch(_ screen: [UInt32], width: Int, height: Int) -> String? {
        guard screen.count == width * height else { return "no screen" }
        let at = { (x: Int, y: Int) in screen[y * width + x] }
        for (i, colour) in swatches.enumerated() where at(4 + 24 * i + 10, 14) != colour {
            return "swatch \(i) is not at \(4 + 24 * i),4: \(String(at(4 + 24 * i + 10, 14), radix: 16))"
        }
        if at(width - 1, toolbar / 2) != toolbarBackground { return "the toolbar does not reach the right edge" }
        let canvasBottom = height - status - 1
        for y in toolbar...canvasBottom where at(width - 1, y) != paper {
            return "the canvas does not reach the right edge at y \(y)"
        }
        for x in 0..<width where at(x, canvasBottom) != paper {
            return "the canvas does not reach down to the status line at x \(x)"
        }
        if at(width - 1, height - 1) != statusBackground { return "no status line at the bottom edge" }
        return nil
    }

    /// The filter plugins the desktop gives paint: the `.wasm` files of its plugins folder.
    static var desktopFilters: Int {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Repository.builtActor("plugins"))) ?? []
        return files.filter { $0.hasSuffix(".wasm") }.count
    }

    @Test(arguments: [(800, 600), (1100, 700)])
    func paintFillsTheOutputAndHasTheDesktopsFilters(size: (width: Int, height: Int)) throws {
        let kiosk = try Kiosk(app: "paint", width: size.width, height: size.height)
        defer { kiosk.stop() }
        let ready = try #require(kiosk.logLine(containing: "paint: ready"), "paint never got ready")
        #expect(Self.desktopFilters > 0, "no plugins in build/actors/plugins: run scripts/build-actors")
        #expect(ready == "paint: ready, \(Self.desktopFilters) filters")

        let screen = Rect(x: 0, y: 0, width: size.width, height: size.height)
        #expect(waitUntil(seconds: 60) { kiosk.window == screen }, "paint's window is \(String(describing: kiosk.window))")
        var mismatch: String? = "never looked"
        _ = waitUntil(seconds: 60) {
            mismatch = Self.paintLayoutMismatch(kiosk.screen(), width: size.width, height: size.height)
            return mismatch == nil
        }
        #expect(mismatch == nil, "\(size.width)x\(size.height): \(mismatch ?? "")")
        #expect(kiosk.supervisor.launches == 1, "paint was restarted: it failed or left its events unread")
    }

    /// A pattern no two pixels of which are alike.
    static func pattern(_ x: Int, _ y: Int) -> UInt32 { UInt32(x * 2) << 16 | UInt32(y * 2) << 8 | 0x40 }

    /// `--open photo.png` as a user runs it: paint shows the photo it was
    /// handed, a stroke and Ctrl+S write it back as a PNG another decoder
    /// (libpng) reads, the stroke in it and the rest as it was.
    @Test func paintOpensTheFileItIsGivenAndSavesItBack() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-open-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (w, h) = (120, 90)
        let path = dir + "/photo.png"
        var photo = [UInt32](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w { photo[y * w + x] = Self.pattern(x, y) } }
        try photo.withUnsafeBytes { try PNGWriter.write($0, width: w, height: h, stride: w * 4, to: path) }

        let (width, height) = (400, 300)
        let kiosk = try Kiosk(app: "paint", width: width, height: height, open: path)
        defer { kiosk.stop() }
        let opened = try #require(kiosk.logLine(containing: "paint: opened"))
        #expect(opened.contains("photo.png, 120 x 90"))
        // Shown at the canvas's top left, pixel for pixel.
        var screen: [UInt32] = []
        _ = waitUntil(seconds: 30) {
            screen = kiosk.screen()
            return screen.count == width * height && screen[(Self.toolbar + h - 1) * width + w - 1] == Self.pattern(w - 1, h - 1)
        }
        let wrong = (0..<h).flatMap { y in (0..<w).map { (x: $0, y: y) } }.first { p in
            screen.count != width * height || screen[(Self.toolbar + p.y) * width + p.x] != Self.pattern(p.x, p.y)
        }
        #expect(wrong == nil, "photo pixel \(String(describing: wrong)) not shown")

        // A black dot at (60, 45) of the photo, then Ctrl+S.
        let input = kiosk.kernel.createActor(name: "input")
        let toServer = try kiosk.server.connect(inputSource: input)
        func send(_ opcode: UInt32, _ fill: (inout PayloadWriter) -> Void) throws {
            var payload = PayloadWriter()
            fill(&payload)
            try kiosk.kernel.send(input, to: toServer, opcode: opcode, payload: payload.bytes)
        }
        try send(WindowProtocol.inputPointerMotion) {
            $0.u32(1)
            $0.f64((60 + 0.5) / Double(width))
            $0.f64((Double(Self.toolbar) + 45 + 0.5) / Double(height))
        }
        for pressed: UInt32 in [1, 0] {
            try send(WindowProtocol.inputPointerButton) {
                $0.u32(WindowProtocol.buttonLeft)
                $0.u32(pressed)
            }
        }
        for pressed: UInt32 in [1, 0] {
            try send(WindowProtocol.inputKey) {
                $0.u32(31)  // KEY_S
                $0.u32(0x73)
                $0.u32(WindowProtocol.modCtrl)
                $0.u32(pressed)
                $0.text(pressed == 1 ? "\u{13}" : "")
            }
        }
        #expect(kiosk.logLine(containing: "paint: saved photo.png") != nil)
        let saved = try #require(PNGFile.read(path), "the saved file is no PNG libpng reads")
        #expect((saved.width, saved.height) == (w, h))
        #expect(saved.pixels[45 * w + 60] == 0x000000, "the stroke was saved")
        let changed = (0..<(w * h)).filter { saved.pixels[$0] != photo[$0] }
        #expect(!changed.isEmpty && changed.allSatisfy { i in
            let (x, y) = (i % w, i / w)
            return (x - 60) * (x - 60) + (y - 45) * (y - 45) <= 6  // the brush of radius 2 around the dot
        }, "only the dot changed")
        #expect(kiosk.supervisor.launches == 1)
    }

    /// A damaged PNG is a plain message in paint's status line and log; the
    /// canvas stays as it was and paint keeps running.
    @Test func aDamagedPNGIsSaidSoAndTheCanvasStays() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-damaged-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/photo.png"
        let pixels = [UInt32](repeating: 0x00ff_0000, count: 32 * 32)
        try pixels.withUnsafeBytes { try PNGWriter.write($0, width: 32, height: 32, stride: 128, to: path) }
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count - 20] ^= 0xff  // inside the last chunks: a checksum no longer matches
        try bytes.write(to: URL(fileURLWithPath: path))

        let (width, height) = (320, 240)
        let kiosk = try Kiosk(app: "paint", width: width, height: height, open: path)
        defer { kiosk.stop() }
        let line = try #require(kiosk.logLine(containing: "paint: cannot open photo.png"))
        #expect(line.contains("damaged") || line.contains("PNG"), "\(line)")
        var screen: [UInt32] = []
        _ = waitUntil(seconds: 30) {
            screen = kiosk.screen()
            return screen.count == width * height && screen[(Self.toolbar + 10) * width + 10] == Self.paper
        }
        #expect(screen.count == width * height && screen[(Self.toolbar + 10) * width + 10] == Self.paper, "the canvas changed")
        #expect(kiosk.supervisor.launches == 1)
    }

    /// Save As and Open through the runtime's file chooser, as a user does
    /// it: File, Save as... and Enter save the picture under the suggested
    /// name; Ctrl+O and Enter open it again.
    @Test func paintSavesAndOpensThroughTheFileChooser() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-chooser-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (width, height) = (640, 400)
        let kiosk = try Kiosk(app: "paint", width: width, height: height, files: dir)
        defer { kiosk.stop() }
        #expect(kiosk.logLine(containing: "paint: ready") != nil)
        let input = kiosk.kernel.createActor(name: "input")
        let toServer = try kiosk.server.connect(inputSource: input)
        func key(_ keysym: UInt32, _ keycode: UInt32, modifiers: UInt32 = 0, text: String = "") throws {
            for pressed: UInt32 in [1, 0] {
                var payload = PayloadWriter()
                payload.u32(keycode)
                payload.u32(keysym)
                payload.u32(modifiers)
                payload.u32(pressed)
                payload.text(pressed == 1 ? text : "")
                try kiosk.kernel.send(input, to: toServer, opcode: WindowProtocol.inputKey, payload: payload.bytes)
            }
        }
        // A red dot first, so that the saved picture is not blank paper.
        try key(0x33, 4, text: "3")  // colour 3: red
        var motion = PayloadWriter()
        motion.u32(1)
        motion.f64(100.5 / Double(width))
        motion.f64((Double(Self.toolbar) + 50.5) / Double(height))
        try kiosk.kernel.send(input, to: toServer, opcode: WindowProtocol.inputPointerMotion, payload: motion.bytes)
        for pressed: UInt32 in [1, 0] {
            var button = PayloadWriter()
            button.u32(WindowProtocol.buttonLeft)
            button.u32(pressed)
            try kiosk.kernel.send(input, to: toServer, opcode: WindowProtocol.inputPointerButton, payload: button.bytes)
        }
        // File, then its third row, Save as... (paint's ui.rs: the File button
        // at 540..583; its 208-pixel menu moved left to end at the window's edge).
        for (x, y) in [(562, 14), (width - 208 + 40, Self.toolbar + 2 * 20 + 10)] {
            var to = PayloadWriter()
            to.u32(1)
            to.f64((Double(x) + 0.5) / Double(width))
            to.f64((Double(y) + 0.5) / Double(height))
            try kiosk.kernel.send(input, to: toServer, opcode: WindowProtocol.inputPointerMotion, payload: to.bytes)
            for pressed: UInt32 in [1, 0] {
                var button = PayloadWriter()
                button.u32(WindowProtocol.buttonLeft)
                button.u32(pressed)
                try kiosk.kernel.send(input, to: toServer, opcode: WindowProtocol.inputPointerButton, payload: button.bytes)
            }
        }
        #expect(waitUntil(seconds: 30) { kiosk.server.query { $0.compositor.dialog != nil } == true }, "no chooser")
        try key(0xff0d, 28)  // Enter: save as drawing.png
        #expect(kiosk.logLine(containing: "paint: saved drawing.png") != nil)
        let saved = try #require(PNGFile.read(dir + "/drawing.png"), "no PNG saved")
        #expect((saved.width, saved.height) == (width, height - Self.toolbar - Self.status))
        #expect(saved.pixels[50 * saved.width + 100] == 0xe53935, "the red dot is in the file")

        try key(0x6f, 24, modifiers: WindowProtocol.modCtrl, text: "\u{0f}")
        #expect(waitUntil(seconds: 30) { kiosk.server.query { $0.compositor.dialog != nil } == true }, "no chooser")
        try key(0xff0d, 28)  // Enter: the first (only) file
        #expect(kiosk.logLine(containing: "paint: opened drawing.png") != nil)
        #expect(kiosk.supervisor.launches == 1)
    }
}
