import Kernel

#if canImport(Glibc)
    import Glibc
#endif

/// One compile of one module, in a directory of its own: the rewrite and
/// wasm2c (`translate`), the instrumentation, the hoisted bounds checks
/// (`HoistedChecks`), the runtime's C and the
/// host-call trampolines, then the C compiler. Leaves `module.so` in the
/// directory. Each tool runs bounded by `limits` (Subprocess).
struct ModuleBuild {
    let toolchain: Toolchain
    let module: CheckedModule
    let directory: String
    var limits: CompileLimits = .standard
    /// An actor, or (the spec test runner only) a spec module with its exports.
    var purpose: ModuleRewrite.Purpose = .actor

    var objectPath: String { directory + "/module.so" }

    func run() throws(CompileError) {
        let sanitized = try Self.translate(module, toolchain: toolchain, limits: limits, into: directory, for: purpose)
        let header = try Instrumentation.header(readText(directory + "/module.h"))
        try writeFile(directory + "/module.h", Array(header.text.utf8))
        let instrumented = try Instrumentation.source(
            readText(directory + "/module.c"), functions: sanitized.functionCount,
            firstIndex: sanitized.functionTypes.count - sanitized.functionCount)
        try writeFile(directory + "/module.c", Array(HoistedChecks.source(instrumented).utf8))
        for file in RuntimeSources.files {
            try writeFile(directory + "/" + file.name, Array((file.text + "\n").utf8))
        }
        // The module's own entry points: an actor's `_start` and host calls,
        // or a spec module's exports and `spectest`.
        let entries: String
        switch purpose {
        case .actor:
            try writeFile(directory + "/imports.c", Array(trampolines().utf8))
            entries = "#include \"wsk-actor.c\"\n#include \"imports.c\"\n"
        case .specTest:
            try writeFile(directory + "/spec.c", Array(SpecGlue(module: module, sanitized: sanitized).source().utf8))
            entries = "#include \"spec.c\"\n"
        }
        try writeFile(directory + "/unit.c", Array("""
            #include "wsk-module.h"
            #include "module.c"
            #include "wsk-module.c"
            \(entries)
            """.utf8))
        let compiled = Subprocess.run(
            toolchain.compiler,
            toolchain.flags + [
                "-DWSK_IMPORTS_ENV=\(header.importsEnv ? 1 : 0)", "-I", directory,
                "-o", objectPath, directory + "/unit.c", "-lm",
            ], limits: limits)
        if let problem = compiled.problem {
            throw CompileError("\(toolchain.compiler) \(problem)")
        }
    }

    /// The first step of a build, callable alone (tests, the fuzzer): checks
    /// the module's size, rewrites it (`ModuleRewrite.sanitize`) into
    /// `directory/module.wasm`, runs wasm2c on it to `module.c` and
    /// `module.h`, and checks both for module text
    /// (`ModuleRewrite.checkGenerated`). `directory` exists and is the caller's.
    static func translate(
        _ module: CheckedModule, toolchain: Toolchain, limits: CompileLimits = .standard, into directory: String,
        for purpose: ModuleRewrite.Purpose = .actor
    ) throws(CompileError) -> SanitizedModule {
        guard module.bytes.count <= limits.moduleBytes else {
            throw CompileError("it is \(module.bytes.count) bytes, more than the \(Subprocess.bytesText(UInt64(limits.moduleBytes))) the compiled tier takes")
        }
        let sanitized = try ModuleRewrite.sanitize(module.bytes, for: purpose)
        guard sanitized.functionCount <= limits.functions else {
            throw CompileError("it has \(sanitized.functionCount) functions, more than the \(limits.functions) the compiled tier takes")
        }
        try wasm2c(sanitized.bytes, toolchain: toolchain, limits: limits, into: directory)
        for file in ["module.c", "module.h"] {
            let text: [UInt8]
            do {
                text = try readFile(directory + "/" + file)
            } catch {
                throw CompileError("wasm2c's \(file): \(error.description)")
            }
            try ModuleRewrite.checkGenerated(text, file: file, against: sanitized, for: purpose)
        }
        return sanitized
    }

    /// wasm2c, bounded, on `bytes` (written to `module.wasm`): `module.c` and
    /// `module.h` in `directory`.
    static func wasm2c(_ bytes: [UInt8], toolchain: Toolchain, limits: CompileLimits, into directory: String)
        throws(CompileError)
    {
        try writeFile(directory + "/module.wasm", bytes)
        let translated = Subprocess.run(toolchain.wasm2c, [
            "--no-debug-names", "-n", "wsk", directory + "/module.wasm", "-o", directory + "/module.c",
        ], limits: limits)
        if let problem = translated.problem {
            throw CompileError("\(toolchain.wasm2c) \(problem)")
        }
    }

    /// One C function per imported host call and WASI function, as wasm2c
    /// declares the import (a WASI function renamed into "env" by
    /// `ModuleRewrite`): packs the arguments and calls the host with the
    /// import's number in `HostBinding`. Each once, however often imported.
    func trampolines() -> String {
        func cType(_ type: ABIValueType) -> String { type == .i32 ? "u32" : "u64" }
        func unique(_ names: [String]) -> [String] {
            var seen: Set<String> = []
            return names.filter { seen.insert($0).inserted }
        }
        let env = unique(module.importedCalls).map { (ABI.importModule, $0, $0, HostBinding.number(of: $0)!) }
        let wasi = unique(module.importedWASI).map {
            (WASI.importModule, $0, ModuleRewrite.wasiImportName($0), HostBinding.number(ofWASI: $0)!)
        }
        return (env + wasi).map { (importModule, name, cName, number) in
            let signature = HostBinding.signature(number)
            let parameters = signature.parameters.enumerated().map { ", \(cType($1)) a\($0)" }.joined()
            let args = signature.parameters.indices.map { "a\($0)" }.joined(separator: ", ")
            let result = signature.results.first.map(cType)
            return """
                /* \(importModule).\(name) \(signature.text) */
                \(result ?? "void") Z_envZ_\(cName)(struct Z_env_instance_t* env\(parameters)) {
                  const uint64_t args[] = {\(args.isEmpty ? "0" : args)};
                  \(result.map { "return (\($0))" } ?? "")wsk_host_call(env, \(number), args);
                }

                """
        }.joined(separator: "\n")
    }
}

// MARK: Files, without Foundation

func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws(CompileError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
    guard fd >= 0 else { throw CompileError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { throw CompileError("cannot write \(path): \(String(cString: strerror(errno)))") }
        written += n
    }
}

func readText(_ path: String) throws(CompileError) -> String {
    do {
        return String(decoding: try readFile(path), as: UTF8.self)
    } catch {
        throw CompileError("\(path): \(error.description)")
    }
}
