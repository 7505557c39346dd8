import ArgumentParser
import Compositor

/// `wskdesk outputs`: the connectors of the DRM devices and their modes.
struct Outputs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List DRM outputs (connectors) and their modes."
    )

    @Option(help: "DRM device (default: every /dev/dri/card*).")
    var drmDevice: String?

    mutating func run() throws {
        do {
            let outputs = try DRMBackend.listOutputs(devicePath: drmDevice)
            if outputs.isEmpty { print("no outputs") }
            for output in outputs { print(output) }
        } catch {
            print("wskdesk outputs: \(error)")
            throw ExitCode(1)
        }
    }
}
