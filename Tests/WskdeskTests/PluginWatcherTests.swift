import Compositor
import Foundation
import Interp
import Kernel
import Logging
import TestSupport
import Testing
import Wire

@testable import wskdesk

/// The plugin watcher with real files in real folders: a native app holding
/// a spawner over them, with a window on a headless ui_server, is told of
/// each change on its window's event endpoint, as paint is.
@Suite(.serialized) struct PluginWatcherTests {
    /// ui_server, an app with one window and a spawner over `spawnerFolders`,
    /// and the watcher over `watched`.
    // Unchecked: every stored property is set in init and only read after.
    final class Desk: @unchecked Sendable {
        let kernel = Kernel()
        let host: WasmActorHost
        let server: UIServer
        let app: ActorID
        let ui: Handle
        let spawner: Handle
        let events: Handle
        let watcher: PluginWatcher
        let log = LogCapture()

        init(spawnerFolders: [String], watched: [String]) throws {
            host = WasmActorHost(kernel: kernel, tier: .interpreter)
            var quiet = Logger(label: "test.ui_server")
            quiet.logLevel = .critical
            server = try UIServer(
                kernel: kernel, backend: HeadlessBackend(width: 320, height: 240), policy: DesktopPolicy(), logger: quiet)
            let server = self.server
            Thread { server.run() }.start()
            app = kernel.createActor(name: "paint")
            ui = try server.connect(app: app)
            spawner = try kernel.grantSpawner(folders: spawnerFolders, rights: [.spawn], to: app)
            events = try Self.createWindow(kernel: kernel, app: app, ui: ui)
            watcher = try PluginWatcher(
                folders: watched, kernel: kernel, server: server, logger: log.logger, check: PluginWatcher.spawnCheck(host))
            watcher.start()
        }

        /// A 16 × 16 window; its event endpoint.
        static func createWindow(kernel: Kernel, app: ActorID, ui: Handle) throws -> Handle {
            let surface = try kernel.createBuffer(app, size: 16 * 16 * 4)
            var p = PayloadWriter()
            p.u32(16)
            p.u32(16)
            p.u32(0)
            p.u32(WindowProtocol.formatXRGB8888)
            p.text("plugins")
            let outcome = try kernel.call(
                app, to: ui, opcode: WindowProtocol.createWindow, payload: p.bytes, cap: surface, capacity: 4096,
                timeout: .nanoseconds(10_000_000_000))
            guard case .answer(let answer) = outcome, answer.opcode == WindowProtocol.windowCreated else {
                throw PluginWatcherTestError("the window was not created: \(outcome)")
            }
            return answer.cap
        }

        /// The changes of the next PLUGINS_CHANGED on the window, other
        /// events skipped; nil if none came within a minute (a hang guard,
        /// not a timing: a loaded machine gets all of it).
        func nextChanges() throws -> [String]? {
            let deadline = DispatchTime.now().uptimeNanoseconds + 60_000_000_000
            while DispatchTime.now().uptimeNanoseconds < deadline {
                let left = deadline - DispatchTime.now().uptimeNanoseconds
                guard case .message(let message) = try kernel.receive(app, from: events, capacity: 8192, timeout: .nanoseconds(left))
                else { continue }
                guard message.opcode == WindowProtocol.pluginsChanged else { continue }
                #expect(message.payload.count <= WindowProtocol.maxPluginsChangedBytes)
                return String(decoding: message.payload.dropFirst(4), as: UTF8.self).split(separator: "\n").map(String.init)
            }
            return nil
        }

        func stop() {
            watcher.stop()
            server.stop()
            _ = host.shutdown()
        }
    }

    struct PluginWatcherTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func temporaryFolder(_ label: String) throws -> String {
        let dir = NSTemporaryDirectory() + "wskdesk-watch-\(label)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return PluginWatcher.realPath(dir)
    }

    /// A real filter plugin's bytes.
    static func plugin(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: Repository.builtActor("plugins/" + name)))
    }

    /// Written in place: opened, truncated, written and closed (IN_CLOSE_WRITE).
    static func write(_ data: Data, to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test func addedRewrittenAndRemovedPluginsAreToldToTheApp() throws {
        let folder = try Self.temporaryFolder("one")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let desk = try Desk(spawnerFolders: [folder], watched: [folder])
        defer { desk.stop() }

        let written = DispatchTime.now().uptimeNanoseconds
        try Self.write(try Self.plugin("invert.wasm"), to: folder + "/mine.wasm")
        #expect(try desk.nextChanges() == ["+mine"])
        print("plugin watcher: +mine told \(Double(DispatchTime.now().uptimeNanoseconds - written) / 1e6) ms after the write")
        // The app's spawner starts it.
        let started = try desk.kernel.spawn(desk.app, spawner: desk.spawner, module: "mine")
        try desk.kernel.kill(desk.app, started)

        try Self.write(try Self.plugin("sepia.wasm"), to: folder + "/mine.wasm")
        #expect(try desk.nextChanges() == ["~mine"])
        // Replaced by a rename from a name that is not a module's.
        try Self.write(try Self.plugin("invert.wasm"), to: folder + "/.mine.wasm.tmp")
        #expect(rename(folder + "/.mine.wasm.tmp", folder + "/mine.wasm") == 0)
        #expect(try desk.nextChanges() == ["~mine"])

        try FileManager.default.removeItem(atPath: folder + "/mine.wasm")
        #expect(try desk.nextChanges() == ["-mine"])

        // Files that are not modules say nothing: the next event has only the real change.
        try Self.write(Data("swap".utf8), to: folder + "/.foo.swp")
        try Self.write(try Self.plugin("invert.wasm"), to: folder + "/x.wasm.tmp")
        try Self.write(Data("notes".utf8), to: folder + "/notes.txt")
        try Self.write(try Self.plugin("invert.wasm"), to: folder + "/bad name.wasm")
        try FileManager.default.removeItem(atPath: folder + "/x.wasm.tmp")
        try Self.write(try Self.plugin("invert.wasm"), to: folder + "/other.wasm")
        #expect(try desk.nextChanges() == ["+other"])
        #expect(desk.log.messages(atLeast: .warning).isEmpty, "\(desk.log.messages)")
    }

    /// Later folders override earlier ones: a plugin in the upper folder
    /// changes what a spawn starts (`~`), removing it brings back the lower
    /// one's (`~`, not `-`); only when no folder has it is it removed.
    @Test func overridesAreToldAgainstTheSpawnersFolders() throws {
        let lower = try Self.temporaryFolder("lower")
        let upper = try Self.temporaryFolder("upper")
        defer { for dir in [lower, upper] { try? FileManager.default.removeItem(atPath: dir) } }
        try Self.write(try Self.plugin("blur.wasm"), to: lower + "/blur.wasm")
        let desk = try Desk(spawnerFolders: [lower, upper], watched: [lower, upper])
        defer { desk.stop() }

        try Self.write(try Self.plugin("invert.wasm"), to: upper + "/blur.wasm")
        #expect(try desk.nextChanges() == ["~blur"])
        // The lower folder's file changes under the upper one's: a spawn starts the same file, nothing to tell.
        try Self.write(try Self.plugin("sepia.wasm"), to: lower + "/blur.wasm")
        try Self.write(try Self.plugin("invert.wasm"), to: lower + "/edges.wasm")
        #expect(try desk.nextChanges() == ["+edges"])
        try FileManager.default.removeItem(atPath: upper + "/blur.wasm")
        #expect(try desk.nextChanges() == ["~blur"])
        try FileManager.default.removeItem(atPath: lower + "/blur.wasm")
        #expect(try desk.nextChanges() == ["-blur"])
    }

    /// A plugin that does not load is logged plainly and told anyway: the
    /// app's spawn of it fails and says why.
    @Test func aPluginThatDoesNotLoadIsLoggedAndToldAnyway() throws {
        let folder = try Self.temporaryFolder("broken")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let desk = try Desk(spawnerFolders: [folder], watched: [folder])
        defer { desk.stop() }
        try Self.write(Data("not a module".utf8), to: folder + "/broken.wasm")
        #expect(try desk.nextChanges() == ["+broken"])
        let said = desk.log.messages(atLeast: .warning)
        #expect(said.contains { $0.hasPrefix("plugin broken.wasm in \(folder) does not load: ") }, "\(said)")
    }

    /// Several changes together come in one event; more than fit in one
    /// message come in several, each within the protocol's bound.
    @Test func changesAreSplitIntoMessagesThatFit() {
        let lines = (0..<400).map { "+plugin_number_\($0)" }
        let messages = PluginWatcher.messages(lines)
        #expect(messages.count > 1)
        #expect(messages.allSatisfy { $0.count + 4 <= WindowProtocol.maxPluginsChangedBytes })
        let joined = messages.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
        #expect(joined.split(separator: "\n").map(String.init) == lines)
    }

    /// Stopping ends the thread and closes the watcher's descriptors.
    @Test func stopEndsTheThreadAndClosesTheDescriptors() throws {
        let folder = try Self.temporaryFolder("stop")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let desk = try Desk(spawnerFolders: [folder], watched: [folder])
        let inotify = desk.watcher.descriptors[0]
        #expect(Self.target(of: inotify) == "anon_inode:inotify")
        desk.stop()
        #expect(desk.watcher.hasEnded)
        #expect(Self.target(of: inotify) != "anon_inode:inotify")
        desk.watcher.stop()  // twice is harmless
    }

    static func target(of descriptor: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")
    }
}
