import Foundation
import Testing

/// `--file-root DIR` names the folders the file chooser may show; a path
/// that is no folder is said at once, in plain words, before anything starts.
@Suite struct FileRootOptionTests {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runHeadless(arguments)
    }

    @Test func aMissingFolderOrAFileIsRefusedWithTheReason() throws {
        let missing = NSTemporaryDirectory() + "wskdesk-no-such-folder-\(getpid())"
        var result = try run(["--file-root", missing])
        #expect(result.status == 1)
        #expect(result.output.contains("--file-root \(missing): no such folder: check the path"), "\(result.output)")
        let file = NSTemporaryDirectory() + "wskdesk-file-root-\(getpid()).txt"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        result = try run(["--file-root", NSTemporaryDirectory(), "--file-root", file])
        #expect(result.status == 1)
        #expect(result.output.contains("--file-root \(file): this is a file, not a folder"), "\(result.output)")
    }
}
