import Kernel
import Logging
import Wire

/// Everything ui_server's loop touches, and only its loop: the compositor,
/// the windows and their apps, the pointer and the keys held. Not
/// `Sendable`: `UIServer.run` makes it on the ui_server thread and it never
/// leaves that thread; other threads reach it only by posting a closure
/// (`UIServer.query`), which the loop runs between two turns.
public final class UIServerState {
    let server: UIServer
    let kernel: Kernel
    let actor: ActorID
    let logger: Logger
    let policy: any WindowPolicy
    public let compositor: Compositor

    var windows: [UInt32: WindowRecord] = [:]
    var nextWindowID: UInt32 = 1
    var clients: [ActorID: ClientRecord] = [:]
    var pointer = PointerState()
    var touch = TouchState()
    /// Keys down, by keycode: the window their press went to (their repeats
    /// and release go there too, never to a window that did not see the press).
    var keyTargets: [UInt32: UInt32] = [:]
    /// Windows that committed since the last frame was drawn.
    var committedSinceFrame: Set<UInt32> = []
    /// Windows to tell when the frame in flight is on screen.
    var awaitingFrameDone: Set<UInt32> = []
    var frameInFlight = false
    /// Input events taken off the input endpoint and handled (`isIdle`).
    var inputHandled: UInt64 = 0
    /// The first window of each boot app, by its rank (`UIServer.arrangeInBootOrder`);
    /// nil once the person at the screen has pressed something.
    var bootWindows: [Int: UInt32]? = [:]
    /// The file chooser on screen, and the requests of other apps waiting for it.
    var chooser: FileChooser?
    var waitingChoosers: [FileChooser.Request] = []
    /// Decides which monitors are lit, where, and remembers their settings.
    var configurator: OutputConfigurator
    /// The mode each lit head was lit in, by connector.
    var litModes: [String: DisplayMode] = [:]
    /// The monitors of the lit heads, as the display last described them.
    var litMonitors: [Monitor] = []
    /// Monitors were plugged or unplugged; applied once no frame is in flight.
    var outputsChanged = false
    /// `--idle-blank` (Blanking.swift); nil when not asked for.
    var blanking: Blanking?

    init(server: UIServer) {
        self.server = server
        kernel = server.kernel
        actor = server.actor
        logger = server.logger
        policy = server.policy
        configurator = server.configurator
        compositor = Compositor()
        applyArrangement()
        let screen = compositor.screen
        pointer.x = Double(screen.x + screen.width / 2)
        pointer.y = Double(screen.y + screen.height / 2)
        compositor.moveCursor(toX: pointerPixel.x, y: pointerPixel.y)
        if !policy.showsCursorAtStart { compositor.setCursorVisible(false) }
    }

    /// Something another thread posted.
    func handle(_ event: UIServer.Event) {
        switch event {
        case .actorExited(let id): disconnect(id, reason: nil)
        case .presented: framePresented()
        case .outputsChanged: outputsChanged = true
        case .input(let message):
            inputHandled += 1
            handleInput(message)
            // Input carries no caps; any that came are not kept.
            for cap in [message.cap, message.reply] where !cap.isNull { try? kernel.release(actor, cap) }
        case .screenshot(let path, let done): done(writeScreenshot(to: path))
        case .inspect(let body): body(self)
        case .stop: break  // the loop's own (`UIServer.run`)
        }
    }

    /// Nothing to draw, no frame on its way, and every input event sent so
    /// far handled.
    package var isIdle: Bool {
        guard !compositor.needsFrame, !frameInFlight,
            let input = try? kernel.queueProgress(actor, server.inputInbox)
        else { return false }
        return input.queued == 0 && input.taken == inputHandled
    }

    // MARK: Frames

    /// Draws a frame if something changed and the previous one is on screen.
    func render() {
        guard !frameInFlight else { return }
        // Heads change only between frames: none is waited for now.
        if outputsChanged { applyArrangement() }
        guard compositor.needsFrame else {
            guard !committedSinceFrame.isEmpty else { return }
            // Commits that changed nothing visible still get their frame-done,
            // or an app waiting for it would stall. With no output at all,
            // a refresh's time passes first, as on a screen.
            awaitingFrameDone = committedSinceFrame
            committedSinceFrame = []
            if compositor.heads.isEmpty {
                frameInFlight = true
                server.awaitPresentation(on: [])
            } else {
                framePresented()
            }
            return
        }
        do {
            try compositor.renderFrame()
        } catch where error.isOutputAway {
            // The seat took the output just before telling us (a VT switch):
            // the damage is kept and drawn when it comes back.
            logger.info("frame not shown: \(error)")
        } catch {
            logger.error("presenting a frame failed: \(error)")
        }
        // Heads that did take the frame are waited for before the next.
        let presented = compositor.presentedHeads.map(\.backend)
        guard !presented.isEmpty else { return }
        awaitingFrameDone = committedSinceFrame
        committedSinceFrame = []
        frameInFlight = true
        server.awaitPresentation(on: presented)
    }

    /// The frame in flight is on screen: tell the apps that drew for it.
    func framePresented() {
        frameInFlight = false
        let now = UInt64(kernel.now())
        for id in awaitingFrameDone.sorted() {
            var payload = PayloadWriter()
            payload.u32(id)
            payload.u64(now)
            sendEvent(to: id, WindowProtocol.frameDone, payload.bytes)
        }
        awaitingFrameDone = []
    }

    /// Writes the whole desktop, as it is shown, to a PNG at `path`: each
    /// head's front buffer turned back upright into its place; the gaps of
    /// a layout that is not a rectangle stay black.
    func writeScreenshot(to path: String) -> Result<Void, PNGWriter.Failure> {
        let desktop = compositor.desktop
        guard !desktop.isEmpty else { return .failure(PNGWriter.Failure(description: "no screenshot written to \(path): no output is lit")) }
        var pixels = [UInt32](repeating: 0, count: desktop.width * desktop.height)
        for head in compositor.heads {
            let front = head.backend.frontBuffer()
            let rect = head.rect
            let rotation = head.placement.rotation
            for y in 0..<rect.height {
                let row = (rect.y - desktop.y + y) * desktop.width + rect.x - desktop.x
                for x in 0..<rect.width {
                    let p = rotation.panelPixel(logicalX: x, y: y, panelWidth: front.width, panelHeight: front.height)
                    pixels[row + x] = front.row(p.y)[p.x]
                }
            }
        }
        return pixels.withUnsafeBytes { bytes in
            Result { () throws(PNGWriter.Failure) in
                try PNGWriter.write(bytes, width: desktop.width, height: desktop.height, stride: desktop.width * 4, to: path)
            }
        }
    }
}
