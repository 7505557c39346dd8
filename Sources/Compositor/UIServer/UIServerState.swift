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

    init(server: UIServer) {
        self.server = server
        kernel = server.kernel
        actor = server.actor
        logger = server.logger
        policy = server.policy
        compositor = Compositor(backend: server.backend)
        if !policy.showsCursorAtStart { compositor.setCursorVisible(false) }
    }

    /// Something another thread posted.
    func handle(_ event: UIServer.Event) {
        switch event {
        case .actorExited(let id): disconnect(id, reason: nil)
        case .presented: framePresented()
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
        guard compositor.needsFrame else {
            // Commits that changed nothing visible still get their frame-done,
            // or an app waiting for it would stall.
            if !committedSinceFrame.isEmpty {
                awaitingFrameDone = committedSinceFrame
                committedSinceFrame = []
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
            return
        } catch {
            logger.error("presenting a frame failed: \(error)")
            return
        }
        awaitingFrameDone = committedSinceFrame
        committedSinceFrame = []
        frameInFlight = true
        server.awaitPresentation()
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

    func writeScreenshot(to path: String) -> Result<Void, PNGWriter.Failure> {
        let front = compositor.backend.frontBuffer()
        return Result { () throws(PNGWriter.Failure) in
            try PNGWriter.write(
                UnsafeRawBufferPointer(start: front.base, count: front.stride * front.height),
                width: front.width, height: front.height, stride: front.stride, to: path)
        }
    }
}
