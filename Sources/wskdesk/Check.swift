import ArgumentParser
import Foundation
import Interp
import Kernel
import Logging

/// `wskdesk check FILE.wasm…`: is this a valid actor? Its language (docs/ABI.md
/// "The accepted language"), its imports against the ABI, its exports, and
/// whether it instantiates; what is wrong and why.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check Wasm modules against the actor ABI (language, imports, exports, validation).",
        discussion: "Exit status 0 when every module is a valid actor, 1 otherwise."
    )

    @Argument(help: "The .wasm files to check.")
    var files: [String]

    mutating func run() throws {
        var logger = Logger(label: "wskdesk.check")
        logger.logLevel = .error  // what is checked is printed below; the runtime's notes are not
        let kernel = Kernel(logger: logger)
        let host = WasmActorHost(kernel: kernel, tier: .interpreter, logSink: { _, _ in })
        var failures = 0
        for file in files {
            do {
                let module = try host.load(path: file)
                _ = try host.prepare(module)  // instantiates: every function body validated
                let extensions = module.importedCalls.filter { ABI.hostCall(named: $0)?.isSeedCore == false }
                let core = module.importedCalls.count - extensions.count
                let wasi = module.importedWASI.isEmpty ? "" : ", \(module.importedWASI.count) WASI preview 1 functions"
                print("\(file): ok — \(module.importedCalls.count) host calls (\(core) of the seed's core\(extensions.isEmpty ? "" : ", extensions: " + extensions.joined(separator: ", ")))\(wasi)")
            } catch {
                failures += 1
                print("\(file): \(problemText(error))")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func problemText(_ error: Error) -> String {
        guard let load = error as? ModuleLoadError else { return "\(error)" }
        return load.problems.count == 1 ? load.problems[0] : "\n" + load.problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
