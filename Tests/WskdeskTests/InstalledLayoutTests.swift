import Foundation
import TestSupport
import Testing

@testable import wskdesk

/// wskdesk finds its actors from where its executable is, installed or in
/// a source tree, whatever the current directory.
@Suite struct InstalledLayoutTests {
    @Test func anInstalledBinaryLooksInItsPrefixsShareFolder() {
        let candidates = ActorFolder.candidates(executable: "/usr/local/bin/wskdesk") { _ in false }
        #expect(candidates == ["/usr/local/share/wskdesk/actors"])
        #expect(ActorFolder.candidates(executable: "/usr/bin/wskdesk") { _ in false } == ["/usr/share/wskdesk/actors"])
    }

    @Test func aBinaryInABuildFolderLooksInItsSourceTree() {
        let tree = "/home/u/src/wskdesk"
        let candidates = ActorFolder.candidates(executable: tree + "/.build/x86_64-unknown-linux-gnu/release/wskdesk") {
            $0 == tree + "/Package.swift"
        }
        #expect(candidates == [tree + "/build/actors"])
        // A tree whose build folder is named bin still finds its own actors after the prefix guess.
        let odd = ActorFolder.candidates(executable: tree + "/bin/wskdesk") { $0 == tree + "/Package.swift" }
        #expect(odd == [tree + "/share/wskdesk/actors", tree + "/build/actors"])
    }

    /// The built binary, run from an unrelated folder with no --actors,
    /// finds build/actors of this tree and boots the desktop headless.
    @Test func theBuiltBinaryFindsItsActorsFromAnyFolder() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-layout-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wskdeskBinary)
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.arguments = ["run", "--backend", "headless", "--size", "320x240", "--app", "hello", "--screenshot", dir + "/shot.png", "--screenshot-delay", "0.2"]
        var environment = ProcessInfo.processInfo.environment
        environment["WSKDESK_ACTORS"] = nil
        process.environment = environment
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output.suffix(800))")
        #expect(FileManager.default.fileExists(atPath: dir + "/shot.png"))
    }

    @Test func helpShowsDefaultsAsAUserWritesThem() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wskdeskBinary)
        process.arguments = ["run", "--help"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let wrapped = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let text = wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")  // help wraps its lines
        #expect(text.contains("(default: 1280x800)"), "\(text)")
        #expect(!text.contains("OutputSize("))
    }
}
