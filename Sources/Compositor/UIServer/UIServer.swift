import Dispatch
import Foundation
import Kernel
import Logging
import Synchronization
import Threads
import Wire

/// ui_server: a native actor that owns the output, the window list and the
/// cursor. Apps talk to it over the window protocol on its endpoint; the input
/// source sends it input events there too. One thread runs it; it never
/// blocks on a client.
public final class UIServer: @unchecked Sendable {
    // Everything but `inbox`, `internalEvents` and `running` is touched only on
    // the ui_server thread (`run`); other threads reach it through messages
    // and `post`.
    public let kernel: Kernel
    public let actor: ActorID
    /// Window requests from apps.
    let inbox: Handle
    /// Input events: only input sources hold a cap to send here (`connect(inputSource:)`),
    /// so what arrives is believed whoever sent it, and input on `inbox` is not.
    let inputInbox: Handle
    /// Input events taken off `inputInbox` and handled by the loop (`isIdle`).
    var inputHandled: UInt64 = 0
    let logger: Logger
    public let compositor: Compositor
    public let policy: Policy

    var windows: [UInt32: WindowRecord] = [:]
    var nextWindowID: UInt32 = 1
    var clients: [ActorID: ClientRecord] = [:]
    var pointer = PointerState()
    /// Keys down, by keycode: the window their press went to (their repeats
    /// and release go there too, never to a window that did not see the press).
    var keyTargets: [UInt32: UInt32] = [:]
    /// Told on the ui_server thread when keyboard focus moves.
    let focusObservers = Mutex<[@Sendable (UInt32?) -> Void]>([])
    /// Windows that committed since the last frame was drawn.
    var committedSinceFrame: Set<UInt32> = []
    /// Windows to tell when the frame in flight is on screen.
    var awaitingFrameDone: Set<UInt32> = []
    var frameInFlight = false

    private let internalEvents = Mutex<[InternalEvent]>([])
    private let running = Atomic<Bool>(false)
    private let flipRequests = DispatchSemaphore(value: 0)
    /// Signalled as `run()` returns: nothing is drawn or presented after.
    private let ended = DispatchSemaphore(value: 0)

    enum InternalEvent {
        case actorExited(ActorID)
        case presented
        case screenshot(path: String, done: @Sendable (Result<Void, PNGWriter.Failure>) -> Void)
        case inspect(@Sendable (UIServer) -> Void)
        case stop
        /// An input event from the input endpoint (`startInputReader`).
        case input(ReceivedMessage)
    }

    /// Internal wake-up: "look at your internal events". Only its own sends count.
    static let pokeOpcode: UInt32 = 0x0400
    /// Largest message ui_server takes.
    static let receiveCapacity = ABI.messageHeaderSize + ABI.maxPayload

    public init(kernel: Kernel, backend: any DisplayBackend, policy: Policy = Policy(), logger: Logger) throws(SysError) {
        self.kernel = kernel
        self.logger = logger
        self.policy = policy
        self.compositor = Compositor(backend: backend)
        self.actor = kernel.createActor(name: "ui_server")
        self.inbox = try kernel.createEndpoint(actor, capacity: 1024)
        self.inputInbox = try kernel.createEndpoint(actor, capacity: 1024)
        if policy.mode == .kiosk { compositor.setCursorVisible(false) }
        kernel.onActorExit { [weak self] exited, _, _ in
            guard let self, exited != self.actor else { return }
            self.post(.actorExited(exited))
        }
    }

    /// Grants `app` a cap to send window requests to ui_server (boot time).
    public func connect(app: ActorID) throws(SysError) -> Handle {
        try kernel.grantCopy(of: inbox, held: actor, rights: [.send], to: app)
    }

    /// Grants an input source a cap to send input events: to the input
    /// endpoint, which no app can reach.
    public func connect(inputSource: ActorID) throws(SysError) -> Handle {
        try kernel.grantCopy(of: inputInbox, held: actor, rights: [.send], to: inputSource)
    }

    /// Calls `observer` (on the ui_server thread; it must not block) with the
    /// newly focused window whenever keyboard focus moves. The input side
    /// stops key repeat on it.
    public func onFocusChange(_ observer: @escaping @Sendable (UInt32?) -> Void) {
        focusObservers.withLock { $0.append(observer) }
    }

    // MARK: Running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        running.store(true, ordering: .releasing)
        let presenter = startPresentationWaiter()
        let inputReader = startInputReader()
        defer {
            flipRequests.signal()
            presenter.join()
            inputReader.cancel()
            try? kernel.send(actor, to: inputInbox, opcode: Self.pokeOpcode, payload: [])  // out of its receive
            inputReader.join()
            ended.signal()
        }
        render()
        while running.load(ordering: .acquiring) {
            let receipt: Receipt
            do {
                receipt = try kernel.receive(actor, from: inbox, capacity: Self.receiveCapacity, timeout: .forever)
            } catch SysError.shutdown {
                break  // the desktop is stopping
            } catch {
                logger.error("ui_server inbox failed: \(error)")
                break
            }
            if case .message(let message) = receipt { handle(message) }
            drainInbox()
            handleInternalEvents()
            render()
        }
        running.store(false, ordering: .releasing)
    }

    /// Handles everything queued, without waiting.
    func drainInbox() {
        for _ in 0..<256 {
            guard case .message(let message)? = try? kernel.receive(actor, from: inbox, capacity: Self.receiveCapacity, timeout: .poll)
            else { return }
            handle(message)
        }
    }

    /// Ends `run()`.
    public func stop() {
        post(.stop)
    }

    /// Ends `run()` and waits until it has returned, so that the output can
    /// be given back with no frame on its way to it. False if it did not
    /// return within `timeout`.
    public func stopAndWait(timeout: Duration) -> Bool {
        stop()
        let milliseconds = Int(timeout / .milliseconds(1))
        guard ended.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else { return false }
        ended.signal()  // for the next waiter
        return true
    }

    /// Writes what is on screen to a PNG at `path`, on the ui_server thread.
    public func screenshot(to path: String, done: @escaping @Sendable (Result<Void, PNGWriter.Failure>) -> Void) {
        post(.screenshot(path: path, done: done))
    }

    /// Runs `body` on the ui_server thread, between two turns of its loop
    /// (tests use it to look at the state when everything is drawn).
    package func inspect(_ body: @escaping @Sendable (UIServer) -> Void) {
        post(.inspect(body))
    }

    /// Nothing waiting to be drawn, and no frame on its way to the screen.
    /// Nothing to draw, no frame on its way, and every input event sent so
    /// far handled.
    package var isIdle: Bool {
        guard !compositor.needsFrame, !frameInFlight,
            let input = try? kernel.queueProgress(actor, inputInbox)
        else { return false }
        return input.queued == 0 && input.taken == inputHandled
    }

    func post(_ event: InternalEvent) {
        let first = internalEvents.withLock { events in
            defer { events.append(event) }
            return events.isEmpty
        }
        // Events posted before this one were poked for, and the loop takes
        // them all at once. A full inbox is fine: it looks at them every turn.
        if first { try? kernel.send(actor, to: inbox, opcode: Self.pokeOpcode, payload: []) }
    }

    func handleInternalEvents() {
        let events = internalEvents.withLock { events in
            defer { events.removeAll() }
            return events
        }
        for event in events {
            switch event {
            case .actorExited(let id): disconnect(id, reason: nil)
            case .presented: framePresented()
            case .screenshot(let path, let done): done(writeScreenshot(to: path))
            case .inspect(let body): body(self)
            case .stop: running.store(false, ordering: .releasing)
            case .input(let message):
                inputHandled += 1
                handleInput(message)
                // Input carries no caps; any that came are not kept.
                for cap in [message.cap, message.reply] where !cap.isNull { try? kernel.release(actor, cap) }
            }
        }
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
        flipRequests.signal()
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

    /// A thread that takes each input event off the input endpoint and
    /// hands it to the loop, which waits on its inbox.
    private func startInputReader() -> ServiceThread {
        let reader = ServiceThread(name: "ui_server input")
        reader.start { [weak self] thread in
            while thread.isRunning, let server = self, server.forwardInput() {}
        }
        return reader
    }

    /// Takes the next input event and posts it; false when the endpoint is gone.
    private func forwardInput() -> Bool {
        guard case .message(let message)? = try? kernel.receive(actor, from: inputInbox, capacity: Self.receiveCapacity)
        else { return false }
        // ui_server's own message only wakes the reader to stop.
        if message.sender != actor { post(.input(message)) }
        return true
    }

    /// A thread that waits for each presented frame to reach the screen (the
    /// page flip event) and tells the loop. It blocks on the display.
    private func startPresentationWaiter() -> ServiceThread {
        let waiter = ServiceThread(name: "ui_server presentation")
        waiter.start { [weak self] _ in
            while self?.awaitPresentation() == true {}
        }
        return waiter
    }

    /// Waits for the next frame asked for to reach the screen and tells the
    /// loop; false once the loop has stopped.
    private func awaitPresentation() -> Bool {
        flipRequests.wait()
        guard running.load(ordering: .acquiring) else { return false }
        while !compositor.backend.waitForPresentation(timeoutNanoseconds: 100_000_000) {
            guard running.load(ordering: .acquiring) else { return false }
        }
        post(.presented)
        return true
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


