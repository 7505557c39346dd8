import ArgumentParser
import Compositor
import Dispatch
import Foundation
import Input
import Kernel
import Logging
import Synchronization
import Threads

/// The input options of `wskdesk run`.
struct InputOptions: ParsableArguments {
    @Option(help: "Replay this input script (docs/input-script.md) once the apps are started.")
    var inputScript: String?

    @Option(name: .customLong("input-device"),
            help: "Read this input device (e.g. /dev/input/event3) instead of the seat's devices (repeatable).")
    var inputDevices: [String] = []

    @Option(help: "The output every touchscreen maps to, e.g. eDP-1 (default: udev's WL_OUTPUT for the device, else the built-in output, else one of the device's size, else the primary).")
    var touchOutput: String?

    @Option(help: "The seat whose input devices the DRM backend reads through udev (headless reads only --input-device).")
    var seat: String = "seat0"

    @Option(help: "Keyboard layout(s), e.g. de or us,ru (default: $XKB_DEFAULT_LAYOUT, else us).")
    var keyboardLayout: String?

    @Option(help: "Keyboard layout variant(s), e.g. nodeadkeys (default: $XKB_DEFAULT_VARIANT).")
    var keyboardVariant: String?

    @Option(help: "xkb options, e.g. ctrl:nocaps,compose:ralt (default: $XKB_DEFAULT_OPTIONS).")
    var keyboardOptions: String?

    @Option(help: "Keyboard model, e.g. pc105 (default: $XKB_DEFAULT_MODEL).")
    var keyboardModel: String?

    @Option(help: "xkb rules (default: $XKB_DEFAULT_RULES, else evdev).")
    var keyboardRules: String?

    @Option(help: "Milliseconds a key is held before it repeats.")
    var repeatDelay: Int = 600

    @Option(help: "Key repeats per second (0 turns repeat off).")
    var repeatRate: Double = 25

    @Option(name: .customLong("bind"), help: ArgumentHelp(
        "Bind a key combination, over the defaults (repeatable): COMBO=ACTION, ACTION one of quit, screenshot, vt1…vt12, admin (the kiosk's admin box) or none.",
        discussion: "Defaults: ctrl+alt+BackSpace=quit (not in kiosk mode), ctrl+alt+F1…F12=vt1…vt12, Print=screenshot.",
        valueName: "combo=action"))
    var bindings: [String] = []

    func validate() throws {
        guard (0...10_000).contains(repeatDelay) else { throw ValidationError("--repeat-delay must be 0...10000 ms") }
        guard repeatRate.isFinite, (0...1000).contains(repeatRate) else { throw ValidationError("--repeat-rate must be 0...1000 per second") }
        do {
            _ = try Bindings.standard().overridden(by: bindings)
        } catch {
            throw ValidationError("--bind: \(error.description)")
        }
    }

    /// The default bindings with `--bind` applied.
    func keyBindings(kiosk: Bool) throws(KeyComboError) -> Bindings {
        try Bindings.standard(kiosk: kiosk).overridden(by: bindings)
    }

    /// The flags over `XKB_DEFAULT_*`.
    var keymapNames: KeymapNames {
        KeymapNames.fromEnvironment().overridden(by: KeymapNames(
            rules: keyboardRules, model: keyboardModel, layout: keyboardLayout, variant: keyboardVariant,
            options: keyboardOptions))
    }
}

/// What input needs that can be wrong before anything starts: the keymap
/// (an unknown layout), the compose table, the script (a bad line).
struct InputSetup: Sendable {
    let keymap: Keymap
    let compose: ComposeTable?
    let script: [ScriptStep]?
    let bindings: Bindings

    init(options: InputOptions, width: Int, height: Int, kiosk: Bool, logger: Logger) throws(DesktopError) {
        do {
            bindings = try options.keyBindings(kiosk: kiosk)
        } catch {
            throw DesktopError(description: "--bind: \(error.description)")
        }
        let names = options.keymapNames
        do {
            keymap = try Keymap(names: names, logger: logger)
        } catch {
            throw DesktopError(description: error.description)
        }
        logger.info("keyboard: \(names)")
        let locale = ComposeTable.locale()
        compose = ComposeTable(keymap: keymap, locale: locale)
        if compose == nil {
            logger.notice("no compose table for locale \(locale): dead keys will not compose (install libx11-data)")
        }
        if let path = options.inputScript {
            do {
                script = try InputScript(contentsOf: path).steps(keymap: keymap, width: width, height: height)
            } catch {
                throw DesktopError(description: error.description)
            }
        } else {
            script = nil
        }
    }
}

/// The desktop's input: an input-source actor registered with ui_server, the
/// keymap and pipeline (bindings, repeat), libinput, and a script if given.
/// Both libinput and the script feed the same pipeline.
final class DesktopInput: Sendable {
    let pipeline: InputPipeline
    let libinput: LibInputSource?
    private let script: [ScriptStep]?
    private let scriptPlayer = ServiceThread(name: "input script")
    let logger: Logger

    /// What the bindings do; `switchVT` is the session layer's, `admin`
    /// the kiosk's.
    struct Actions: Sendable {
        var quit: @Sendable () -> Void
        var switchVT: @Sendable (Int) -> Void
        var admin: @Sendable () -> Void
    }

    init(_ setup: InputSetup, options: InputOptions, server: UIServer, kernel: Kernel, displayKind: BackendKind,
         access: DeviceAccess, actions: Actions, interceptor: (any KeyInterceptor)?, logger: Logger) throws(DesktopError)
    {
        self.logger = logger
        script = setup.script
        let source = kernel.createActor(name: "input")
        let handle: Handle
        do {
            handle = try server.connect(inputSource: source)
        } catch {
            throw DesktopError(description: "cannot connect the input source to ui_server: \(error)")
        }
        let sink = KernelInputSink(kernel: kernel, actor: source, target: handle, logger: logger)
        let configuration = InputConfiguration(
            repeatDelay: options.repeatDelay, repeatRate: options.repeatRate,
            bindings: setup.bindings)
        let screenshots = ScreenshotNamer()
        pipeline = InputPipeline(keyboard: KeyboardState(keymap: setup.keymap, compose: setup.compose), configuration: configuration,
                                 sink: sink, logger: logger, interceptor: interceptor) { [logger] action in
            switch action {
            case .quit:
                logger.info("quit key: quitting")
                actions.quit()
            case .switchVT(let n):
                actions.switchVT(n)
            case .admin:
                actions.admin()
            case .screenshot:
                let path = screenshots.next()
                server.screenshot(to: path) { result in
                    switch result {
                    case .success: logger.info("screenshot written to \(path)")
                    case .failure(let error): logger.error("\(error.description)")
                    }
                }
            }
        }
        let pipeline = self.pipeline
        server.onFocusChange { _ in pipeline.stopRepeat() }
        if let output = options.touchOutput { server.mapTouchscreens(to: output) }
        pipeline.startRepeatTimer()

        let devices: InputDevices? =
            !options.inputDevices.isEmpty ? .paths(options.inputDevices)
            : displayKind == .headless ? nil : .seat(options.seat)
        if let devices {
            do {
                let libinput = try LibInputSource(devices: devices, access: access, logger: logger) { pipeline.handle($0) }
                libinput.start()
                self.libinput = libinput
            } catch {
                logger.error("\(error.description): running without input devices")
                self.libinput = nil
            }
        } else {
            logger.info("headless: no input devices read (name them with --input-device, or script input with --input-script)")
            libinput = nil
        }
    }

    /// Plays the script, if there is one, on a thread of its own.
    func startScript() {
        guard let script else { return }
        scriptPlayer.start { [pipeline, logger] _ in
            ScriptPlayer.play(script) { pipeline.handle($0) }
            logger.info("input script done")
        }
    }

    /// Waits for the script to finish (at once if there is none).
    func waitForScript() {
        scriptPlayer.join()
    }

    /// Session hooks: a paused session lets go of every key and button and
    /// closes the devices; a resumed one opens them again.
    func suspend() {
        if let lights = pipeline.releaseAll() { libinput?.setLEDs(lights) }
        libinput?.suspend()
    }

    func resume() {
        libinput?.resume()
    }

    func stop() {
        libinput?.stop()
        pipeline.stop()
    }
}

/// wskdesk-screenshot-1.png, -2, ...: the first name not taken.
final class ScreenshotNamer: Sendable {
    private let counter = Mutex(0)

    func next() -> String {
        counter.withLock { n in
            repeat {
                n += 1
            } while FileManager.default.fileExists(atPath: "wskdesk-screenshot-\(n).png")
            return "wskdesk-screenshot-\(n).png"
        }
    }
}

extension Desktop {
    /// Compiles the keymap and the script before anything starts: their
    /// errors stop wskdesk with nothing left half-running.
    /// `width` x `height`: the primary output's panel, which absolute
    /// pointer positions span.
    func prepareInput(width: Int, height: Int) throws(DesktopError) -> InputSetup {
        try InputSetup(options: options.input, width: width, height: height, kiosk: options.kiosk != nil, logger: logger)
    }

    /// Starts input for the native ui_server; a Wasm ui_server holding the
    /// framebuffer has no input protocol yet, so it gets none. With a seat,
    /// devices are opened through it and Ctrl+Alt+Fn switches VTs.
    func startInput(_ setup: InputSetup, screen: ScreenOwner, kernel: Kernel, session: Session?, kiosk: KioskSupervisor?,
                    stop: StopSignal) throws(DesktopError) -> DesktopInput?
    {
        guard case .uiServer(let server) = screen else {
            if options.input.inputScript != nil || !options.input.inputDevices.isEmpty {
                logger.warning("input goes to the native ui_server only: --input-script and --input-device are ignored with --ui-server")
            }
            return nil
        }
        let actions = DesktopInput.Actions(
            quit: { stop.trigger() },
            switchVT: { [logger] n in
                guard let session else {
                    logger.notice("Ctrl+Alt+F\(n): no seat, so no VT switching")
                    return
                }
                session.switchTo(vt: n)
            },
            admin: { [logger] in
                guard let kiosk else {
                    logger.notice("the admin key opens the kiosk's admin box: nothing to do outside kiosk mode")
                    return
                }
                kiosk.toggleAdmin()
            })
        var access = DeviceAccess.direct
        if let session {
            access = DeviceAccess(
                open: { path, _ in
                    do { return try session.openDevice(path) } catch { return -(errno != 0 ? errno : EACCES) }
                },
                close: { fd in session.closeDevice(fd) })
        }
        return try DesktopInput(setup, options: options.input, server: server, kernel: kernel,
                                     displayKind: server.display.kind, access: access, actions: actions, interceptor: kiosk, logger: logger)
    }
}
