import Foundation
import Interp
import TestSupport
import Testing

@testable import Compositor
@testable import Kernel

/// actors/view-std, the std Rust image viewer (WASI preview 1), on a
/// headless desktop: granted the ui_server endpoint (handle 1) and a folder
/// (handle 2, its preopen) as a manifest's `grants = ["ui", "folder:..."]`
/// grants them, with the file's path as its argument.
@Suite struct ViewStdTests {
    static let module = Repository.builtActor("view_std.wasm")

    /// A folder of the test's own, and a path beside it that is not in it.
    final class Folder {
        let root = NSTemporaryDirectory() + "wskdesk-view-std-" + UUID().uuidString
        var path: String { root + "/pictures" }

        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    /// Starts view-std with `folder` granted and `file` its argument.
    static func start(on desktop: DesktopHarness, folder: String, file: String) throws -> ActorID {
        let module = try desktop.host.load(path: Self.module, name: "view-std")
        let program = ProgramArguments(arguments: [file], preopens: [Preopen(name: folder, handle: 2)])
        return try desktop.host.spawn(module, program: program) { actor in
            let ui = try desktop.server.connect(app: actor)
            let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            let granted = try desktop.kernel.grantOpened(
                descriptor: descriptor, rights: [.list, .open, .read], to: actor)
            guard ui.rawValue == 1, granted.rawValue == 2 else {
                throw HarnessError("granted handles \(ui) and \(granted), not 1 and 2 as the preopen says")
            }
        }
    }

    /// A pattern no two pixels of which are alike.
    static func pattern(_ x: Int, _ y: Int) -> UInt32 { UInt32(x * 3) << 16 | UInt32(y * 5) << 8 | 0x60 }

    /// The file it is given, read through its folder and decoded in the
    /// sandbox, fills a window of its size pixel for pixel, until closed.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: ViewStdTests.module)))
    func showsTheImageItIsGivenUntilClosed() throws {
        let folder = try Folder()
        let (w, h) = (60, 40)
        let path = folder.path + "/photo.png"
        let photo = (0..<h).flatMap { y in (0..<w).map { x in Self.pattern(x, y) } }
        try photo.withUnsafeBytes { try PNGWriter.write($0, width: w, height: h, stride: w * 4, to: path) }

        let desktop = try DesktopHarness()
        defer { desktop.stop() }
        let actor = try Self.start(on: desktop, folder: folder.path, file: path)
        let shown = desktop.log.wait(for: "view-std: showing", from: "view-std")
        #expect(shown == "view-std: showing photo.png, 60 x 40", "\(desktop.log.lines(of: "view-std"))")
        let window = try desktop.window(of: actor)
        #expect((window.width, window.height) == (w, h))
        let seen = desktop.waitForScreen(window, toShow: photo)
        #expect(seen == photo, "\(difference(seen, photo, width: w))")

        // Its close button ends it: the window goes, the program returns from main.
        let close = desktop.onServer { server in
            server.compositor.scene.windows.first { $0.owner == actor }?.closeButton
        }
        let button = try #require(close)
        try desktop.click(button.x + button.width / 2, button.y + button.height / 2)
        #expect(desktop.host.wait(for: actor, timeout: .seconds(30)), "view-std did not end")
        #expect(desktop.kernel.exitReason(of: actor) == .exited(code: 0))
        #expect(desktop.onServer { server in !server.compositor.scene.windows.contains { $0.owner == actor } })
    }

    /// A file it cannot open or decode is said, in the log and in its
    /// window, and the viewer stays to show it.
    @Test(
        .enabled(if: FileManager.default.fileExists(atPath: ViewStdTests.module)),
        arguments: ["damaged", "missing", "outside", "escape"])
    func aFileItCannotShowIsSaid(case name: String) throws {
        let folder = try Folder()
        let damaged = folder.path + "/photo.png"
        let pixels = [UInt32](repeating: 0x00ff_0000, count: 32 * 32)
        try pixels.withUnsafeBytes { try PNGWriter.write($0, width: 32, height: 32, stride: 128, to: damaged) }
        var bytes = try #require(FileManager.default.contents(atPath: damaged))
        bytes[bytes.count - 20] ^= 0xff  // inside the last chunks: a checksum no longer matches
        try bytes.write(to: URL(fileURLWithPath: damaged))
        // A good PNG beside the folder: not granted, so not readable.
        let outside = folder.root + "/secret.png"
        try pixels.withUnsafeBytes { try PNGWriter.write($0, width: 32, height: 32, stride: 128, to: outside) }
        let (file, why) = [
            "damaged": (damaged, "the PNG is damaged: checksum error"),
            "missing": (folder.path + "/gone.png", "No such file"),
            // std finds no preopen for it: not even asked for. (Its words
            // are std's and change between Rust versions: any reason will do.)
            "outside": (outside, ""),
            // Beneath the preopen, then out: the kernel refuses "..".
            "escape": (folder.path + "/../secret.png", ""),
        ][name]!

        let desktop = try DesktopHarness()
        defer { desktop.stop() }
        let actor = try Self.start(on: desktop, folder: folder.path, file: file)
        let said = try #require(
            desktop.log.wait(for: "cannot open", from: "view-std"), "\(desktop.log.lines(of: "view-std"))")
        #expect(said.hasPrefix("cannot open \(file): \(why)"), "\(said)")
        #expect(!desktop.log.lines(of: "view-std").contains { $0.contains("showing") })
        // The message in the window: white text on its background, nothing of the file.
        let window = try desktop.window(of: actor)
        var colours = Set<UInt32>()
        _ = eventually(timeout: .seconds(30)) {
            colours = Set(desktop.screen().pixels(in: window))
            return colours.contains(0xffffff)
        }
        #expect(colours == [0x303030, 0xffffff], "\(colours.map { String($0, radix: 16) })")
        #expect(desktop.kernel.exitReason(of: actor) == nil, "view-std ended")
    }
}
