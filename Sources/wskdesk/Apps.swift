import AppProtocols
import Compositor
import Foundation
import Kernel

/// What each desktop app gets at boot. Every app: handle 1, the ui_server
/// endpoint. paint and fractal also (`AppBoot`): handle 2, a spawner over
/// their plugins directory; handle 3, their boot configuration —
///
/// - paint: `<actors>/plugins`, `plugins=` every module found there now
///   (so a filter dropped in that folder shows in the menu of the next paint);
/// - fractal: `<actors>/formulas`, `workers=` the number of cores (1 to 16).
struct AppWiring {
    let kernel: Kernel
    let actorsDir: String
    /// The native actor the boot configurations come from.
    let desktop: ActorID

    init(kernel: Kernel, actorsDir: String) {
        self.kernel = kernel
        self.actorsDir = actorsDir
        self.desktop = kernel.createActor(name: "wskdesk")
    }

    /// Grants `actor`, about to run module `app`, its boot caps.
    func grant(_ app: String, to actor: ActorID, server: UIServer) throws {
        _ = try server.connect(app: actor)
        var config = BootConfig()
        let directory: String
        switch app {
        case "paint":
            directory = actorsDir + "/plugins"
            config.set("plugins", list: AppBoot.modules(in: directory))
        case "fractal":
            directory = actorsDir + "/formulas"
            config.set("workers", "\(min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 16))")
        default:
            return
        }
        guard config.payload != nil else {
            throw DesktopError(description: "\(directory) holds too many plugins: their names pass \(BootConfig.maxBytes) bytes")
        }
        try AppBoot.grant(to: actor, plugins: directory, config: config, from: desktop, kernel: kernel)
    }
}
