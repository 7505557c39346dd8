@_spi(Fuzzing) import WasmKit

/// Runs the WebAssembly spec tests' modules on one tier (the spec test
/// runner only; nothing an actor loads reaches it). A module goes through
/// what an actor's does — `ModuleCheck`'s language check and parser, the
/// tier's engine with the actor limits, the compiled tier's rewrite, build
/// and runtime — except the actor ABI's rules on imports and exports: it is
/// linked to `spectest` (SpecHostModule) and to the modules registered
/// before it, and its exports are called by name.
package protocol SpecSession: AnyObject {
    /// Checks, validates and instantiates a module: throws `ModuleLoadError`
    /// when the tier refuses it (invalid, unlinkable, a trap while
    /// instantiating), `SpecError.unsupported` when the tier cannot run it
    /// in the tests at all.
    func instantiate(_ bytes: [UInt8], source: String) throws -> any SpecInstance
    /// Makes `instance`'s exports importable as module `name`.
    func register(_ instance: any SpecInstance, as name: String)
}

/// An instantiated spec module.
package protocol SpecInstance: AnyObject {
    /// Calls export `name`: its results, or `SpecError.trap`.
    func invoke(_ name: String, _ arguments: [SpecValue]) throws -> [SpecValue]
    /// The value of the exported global `name`.
    func get(_ name: String) throws -> SpecValue
}

package enum SpecError: Error, Equatable, CustomStringConvertible {
    /// The call trapped, in the tier's words.
    case trap(String)
    /// The tier does not run this in the tests, and why.
    case unsupported(String)
    /// The test asked for something the module does not have.
    case missing(String)

    package var description: String {
        switch self {
        case .trap(let text): "trap: \(text)"
        case .unsupported(let why): "unsupported: \(why)"
        case .missing(let what): "missing: \(what)"
        }
    }
}

/// The interpreter tier: one WasmKit store per session (a .wast file), so
/// registered modules link as the spec says, with the actor's engine
/// configuration, limits (`GrowthLimiter`) and watchdog fuel.
package final class InterpreterSpecSession: SpecSession {
    let engine: InterpreterEngine
    private let store: Store
    private var imports = Imports()

    package init(limits: ActorLimits = ActorLimits()) {
        engine = InterpreterEngine(limits: limits)
        store = Store(engine: engine.engine)
        store.resourceLimiter = GrowthLimiter(limits: limits, account: nil)
        defineHostModule()
    }

    package func instantiate(_ bytes: [UInt8], source: String) throws -> any SpecInstance {
        let module = try ModuleCheck.checkSpecModule(bytes: bytes, name: source, source: source)
        return InterpretedSpecInstance(instance: try instantiate(module.module, source: source), session: self)
    }

    package func register(_ instance: any SpecInstance, as name: String) {
        imports.define(module: name, (instance as! InterpretedSpecInstance).instance.exports)
    }

    /// Instantiates `module` against `spectest` and the registered modules,
    /// WasmKit's refusal in the interpreter tier's words.
    func instantiate(_ module: Module, source: String) throws(ModuleLoadError) -> Instance {
        refuel()
        do {
            return try module.instantiate(store: store, imports: imports)
        } catch {
            throw ModuleLoadError(source: source, problems: [engine.instantiationProblem(firstLine(of: error))])
        }
    }

    /// The watchdog's budget for the next call, as an actor gets per host call.
    func refuel() { store.fuel = Fuel(remaining: engine.limits.fuelPerCall) }

    private func defineHostModule() {
        let module = SpecHostModule.self
        for function in module.functions {
            imports.define(module: module.name, name: function.name, Function(
                store: store, parameters: function.parameters.map(\.wasmKit), results: []) { _, _ in [] })
        }
        for global in module.globals {
            imports.define(module: module.name, name: global.name, try! Global(
                store: store, type: GlobalType(mutability: .constant, valueType: global.value.type.wasmKit),
                value: global.value.wasmKit))
        }
        imports.define(module: module.name, name: module.table.name, try! Table(
            store: store, type: TableType(elementType: .funcRef, limits: Limits(
                min: UInt64(module.table.minimum), max: UInt64(module.table.maximum)))))
        imports.define(module: module.name, name: module.memory.name, try! Memory(
            store: store, type: MemoryType(min: UInt64(module.memory.minimumPages), max: UInt64(module.memory.maximumPages))))
    }
}

final class InterpretedSpecInstance: SpecInstance {
    let instance: Instance
    private let session: InterpreterSpecSession

    init(instance: Instance, session: InterpreterSpecSession) {
        self.instance = instance
        self.session = session
    }

    func invoke(_ name: String, _ arguments: [SpecValue]) throws -> [SpecValue] {
        guard let function = instance.exports[function: name] else { throw SpecError.missing("no function export \"\(name)\"") }
        session.refuel()
        do {
            return try function.invoke(arguments.map(\.wasmKit)).map(SpecValue.init)
        } catch {
            let text = firstLine(of: error)
            if text.contains("out of fuel") { throw SpecError.trap("watchdog: ran \(session.engine.limits.fuelPerCall) instructions") }
            throw SpecError.trap(text.hasPrefix("Trap: ") ? String(text.dropFirst(6)) : text)
        }
    }

    func get(_ name: String) throws -> SpecValue {
        guard let global = instance.exports[global: name] else { throw SpecError.missing("no global export \"\(name)\"") }
        return SpecValue(global.value)
    }
}

extension SpecValueType {
    var wasmKit: ValueType {
        switch self {
        case .i32: .i32
        case .i64: .i64
        case .f32: .f32
        case .f64: .f64
        case .funcref: .ref(.funcRef)
        case .externref: .ref(.externRef)
        }
    }

    init(_ type: ValueType) {
        switch type {
        case .i32: self = .i32
        case .i64: self = .i64
        case .f32: self = .f32
        case .f64: self = .f64
        case .ref(let reference): self = reference.heapType == .abstract(.externRef) ? .externref : .funcref
        case .v128: preconditionFailure("v128 is outside the accepted language, refused at load")
        }
    }
}

extension SpecValue {
    var wasmKit: Value {
        switch self {
        case .i32(let v): .i32(v)
        case .i64(let v): .i64(v)
        case .f32(let v): .f32(v)
        case .f64(let v): .f64(v)
        case .funcref(let v): .ref(.function(v))
        case .externref(let v): .ref(.extern(v.map { Int($0) }))
        }
    }

    init(_ value: Value) {
        switch value {
        case .i32(let v): self = .i32(v)
        case .i64(let v): self = .i64(v)
        case .f32(let v): self = .f32(v)
        case .f64(let v): self = .f64(v)
        case .ref(.function(let v)): self = .funcref(v)
        case .ref(.extern(let v)): self = .externref(v.map { UInt32(truncatingIfNeeded: $0) })
        default: preconditionFailure("\(value) is outside the accepted language, refused at load")
        }
    }
}
