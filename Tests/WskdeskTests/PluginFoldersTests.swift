import AppProtocols
import Compositor
import Foundation
import Kernel
import Logging
import TestSupport
import Testing

@testable import wskdesk

/// Where filter plugins come from: built-in, system, user, then each
/// `--plugins DIR`, later ones overriding earlier ones by name.
@Suite struct PluginFoldersTests {
    static func temporaryFolder(_ label: String) throws -> String {
        let dir = NSTemporaryDirectory() + "wskdesk-plugins-\(label)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func put(_ name: String, in folder: String, bytes: String = "x") throws {
        try Data(bytes.utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
    }

    @Test func foldersComeInTheirOrderWithTheUsersFromXDGOrHome() {
        let xdg = PluginFolders(actors: "/a", added: ["/p1", "/p2"], environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"])
        #expect(xdg.folders.map(\.path) == ["/a/plugins", PluginFolders.systemFolder, "/data/wskdesk/plugins", "/p1", "/p2"])
        #expect(xdg.folders.map(\.role) == ["built-in", "system", "user", "--plugins", "--plugins"])
        let home = PluginFolders(actors: "/a", added: [], environment: ["HOME": "/home/u"])
        #expect(home.folders.map(\.path) == ["/a/plugins", PluginFolders.systemFolder, "/home/u/.local/share/wskdesk/plugins"])
        // A relative $XDG_DATA_HOME is not to be used (the XDG spec).
        let relative = PluginFolders(actors: "/a", added: [], environment: ["XDG_DATA_HOME": "data", "HOME": "/h"])
        #expect(relative.folders[2].path == "/h/.local/share/wskdesk/plugins")
        let nobody = PluginFolders(actors: "/a", added: [], environment: [:])
        #expect(nobody.folders.map(\.role) == ["built-in", "system"])
    }

    /// Later folders win; a missing folder is skipped; removing the
    /// overriding file brings the earlier folder's back; only module names count.
    @Test func laterFoldersOverrideEarlierOnesByName() throws {
        let builtIn = try Self.temporaryFolder("actors")
        let user = try Self.temporaryFolder("user")
        let extra = try Self.temporaryFolder("extra")
        defer { for dir in [builtIn, user, extra] { try? FileManager.default.removeItem(atPath: dir) } }
        try FileManager.default.createDirectory(atPath: builtIn + "/plugins", withIntermediateDirectories: true)
        for name in ["blur.wasm", "invert.wasm", "sepia.wasm"] { try Self.put(name, in: builtIn + "/plugins") }
        try Self.put("blur.wasm", in: user)
        for name in ["blur.wasm", "mine.wasm", ".mine.wasm.swp", "x.wasm.tmp", "bad name.wasm", "notes.txt"] {
            try Self.put(name, in: extra)
        }
        let plugins = builtIn + "/plugins"
        let missing = user + "/none"
        let folders = PluginFolders(folders: [
            .init(role: "built-in", path: plugins), .init(role: "system", path: missing),
            .init(role: "user", path: user), .init(role: "--plugins", path: extra),
        ])
        #expect(folders.existing == [plugins, user, extra])
        #expect(folders.modules == ["blur": extra, "invert": plugins, "mine": extra, "sepia": plugins])
        try FileManager.default.removeItem(atPath: extra + "/blur.wasm")
        #expect(folders.modules["blur"] == user)
        try FileManager.default.removeItem(atPath: user + "/blur.wasm")
        #expect(folders.modules["blur"] == plugins)
        // One line per folder: its role, its path, whether it is there.
        #expect(folders.listing.split(separator: "\n") == [
            "built-in (exists): \(plugins)", "system (not there): \(missing)", "user (exists): \(user)",
            "--plugins (exists): \(extra)",
        ])
    }

    /// The manifest's `plugins` grant: paint's default grants, and
    /// `config.plugins = "auto"` listing every folder's names merged.
    @Test func theDefaultDesktopGivesPaintThePluginFolders() throws {
        let paint = try Manifest.parse(Manifest.defaultDesktop, file: "default").actors[0]
        #expect(paint.grants == [.ui, .plugins, .config])
        #expect(Manifest.kioskApp("paint").grants == [.ui, .plugins, .config])
        #expect(Manifest.Grant(parsing: "plugins") == .plugins)
        #expect(Manifest.Grant(parsing: "plugins:x") == nil)
        #expect(Manifest.Grant.plugins.description == "plugins")
    }

    /// The `plugins` grant as the desktop gives it: handle 1 a spawner over
    /// every folder (later ones winning), and `plugins = "auto"` naming the
    /// modules of all of them.
    @Test func thePluginsGrantSpawnsFromEveryFolderAndListsTheirNames() throws {
        let lower = try Self.temporaryFolder("lower")
        let upper = try Self.temporaryFolder("upper")
        defer { for dir in [lower, upper] { try? FileManager.default.removeItem(atPath: dir) } }
        let actors = Repository.builtActor("")
        for (name, folder) in [("invert", lower), ("sepia", lower), ("mine", upper)] {
            try FileManager.default.copyItem(atPath: actors + "plugins/invert.wasm", toPath: folder + "/" + name + ".wasm")
        }
        let kernel = Kernel()
        var quiet = Logger(label: "test.ui_server")
        quiet.logLevel = .critical
        let server = try UIServer(kernel: kernel, backend: HeadlessBackend(width: 64, height: 64), policy: DesktopPolicy(), logger: quiet)
        let grants = ManifestGrants(kernel: kernel, server: server, actorsDir: actors, pluginFolders: [lower, upper])
        let app = kernel.createActor(name: "paint")
        let entry = Manifest.Actor(name: "paint", module: "paint", grants: [.plugins, .config], config: ["plugins": .string("auto")], line: 0)
        try grants.apply(entry, to: app)
        #expect(try kernel.info(app, Handle(rawValue: 1)).kind == .spawner)
        #expect(kernel.spawnerHolders().map(\.folders) == [[lower, upper]])
        guard case .message(let config) = try kernel.receive(app, from: Handle(rawValue: 2), capacity: 4096, timeout: .poll) else {
            Issue.record("no boot configuration")
            return
        }
        #expect(config.opcode == BootConfig.opcode)
        #expect(String(decoding: config.payload, as: UTF8.self) == "plugins=invert,mine,sepia\n")
    }

    @Test func helpListsEachFolderWithItsPath() throws {
        let help = WskDesk.helpMessage(for: Run.self, columns: 200)
        #expect(help.contains("--plugins <dir>"), "\(help)")
        #expect(help.contains(PluginFolders.systemFolder))
        #expect(help.contains("$XDG_DATA_HOME/wskdesk/plugins"))
        // Resolved on this machine: the user's folder by its path, and whether it is there.
        if let user = PluginFolders.userFolder(environment: ProcessInfo.processInfo.environment) {
            let there = PluginFolders.isFolder(user) ? "exists" : "not there"
            #expect(help.contains("user (\(there)): \(user)"), "\(help)")
        }
        #expect(help.contains("built-in (exists): "), "\(help)")
        // The man page states the rules, not this machine's paths.
        let page = Manual.page(date: "test")
        #expect(!page.contains("(exists)") && !page.contains("(not there)"))
        #expect(page.contains("wskdesk/plugins"))
    }

    @Test func aMissingPluginFolderOrAFileIsRefusedBeforeAnythingRuns() throws {
        let missing = NSTemporaryDirectory() + "wskdesk-no-plugins-\(getpid())"
        var result = try runHeadless(["--plugins", missing])
        #expect(result.status == 1)
        #expect(result.output.contains("--plugins \(missing): no such folder"), "\(result.output)")
        let file = NSTemporaryDirectory() + "wskdesk-plugins-file-\(getpid()).wasm"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        result = try runHeadless(["--plugins", NSTemporaryDirectory(), "--plugins", file])
        #expect(result.status == 1)
        #expect(result.output.contains("--plugins \(file): this is a file, not a folder"), "\(result.output)")
    }
}
