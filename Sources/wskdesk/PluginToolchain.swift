import Foundation

/// What `new-plugin` and `build-plugin` need from the machine: the SDK's
/// sources, a Rust toolchain with the wasm32 target, the user's plugin folder.
enum PluginAuthoring {
    static let target = "wasm32-unknown-unknown"

    /// The SDK a new plugin depends on by path, or why there is none:
    /// `$WSKDESK_SDK`, else `PREFIX/share/wskdesk/sdk` beside an installed
    /// `PREFIX/bin/wskdesk` (scripts/install ships its sources there), else
    /// `actors/sdk` of the source tree the binary was built in.
    static func sdkFolder(executable: String = ActorFolder.executablePath()) -> Result<String, PluginToolError> {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let given = environment["WSKDESK_SDK"], !given.isEmpty { candidates.append(given) }
        for actors in ActorFolder.candidates(executable: executable) {
            // share/wskdesk/actors -> share/wskdesk/sdk; TREE/build/actors -> TREE/actors/sdk.
            let above = URL(fileURLWithPath: actors).deletingLastPathComponent()
            candidates.append(above.lastPathComponent == "build"
                ? above.deletingLastPathComponent().appendingPathComponent("actors/sdk").path
                : above.appendingPathComponent("sdk").path)
        }
        for folder in candidates where FileManager.default.fileExists(atPath: folder + "/Cargo.toml") {
            return .success(URL(fileURLWithPath: folder).standardizedFileURL.path)
        }
        return .failure(PluginToolError(
            "cannot find the wsk SDK's sources (looked in \(candidates.joined(separator: ", "))); "
                + "set WSKDESK_SDK to the folder holding the SDK's Cargo.toml"))
    }

    /// The user's plugin folder: `$XDG_DATA_HOME/wskdesk/plugins`, else
    /// `~/.local/share/wskdesk/plugins` (docs/plugins.md, "Plugin folders").
    static var userPluginFolder: String {
        let environment = ProcessInfo.processInfo.environment
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/wskdesk/plugins" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/wskdesk/plugins"
    }

    /// `name` as an executable on `$PATH`, or nil.
    static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `command` and returns its standard output, or nil if it could not
    /// run or failed.
    static func output(of command: [String], environment: [String: String] = [:]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Something an author must fix or install; said as it is, exit status 1.
struct PluginToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A Rust toolchain that can build for wasm32-unknown-unknown, found as
/// scripts/build-actors finds one: the `cargo` and `rustc` on `$PATH`
/// (rustup's, usually) when that rustc has the target, else Debian's
/// `/usr/bin/cargo` and `/usr/bin/rustc` with libstd-rust-dev-wasm32 and its
/// linker, rust-lld.
struct RustToolchain {
    /// The cargo to run.
    let cargo: String
    /// Set for cargo: which rustc it runs.
    let environment: [String: String]
    /// Whose it is, for the author: "rustup's", "Debian's packaged".
    let origin: String
    /// `cargo --version`.
    let version: String
    /// Why a toolchain found first was passed over, if one was.
    var passedOver: String? = nil

    static func find() -> Result<RustToolchain, PluginToolError> {
        let target = PluginAuthoring.target
        let rustup = PluginAuthoring.onPath("rustup")
        if let cargo = PluginAuthoring.onPath("cargo"), let rustc = PluginAuthoring.onPath("rustc"), hasTarget(rustc) {
            let resolved = URL(fileURLWithPath: rustc).resolvingSymlinksInPath().path
            let origin = resolved.hasPrefix("/usr/bin/") ? "Debian's packaged" : rustup != nil ? "rustup's" : "the PATH's"
            // A Debian rustc reached through $PATH still links with rust-lld.
            if resolved.hasPrefix("/usr/bin/"), let missing = missingDebianLinker() { return .failure(missing) }
            return .success(RustToolchain(cargo: cargo, environment: [:], origin: origin,
                                          version: PluginAuthoring.output(of: [cargo, "--version"]) ?? "cargo"))
        }
        let debian = (cargo: "/usr/bin/cargo", rustc: "/usr/bin/rustc")
        if FileManager.default.isExecutableFile(atPath: debian.cargo), hasTarget(debian.rustc) {
            if let missing = missingDebianLinker() { return .failure(missing) }
            let environment = ["RUSTC": debian.rustc, "RUSTDOC": "/usr/bin/rustdoc"]
            let other = PluginAuthoring.onPath("rustc").map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
            let passedOver = other.flatMap { $0 == debian.rustc ? nil : rustup != nil
                ? "rustup's toolchain has no \(target) target (rustup target add \(target) to use it)"
                : "\($0) has no \(target) target" }
            return .success(RustToolchain(cargo: debian.cargo, environment: environment, origin: "Debian's packaged",
                                          version: PluginAuthoring.output(of: [debian.cargo, "--version"], environment: environment) ?? "cargo",
                                          passedOver: passedOver))
        }
        var ways = [
            "  rustup target add \(target)" + (rustup == nil ? "   (with rustup, from https://rustup.rs)" : "   (rustup's toolchain, which you have)"),
            "  sudo apt-get install rustc cargo libstd-rust-dev-wasm32 lld   (Debian/Ubuntu's packaged Rust 1.63)",
        ]
        if rustup == nil { ways.reverse() }
        return .failure(PluginToolError(
            "no Rust toolchain here can build for \(target). Install one of:\n" + ways.joined(separator: "\n")))
    }

    /// Whether `rustc` has the standard library for `target`.
    static func hasTarget(_ rustc: String, _ target: String = PluginAuthoring.target) -> Bool {
        guard let sysroot = PluginAuthoring.output(of: [rustc, "--print", "sysroot"]),
            let libraries = try? FileManager.default.contentsOfDirectory(atPath: "\(sysroot)/lib/rustlib/\(target)/lib")
        else { return false }
        return libraries.contains { $0.hasPrefix("libcore-") && $0.hasSuffix(".rlib") }
    }

    /// Debian's wasm32 standard library links with `rust-lld`, a link to an
    /// lld-N the package only recommends: the install that is missing, if it is.
    static func missingDebianLinker() -> PluginToolError? {
        let linker = "/usr/bin/rust-lld"
        guard !FileManager.default.isExecutableFile(atPath: linker) else { return nil }
        let lld = (try? FileManager.default.destinationOfSymbolicLink(atPath: linker)).map { URL(fileURLWithPath: $0).lastPathComponent }
        return PluginToolError(
            "Debian's Rust has the \(PluginAuthoring.target) target but not its linker, rust-lld: "
                + "sudo apt-get install \(lld ?? "lld")   (or use rustup: rustup target add \(PluginAuthoring.target))")
    }

    /// Runs cargo with `arguments` in `folder`, its output going straight to
    /// ours; its exit status.
    func run(_ arguments: [String], in folder: String) throws -> Int32 {
        fflush(nil)  // every stream flushed: what we said comes before what cargo says
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cargo)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
