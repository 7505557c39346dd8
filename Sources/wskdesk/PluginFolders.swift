import AppProtocols
import Foundation
import Synchronization

/// Where filter plugins come from, in order: the built-in ones
/// (`<actors>/plugins`), the system's, the user's, then each `--plugins DIR`
/// as given. Later folders override earlier ones by module name, so a
/// user's `blur.wasm` replaces the built-in blur, and removing it brings the
/// built-in one back. A folder that does not exist is skipped.
struct PluginFolders: Equatable {
    struct Folder: Equatable {
        /// What the folder is, for `--help` and the log: "built-in", "system", "user", "--plugins".
        let role: String
        let path: String
    }

    var folders: [Folder]

    /// Plugins installed for every user of the machine.
    static let systemFolder = "/usr/local/share/wskdesk/plugins"

    /// The user's own plugins: `$XDG_DATA_HOME/wskdesk/plugins`, by default
    /// `~/.local/share/wskdesk/plugins`; nil without either variable.
    static func userFolder(environment: [String: String]) -> String? {
        // The XDG spec: a relative $XDG_DATA_HOME is invalid and ignored.
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/wskdesk/plugins" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/share/wskdesk/plugins"
    }

    /// The folders for an actors folder and the `--plugins` folders given.
    init(actors: String, added: [String], environment: [String: String] = ProcessInfo.processInfo.environment) {
        folders = [Folder(role: "built-in", path: actors + "/plugins"), Folder(role: "system", path: Self.systemFolder)]
        if let user = Self.userFolder(environment: environment) { folders.append(Folder(role: "user", path: user)) }
        folders += added.map { Folder(role: "--plugins", path: UserFile.expand($0)) }
    }

    init(folders: [Folder]) { self.folders = folders }

    /// Each `--plugins` folder exists and is a folder: said before anything
    /// runs, in words a user can act on.
    static func check(added: [String]) throws(DesktopError) {
        for given in added {
            let path = UserFile.expand(given)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw DesktopError(description: "--plugins \(given): no such folder: check the path (create it first if it is to be your plugin folder)")
            }
            guard isFolder.boolValue else {
                throw DesktopError(description: "--plugins \(given): this is a file, not a folder: name the folder that holds the plugin's .wasm")
            }
        }
    }

    /// The folders that exist now, in order: what a spawner searches and
    /// the watcher watches. Never empty: without any, the built-in folder
    /// (where a spawn then says the module is missing).
    var existing: [String] {
        let found = folders.map(\.path).filter(Self.isFolder)
        return found.isEmpty ? [folders[0].path] : found
    }

    static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// Every module name the folders provide, with the folder it comes
    /// from: the last one holding it.
    var modules: [String: String] { Self.modules(in: existing) }

    /// The module names in `folders` (`AppBoot.modules`), each with the
    /// last folder that holds it.
    static func modules(in folders: [String]) -> [String: String] {
        var found: [String: String] = [:]
        for folder in folders {
            for name in AppBoot.modules(in: folder) { found[name] = folder }
        }
        return found
    }

    /// The folders as `--help` lists them: role, whether it is there, path
    /// (last: a long path wraps as a whole).
    var listing: String {
        folders.map { folder in
            "\(folder.role) (\(Self.isFolder(folder.path) ? "exists" : "not there")): \(folder.path)"
        }.joined(separator: "\n")
    }
}

extension PluginFolders {
    /// Whether `--help` shows this machine's resolved folders (`true`), or
    /// their rules (`false`, for the man page: written once by
    /// `scripts/install`, read by every user).
    static let helpShowsResolvedFolders = Mutex(true)

    /// `--plugins`' help: where plugins come from, resolved as wskdesk would
    /// resolve them now without `--actors`.
    static var helpText: String {
        let rules = """
            A folder of filter plugins (.wasm) to add (repeatable). Plugins come from, in order, later ones \
            overriding earlier ones of the same name: the built-in ones (ACTORS/plugins), \(systemFolder), \
            $XDG_DATA_HOME/wskdesk/plugins (default ~/.local/share/wskdesk/plugins), then each --plugins DIR. \
            Missing folders are skipped; wskdesk watches the others and tells paint when a plugin is added, \
            changed or removed.
            """
        guard helpShowsResolvedFolders.withLock({ $0 }), let actors = ActorFolder.byDefault() else { return rules }
        return rules + "\nHere:\n" + PluginFolders(actors: actors, added: []).listing
    }
}
