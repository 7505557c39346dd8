import Dispatch
import Glibc
import Kernel
import Logging
import Synchronization
import Threads
import Wire

/// ui_server: a native actor that owns the output, the window list and the
/// cursor. Apps talk to it over the window protocol on its inbox; input
/// sources send input events to an endpoint of its own.
///
/// This is its handle, for any thread. The state lives in the loop: `run()`
/// makes a `UIServerState` on the ui_server thread and only that thread ever
/// touches it; everyone else posts to the loop (`query`, `screenshot`,
/// `stop`). The loop never blocks on a client.
public final class UIServer: Sendable {
    public let kernel: Kernel
    public let actor: ActorID
    /// Window requests from apps.
    let inbox: Handle
    /// Input events: only input sources hold a cap to send here (`connect(inputSource:)`),
    /// so what arrives is believed whoever sent it, and input on `inbox` is not.
    let inputInbox: Handle
    /// The monitors: ui_server lights them as `configurator` arranges them,
    /// again after each hotplug.
    public let display: any Display
    let configurator: OutputConfigurator
    let policy: any WindowPolicy
    let logger: Logger
    /// Told on the ui_server thread when keyboard focus moves.
    let focusObservers = Mutex<[@Sendable (UInt32?) -> Void]>([])
    /// The apps of the boot, by the place their windows take (`arrangeInBootOrder`).
    let bootRanks = Mutex<[ActorID: Int]>([:])
    /// The folders the file chooser may show (`allowFiles`).
    let fileRoots = Mutex<[FileRoot]>([])
    /// `--idle-blank`: 0 for never (`blankWhenIdle`, Blanking.swift).
    let idleBlankSeconds = Atomic<Int>(0)

    private let events = Mutex<[Event]>([])
    private let running = Atomic<Bool>(false)
    private let flipRequests = DispatchSemaphore(value: 0)
    /// The heads the frame asked for presented to (`awaitPresentation`).
    private let flipHeads = Mutex<[any DisplayBackend]>([])
    /// Signalled as `run()` returns: nothing is drawn or presented after.
    private let ended = DispatchSemaphore(value: 0)

    /// What other threads ask of the loop.
    enum Event: Sendable {
        case actorExited(ActorID)
        case presented
        /// Monitors may have been plugged or unplugged (`Display.onHotplug`).
        case outputsChanged
        /// An input event from the input endpoint (`startInputReader`).
        case input(ReceivedMessage)
        case screenshot(path: String, done: @Sendable (Result<Void, PNGWriter.Failure>) -> Void)
        case inspect(@Sendable (UIServerState) -> Void)
        case stop
    }

    /// Internal wake-up: "look at your events". Only its own sends count.
    static let pokeOpcode: UInt32 = 0x0400
    /// Largest message ui_server takes.
    static let receiveCapacity = ABI.messageHeaderSize + ABI.maxPayload

    /// ui_server over `display`'s monitors, lit as `configurator` arranges
    /// them when it runs.
    public init(
        kernel: Kernel, display: any Display, configurator: OutputConfigurator = OutputConfigurator(),
        policy: any WindowPolicy, logger: Logger
    ) throws(SysError) {
        self.kernel = kernel
        self.display = display
        self.configurator = configurator
        self.policy = policy
        self.logger = logger
        self.actor = kernel.createActor(name: "ui_server")
        self.inbox = try kernel.createEndpoint(actor, capacity: 1024)
        self.inputInbox = try kernel.createEndpoint(actor, capacity: 1024)
        kernel.onActorExit { [weak self] exited, _, _ in
            guard let self, exited != self.actor else { return }
            self.post(.actorExited(exited))
        }
        display.onHotplug { [weak self] in self?.post(.outputsChanged) }
    }

    /// ui_server on one output already lit (`SingleHeadDisplay`).
    public convenience init(kernel: Kernel, backend: any DisplayBackend, policy: any WindowPolicy, logger: Logger) throws(SysError) {
        try self.init(kernel: kernel, display: SingleHeadDisplay(backend), policy: policy, logger: logger)
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

    /// The first window of each of `apps` takes its place, its stacking and
    /// its focus in this order, whichever app is quicker to open it: the
    /// desktop's layout follows the manifest without waiting for each app in
    /// turn. Call before the apps start. The order lasts until the person
    /// at the screen first presses a key or button.
    public func arrangeInBootOrder(_ apps: [ActorID]) {
        bootRanks.withLock { ranks in
            for (rank, app) in apps.enumerated() { ranks[app] = rank }
        }
    }

    // MARK: Running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        running.store(true, ordering: .releasing)
        let state = UIServerState(server: self)
        state.startBlanking()
        let presenter = startPresentationWaiter()
        let inputReader = startInputReader()
        defer {
            state.stopBlanking()
            flipRequests.signal()
            presenter.join()
            inputReader.cancel()
            try? kernel.send(actor, to: inputInbox, opcode: Self.pokeOpcode, payload: [])  // out of its receive
            inputReader.join()
            ended.signal()
        }
        state.render()
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
            if case .message(let message) = receipt { state.handle(message) }
            drainInbox(into: state)
            for event in takeEvents() {
                if case .stop = event {
                    running.store(false, ordering: .releasing)
                } else {
                    state.handle(event)
                }
            }
            state.render()
        }
        running.store(false, ordering: .releasing)
    }

    /// Handles everything queued, without waiting.
    private func drainInbox(into state: UIServerState) {
        for _ in 0..<256 {
            guard case .message(let message)? = try? kernel.receive(actor, from: inbox, capacity: Self.receiveCapacity, timeout: .poll)
            else { return }
            state.handle(message)
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

    /// Runs `body` on the ui_server thread, between two turns of its loop.
    package func inspect(_ body: @escaping @Sendable (UIServerState) -> Void) {
        post(.inspect(body))
    }

    /// Runs `body` on the ui_server thread and returns its result; nil if
    /// ui_server did not answer within `timeoutNanoseconds` (it is stopped).
    public func query<T: Sendable>(timeoutNanoseconds: UInt64 = 2_000_000_000, _ body: @escaping @Sendable (UIServerState) -> T) -> T? {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        inspect { state in
            result.withLock { $0 = body(state) }
            done.signal()
        }
        guard done.wait(timeout: .now() + .nanoseconds(Int(timeoutNanoseconds))) == .success else { return nil }
        return result.withLock { $0 }
    }

    func post(_ event: Event) {
        let first = events.withLock { events in
            defer { events.append(event) }
            return events.isEmpty
        }
        // Events posted before this one were poked for, and the loop takes
        // them all at once. A full inbox is fine: it looks at them every turn.
        if first { try? kernel.send(actor, to: inbox, opcode: Self.pokeOpcode, payload: []) }
    }

    private func takeEvents() -> [Event] {
        events.withLock { events in
            defer { events.removeAll() }
            return events
        }
    }

    // MARK: Helper threads

    /// A frame was handed to these heads: wait for it to reach each screen.
    /// With none (no output lit), the waiter lets a refresh's time pass, so
    /// apps drawing frame after frame are paced as on a screen.
    func awaitPresentation(on heads: [any DisplayBackend]) {
        flipHeads.withLock { $0 = heads }
        flipRequests.signal()
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
            while self?.waitForFlip() == true {}
        }
        return waiter
    }

    /// Waits for the next frame asked for to reach every screen it went to
    /// and tells the loop; false once the loop has stopped. The loop changes
    /// no head while a frame is in flight, so the heads stay lit meanwhile.
    private func waitForFlip() -> Bool {
        flipRequests.wait()
        guard running.load(ordering: .acquiring) else { return false }
        let heads = flipHeads.withLock { $0 }
        if heads.isEmpty { usleep(Self.refreshWithoutOutput) }
        for head in heads {
            while !head.waitForPresentation(timeoutNanoseconds: 100_000_000) {
                guard running.load(ordering: .acquiring) else { return false }
            }
        }
        post(.presented)
        return true
    }

    /// How long a frame with no output to go to takes: a 60 Hz refresh.
    static let refreshWithoutOutput: useconds_t = 16_667
}
