/// The compiled tier's pipeline one step at a time, for the fuzzer
/// (Sources/wskfuzz), which checks what each step leaves in its directory:
/// the translation (`ModuleBuild.translate`: the rewrite, wasm2c's
/// `module.c` and `module.h`, their check), the whole build (`module.so`)
/// and the load, as `ModuleCompiler` does them, within `limits`.
package struct CompileStages: Sendable {
    let toolchain: Toolchain
    package let limits: CompileLimits

    /// The stages with the tools on `$PATH`; the error says what is missing.
    package static func find(limits: CompileLimits = .standard) -> Result<CompileStages, CompileError> {
        Toolchain.find().map { CompileStages(toolchain: $0, limits: limits) }
    }

    /// The translation of `module` into `directory`. `rewrite: false` skips
    /// the rewrite and the check of the C (wasm2c on the module as it is):
    /// only for the fuzzer to prove that its oracle catches module text.
    package func translate(_ module: CheckedModule, into directory: String, rewrite: Bool) throws(CompileError) {
        if rewrite {
            _ = try ModuleBuild.translate(module, toolchain: toolchain, limits: limits, into: directory)
            return
        }
        try ModuleBuild.wasm2c(module.bytes, toolchain: toolchain, limits: limits, into: directory)
    }

    /// The whole build (`ModuleBuild`, the rewrite included), in `directory`:
    /// the object's path.
    package func build(_ module: CheckedModule, into directory: String) throws(CompileError) -> String {
        var build = ModuleBuild(toolchain: toolchain, module: module, directory: directory)
        build.limits = limits
        try build.run()
        return build.objectPath
    }

    /// Loads the object at `path` as the compiled tier does (dlopen, then the
    /// runtime's handshake). It stays loaded until the process ends.
    package static func load(_ path: String) throws(CompileError) {
        _ = try CompiledModule(path: path)
    }
}
