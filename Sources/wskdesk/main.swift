import ArgumentParser
import Compositor
import Interp
import Kernel
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The CLI. Parses arguments, bootstraps logging, and runs a subcommand;
/// `run` (the desktop) is the default.
struct WskDesk: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wskdesk",
        abstract: "A framebuffer desktop whose every app and plugin is a sandboxed WebAssembly actor.",
        discussion: """
            Run from a Linux virtual terminal to drive the screen through DRM/KMS, or anywhere \
            with --backend headless to render into memory and write a PNG screenshot.
            """,
        subcommands: [
            Run.self, Check.self, Compile.self, Outputs.self, Manual.self, ConsoleGuardCommand.self,
            NewPlugin.self, BuildPlugin.self, TryPlugin.self,
        ],
        defaultSubcommand: Run.self
    )
}

/// `wskdesk run`: the desktop.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the desktop (the default command)."
    )

    @Option(help: "Output backend: auto (DRM if /dev/dri exists, else headless), drm or headless.")
    var backend: BackendChoice = .auto

    @Option(help: "DRM device (default: the first /dev/dri/card* with a connected output).")
    var drmDevice: String?

    @Flag(help: "Open the DRM and input devices directly instead of through a seat (libseat); needs root.")
    var noSeat = false

    @OptionGroup
    var headless: HeadlessSizeOption
    var size: HeadlessSizes { headless.sizes }

    @OptionGroup(title: "Outputs")
    var outputs: OutputOptions

    /// The connector and mode of the single-head DRM path: the first rule's.
    var output: String? { outputs.firstConnector }
    var mode: String? { outputs.firstConnectorMode }

    @Option(help: "Folder with the actor .wasm files (default: $WSKDESK_ACTORS, else PREFIX/share/wskdesk/actors beside an installed PREFIX/bin/wskdesk, else build/actors of the source tree the binary was built in).")
    var actors: String?

    @Option(name: .customLong("plugins"), help: ArgumentHelp(PluginFolders.helpText, valueName: "dir"))
    var pluginFolders: [String] = []

    @Option(name: .customLong("app"), help: "An app to start: a name in the actors folder or a .wasm path (repeatable; default: paint and fractal).")
    var apps: [String] = Run.defaultApps

    static let defaultApps = ["paint", "fractal"]

    @Option(name: .customLong("file-root"), help: "A folder the file chooser may show apps' users (repeatable; default: $HOME). Apps never see a path: the user picks one file, and the app gets that file alone.")
    var fileRoots: [String] = []

    @Option(help: "Start the actors of this boot manifest (docs/manifest.md) instead of --app.")
    var manifest: String?

    @Option(help: "A file for the first app (or the kiosk's) to open, e.g. --app paint --open photo.png: the app gets that one file, read-write if you may write it.")
    var open: String?

    @Option(help: "Kiosk mode: run only this app, fullscreen, restarted when it exits or hangs (a name in the actors folder or a .wasm path).")
    var kiosk: String?

    @Option(
        help: ArgumentHelp(
            "Blank the screen after this many seconds without input (panels off, or black where they cannot turn off); the first key, button or touch after only wakes it.",
            valueName: "seconds"),
        transform: Run.idleSeconds)
    var idleBlank: Int?

    @Option(help: "Kiosk mode: restart the app when it leaves its events unread this many seconds (0: never).")
    var kioskHangTimeout: Double = 10

    @Option(help: "Run this Wasm actor as ui_server instead, holding the framebuffer (seed style).")
    var uiServer: String?

    @Option(help: "Write a PNG screenshot here after --screenshot-delay seconds (headless default: wskdesk-screenshot.png, then exit).")
    var screenshot: String?

    @Option(help: "Seconds to wait before the screenshot.")
    var screenshotDelay: Double = 1.0

    @Flag(help: "Keep running after the headless screenshot (stop with Ctrl+C).")
    var keepRunning = false

    @Option(help: "The terminal to take over and hand back (default: standard input when it is a virtual terminal and the backend is DRM).")
    var console: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @OptionGroup(title: "Input")
    var input: InputOptions

    @Option(help: "Also append the log to this file (its last lines are shown on the console if wskdesk crashes).")
    var logFile: String?

    mutating func run() throws {
        let logger: Logger
        do {
            try bootstrapLogging(level: logLevel, file: logFile)
            logger = Logger(label: "wskdesk")
        } catch {
            print("wskdesk: \(error.description)")
            throw ExitCode(1)
        }
        let status: Int32
        do {
            status = try Desktop(options: self, logger: logger).run()
        } catch {
            logger.error("\(error.description)")
            throw ExitCode(1)
        }
        if status != 0 { throw ExitCode(status) }
    }
}

extension Run {
    /// `--idle-blank`'s value: a whole number of seconds above 0.
    static func idleSeconds(_ text: String) throws -> Int {
        guard let seconds = Int(text), seconds > 0 else {
            throw ValidationError("--idle-blank \(text): give a whole number of seconds above 0, e.g. --idle-blank 600 for ten minutes")
        }
        return seconds
    }
}

enum BackendChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, drm, headless
}

/// One headless output's size, WIDTHxHEIGHT (`--size`).
struct OutputSize {
    let width: Int
    let height: Int

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// "1280x800": each side 16 to 8192.
    init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]),
            (16...8192).contains(w), (16...8192).contains(h)
        else { return nil }
        self.init(width: w, height: h)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

WskDesk.main()
