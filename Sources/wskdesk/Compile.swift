import ArgumentParser
import Interp
import Kernel
import Logging

/// `wskdesk compile FILE.wasm…`: builds the compiled tier's objects ahead of
/// time (kiosk images), so that the first spawn of each module runs compiled.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile Wasm actors ahead of time into the per-user cache (wasm2c and the C compiler).",
        discussion: """
            Objects go to $XDG_CACHE_HOME/wskdesk/compiled (else ~/.cache/wskdesk/compiled), keyed by \
            each module's SHA-256 and the tools' versions. Exit status 0 when every module is compiled.
            """
    )

    @Argument(help: "The .wasm files to compile.")
    var files: [String]

    mutating func run() throws {
        var logger = Logger(label: "wskdesk.compile")
        logger.logLevel = .error  // every failure is printed below
        let kernel = Kernel()
        let host = WasmActorHost(
            kernel: kernel, tier: .interpreter, compiler: ModuleCompiler.forUser(logger: logger), logSink: { _, _ in })
        var failures = 0
        for file in files {
            let started = ContinuousClock.now
            do {
                let (path, built) = try host.compileAheadOfTime(host.load(path: file))
                let milliseconds = (ContinuousClock.now - started) / .milliseconds(1)
                print(built ? "\(file): compiled in \(Int(milliseconds)) ms: \(path)" : "\(file): already compiled: \(path)")
            } catch {
                failures += 1
                print(error is ModuleLoadError ? "\(error)" : "\(file): \(error)")  // a load error names the file
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
