import CWasmRT
import Logging
import Kernel
@_spi(Fuzzing) import WasmKit

/// The compiled tier for the spec tests (`SpecSession`): a module is checked
/// as an actor's, validated by the interpreter as `CompiledEngine` validates
/// an actor (here against `spectest`), built by its own `ModuleCompiler`
/// (purpose `.specTest`: every export kept under a name of ours, SpecGlue's
/// entry points) and run by the same runtime with the actor limits. Its
/// memories and tables are charged to one account per session.
///
/// A compiled spec module links only to `spectest`, each compiled object to
/// a `spectest` of its own: imports from registered modules are unsupported.
package final class CompiledSpecSession: SpecSession {
    let compiler: ModuleCompiler
    let limits: ActorLimits
    let account: ResourceAccount

    /// A session whose objects are cached in `directory` (kept between runs).
    package init(directory: String, memoryChecks: MemoryChecks = .guardPages, limits: ActorLimits = ActorLimits(), logger: Logger) {
        compiler = ModuleCompiler(directory: .success(directory), logger: logger, memoryChecks: memoryChecks, purpose: .specTest)
        self.limits = limits
        account = ResourceAccount(limit: limits.memoryBytes * 4, budget: MemoryBudget(limit: limits.memoryBytes * 4))
    }

    package func instantiate(_ bytes: [UInt8], source: String) throws -> any SpecInstance {
        let module = try ModuleCheck.checkSpecModule(bytes: bytes, name: source, source: source)
        for entry in module.module.imports where entry.module != SpecHostModule.name {
            throw SpecError.unsupported(
                "imports from a module other than spectest (\(entry.module).\(entry.name)), which compiled spec modules do not link to")
        }
        let exports = try validate(module)
        let object: CompiledModule
        do {
            object = try compiler.object(for: module)
        } catch {
            throw ModuleLoadError(source: source, problems: ["cannot compile: \(error)"])
        }
        return try CompiledSpecInstance(object: object, module: module, exports: exports, session: self)
    }

    /// Registering is allowed; a module importing from a registered one is unsupported (see the type).
    package func register(_ instance: any SpecInstance, as name: String) {}

    /// The interpreter's validation, as for an actor, and the exports' types:
    /// an instance of the module against a fresh `spectest`, its start
    /// function left out (compiled code runs it).
    private func validate(_ module: CheckedModule) throws(ModuleLoadError) -> [String: ExportType] {
        var withoutStart = module.module
        withoutStart.dropStartFunction()
        let instance = try InterpreterSpecSession(limits: limits).instantiate(withoutStart, source: module.source)
        var types: [String: ExportType] = [:]
        for (name, value) in instance.exports {
            switch value {
            case .function(let function): types[name] = .function(function.type.results.map(SpecValueType.init))
            case .global(let global): types[name] = .global(SpecValue(global.value).type)
            default: break
            }
        }
        return types
    }

    enum ExportType {
        /// A function's result types.
        case function([SpecValueType])
        case global(SpecValueType)
    }
}

/// A compiled spec module's instance; its exports are SpecGlue's `wsk_spec_export_<n>`.
final class CompiledSpecInstance: SpecInstance {
    private let object: CompiledModule
    private let instance: UnsafeMutableRawPointer
    private let session: CompiledSpecSession
    /// By export name: its index in the export section and its type.
    private let exports: [String: (index: Int, type: CompiledSpecSession.ExportType)]

    init(object: CompiledModule, module: CheckedModule, exports types: [String: CompiledSpecSession.ExportType], session: CompiledSpecSession)
        throws(ModuleLoadError)
    {
        var config = CompiledEngine.config(
            limits: session.limits, hostCall: { _, _, _, _, _, _ in 1 }, context: nil, account: session.account)
        guard let instance = object.newInstance(&config) else {
            throw ModuleLoadError(source: module.source, problems: ["cannot instantiate: out of memory"])
        }
        let trap = wskrt_run(object.instantiate, instance)
        guard trap == WASM_RT_TRAP_NONE.rawValue else {
            object.freeInstance(instance)
            throw CompiledEngine.instantiationFailure(trap, source: module.source, account: session.account)
        }
        var exports: [String: (Int, CompiledSpecSession.ExportType)] = [:]
        for (index, export) in module.module.exports.enumerated() {
            if let type = types[export.name] { exports[export.name] = (index, type) }
        }
        self.object = object
        self.instance = instance
        self.session = session
        self.exports = exports
    }

    /// Frees the instance: its memories and tables give their bytes back.
    deinit { object.freeInstance(instance) }

    func invoke(_ name: String, _ arguments: [SpecValue]) throws -> [SpecValue] {
        guard let export = exports[name], case .function(let results) = export.type else {
            throw SpecError.missing("no function export \"\(name)\"")
        }
        return try call(export.index, arguments.map(\.bits), results)
    }

    func get(_ name: String) throws -> SpecValue {
        guard let export = exports[name], case .global(let type) = export.type else {
            throw SpecError.missing("no global export \"\(name)\"")
        }
        return try call(export.index, [], [type])[0]
    }

    /// Runs `wsk_spec_export_<index>` inside `wskrt_run` with a `wsk_spec_call`
    /// (instance, arguments, results: three pointers).
    private func call(_ index: Int, _ arguments: [UInt64], _ results: [SpecValueType]) throws -> [SpecValue] {
        guard let entry = object.specExport(index) else { throw SpecError.missing("no entry point for export \(index)") }
        var out = [UInt64](repeating: 0, count: max(results.count, 1))
        let trap = arguments.withUnsafeBufferPointer { args in
            out.withUnsafeMutableBufferPointer { out in
                var frame: [UnsafeMutableRawPointer?] = [instance, UnsafeMutableRawPointer(mutating: args.baseAddress), UnsafeMutableRawPointer(out.baseAddress)]
                return frame.withUnsafeMutableBufferPointer { wskrt_run(entry, $0.baseAddress) }
            }
        }
        switch trap {
        case WASM_RT_TRAP_NONE.rawValue: return zip(results, out).map { SpecValue(bits: $1, type: $0) }
        case WSKRT_TRAP_FUEL.rawValue: throw SpecError.trap("watchdog: ran \(session.limits.fuelPerCall) instructions")
        default: throw SpecError.trap(trapText(trap))
        }
    }
}

extension SpecValue {
    /// As SpecGlue passes it: floats as their bits, an extern reference n as n + 1 (0 is null).
    var bits: UInt64 {
        switch self {
        case .i32(let v), .f32(let v): UInt64(v)
        case .i64(let v), .f64(let v): v
        case .funcref: 0
        case .externref(let v): v.map { UInt64($0) + 1 } ?? 0
        }
    }

    init(bits: UInt64, type: SpecValueType) {
        switch type {
        case .i32: self = .i32(UInt32(truncatingIfNeeded: bits))
        case .i64: self = .i64(bits)
        case .f32: self = .f32(UInt32(truncatingIfNeeded: bits))
        case .f64: self = .f64(bits)
        case .funcref: self = .funcref(bits == 0 ? nil : 0)
        case .externref: self = .externref(bits == 0 ? nil : UInt32(truncatingIfNeeded: bits - 1))
        }
    }
}
