import Foundation

/// Where wskdesk finds its actors without `--actors` or `$WSKDESK_ACTORS`,
/// from where its own executable is, not from where the shell stands:
///
/// - installed: `PREFIX/bin/wskdesk` → `PREFIX/share/wskdesk/actors`;
/// - in a source tree: `TREE/.build/<triple>/<config>/wskdesk` (or any
///   folder below `TREE`) → `TREE/build/actors`, where `TREE` is the nearest
///   folder above the executable holding `Package.swift`.
enum ActorFolder {
    /// The running executable, symlinks resolved.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    }

    /// Where to look, in order, for an executable at `executable`.
    static func candidates(executable: String, fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) })
        -> [String]
    {
        var folders: [String] = []
        let bin = URL(fileURLWithPath: executable).deletingLastPathComponent()
        if bin.lastPathComponent == "bin" {
            folders.append(bin.deletingLastPathComponent().appendingPathComponent("share/wskdesk/actors").path)
        }
        var folder = bin
        while folder.path != "/" {
            if fileExists(folder.appendingPathComponent("Package.swift").path) {
                folders.append(folder.appendingPathComponent("build/actors").path)
                break
            }
            folder.deleteLastPathComponent()
        }
        return folders
    }

    /// The actors folder without `--actors`: `$WSKDESK_ACTORS`, else the
    /// first candidate holding actors; nil when there is none.
    static func byDefault(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let env = environment["WSKDESK_ACTORS"] { return env }
        return candidates(executable: executablePath()).first(where: holdsActors)
    }

    /// Whether `folder` holds at least one actor module.
    static func holdsActors(_ folder: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.contains { $0.hasSuffix(".wasm") }
    }
}
