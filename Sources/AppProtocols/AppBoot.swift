import Foundation
import Kernel

/// The caps paint and fractal take after handle 1 (the ui_server endpoint,
/// granted first): handle 2 a spawner over their plugins directory, handle 3
/// an endpoint holding their `BootConfig`. The desktop and the tests boot
/// them the same way, through this.
public enum AppBoot {
    /// Grants `app` (created, not yet started, already holding handle 1)
    /// handles 2 and 3, with `config` queued on 3 as if `sender` sent it.
    /// The spawner carries only the spawn right.
    public static func grant(to app: ActorID, plugins directory: String, config: BootConfig, from sender: ActorID,
                             kernel: Kernel) throws(SysError)
    {
        guard let payload = config.payload else { throw .invalidArgument }
        _ = try kernel.grantSpawner(directory: directory, rights: [.spawn], to: app)
        let (_, toApp) = try kernel.connect(owner: app, peer: sender, peerRights: [.send])
        defer { try? kernel.release(sender, toApp) }
        try kernel.send(sender, to: toApp, opcode: BootConfig.opcode, payload: payload)
    }

    /// The module names in a plugins directory: its `*.wasm` files that a
    /// spawner accepts (letters, digits, `_`, `-`), sorted. Empty if the
    /// directory cannot be read.
    public static func modules(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".wasm") }.map { String($0.dropLast(5)) }
            .filter { !$0.isEmpty && $0.utf8.count <= 64 && $0.allSatisfy(moduleNameCharacters.contains) }
            .sorted()
    }

    static let moduleNameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
}
