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
        subcommands: [Run.self, Check.self, Outputs.self],
        defaultSubcommand: Run.self
    )
}

/// Sends log lines to stderr at `level`.
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
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

    @Option(help: "Output (connector) to use, e.g. HDMI-A-1 or Virtual-1 (default: the first connected).")
    var output: String?

    @Option(help: "Mode, WIDTHxHEIGHT or WIDTHxHEIGHT@HZ (default: the output's preferred mode).")
    var mode: String?

    @Option(help: "Size of the headless output, WIDTHxHEIGHT.")
    var size: OutputSize = OutputSize(width: 1280, height: 800)

    @Option(help: "Folder with the actor .wasm files (default: $WSKDESK_ACTORS, else build/actors of the source tree).")
    var actors: String?

    @Option(name: .customLong("app"), help: "An app to start: a name in the actors folder or a .wasm path (repeatable).")
    var apps: [String] = ["demo"]

    @Option(help: "Run this Wasm actor as ui_server instead, holding the framebuffer (seed style).")
    var uiServer: String?

    @Option(help: "Write a PNG screenshot here after --screenshot-delay seconds (headless default: wskdesk-screenshot.png, then exit).")
    var screenshot: String?

    @Option(help: "Seconds to wait before the screenshot.")
    var screenshotDelay: Double = 1.0

    @Flag(help: "Keep running after the headless screenshot (stop with Ctrl+C).")
    var keepRunning = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    mutating func run() throws {
        bootstrapLogging(level: logLevel)
        let logger = Logger(label: "wskdesk")
        do {
            try Desktop(options: self, logger: logger).run()
        } catch {
            logger.error("\(error.description)")
            throw ExitCode(1)
        }
    }
}

enum BackendChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, drm, headless
}

struct OutputSize: ExpressibleByArgument {
    let width: Int
    let height: Int

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]),
            (16...8192).contains(w), (16...8192).contains(h)
        else { return nil }
        self.init(width: w, height: h)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

WskDesk.main()
