import ArgumentParser
import Compositor

#if canImport(Glibc)
    import Glibc
#endif

/// `wskdesk outputs`: the connectors and their modes, then the layout the
/// same output flags would light on them.
struct Outputs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the outputs (connectors), their modes, and the layout the output flags would light.",
        discussion: "With --backend headless, the outputs are those --size makes (HEADLESS-1, HEADLESS-2, ...)."
    )

    @Option(help: "Backend: auto (DRM if /dev/dri exists, else headless), drm or headless.")
    var backend: BackendChoice = .auto

    @Option(help: "DRM device (default: every /dev/dri/card*).")
    var drmDevice: String?

    @OptionGroup
    var headless: HeadlessSizeOption
    var size: HeadlessSizes { headless.sizes }

    @OptionGroup(title: "Outputs")
    var outputs: OutputOptions

    mutating func run() throws {
        let configurator: OutputConfigurator
        do {
            configurator = try outputs.configurator()
        } catch {
            throw ValidationError(error.description)
        }
        let usesDRM = switch backend {
        case .headless: false
        case .drm: true
        case .auto: access("/dev/dri", F_OK) == 0
        }
        guard usesDRM else {
            let monitors = size.monitors
            for monitor in monitors { print("\(monitor.connector) connected: \(ModeChoice.list(monitor.modes))") }
            try printLayout(configurator, monitors)
            return
        }
        let connectors: [OutputInfo]
        do {
            connectors = try DRMBackend.listOutputs(devicePath: drmDevice)
        } catch {
            print("wskdesk outputs: \(error)")
            throw ExitCode(1)
        }
        if connectors.isEmpty { print("no outputs") }
        for connector in connectors { print(connector) }
        // A desktop drives one device: each device's connected monitors get a layout.
        var devices: [String] = []
        for connector in connectors where connector.connected && !devices.contains(connector.device) {
            devices.append(connector.device)
        }
        for device in devices {
            let monitors = connectors.filter { $0.device == device && $0.connected }
                .map { Monitor(connector: $0.name, identity: $0.identity, modes: $0.modes, widthMM: $0.widthMM, heightMM: $0.heightMM, isBuiltIn: $0.isBuiltIn) }
            try printLayout(configurator, monitors, device: devices.count > 1 ? device : nil)
        }
    }

    /// "Layout:", one line per output lit, those left dark, the warnings;
    /// an arrangement wskdesk would refuse to start with is an error here too.
    private func printLayout(_ configurator: OutputConfigurator, _ monitors: [Monitor], device: String? = nil) throws {
        var configurator = configurator
        let arrangement: Arrangement
        do {
            arrangement = try configurator.arrangeAtStart(monitors)
        } catch {
            print("wskdesk outputs: \(error.description)")
            throw ExitCode(1)
        }
        print("Layout\(device.map { " of \($0)" } ?? ""):")
        if arrangement.layout.isEmpty { print("  no output lit") }
        for output in arrangement.layout.outputs {
            let mode = arrangement.modes[output.name].map(\.description) ?? "\(output.panelWidth)x\(output.panelHeight)"
            let turned = output.rotation == .degrees0 ? "" : " rotated \(output.rotation)"
            print("  \(output.name) \(mode) at \(output.x),\(output.y)\(turned)\(output.primary ? " (primary)" : "")")
        }
        for name in arrangement.dark { print("  \(name) off") }
        for warning in arrangement.warnings { print("warning: \(warning)") }
    }
}
