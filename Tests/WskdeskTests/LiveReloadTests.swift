import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Hot reload as a plugin author meets it: the real wskdesk, its watcher
/// over a `--plugins` folder, and paint, told of real files written there
/// (PaintReloadTests drive paint's side alone; PluginWatcherTests the
/// watcher alone).
@Suite(.serialized) struct LiveReloadTests {
    /// wskdesk running headless until stopped, its output collected line by line.
    final class Running: @unchecked Sendable {  // `lines` only under `lock`
        let process = Process()
        private let lock = NSCondition()
        private var lines: [String] = []
        private var partial = ""

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: wskdeskBinary)
            process.arguments = ["--backend", "headless"] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            output.fileHandleForReading.readabilityHandler = { [weak self] handle in
                self?.take(String(decoding: handle.availableData, as: UTF8.self))
            }
            try process.run()
        }

        private func take(_ text: String) {
            lock.lock()
            defer { lock.unlock() }
            let parts = (partial + text).split(separator: "\n", omittingEmptySubsequences: false)
            partial = String(parts.last ?? "")
            lines += parts.dropLast().map(String.init)
            lock.broadcast()
        }

        /// The first line after the first `skipping` ones that contains `text`, waiting up to 30 s.
        func wait(for text: String, after skipping: Int = 0) -> (index: Int, line: String)? {
            let deadline = Date().addingTimeInterval(30)
            lock.lock()
            defer { lock.unlock() }
            while true {
                if let i = lines.indices.dropFirst(skipping).first(where: { lines[$0].contains(text) }) {
                    return (i, lines[i])
                }
                if !lock.wait(until: deadline) { return nil }
            }
        }

        var count: Int {
            lock.lock()
            defer { lock.unlock() }
            return lines.count
        }

        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static let plugins = Repository.root + "/build/actors/plugins/"

    /// Writes `bytes` as `name` in `folder` the way `build-plugin --install`
    /// does: a hidden temporary file, then a rename.
    static func install(_ bytes: Data, as name: String, in folder: String) throws {
        let part = folder + "/.\(name).part"
        try bytes.write(to: URL(fileURLWithPath: part))
        guard rename(part, folder + "/" + name) == 0 else { throw POSIXError(.EIO) }
    }

    @Test func aRunningPaintFollowsTheFolder() throws {
        let folder = NSTemporaryDirectory() + "live-reload-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let invert = try Data(contentsOf: URL(fileURLWithPath: Self.plugins + "invert.wasm"))
        let grayscale = try Data(contentsOf: URL(fileURLWithPath: Self.plugins + "grayscale.wasm"))
        try Self.install(invert, as: "live.wasm", in: folder)

        let desk = try Running([
            "--app", "paint", "--plugins", folder, "--keep-running", "--screenshot", folder + "/../live-reload-shot.png",
        ])
        defer { try? FileManager.default.removeItem(atPath: folder + "/../live-reload-shot.png") }
        var stopped = false
        defer { if !stopped { _ = desk.stop() } }
        let ready = desk.wait(for: "paint: ready")
        #expect(ready != nil, "paint never said it was ready")
        guard ready != nil else { return }

        // Changed: the new file is described and swapped in.
        var mark = desk.count
        try Self.install(grayscale, as: "live.wasm", in: folder)
        let reloaded = desk.wait(for: "paint: reloaded live in ", after: mark)
        #expect(reloaded != nil, "no reload after live.wasm was replaced")

        // Added, then removed.
        mark = desk.count
        try Self.install(invert, as: "extra.wasm", in: folder)
        #expect(desk.wait(for: "paint: loaded extra in ", after: mark) != nil, "extra.wasm was not loaded")
        mark = desk.count
        try FileManager.default.removeItem(atPath: folder + "/extra.wasm")
        #expect(desk.wait(for: "paint: removed extra", after: mark) != nil, "extra.wasm's removal went unseen")

        // A broken new version: the watcher says it does not load, paint
        // keeps the one it has.
        mark = desk.count
        try Self.install(Data("not a module".utf8), as: "live.wasm", in: folder)
        let refused = desk.wait(for: "plugin live.wasm in ", after: mark)
        #expect(refused?.line.contains("does not load") == true, "\(refused?.line ?? "nothing logged")")
        let kept = desk.wait(for: "the new version failed", after: mark)
        #expect(kept?.line.contains("the previous one is back") == true, "\(kept?.line ?? "nothing logged")")

        stopped = true
        let status = desk.stop()
        #expect(status == 0 || status == SIGTERM, "wskdesk ended with \(status)")
    }
}
