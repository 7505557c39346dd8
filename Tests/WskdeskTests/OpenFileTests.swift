import Foundation
import TestSupport
import Testing

/// `--open FILE` refused with words a user can act on, before any app runs
/// with it: a missing file, a folder, a FIFO, an app that takes no file.
@Suite struct OpenFileTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runHeadless(["--size", "320x240", "--screenshot-delay", "0",
                         "--screenshot", NSTemporaryDirectory() + "wskdesk-open-shot-\(getpid()).png"] + arguments)
    }

    @Test func aFileThatCannotBeOpenedIsSaidSoAndNothingRuns() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-open-errors-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/pipe", 0o644) == 0)
        try Data([1]).write(to: URL(fileURLWithPath: dir + "/photo.png"))
        let cases: [([String], String)] = [
            (["--app", "paint", "--open", dir + "/missing.png"], "no file \"\(dir)/missing.png\": check the name and the folder"),
            (["--app", "paint", "--open", dir], "\"\(dir)\" is a folder: name a file to open"),
            (["--app", "paint", "--open", dir + "/pipe"], "is not a regular file (a device, FIFO or socket)"),
            (["--app", "hello", "--open", dir + "/photo.png"], "none of the apps takes a file"),
        ]
        for (arguments, message) in cases {
            let (status, output) = try Self.run(arguments + ["--actors", Repository.builtActor("")])
            #expect(status != 0, "\(arguments)")
            #expect(output.contains(message), "\(arguments): \(output)")
        }
    }
}

/// Runs the built wskdesk on the headless backend with `arguments`; its exit
/// status and everything it printed.
func runHeadless(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try runWskdesk(["--backend", "headless"] + arguments)
}

/// Runs the built wskdesk with `arguments` (in `folder`, with `environment`
/// added to this process's); its status and output (both streams).
func runWskdesk(_ arguments: [String], in folder: String? = nil, environment: [String: String] = [:]) throws
    -> (status: Int32, output: String)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: wskdeskBinary)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
