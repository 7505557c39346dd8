@_spi(Fuzzing) import WasmKit
import Kernel

/// The interpreter tier: WasmKit. Starts at once; fuel metering is its watchdog.
struct InterpreterEngine: ExecutionTier {
    var name: String { "interpreter" }
    let engine: Engine
    let limits: ActorLimits

    init(limits: ActorLimits) {
        self.limits = limits
        // Eager compilation validates every function body when the module is
        // instantiated, so a malformed body is a load error, not a later trap.
        self.engine = Engine(configuration: EngineConfiguration(
            compilationMode: .eager, stackSize: limits.interpreterStackBytes, features: WasmLanguage.wasmKitFeatures,
            fuelMetering: true))
    }

    /// Instantiates `module` with the "env" host calls bound to `context`.
    func instantiate(_ module: CheckedModule, context: ActorContext) throws(ModuleLoadError) -> any RunnableActor {
        let store = makeStore()
        let memoryBox = MemoryBox()
        let calls = HostCalls(context: context)
        var imports = Imports()
        for name in module.importedCalls {
            imports.define(module: ABI.importModule, name: name,
                           hostFunction(name, store: store, calls: calls, memory: memoryBox, fuel: limits.fuelPerCall))
        }
        let (memory, start) = try instantiate(module, store: store, imports: imports)
        memoryBox.memory = memory
        return InterpretedActor(store: store, start: start, fuelPerCall: limits.fuelPerCall)
    }

    /// Refuses `module` exactly as `instantiate` would, without an actor: the
    /// compiled tier's validation, so both tiers refuse the same modules with
    /// the same words.
    func validate(_ module: CheckedModule) throws(ModuleLoadError) {
        let store = makeStore()
        var imports = Imports()
        for name in module.importedCalls {
            let signature = ABI.hostCall(named: name)!
            imports.define(module: ABI.importModule, name: name, Function(
                store: store, parameters: signature.parameters.map(ModuleCheck.valueType),
                results: signature.results.map(ModuleCheck.valueType)
            ) { _, _ in throw ActorUnwind.terminated })
        }
        _ = try instantiate(module, store: store, imports: imports)
    }

    private func makeStore() -> Store {
        let store = Store(engine: engine)
        store.resourceLimiter = GrowthLimiter(limits: limits)
        store.fuel = Fuel(remaining: limits.fuelPerCall)
        return store
    }

    private func instantiate(_ module: CheckedModule, store: Store, imports: Imports) throws(ModuleLoadError)
        -> (Memory, Function)
    {
        do {
            let instance = try module.module.instantiate(store: store, imports: imports)
            guard let memory = instance.exports[memory: "memory"],
                let start = instance.exports[function: "_start"]
            else {
                throw ModuleLoadError(source: module.source, problems: ["exports no \"memory\" or \"_start\""])
            }
            guard start.type.parameters.isEmpty, start.type.results.isEmpty else {
                throw ModuleLoadError(source: module.source, problems: [
                    "\"_start\" has signature \(ModuleCheck.signatureText(start.type)); it must be () -> ()",
                ])
            }
            return (memory, start)
        } catch let error as ModuleLoadError {
            throw error
        } catch {
            throw ModuleLoadError(source: module.source, problems: ["cannot instantiate: \(firstLine(of: error))"])
        }
    }

    private func hostFunction(_ name: String, store: Store, calls: HostCalls, memory box: MemoryBox, fuel: UInt64)
        -> Function
    {
        let signature = ABI.hostCall(named: name)!
        let number = HostBinding.number(of: name)!
        let parameters = signature.parameters.map(ModuleCheck.valueType)
        let results = signature.results.map(ModuleCheck.valueType)
        return Function(store: store, parameters: parameters, results: results) { caller, args, out in
            // The watchdog counts instructions between host calls: refill.
            caller.store.fuel = Fuel(remaining: fuel)
            let result = try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: max(args.count, 1)) { raw in
                for (i, arg) in args.enumerated() { raw[i] = arg.bits }
                return try HostBinding.invoke(
                    number, UnsafeBufferPointer(rebasing: raw[..<args.count]), calls: calls,
                    memory: WasmKitMemory(memory: box.memory!))
            }
            if let type = results.first { out[0] = Value(bits: result, type: type) }
        }
    }
}

extension Value {
    /// The value's bits as the host calls take them: i32 zero-extended.
    var bits: UInt64 {
        switch self {
        case .i32(let v): UInt64(v)
        case .i64(let v): v
        default: preconditionFailure("host calls take only i32 and i64, checked at load")
        }
    }

    init(bits: UInt64, type: ValueType) {
        self = type == .i32 ? .i32(UInt32(truncatingIfNeeded: bits)) : .i64(bits)
    }
}

/// The module's exported memory, known only after instantiation.
final class MemoryBox: @unchecked Sendable {
    // Written once before the actor runs, then read on the actor's thread only.
    var memory: Memory?
}

struct WasmKitMemory: GuestMemory {
    let memory: Memory
    var byteCount: Int { memory.byteCount }
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try memory.withUnsafeMutableBufferPointer(offset: UInt(range.lowerBound), count: range.count, body)
    }
}

/// Refuses memory or table growth past the actor's limits.
final class GrowthLimiter: ResourceLimiter {
    let limits: ActorLimits
    init(limits: ActorLimits) { self.limits = limits }
    func limitMemoryGrowth(to desired: Int) throws -> Bool { desired <= limits.memoryBytes }
    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= limits.tableElements }
}

/// A running instance; lives on its actor's thread only.
final class InterpretedActor: RunnableActor, @unchecked Sendable {
    // Created on the spawning thread, then handed whole to the actor's thread,
    // which is the only one that touches it afterwards.
    let store: Store
    let start: Function
    let fuelPerCall: UInt64

    init(store: Store, start: Function, fuelPerCall: UInt64) {
        self.store = store
        self.start = start
        self.fuelPerCall = fuelPerCall
    }

    /// Runs `_start` to the end and says how the actor ended.
    func run() -> RunOutcome {
        store.fuel = Fuel(remaining: fuelPerCall)
        do {
            try start.invoke()
            return .returned
        } catch let unwind as ActorUnwind {
            switch unwind {
            case .exit(let code): return .exited(code)
            case .terminated: return .terminated
            }
        } catch {
            let text = firstLine(of: error)
            if text.contains("out of fuel") {
                return .trapped("watchdog: ran \(fuelPerCall) instructions without a host call")
            }
            return .trapped(text.hasPrefix("Trap: ") ? String(text.dropFirst(6)) : text)
        }
    }
}

/// What a WasmKit error says, without the backtrace a trap carries: after a
/// deep recursion that runs to one line per frame (tens of thousands), and its
/// addresses mean nothing to the user reading an exit reason.
func firstLine(of error: any Error) -> String {
    let text = String(describing: error)
    return text.firstIndex(of: "\n").map { String(text[..<$0]) } ?? text
}
