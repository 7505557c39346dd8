import Kernel

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
    /// Which tools these are (`identity(of:)`): changes whenever either
    /// tool does, and is the same in every process that finds them.
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
            "instrumentation \(Instrumentation.version)",
            // The trampolines call host calls and WASI functions by their number.
            "imports \(importTable)",
        ].joined(separator: "\n")
    }

    /// What the numbers of imported calls mean (`HostBinding`): a change of
    /// the table, a host call added, changes every object's trampolines.
    static let importTable: String = {
        var hash = SHA256()
        for call in ABI.hostCalls + WASI.functions { hash.update("\(call.name)\(call.text)\n") }
        return hash.finalize()
    }()

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
        let versions = Result { () throws(CompileError) -> String in
            "wasm2c \(try identity(of: wasm2c))\ncc \(try identity(of: compiler))"
        }
        return versions.map { Toolchain(wasm2c: wasm2c, compiler: compiler, flags: flags(memoryChecks), versions: $0) }
    }

    /// What identifies the tool found at `path`, the same for whoever finds
    /// it: root's `wskdesk compile --system` in the package's install step
    /// (under dpkg, before gcc's own install step has made /usr/bin/cc) and a
    /// user's desktop later (finding cc, not gcc) must agree on one
    /// compiler, or the system cache is passed over. So: the file the path
    /// leads to (links resolved: cc and gcc both lead to gcc-12), and what
    /// it says of its version in the C locale (gcc's is translated), less
    /// the name it was called by, which gcc's begins with
    /// ("cc (Debian 12.2.0-14) 12.2.0"). Another compiler, or another
    /// version of it, still differs.
    static func identity(of path: String) throws(CompileError) -> String {
        let version = Subprocess.run(path, ["--version"], environment: Subprocess.environment(setting: "LC_ALL", to: "C"))
        if let problem = version.problem { throw CompileError("\(path) --version \(problem)") }
        let calledAs = (path.split(separator: "/").last.map(String.init) ?? path) + " "
        let said = version.output.hasPrefix(calledAs) ? String(version.output.dropFirst(calledAs.count)) : version.output
        return "\(resolved(path)) \(said)"
    }

    /// `path` with every link resolved, or as it is if it cannot be.
    static func resolved(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
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
