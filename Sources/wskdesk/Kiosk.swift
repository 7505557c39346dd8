import Compositor
import Dispatch
import Foundation
import Input
import Interp
import Kernel
import Logging
import Synchronization
import Threads

/// How the kiosk keeps its one app alive.
struct RestartPolicy: Sendable {
    /// The first restart waits this long; each failure in a row doubles it.
    var initialBackoff: Double = 0.5
    var maximumBackoff: Double = 30
    /// This many failures within `rapidWindow` seconds: the screen says so.
    var rapidFailures = 5
    var rapidWindow: Double = 60
    /// An app that leaves its events unread this long is restarted (0: never).
    var hangTimeout: Double = 10
    /// Running this long without failing resets the backoff.
    var stableAfter: Double = 30

    /// The wait before restart number `failuresInARow` (1, 2, ...).
    func backoff(afterFailures failuresInARow: Int) -> Double {
        min(maximumBackoff, initialBackoff * pow(2, Double(max(0, failuresInARow - 1))))
    }
}

/// Kiosk mode: one app, fullscreen, restarted with backoff whenever it exits,
/// traps or stops answering its events; after repeated rapid failures the
/// runtime itself tells the person in front of the screen. An optional admin
/// box (drawn by the runtime, never the app) can restart the app or quit.
/// The app gets the grants of its manifest entry at every start, as on the
/// desktop (`Manifest.kioskApp`).
final class KioskSupervisor: Sendable {
    let kernel: Kernel
    let host: WasmActorHost
    let server: UIServer
    let module: CheckedModule
    /// The app's manifest entry: what it is granted.
    let app: Manifest.Actor
    let grants: ManifestGrants
    let policy: RestartPolicy
    let logger: Logger
    /// Called when the admin box's quit is chosen.
    let quit: @Sendable () -> Void

    private struct State {
        var app: ActorID?
        var appStarted = Date.distantPast
        var failuresInARow = 0
        var recentFailures: [Date] = []
        var restartAt: Date?
        var lastReason = ""
        var hang: (taken: UInt64, since: Date)?
        var adminShown = false
        var failureShown = false
        var running = true
        var launches = 0
    }

    private let state = Mutex(State())
    private let thread = ServiceThread(name: "kiosk supervisor")

    init(
        kernel: Kernel, host: WasmActorHost, server: UIServer, module: CheckedModule, app: Manifest.Actor,
        grants: ManifestGrants, policy: RestartPolicy, logger: Logger, quit: @escaping @Sendable () -> Void
    ) {
        self.kernel = kernel
        self.host = host
        self.server = server
        self.module = module
        self.app = app
        self.grants = grants
        self.policy = policy
        self.logger = logger
        self.quit = quit
        kernel.onActorExit { [weak self] actor, _, reason in self?.exited(actor, reason) }
    }

    /// Times the app was started.
    var launches: Int { state.withLock { $0.launches } }
    var currentApp: ActorID? { state.withLock { $0.app } }

    func start() {
        launch()
        thread.start { [self] thread in
            while thread.sleep(until: nextTick()) { tick() }
        }
    }

    func stop() {
        let app: ActorID? = state.withLock { s in
            guard s.running else { return nil }
            s.running = false
            return s.app
        }
        thread.stop()
        if let app { kernel.terminate(app, reason: .shutdown) }
    }

    // MARK: The app's life

    private func launch() {
        do {
            let actor = try host.spawn(module, program: app.program) { [grants, app] actor in
                try grants.apply(app, to: actor)
                // Recorded before the app runs: one that traps at once must still be seen exiting.
                self.state.withLock { s in
                    s.app = actor
                    s.appStarted = Date()
                    s.hang = nil
                    s.launches += 1
                }
            }
            logger.info("kiosk: started \(module.name) (\(actor))")
        } catch {
            logger.error("kiosk: cannot start \(module.name): \(error)")
            failed(reason: "\(error)")
        }
    }

    /// The admin box's restart: the app ends and starts again at once; not
    /// a failure.
    private func restartApp() {
        logger.notice("kiosk: admin box restarts \(module.name)")
        let app: ActorID? = state.withLock { s in
            defer {
                s.app = nil
                s.restartAt = nil
            }
            return s.app
        }
        if let app { kernel.terminate(app, reason: .killed(by: nil)) }
        launch()
    }

    private func exited(_ actor: ActorID, _ reason: ExitReason) {
        guard state.withLock({ $0.app == actor && $0.running }) else { return }
        state.withLock { $0.app = nil }
        logger.warning("kiosk: \(module.name) \(reason)")
        failed(reason: reason.description)
        thread.wake()
    }

    private func failed(reason: String) {
        let now = Date()
        let (delay, rapid): (Double, Bool) = state.withLock { s in
            if now.timeIntervalSince(s.appStarted) > policy.stableAfter { s.failuresInARow = 0 }
            s.failuresInARow += 1
            s.recentFailures = s.recentFailures.filter { now.timeIntervalSince($0) < policy.rapidWindow } + [now]
            s.lastReason = reason
            let delay = policy.backoff(afterFailures: s.failuresInARow)
            s.restartAt = now.addingTimeInterval(delay)
            return (delay, s.recentFailures.count >= policy.rapidFailures)
        }
        logger.info("kiosk: restarting \(module.name) in \(delay) s")
        if rapid { showFailure(reason: reason, retryIn: delay) }
    }

    /// When `tick` has something to do: a restart falls due, the failure
    /// notice is to come down, or the running app is to be probed for a hang.
    /// Whatever changes these (an exit) wakes the supervisor early.
    private func nextTick() -> DispatchTime {
        let now = Date()
        let deadlines: [Date?] = state.withLock { s in
            [
                s.restartAt,
                s.failureShown ? s.appStarted.addingTimeInterval(policy.stableAfter) : nil,
                s.app != nil && policy.hangTimeout > 0 ? now.addingTimeInterval(hangProbeInterval) : nil,
            ]
        }
        guard let next = deadlines.compactMap({ $0 }).min() else { return .distantFuture }
        return .now() + max(0, next.timeIntervalSince(now)) + 0.001
    }

    /// How often a running app is probed: a hang is seen within
    /// `hangTimeout` plus this.
    private var hangProbeInterval: Double { min(1, policy.hangTimeout / 4) }

    private func tick() {
        let now = Date()
        let (due, app, shown, stableSince) = state.withLock { s in
            let due = s.restartAt.map { $0 <= now } ?? false
            if due { s.restartAt = nil }
            return (due, s.app, s.failureShown, s.appStarted)
        }
        if due {
            launch()
            return
        }
        if let app {
            if shown, now.timeIntervalSince(stableSince) > policy.stableAfter {
                state.withLock { $0.failureShown = false }
                refreshOverlay()
            }
            checkHang(app, now: now)
        }
    }

    /// An app that leaves its events unread for `hangTimeout` is ended (and so
    /// restarted). ui_server's heartbeat keeps an event waiting for it.
    private func checkHang(_ app: ActorID, now: Date) {
        guard policy.hangTimeout > 0, let progress = server.query({ $0.heartbeat(app) }) ?? nil else { return }
        let hung: Bool = state.withLock { s in
            guard progress.queued > 0 else {
                s.hang = nil
                return false
            }
            guard let hang = s.hang, hang.taken == progress.taken else {
                s.hang = (progress.taken, now)
                return false
            }
            return now.timeIntervalSince(hang.since) >= policy.hangTimeout
        }
        if hung {
            logger.warning("kiosk: \(module.name) left its events unread for \(policy.hangTimeout) s; restarting it")
            kernel.terminate(app, reason: .killed(by: nil))
        }
    }

    // MARK: What the screen says

    private func showFailure(reason: String, retryIn delay: Double) {
        state.withLock { $0.failureShown = true }
        refreshOverlay()
    }

    private func refreshOverlay() {
        let (admin, failure, reason, count) = state.withLock { ($0.adminShown, $0.failureShown, $0.lastReason, $0.recentFailures.count) }
        if admin {
            server.showOverlay(["wskdesk kiosk", "", "R  restart \(module.name)", "Q  quit", "Esc  close this box"])
        } else if failure {
            server.showOverlay([
                "\(module.name) keeps failing (\(count) times in \(Int(policy.rapidWindow)) s).",
                "Last: \(String(reason.prefix(70)))",
                "wskdesk keeps restarting it; call for help if this stays.",
            ])
        } else {
            server.showOverlay(nil)
        }
    }

    /// The admin chord: show or hide the admin box.
    func toggleAdmin() {
        showAdmin(!state.withLock { $0.adminShown })
    }

    private func showAdmin(_ shown: Bool) {
        state.withLock { $0.adminShown = shown }
        refreshOverlay()
    }

    /// A key pressed while the admin box is shown: R restarts the app, Q
    /// quits, Escape closes the box.
    func adminKey(_ keysym: UInt32) {
        guard state.withLock({ $0.adminShown }) else { return }
        switch keysym {
        case 0x72, 0x52:  // r, R
            showAdmin(false)
            restartApp()
        case 0x71, 0x51:  // q, Q
            logger.notice("admin box: quitting")
            quit()
        case 0xff1b:  // Escape
            showAdmin(false)
        default:
            break
        }
    }
}

/// While the admin box is shown, it takes the keys the app would get.
extension KioskSupervisor: KeyInterceptor {
    var takesKeys: Bool { state.withLock { $0.adminShown } }

    func take(_ key: KeyEvent) {
        adminKey(key.keysym.rawValue)
    }
}
