@_spi(Fuzzing) import WasmKit
import Kernel
import Synchronization
import WasmParser

/// Why a module cannot run as an actor: said with the file it came from, what
/// is wrong and what to do.
public struct ModuleLoadError: Error, Sendable, CustomStringConvertible, Equatable {
    public let source: String
    public let problems: [String]

    public init(source: String, problems: [String]) {
        self.source = source
        self.problems = problems
    }

    public var description: String {
        problems.count == 1
            ? "\(source): \(problems[0])"
            : "\(source):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// A parsed module whose imports and exports fit the actor ABI.
public struct CheckedModule: Sendable {
    public let name: String
    public let source: String
    public let bytes: [UInt8]
    let module: Module
    /// The host calls of "env" the module imports, by name.
    public let importedCalls: [String]
    /// The WASI preview 1 functions it imports, by name.
    public let importedWASI: [String]
    /// What is learnt about these bytes once: shared by every `CheckedModule`
    /// of the same bytes that a host remembers (`CheckedModules`).
    let facts: ModuleFacts

    init(name: String, source: String, bytes: [UInt8], module: Module, importedCalls: [String],
         importedWASI: [String] = [], facts: ModuleFacts = ModuleFacts())
    {
        self.importedWASI = importedWASI
        self.name = name
        self.source = source
        self.bytes = bytes
        self.module = module
        self.importedCalls = importedCalls
        self.facts = facts
    }

    /// This module under another name and source.
    func named(_ name: String, source: String) -> CheckedModule {
        CheckedModule(
            name: name, source: source, bytes: bytes, module: module, importedCalls: importedCalls, importedWASI: importedWASI,
            facts: facts)
    }

    /// The SHA-256 of the bytes in hex (the compiled tier's cache key),
    /// computed once.
    var sha256: String { facts.sha256 { SHA256.hex(bytes) } }
}

/// What is learnt about a module's bytes once and need not be again.
final class ModuleFacts: Sendable {
    private let validated = Atomic<Bool>(false)
    private let digest = Mutex<String?>(nil)

    /// Whether every function body has passed WasmKit's validation. Until
    /// one instance has been made with every body validated, each instance
    /// is, so a malformed body is a load error that says where it is. After
    /// that, instances translate a body when it is first called, and WasmKit
    /// validates it then: nothing unvalidated runs either way.
    var bodiesValidated: Bool { validated.load(ordering: .acquiring) }

    func recordBodiesValidated() { validated.store(true, ordering: .releasing) }

    /// The digest `compute` gives the first time.
    func sha256(_ compute: () -> String) -> String {
        if let known = digest.withLock({ $0 }) { return known }
        let computed = compute()
        digest.withLock { $0 = computed }
        return computed
    }
}

public enum ModuleCheck {
    /// Parses `bytes`, refuses a module outside `WasmLanguage` (naming the
    /// proposal it uses) and checks it against the ABI: every import must be a
    /// host call of module "env" or a function of WASI preview 1
    /// ("wasi_snapshot_preview1") with its exact signature, and the module must
    /// export a `_start` function and its `memory`. All problems are reported
    /// at once.
    public static func check(bytes: [UInt8], name: String, source: String) throws(ModuleLoadError) -> CheckedModule {
        let module = try parse(bytes: bytes, source: source)
        var problems: [String] = []
        var calls: [String] = []
        var wasiCalls: [String] = []
        if hasStartSection(bytes) {
            problems.append("has a start function, which would run while the module loads: an actor starts at its exported `_start`")
        }
        for entry in module.imports {
            let qualified = "\(printable(entry.module)).\(printable(entry.name))"
            guard case .function(let typeIndex) = entry.descriptor else {
                problems.append("imports \(qualified), which is not a function: an actor imports functions from \"env\" and \"\(WASI.importModule)\" only")
                continue
            }
            let type = module.functionType(at: typeIndex)
            let actual = type.map(signatureText) ?? "(unknown type)"
            let isWASI = entry.module == WASI.importModule
            guard entry.module == ABI.importModule || isWASI else {
                problems.append("unknown import \(qualified) \(actual): module \"\(printable(entry.module))\" is neither \"env\" (the calls of docs/ABI.md) nor \"\(WASI.importModule)\" (WASI preview 1)")
                continue
            }
            guard let call = isWASI ? WASI.function(named: entry.name) : ABI.hostCall(named: entry.name) else {
                problems.append(isWASI
                    ? "unknown import \(qualified) \(actual): WASI preview 1 has no function of that name"
                    : "unknown import \(qualified) \(actual); wskdesk provides only the \"env\" calls of docs/ABI.md")
                continue
            }
            guard let type, matches(type, call) else {
                problems.append("import \(qualified) has signature \(actual), but \(isWASI ? "WASI preview 1" : "the ABI") defines \(call.text)")
                continue
            }
            if isWASI { wasiCalls.append(call.name) } else { calls.append(call.name) }
        }
        var hasStart = false
        var hasMemory = false
        for export in module.exports {
            switch (export.name, export.descriptor) {
            case ("_start", .function): hasStart = true
            case ("memory", .memory): hasMemory = true
            default: break
            }
        }
        if !hasStart { problems.append("exports no function \"_start\": an actor's entry point is `_start() -> ()`") }
        if !hasMemory { problems.append("exports no memory named \"memory\": the host needs it to pass data") }
        guard problems.isEmpty else { throw ModuleLoadError(source: source, problems: problems) }
        return CheckedModule(name: name, source: source, bytes: bytes, module: module, importedCalls: calls, importedWASI: wasiCalls)
    }

    /// A module of the WebAssembly spec tests (`SpecSession` only): parsed
    /// and held to `WasmLanguage` as an actor is, without the actor ABI's
    /// rules on imports, exports and start functions.
    /// A module outside the language throws `SpecError.unsupported`, naming it.
    static func checkSpecModule(bytes: [UInt8], name: String, source: String) throws -> CheckedModule {
        if bytes.starts(with: wasmMagic), LanguageCheck.headerProblem(bytes) == nil,
            let violations = try? LanguageCheck.violations(in: bytes), !violations.isEmpty
        {
            throw SpecError.unsupported(violations.map(\.text).joined(separator: "; "))
        }
        return CheckedModule(name: name, source: source, bytes: bytes, module: try parse(bytes: bytes, source: source), importedCalls: [])
    }

    /// The module in `bytes` if it is one of `WasmLanguage`: the magic and
    /// version, the language, then WasmKit's parser.
    private static func parse(bytes: [UInt8], source: String) throws(ModuleLoadError) -> Module {
        // Said plainly here: WasmKit words this case as a debug dump of its error.
        guard bytes.starts(with: wasmMagic) else {
            throw ModuleLoadError(source: source, problems: [
                "not a WebAssembly module: it does not start with the bytes 00 61 73 6d (\"\\0asm\")",
            ])
        }
        if let problem = LanguageCheck.headerProblem(bytes) {
            throw ModuleLoadError(source: source, problems: [problem])
        }
        // The language first: a module outside it is told which proposal it
        // uses, not how WasmKit's parser stumbled on it.
        let violations: [LanguageViolation]
        do {
            violations = try LanguageCheck.violations(in: bytes)
        } catch {
            throw ModuleLoadError(source: source, problems: [error.text])
        }
        guard violations.isEmpty else { throw ModuleLoadError(source: source, problems: violations.map(\.text)) }
        do {
            // WasmKit gets no name section: traps name functions by index,
            // and `FunctionNames` reads the names.
            return try parseWasm(bytes: FunctionNames.hidingNameSection(bytes), features: WasmLanguage.wasmKitFeatures)
        } catch {
            throw ModuleLoadError(source: source, problems: [MalformedModule(error).text])
        }
    }

    static let wasmMagic: [UInt8] = [0x00, 0x61, 0x73, 0x6d]

    /// A name from a module as a problem may quote it: escaped as log text is
    /// (`LogText`: control characters, line separators, bidirectional
    /// overrides and the backslash), so that a name cannot start a line of its
    /// own, drive the terminal or reorder the text around it; at most 64
    /// characters of it.
    static func printable(_ name: String) -> String {
        let scalars = name.unicodeScalars
        guard scalars.count > 64 else { return LogText.escaped(name) }
        return LogText.escaped(String(String.UnicodeScalarView(scalars.prefix(64)))) + "…"
    }

    /// Whether the binary has a start section (id 8). Called on bytes WasmKit
    /// has already parsed, so the section framing is known to be sound.
    static func hasStartSection(_ bytes: [UInt8]) -> Bool {
        var offset = 8
        while offset < bytes.count {
            let id = bytes[offset]
            offset += 1
            var size = 0
            var shift = 0
            while offset < bytes.count, shift < 35 {
                let byte = bytes[offset]
                offset += 1
                size |= Int(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            if id == 8 { return true }
            offset += size
        }
        return false
    }

    static func matches(_ type: FunctionType, _ call: HostCallSignature) -> Bool {
        type.parameters == call.parameters.map(valueType) && type.results == call.results.map(valueType)
    }

    static func valueType(_ type: ABIValueType) -> ValueType {
        switch type {
        case .i32: .i32
        case .i64: .i64
        }
    }

    static func signatureText(_ type: FunctionType) -> String {
        let name: (ValueType) -> String = { t in
            switch t {
            case .i32: "i32"
            case .i64: "i64"
            case .f32: "f32"
            case .f64: "f64"
            case .v128: "v128"
            case .ref: "ref"
            }
        }
        let params = "(" + type.parameters.map(name).joined(separator: ", ") + ")"
        switch type.results.count {
        case 0: return params
        case 1: return params + " -> " + name(type.results[0])
        default: return params + " -> (" + type.results.map(name).joined(separator: ", ") + ")"
        }
    }
}
