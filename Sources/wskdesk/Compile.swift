import ArgumentParser
import Dispatch
import Foundation
import Interp
import Kernel
import Logging
import Synchronization

/// `wskdesk compile FILE.wasm|FOLDER…`: builds the compiled tier's objects
/// ahead of time, so that the first spawn of each module runs compiled —
/// into the user's cache, or with `--system` (root: the package's install
/// step) into the system cache every user reads.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile Wasm actors ahead of time (wasm2c and the C compiler), so they start compiled.",
        discussion: """
            Objects go to the user's cache, $XDG_CACHE_HOME/wskdesk/compiled (else ~/.cache/wskdesk/compiled), \
            keyed by each module's SHA-256 and the object format; a record beside each names the tools that built it. \
            A FOLDER stands for every .wasm file in it and its subfolders.

            With --system (as root) they go to the system cache, \(ModuleCompiler.systemDirectory), \
            which every user's wskdesk reads after its own cache and never writes. The package's install step \
            compiles the shipped actors there when wabt and gcc are installed, and again when they are upgraded; \
            by hand: sudo wskdesk compile --system /usr/share/wskdesk/actors. \
            Plugin folders of your own work the same way: wskdesk compile FOLDER for yourself, \
            or sudo wskdesk compile --system FOLDER for every user (again after each upgrade of wskdesk, \
            whose install step empties the system cache). A system object built by other tools than those \
            installed now is not used: the user's cache builds its own, or the interpreter runs the actor.

            Exit status 0 when every module is compiled.
            """
    )

    @Flag(help: "Compile into the system cache \(ModuleCompiler.systemDirectory) for every user (root only).")
    var system = false

    @Argument(help: "The .wasm files to compile, or folders of them.")
    var files: [String]

    mutating func run() throws {
        var logger = Logger(label: "wskdesk.compile")
        logger.logLevel = .error  // every failure is printed below
        let compiler: ModuleCompiler
        if system {
            do {
                compiler = try ModuleCompiler.forSystem(logger: logger)
            } catch {
                print("wskdesk compile --system: \(error)")
                throw ExitCode(1)
            }
        } else {
            compiler = ModuleCompiler.forUser(logger: logger)
        }
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, tier: .interpreter, compiler: compiler, logSink: { _, _ in })
        // Modules build side by side, one per core (ModuleCompiler's limit):
        // a folder of plugins, or the package's install step, waits less.
        let modules = files.flatMap(Self.modules(in:))
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: modules.count) { n in
            let file = modules[n]
            let started = ContinuousClock.now
            let said: String
            do {
                let (path, built) = try host.compileAheadOfTime(host.load(path: file))
                let milliseconds = (ContinuousClock.now - started) / .milliseconds(1)
                said = built ? "\(file): compiled in \(Int(milliseconds)) ms: \(path)" : "\(file): already compiled: \(path)"
            } catch {
                said = error is ModuleLoadError ? "\(error)" : "\(file): \(error)"  // a load error names the file
                failures.withLock { $0 += 1 }
            }
            failures.withLock { _ in print(said) }  // one whole line at a time
        }
        if failures.withLock({ $0 }) > 0 { throw ExitCode(1) }
    }

    /// `path` itself, or, for a folder, every .wasm file in it and its
    /// subfolders, sorted.
    static func modules(in path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
            let found = FileManager.default.enumerator(atPath: path)
        else { return [path] }
        let base = path.hasSuffix("/") ? path : path + "/"
        return found.compactMap { $0 as? String }.filter { $0.hasSuffix(".wasm") }.sorted().map { base + $0 }
    }
}
