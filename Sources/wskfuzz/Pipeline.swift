import Interp

/// The compiled tier as the harness drives it: the translation (the rewrite
/// and wasm2c) and the whole build. The one place that names the tier's API;
/// the harness around it only looks at what it leaves in the directory.
/// Each step throws a `Refusal` when the tier says no to the module: a fine
/// outcome for the fuzzer.
struct Pipeline: Sendable {
    let stages: CompileStages
    /// false only to prove that the oracle can fail (`WSKFUZZ_WITHOUT_REWRITE=1`).
    let rewrite: Bool

    /// `module.c` and `module.h` for `module`, in `directory`: the rewrite,
    /// wasm2c and the check of its C (`ModuleBuild.translate`), or wasm2c
    /// alone when `rewrite` is false. The C may be there even when the
    /// check refuses the module: the harness looks at it anyway.
    func translate(_ module: CheckedModule, into directory: String) throws {
        do {
            try stages.translate(module, into: directory, rewrite: rewrite)
        } catch {
            throw Refusal(error.description)
        }
    }

    /// The whole build of `module` in `directory`: the object's path.
    func build(_ module: CheckedModule, into directory: String) throws -> String {
        do {
            return try stages.build(module, into: directory)
        } catch {
            throw Refusal(error.description)
        }
    }
}

/// The pipeline said no to a module (the rewrite, wasm2c or the compiler
/// refused it).
struct Refusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
