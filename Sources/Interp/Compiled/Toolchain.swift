#if canImport(Glibc)
    import Glibc
#endif

/// The tools that turn a module into a shared object: wabt's `wasm2c` and a
/// C compiler (`$CC`, else `cc`, `gcc` or `clang` on `PATH`), with their
/// versions.
///
/// What an object is made for (`objectFormat`: flags, the runtime's C, the
/// rewrite) is part of its cache key; which tools built it (`versions`) is
/// only recorded beside it. A machine without the tools (a kiosk image, a
/// package installed without wabt and gcc) so loads objects compiled ahead
/// of time elsewhere, and one with other tools builds its own again.
struct Toolchain: Sendable {
    let wasm2c: String
    let compiler: String
    /// Flags for the generated C.
    let flags: [String]
    /// The tools' paths and versions: changes whenever either does.
    let versions: String

    /// What a cached object's record says of the tools that built it.
    var versionsHash: String {
        var hash = SHA256()
        hash.update(versions)
        return hash.finalize()
    }

    /// What every object of a cache key is made of, tools aside: changes
    /// whenever the flags, the runtime's C, the module rewrite or the
    /// rewrite of the generated C (`HoistedChecks`) do.
    static func objectFormat(_ checks: MemoryChecks) -> String {
        [
            "flags \(flags(checks).joined(separator: " "))",
            "runtime \(RuntimeSources.version)",
            "rewrite \(ModuleRewrite.version)",
            "hoisted checks \(HoistedChecks.version)",
        ].joined(separator: "\n")
    }

    /// Only the wsk_* entry points exported; no tail calls, so recursion
    /// always meets the stack check; no FMA contraction, so floating point
    /// rounds exactly as the interpreter does; signaling NaNs honoured, so
    /// `x * 1.0` is not folded to `x` and quiets a NaN as the spec says; no machine-specific code, as a
    /// cache may be shared. Warnings are wasm2c's business. Hardened as a
    /// distribution builds a library: large frames probe each stack page
    /// (no jump over a guard page), no executable stack, relocations
    /// resolved at load and then read-only.
    static func flags(_ checks: MemoryChecks) -> [String] {
        [
            "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-fno-optimize-sibling-calls", "-ffp-contract=off", "-fsignaling-nans",
            "-DNDEBUG", "-w", "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=\(checks == .guardPages ? 1 : 0)",
            "-fstack-clash-protection", "-Wl,-z,noexecstack", "-Wl,-z,relro,-z,now",
        ]
    }

    /// Finds the tools on `searchPath` (default: `$PATH`) and asks their
    /// versions; the error says what is missing and how to install it.
    static func find(searchPath: String? = nil, memoryChecks: MemoryChecks = .guardPages) -> Result<Toolchain, CompileError> {
        guard let wasm2c = Subprocess.find("wasm2c", in: searchPath) else {
            return .failure(CompileError("wasm2c is not on PATH; install wabt (Debian/Ubuntu: apt-get install wabt)"))
        }
        let candidates = getenv("CC").map { [String(cString: $0)] } ?? ["cc", "gcc", "clang"]
        guard let compiler = candidates.lazy.compactMap({ Subprocess.find($0, in: searchPath) }).first else {
            return .failure(CompileError(
                "no C compiler (\(candidates.joined(separator: ", "))) on PATH; install one (Debian/Ubuntu: apt-get install gcc libc6-dev)"))
        }
        let wasm2cVersion = Subprocess.run(wasm2c, ["--version"])
        if let problem = wasm2cVersion.problem {
            return .failure(CompileError("\(wasm2c) --version \(problem)"))
        }
        let compilerVersion = Subprocess.run(compiler, ["--version"])
        if let problem = compilerVersion.problem {
            return .failure(CompileError("\(compiler) --version \(problem)"))
        }
        let versions = "wasm2c \(wasm2c) \(wasm2cVersion.output)\ncc \(compiler) \(compilerVersion.output)"
        return .success(Toolchain(wasm2c: wasm2c, compiler: compiler, flags: flags(memoryChecks), versions: versions))
    }
}

/// How compiled code keeps memory accesses in bounds.
public enum MemoryChecks: String, Sendable {
    /// An 8 GiB reservation around each memory and a signal handler that
    /// turns a fault in the running instance's reservation into a trap, as
    /// WasmKit does: no check on the way, a fault on the way out. The
    /// default: up to twice as fast as explicit checks (`wskbench compiled`).
    case guardPages
    /// wasm2c's check before every access. No signal handler.
    case explicit
}

/// Why a module could not be compiled; the actor runs on the interpreter.
public struct CompileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension RuntimeSources {
    /// Changes whenever the runtime's C does, and with it every cache key.
    static let version: String = {
        var hash = SHA256()
        for file in files { hash.update("\(file.name)\n\(file.text)\n") }
        return hash.finalize()
    }()
}
