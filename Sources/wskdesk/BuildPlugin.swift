import ArgumentParser
import Foundation
import Interp
import Kernel
import Logging

/// `wskdesk build-plugin [DIR]`: builds a plugin crate for wasm32 in release
/// with whichever Rust toolchain has the target, says which, and with
/// `--install` puts the plugin into the user's plugin folder.
struct BuildPlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-plugin",
        abstract: "Build a plugin crate for wasm32 (release) and, with --install, install it for yourself.",
        discussion: """
            Uses the cargo and rustc on $PATH when that rustc has the wasm32-unknown-unknown target (rustup's, \
            usually), else Debian's /usr/bin/cargo and /usr/bin/rustc with libstd-rust-dev-wasm32 and lld; \
            says which it used, or what to install when neither can. Cargo's messages and errors are shown as they are.

            Installing is not the default, so that a build can be tried first (wskdesk try). With --install the \
            plugin is checked as a spawn would check it, then copied into $XDG_DATA_HOME/wskdesk/plugins \
            (default ~/.local/share/wskdesk/plugins) in one step (a temporary file renamed), so a running desktop \
            sees one change and never half a file.
            """
    )

    @Argument(help: "The plugin crate's folder.")
    var folder: String = "."

    @Flag(help: "Also install the plugin into your plugin folder, $XDG_DATA_HOME/wskdesk/plugins.")
    var install = false

    @Flag(help: "Pass --offline to cargo: never use the network (a plugin on the SDK alone never needs it).")
    var offline = false

    mutating func run() throws {
        do {
            let wasm = try build()
            if install {
                let installed = try Self.install(wasm, into: PluginAuthoring.userPluginFolder)
                print("wskdesk build-plugin: installed \(installed)")
            } else {
                print("try it:     wskdesk try \(wasm) IN.png OUT.png")
                print("install it: wskdesk build-plugin --install \(folder)")
            }
        } catch let error as PluginToolError {
            print("wskdesk build-plugin: \(error)")
            throw ExitCode(1)
        }
    }

    /// Builds the crate; the .wasm's path.
    private func build() throws -> String {
        guard FileManager.default.fileExists(atPath: folder + "/Cargo.toml") else {
            throw PluginToolError("no Cargo.toml in \(folder): give a plugin crate's folder (wskdesk new-plugin makes one)")
        }
        let toolchain = try RustToolchain.find().get()
        print("wskdesk build-plugin: building with \(toolchain.origin) Rust (\(toolchain.version), \(toolchain.cargo)) for \(PluginAuthoring.target)")
        if let passedOver = toolchain.passedOver { print("wskdesk build-plugin: not the PATH's: \(passedOver)") }
        let status = try toolchain.run(
            ["build", "--release", "--target", PluginAuthoring.target] + (offline ? ["--offline"] : []), in: folder)
        guard status == 0 else { throw PluginToolError("cargo failed (exit status \(status)); its messages are above") }
        let wasm = try Self.builtModule(folder: folder, toolchain: toolchain)
        let size = (try? FileManager.default.attributesOfItem(atPath: wasm)[.size] as? Int) ?? 0
        print("wskdesk build-plugin: built \(wasm) (\(max(1, size / 1024)) KiB)")
        return wasm
    }

    /// The .wasm cargo built for the crate in `folder`: its lib target's name
    /// (`-` spelled `_`) under the target folder cargo reports (a workspace's,
    /// or `$CARGO_TARGET_DIR`, may be elsewhere than `folder/target`).
    static func builtModule(folder: String, toolchain: RustToolchain) throws -> String {
        let manifest = URL(fileURLWithPath: folder + "/Cargo.toml").standardizedFileURL.resolvingSymlinksInPath().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: toolchain.cargo)
        process.arguments = ["metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path", manifest]
        process.environment = ProcessInfo.processInfo.environment.merging(toolchain.environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let metadata = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let targetFolder = metadata["target_directory"] as? String,
            let packages = metadata["packages"] as? [[String: Any]]
        else { throw PluginToolError("cargo metadata did not say where \(folder)'s crate is built") }
        let package = packages.first {
            ($0["manifest_path"] as? String).map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path } == manifest
        }
        let targets = package?["targets"] as? [[String: Any]] ?? []
        guard let library = targets.first(where: { ($0["crate_types"] as? [String])?.contains("cdylib") == true }),
            let name = library["name"] as? String
        else {
            throw PluginToolError("the crate in \(folder) builds no .wasm: its Cargo.toml needs crate-type = [\"cdylib\"] under [lib]")
        }
        let wasm = "\(targetFolder)/\(PluginAuthoring.target)/release/\(NewPlugin.moduleName(name)).wasm"
        guard FileManager.default.fileExists(atPath: wasm) else { throw PluginToolError("cargo succeeded but left no \(wasm)") }
        return wasm
    }

    /// Checks `wasm` as a spawn would, then copies it into `folder` under
    /// its own name in one step: written to a hidden temporary file in the
    /// same folder (a name no watcher takes for a plugin), then renamed over
    /// the old version.
    static func install(_ wasm: String, into folder: String) throws -> String {
        var logger = Logger(label: "wskdesk.build-plugin")
        logger.logLevel = .error
        let host = WasmActorHost(kernel: Kernel(logger: logger), tier: .interpreter, logSink: { _, _ in })
        do {
            _ = try host.prepare(try host.load(path: wasm))
        } catch {
            throw PluginToolError("not installing \(wasm): it does not load: \(error)")
        }
        let name = URL(fileURLWithPath: wasm).lastPathComponent
        let destination = folder + "/" + name
        let temporary = folder + "/.\(name).\(getpid()).part"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(contentsOf: URL(fileURLWithPath: wasm)).write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw PluginToolError("cannot write into \(folder): \(error.localizedDescription)")
        }
        guard rename(temporary, destination) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw PluginToolError("cannot install \(destination): \(why)")
        }
        return destination
    }
}
