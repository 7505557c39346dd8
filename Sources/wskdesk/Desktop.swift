import Compositor
import Dispatch
import Foundation
import Interp
import Kernel
import Logging
import Synchronization

/// A failure of the environment, said so that a user can act on it.
struct DesktopError: Error, CustomStringConvertible {
    let description: String
}

/// Boots the kernel, the output, ui_server (native, or a Wasm actor given the
/// framebuffer cap) and the desktop's apps, and runs until told to stop.
struct Desktop {
    let options: Run
    let logger: Logger

    init(options: Run, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs the desktop until it is told to stop; returns the exit status:
    /// 0, or `SeatMessages.lostExitStatus` when the seat was lost.
    func run() throws(DesktopError) -> Int32 {
        // The manifest first: a mistake in it is said before the console changes.
        try checkFileRoots()
        try PluginFolders.check(added: options.pluginFolders)
        let manifest = options.uiServer == nil && options.kiosk == nil ? try manifestToRun() : nil
        let console = try takeConsole()
        defer { console?.release() }
        let session = try openSession()
        defer { session?.close() }
        let display = try openDisplay(session: session)
        defer { display.restore() }
        let configurator = try outputConfigurator()
        // The outputs as ui_server will light them: settings that cannot work
        // on these monitors stop wskdesk here. Absolute pointer devices and
        // input scripts span the primary's panel.
        let primary = try startingLayout(configurator, display: display).primary
        let actorsDir = try actorDirectory()
        let plugins = PluginFolders(actors: actorsDir, added: options.pluginFolders)
        let inputSetup = try prepareInput(width: primary?.panelWidth ?? 1, height: primary?.panelHeight ?? 1)
        let limits = KernelLimits.forDesktop(manifest?.manifest.limits ?? Manifest.Limits())
        let kernel = Kernel(limits: limits, logger: logger)
        logger.info("\(limits.summary)")
        let host = WasmActorHost(kernel: kernel)
        defer { ModuleCompiler.stopAllBuilds() }  // on every way out, a fatal error too
        kernel.onActorExit { [logger] actor, name, reason in
            switch reason {
            case .exited(code: 0), .shutdown: return
            case .killed(by: .some):  // by another actor: a worker or plugin its owner ended on purpose
                logger.info("\(name) (\(actor)) \(reason)")
            default:
                logger.warning("\(name) (\(actor)) \(reason)")
            }
        }

        let stop = StopSignal()
        stop.install()
        let screen: ScreenOwner
        var kiosk: KioskSupervisor?
        if let uiServer = options.uiServer {
            screen = try startWasmUIServer(uiServer, display: display, configurator: configurator, kernel: kernel, host: host)
        } else if let app = options.kiosk {
            let server = try startUIServer(display: display, configurator: configurator, kernel: kernel, policy: KioskPolicy())
            kiosk = try startKiosk(
                app, server: server, kernel: kernel, host: host, actorsDir: actorsDir, plugins: plugins, stop: stop)
            screen = .uiServer(server)
        } else {
            let (manifest, file) = manifest!  // read above whenever there is neither --ui-server nor --kiosk
            screen = try startDesktop(
                manifest, file: file, display: display, configurator: configurator, kernel: kernel, host: host,
                actorsDir: actorsDir, plugins: plugins)
        }
        var watcher: PluginWatcher?
        if case .uiServer(let server) = screen {
            watcher = startPluginWatcher(plugins, kernel: kernel, host: host, server: server)
        }
        let connected = display.monitors().map(\.connector)
        logger.info("\(display.name) output\(connected.count == 1 ? "" : "s"): \(connected.isEmpty ? "none yet" : connected.joined(separator: ", "))")
        let input = try startInput(inputSetup, screen: screen, kernel: kernel, session: session, kiosk: kiosk, stop: stop)
        input?.startScript()
        let seatLost = Atomic<Bool>(false)
        if let session {
            var hooks = Session.Hooks()
            if case .uiServer(let server) = screen {
                hooks.disabled = {
                    // The seat has already dropped DRM master: stop drawing
                    // first, so the frames the releases below cause (paint ending
                    // a stroke) are not presented and refused.
                    server.setSuspended(true)
                    input?.suspend()  // every key and button let go; devices closed
                }
                hooks.enabled = {
                    server.setSuspended(false)
                    input?.resume()
                }
            }
            hooks.lost = { [logger] message in
                logger.error("\(message)")
                seatLost.store(true, ordering: .releasing)
                stop.trigger()
            }
            session.start(hooks)
        }

        input?.waitForScript()
        if let path = screenshotPath(display.kind) {
            if stop.wait(seconds: options.screenshotDelay) == false {
                screen.screenshot(to: path, logger: logger)
                if !options.keepRunning, display.kind == .headless { stop.trigger() }
            }
        }
        stop.wait()
        logger.info("stopping")
        ModuleCompiler.stopAllBuilds()  // a compile in progress is killed with its process group, not left behind
        input?.stop()
        watcher?.stop()
        kiosk?.stop()
        screen.stop(logger: logger)
        if !host.shutdown(timeout: .seconds(5)) {
            logger.warning("some actors did not stop within 5 s")
        }
        return seatLost.load(ordering: .acquiring) ? SeatMessages.lostExitStatus : 0
    }

    /// Headless writes a screenshot by default: there is no screen to look at.
    private func screenshotPath(_ kind: BackendKind) -> String? {
        if let path = options.screenshot { return path }
        return kind == .headless && !options.keepRunning ? "wskdesk-screenshot.png" : nil
    }

    // MARK: Screen owners

    private func startUIServer(
        display: any Display, configurator: OutputConfigurator, kernel: Kernel, policy: any WindowPolicy,
        fileRoots: [String]? = nil
    ) throws(DesktopError) -> UIServer {
        let server: UIServer
        do {
            server = try UIServer(kernel: kernel, display: display, configurator: configurator, policy: policy, logger: logger)
        } catch {
            throw DesktopError(description: "cannot start ui_server: \(error)")
        }
        offerFileRoots(to: server, manifestRoots: fileRoots)
        if let seconds = options.idleBlank { server.blankWhenIdle(seconds: seconds) }
        let thread = Thread { server.run() }
        thread.name = "ui_server"
        thread.start()
        return server
    }

    /// Each --file-root must be a folder: said before the console changes.
    private func checkFileRoots() throws(DesktopError) {
        for root in options.fileRoots {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) else {
                throw DesktopError(description: "--file-root \(root): no such folder: check the path, or leave --file-root out to offer your home folder")
            }
            guard isFolder.boolValue else {
                throw DesktopError(description: "--file-root \(root): this is a file, not a folder: name the folder that holds it")
            }
        }
    }

    /// The folders the file chooser shows: each --file-root, else the
    /// manifest's `[files] roots`, else $HOME. None at all (no $HOME) is not
    /// an error: the chooser then tells apps that no folder is open to them.
    private func offerFileRoots(to server: UIServer, manifestRoots: [String]?) {
        let roots = !options.fileRoots.isEmpty ? options.fileRoots : (manifestRoots ?? []).map(UserFile.expand)
        if !roots.isEmpty {
            for root in roots {
                do {
                    try server.allowFiles(in: root)
                } catch {
                    logger.error("\(error)")
                }
            }
        } else if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
            do {
                try server.allowFiles(in: home, label: "Home")
            } catch {
                logger.warning("\(error); the file chooser will show no folder (use --file-root DIR)")
            }
        } else {
            logger.notice("no $HOME and no --file-root: the file chooser will show no folder")
        }
    }

    /// One app, fullscreen, kept alive, with the grants of its manifest entry (see `KioskSupervisor`).
    private func startKiosk(
        _ app: String, server: UIServer, kernel: Kernel, host: WasmActorHost, actorsDir: String, plugins: PluginFolders,
        stop: StopSignal
    ) throws(DesktopError) -> KioskSupervisor {
        let path = modulePath(app, in: actorsDir)
        let module: CheckedModule
        do {
            module = try host.load(path: path)
        } catch {
            throw DesktopError(description: error.description)
        }
        var policy = RestartPolicy()
        policy.hangTimeout = options.kioskHangTimeout
        var entry = Manifest.kioskApp(app)
        if let path = options.open {
            guard entry.grants.contains(.config) else {
                throw DesktopError(description: "--open \(path.debugDescription): \(entry.name) takes no file (paint does)")
            }
            entry.open = path
        }
        let supervisor = KioskSupervisor(
            kernel: kernel, host: host, server: server, module: module, app: entry,
            grants: ManifestGrants(kernel: kernel, server: server, actorsDir: actorsDir, pluginFolders: plugins.existing),
            policy: policy, logger: logger,
            quit: { stop.trigger() })
        supervisor.start()
        return supervisor
    }

    /// --manifest, else the default desktop's manifest, else (with --app)
    /// the apps named.
    private func manifestToRun() throws(DesktopError) -> (manifest: Manifest, file: String) {
        let text: String
        let file: String
        if let path = options.manifest {
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw DesktopError(description: "cannot read the manifest \(path)")
            }
            (text, file) = (contents, path)
        } else if options.apps == Run.defaultApps {
            (text, file) = (Manifest.defaultDesktop, "the default desktop manifest")
        } else {
            return (try withOpenFile(Manifest.forApps(options.apps)), "--app")
        }
        do {
            return (try withOpenFile(try Manifest.parse(text, file: file)), file)
        } catch let error as DesktopError {
            throw error
        } catch {
            throw DesktopError(description: "\(error)")
        }
    }

    /// --open goes to the first actor that can be told of a file (it has
    /// the `config` grant).
    private func withOpenFile(_ manifest: Manifest) throws(DesktopError) -> Manifest {
        guard let path = options.open else { return manifest }
        var manifest = manifest
        guard let i = manifest.actors.firstIndex(where: { $0.grants.contains(.config) }) else {
            throw DesktopError(description: "--open \(path.debugDescription): none of the apps takes a file (paint does: --app paint --open FILE)")
        }
        manifest.actors[i].open = path
        return manifest
    }

    private func modulePath(_ app: String, in actorsDir: String) -> String {
        app.hasSuffix(".wasm") ? app : actorsDir + "/" + app + ".wasm"
    }

    private func startDesktop(
        _ manifest: Manifest, file: String, display: any Display, configurator: OutputConfigurator, kernel: Kernel,
        host: WasmActorHost, actorsDir: String, plugins: PluginFolders
    ) throws(DesktopError) -> ScreenOwner {
        let server = try startUIServer(
            display: display, configurator: configurator, kernel: kernel, policy: DesktopPolicy(), fileRoots: manifest.fileRoots)
        let boot = ManifestBoot(
            kernel: kernel, host: host, server: server, actorsDir: actorsDir, pluginFolders: plugins.existing, logger: logger)
        try boot.start(manifest, file: file)
        return .uiServer(server)
    }

    /// Watches the plugin folders that exist and tells the apps holding a
    /// spawner over them when a plugin is added, changed or removed. A
    /// watcher that cannot start is logged, not fatal: plugins still load,
    /// only not again while wskdesk runs.
    private func startPluginWatcher(_ plugins: PluginFolders, kernel: Kernel, host: WasmActorHost, server: UIServer)
        -> PluginWatcher?
    {
        logger.info("plugin folders: \(plugins.folders.map { "\($0.path) (\($0.role)\(PluginFolders.isFolder($0.path) ? "" : ", not there"))" }.joined(separator: ", "))")
        let folders = plugins.existing.filter(PluginFolders.isFolder)
        guard !folders.isEmpty else { return nil }
        do {
            let watcher = try PluginWatcher(
                folders: folders, kernel: kernel, server: server, logger: logger,
                check: PluginWatcher.spawnCheck(host))
            watcher.start()
            return watcher
        } catch {
            logger.warning("not watching the plugin folders: \(error)")
            return nil
        }
    }

    /// The seed's way: a Wasm actor holds the framebuffer cap (handle 1) and
    /// draws the whole screen itself. It knows one screen: only the primary
    /// output is lit, the others stay dark, and hotplug is not followed.
    private func startWasmUIServer(
        _ path: String, display: any Display, configurator: OutputConfigurator, kernel: Kernel, host: WasmActorHost
    ) throws(DesktopError) -> ScreenOwner {
        if options.idleBlank != nil {
            logger.warning("--idle-blank is not done with --ui-server: the Wasm ui_server draws the screen itself")
        }
        var configurator = configurator
        let arrangement = configurator.arrange(display.monitors())
        guard let primary = arrangement.layout.primary, let mode = arrangement.modes[primary.name] else {
            throw DesktopError(description: "--ui-server \(path): no monitor is connected to show it on")
        }
        let backend: any DisplayBackend
        do {
            backend = try display.light(primary.name, mode: mode)
        } catch {
            throw DesktopError(description: "cannot light output \(primary.name): \(error)")
        }
        let framebuffer = Framebuffer(width: backend.width, height: backend.height)
        let presenter = FramebufferPresenter(framebuffer: framebuffer, backend: backend)
        presenter.start()
        do {
            let module = try host.load(path: path)
            try host.spawn(module) { actor in _ = try kernel.grant(framebuffer, to: actor) }
            logger.info("started \(module.name) as ui_server, holding the framebuffer")
        } catch let error as ModuleLoadError {
            presenter.stop()
            throw DesktopError(description: error.description)
        } catch {
            presenter.stop()
            throw DesktopError(description: "cannot start \(path): \(error)")
        }
        return .framebuffer(presenter)
    }

    // MARK: Environment

    /// The terminal to hold while the desktop runs: --console, or standard
    /// input when it is a virtual terminal and the screen is DRM's.
    private func takeConsole() throws(DesktopError) -> ConsoleGuard? {
        var path = options.console
        if path == nil, options.backend != .headless, isatty(0) != 0,
            let state = ConsoleState.capture(0), state.displayMode != nil, let name = ttyname(0)
        {
            path = String(cString: name)
        }
        guard let path else { return nil }
        let console = try ConsoleGuard(terminal: path, logFile: options.logFile)
        logger.info("holding the console \(path)")
        return console
    }

    /// Whether the screen is DRM's: --backend drm, or auto with a /dev/dri.
    private var usesDRM: Bool {
        switch options.backend {
        case .headless: false
        case .drm: true
        case .auto: FileManager.default.fileExists(atPath: "/dev/dri")
        }
    }

    /// The seat, for DRM: it opens the devices and reports VT switches. As
    /// root without logind or seatd, the devices are opened directly.
    private func openSession() throws(DesktopError) -> Session? {
        guard usesDRM, !options.noSeat else { return nil }
        do {
            return try Session(logger: logger)
        } catch {
            guard getuid() == 0 else { throw error }
            logger.notice("\(error.description); as root, opening devices directly (no VT switching)")
            return nil
        }
    }

    /// --output, --layout, --only and --mode (checked when parsed).
    private func outputConfigurator() throws(DesktopError) -> OutputConfigurator {
        do {
            return try options.outputs.configurator()
        } catch {
            throw DesktopError(description: error.description)
        }
    }

    /// The layout lit at start; an overlap or a mode a monitor does not
    /// offer is an error (after a hotplug, ui_server warns and falls back).
    private func startingLayout(_ configurator: OutputConfigurator, display: any Display) throws(DesktopError) -> OutputLayout {
        var configurator = configurator
        do {
            return try configurator.arrangeAtStart(display.monitors()).layout
        } catch {
            throw DesktopError(description: error.description)
        }
    }

    /// The monitors: headless ones of --size, or the DRM device's.
    private func openDisplay(session: Session?) throws(DesktopError) -> any Display {
        guard usesDRM else {
            if options.backend == .auto { logger.info("no /dev/dri: using the headless backend") }
            return HeadlessDisplay(sizes: options.size.sizes.map { ($0.width, $0.height) })
        }
        var openFD: ((String) throws -> Int32)?
        var closeFD: (@Sendable (Int32) -> Void)?
        if let session {
            openFD = { path in try session.openDevice(path) }
            closeFD = { fd in session.closeDevice(fd) }
        }
        do {
            return try DRMDisplay(devicePath: options.drmDevice, openFD: openFD, closeFD: closeFD, logger: logger)
        } catch {
            throw DesktopError(description: error.description)
        }
    }

    /// --actors, $WSKDESK_ACTORS, or build/actors of the source tree the binary was built in.
    private func actorDirectory() throws(DesktopError) -> String {
        if let dir = options.actors { return dir }
        if let found = ActorFolder.byDefault() { return found }
        let candidates = ActorFolder.candidates(executable: ActorFolder.executablePath())
        throw DesktopError(description: "no actors found in \(candidates.joined(separator: " or ")): "
            + "build them with scripts/build-actors, install wskdesk (scripts/install), or pass --actors DIR")
    }
}

/// Whoever draws the screen: the native ui_server, or a presenter for a Wasm
/// actor holding the framebuffer.
enum ScreenOwner {
    case uiServer(UIServer)
    case framebuffer(FramebufferPresenter)

    func screenshot(to path: String, logger: Logger) {
        switch self {
        case .uiServer(let server):
            let done = DispatchSemaphore(value: 0)
            server.screenshot(to: path) { result in
                switch result {
                case .success: print("wskdesk: screenshot written to \(path)")
                case .failure(let error): logger.error("\(error.description)")
                }
                done.signal()
            }
            done.wait()
        case .framebuffer(let presenter):
            let fb = presenter.framebuffer
            do {
                try PNGWriter.write(fb.pixels, width: fb.width, height: fb.height, stride: fb.width * 4, to: path)
                print("wskdesk: screenshot written to \(path)")
            } catch {
                logger.error("\(error.description)")
            }
        }
    }

    /// Stops drawing and waits until nothing more is presented: the output
    /// is given back (restored) next, and a frame after that would hit a
    /// display that is no longer wskdesk's.
    func stop(logger: Logger) {
        switch self {
        case .uiServer(let server):
            if !server.stopAndWait(timeout: .seconds(5)) {
                logger.warning("ui_server did not stop drawing within 5 s; giving the output back anyway")
            }
        case .framebuffer(let presenter): presenter.stop()
        }
    }
}

/// SIGINT/SIGTERM/SIGHUP, or a programmatic stop.
final class StopSignal: @unchecked Sendable {
    // `sources` is set once in install(), on the main thread, before any wait.
    private let semaphore = DispatchSemaphore(value: 0)
    private var sources: [DispatchSourceSignal] = []

    func install() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [semaphore] in semaphore.signal() }
            source.resume()
            sources.append(source)
        }
    }

    func trigger() { semaphore.signal() }

    /// Waits until stopped. Returns true if stopped, false if `seconds` passed first.
    @discardableResult
    func wait(seconds: Double? = nil) -> Bool {
        guard let seconds else {
            semaphore.wait()
            return true
        }
        let ok = semaphore.wait(timeout: .now() + max(0, seconds)) == .success
        if ok { semaphore.signal() }  // stay stopped for the next wait
        return ok
    }
}
