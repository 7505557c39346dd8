/// The compiled tier's pipeline one step at a time, for the fuzzer
/// (Sources/wskfuzz), which checks what each step leaves in its directory:
/// the translation (wasm2c's `module.c` and `module.h`), the whole build
/// (`module.so`), and the load, as `ModuleCompiler` does them.
package struct CompileStages: Sendable {
    let toolchain: Toolchain

    /// The stages with the tools on `$PATH`; the error says what is missing.
    package static func find() -> Result<CompileStages, CompileError> {
        Toolchain.find().map { CompileStages(toolchain: $0) }
    }

    /// The translation, as `ModuleBuild` runs it: `module.c` and `module.h`
    /// for `module` in `directory`. `rewrite: false` would skip the rewrite,
    /// only to prove that the fuzzer's oracle can fail; this branch has no
    /// rewrite yet, so the module goes to wasm2c as it is either way.
    package func translate(_ module: CheckedModule, into directory: String, rewrite: Bool) throws(CompileError) {
        try writeFile(directory + "/module.wasm", module.bytes)
        let translated = Subprocess.run(toolchain.wasm2c, [
            "--no-debug-names", "-n", "wsk", directory + "/module.wasm", "-o", directory + "/module.c",
        ])
        guard translated.succeeded else {
            throw CompileError("wasm2c refused \(module.source): \(translated.output)")
        }
    }

    /// The whole build (`ModuleBuild`), in `directory`: the object's path.
    package func build(_ module: CheckedModule, into directory: String) throws(CompileError) -> String {
        let build = ModuleBuild(toolchain: toolchain, module: module, directory: directory)
        try build.run()
        return build.objectPath
    }

    /// Loads the object at `path` as the compiled tier does (dlopen, then the
    /// runtime's handshake). It stays loaded until the process ends.
    package static func load(_ path: String) throws(CompileError) {
        _ = try CompiledModule(path: path)
    }
}
