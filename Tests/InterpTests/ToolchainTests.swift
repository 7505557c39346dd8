import Foundation
import Testing

@testable import Interp

/// Which tools built an object (`Toolchain.versions`, recorded beside it)
/// must be the same in every process that finds the same tools: the
/// package's install step compiles the system cache as root under dpkg,
/// where Debian's gcc package has not yet made /usr/bin/cc (its own install
/// step does), and users' desktops then find cc, not gcc. Other tools must
/// still differ, or an object built by another compiler would be loaded.
@Suite struct ToolchainTests {
    /// A folder with the installed wasm2c and links named `names` to one
    /// stand-in compiler, which, as gcc does, starts its version with the
    /// name it was called by, and says it in the C locale only when LC_ALL
    /// is C (as gcc with translations installed).
    static func folder(compiler names: [String], version: String = "1.0") throws -> (folder: String, compiler: String) {
        let folder = testCacheRoot + "/toolchain-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/wasm2c", withDestinationPath: try #require(which("wasm2c")))
        let compiler = folder + "/test-cc-\(version)"
        try """
            #!/bin/sh
            if [ "$LC_ALL" = C ]; then free="free software"; else free="freie Software"; fi
            printf '%s (Test) \(version)\\nThis is %s\\n' "${0##*/}" "$free"

            """.write(toFile: compiler, atomically: true, encoding: .utf8)
        chmod(compiler, 0o755)
        for name in names { try FileManager.default.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: compiler) }
        return (folder, compiler)
    }

    static func versions(searchPath: String) throws -> String {
        try Toolchain.find(searchPath: searchPath).get().versions
    }

    /// The compiler found as cc, then (cc gone, as before gcc's install step)
    /// as gcc: one toolchain, naming the compiler's own file and its version
    /// in the C locale. Builds still run it by the name found.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CC"] == nil, "$CC names the compiler"))
    func oneCompilerFoundUnderTwoNamesIsOneToolchain() throws {
        let tools = try Self.folder(compiler: ["cc", "gcc"])
        let asCC = try Toolchain.find(searchPath: tools.folder).get()
        #expect(asCC.compiler == tools.folder + "/cc")
        try FileManager.default.removeItem(atPath: tools.folder + "/cc")
        let asGCC = try Toolchain.find(searchPath: tools.folder).get()
        #expect(asGCC.compiler == tools.folder + "/gcc")
        #expect(asCC.versionsHash == asGCC.versionsHash)
        #expect(try Toolchain.identity(of: asGCC.compiler) == "\(Toolchain.resolved(tools.compiler)) (Test) 1.0\nThis is free software\n")
    }

    /// Another compiler's file, or another version in the same file, is another toolchain.
    @Test func anotherCompilerIsAnotherToolchain() throws {
        let one = try Self.folder(compiler: ["cc"])
        let other = try Self.folder(compiler: ["cc"])
        let before = try Toolchain.identity(of: one.folder + "/cc")
        #expect(try before != Toolchain.identity(of: other.folder + "/cc"))
        let upgraded = try String(contentsOfFile: one.compiler, encoding: .utf8).replacingOccurrences(of: "1.0", with: "1.1")
        try upgraded.write(toFile: one.compiler, atomically: false, encoding: .utf8)
        #expect(try before != Toolchain.identity(of: one.folder + "/cc"))
    }

    /// Whether cc and gcc on PATH are one file (Debian's alternatives, by default).
    static let ccIsGCC: Bool = {
        guard let cc = which("cc"), let gcc = which("gcc") else { return false }
        return Toolchain.resolved(cc) == Toolchain.resolved(gcc)
    }()

    /// The installed compiler: cc and gcc are one toolchain, though gcc
    /// starts its version with the name it was called by.
    @Test(.enabled(if: ccIsGCC, "cc and gcc are not one file here"))
    func theInstalledCCAndGCCAreOneToolchain() throws {
        let cc = try #require(which("cc")), gcc = try #require(which("gcc"))
        #expect(try Toolchain.identity(of: cc) == Toolchain.identity(of: gcc))
    }
}
