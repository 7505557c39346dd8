import CWasmRT
import Kernel
import WasmKit

/// The compiled tier: each module's wasm2c translation, built by the system
/// C compiler and run natively, with the interpreter's limits, watchdog and
/// trap words. A module is validated by the interpreter first (once: see
/// `ModuleFacts`), so both tiers refuse the same modules in the same words.
///
/// When the module cannot be compiled (no wasm2c or C compiler, or either
/// refuses it) its actors run on the interpreter; the compiler logs why once.
final class CompiledEngine: ExecutionTier {
    var name: String { "compiled" }
    let limits: ActorLimits
    let compiler: ModuleCompiler
    let interpreter: InterpreterEngine
    /// What wasm-rt.c charges for a funcref table element: its size.
    static let tableElementBytes = MemoryLayout<wasm_rt_funcref_t>.stride

    init(limits: ActorLimits, compiler: ModuleCompiler, interpreter: InterpreterEngine) {
        self.limits = limits
        self.compiler = compiler
        self.interpreter = interpreter
    }

    /// Instantiates `module` compiled, building it first if need be.
    func instantiate(_ module: CheckedModule, context: ActorContext) throws(ModuleLoadError) -> any RunnableActor {
        try interpreter.validate(module)
        guard let object = try? compiler.object(for: module) else {
            return try interpreter.instantiate(module, context: context)
        }
        return try instantiate(module, object: object, context: context)
    }

    /// Instantiates `module` compiled if its object is ready; nil otherwise.
    func instantiateIfReady(_ module: CheckedModule, context: ActorContext) throws(ModuleLoadError)
        -> (any RunnableActor)?
    {
        guard let object = compiler.readyObject(for: module) else { return nil }
        try interpreter.validate(module)
        return try instantiate(module, object: object, context: context)
    }

    /// What an instance is given: the host calls through `hostCall` with
    /// `context`, its memories and tables charged to `account` (which must
    /// outlive the instance), the actor limits and the interpreter's fuel prices.
    static func config(limits: ActorLimits, hostCall: wskrt_host_call_fn, context: UnsafeMutableRawPointer?, account: ResourceAccount)
        -> wskrt_config
    {
        wskrt_config(
            host_call: hostCall, context: context,
            charge: compiledCharge, account: Unmanaged.passUnretained(account).toOpaque(),
            fuel_per_call: Int64(clamping: limits.fuelPerCall),
            memory_limit_pages: UInt32(clamping: limits.memoryBytes / 65536),
            table_limit: UInt32(clamping: limits.tableElements),
            bulk_fuel_bytes: UInt32(InterpreterEngine.bulkFuelBytes),
            table_element_fuel_bytes: UInt32(InterpreterEngine.tableElementFuelBytes))
    }

    /// Instantiates `module` from its compiled `object`.
    private func instantiate(_ module: CheckedModule, object: CompiledModule, context: ActorContext)
        throws(ModuleLoadError) -> any RunnableActor
    {
        let actor = CompiledActor(
            object: object, calls: HostCalls(context: context, tier: .compiled), fuelPerCall: limits.fuelPerCall, module: module,
            memoryLimit: limits.memoryBytes)
        // The instance copies the config; `account` stays alive with `actor`,
        // which frees the instance, so its last give-back finds it.
        var config = Self.config(
            limits: limits, hostCall: compiledHostCall, context: Unmanaged.passUnretained(actor).toOpaque(), account: context.account)
        guard let instance = object.newInstance(&config) else {
            throw ModuleLoadError(source: module.source, problems: ["cannot instantiate: out of memory"])
        }
        actor.instance = instance
        let trap = wskrt_run(object.instantiate, instance)
        guard trap == WASM_RT_TRAP_NONE.rawValue else {
            throw Self.instantiationFailure(trap, source: module.source, account: context.account)
        }
        return actor
    }

    /// A trap while instantiating, as the interpreter says it. The
    /// account's refusal is in the interpreter's words, which are not a WasmKit trap's.
    static func instantiationFailure(_ trap: UInt32, source: String, account: ResourceAccount) -> ModuleLoadError {
        let problem = trap == WSKRT_TRAP_OUT_OF_MEMORY.rawValue
            ? "\(OutOfMemory(trapDetail: lastTrapDetail(), account: account))" : "Trap: \(trapText(trap))"
        return ModuleLoadError(source: source, problems: ["cannot instantiate: \(problem)"])
    }
}

/// wskrt_charge_fn: an instance's memories and tables, charged to its account.
private let compiledCharge: wskrt_charge_fn = { account, bytes in
    let account = Unmanaged<ResourceAccount>.fromOpaque(account!).takeUnretainedValue()
    guard bytes > 0 else {
        account.release(Int(-bytes))
        return UInt32(WSKRT_CHARGED.rawValue)
    }
    switch account.charge(Int(bytes)) {
    case nil: return UInt32(WSKRT_CHARGED.rawValue)
    case .actorLimit: return UInt32(WSKRT_REFUSED_ACTOR_LIMIT.rawValue)
    case .globalBudget: return UInt32(WSKRT_REFUSED_BUDGET.rawValue)
    }
}

extension OutOfMemory {
    /// The refusal a WSKRT_TRAP_OUT_OF_MEMORY trap carries in its first detail.
    init(trapDetail refusal: UInt64, account: ResourceAccount) {
        self.init(refusal: refusal == UInt64(WSKRT_REFUSED_BUDGET.rawValue) ? .globalBudget : .actorLimit, account: account)
    }
}

/// The first detail of this thread's last trap.
private func lastTrapDetail() -> UInt64 {
    var a: UInt64 = 0
    var b: UInt64 = 0
    wskrt_trap_details(&a, &b)
    return a
}

/// A compiled instance; runs on its actor's thread only.
final class CompiledActor: RunnableActor, @unchecked Sendable {
    // Created on the spawning thread, then handed whole to the actor's thread,
    // which is the only one that touches it afterwards (host calls run on it
    // too), but for `interrupt`: a killing thread reads `instance`, set before
    // the actor is shared and never changed, and the C it calls writes one
    // field atomically.
    let object: CompiledModule
    let calls: HostCalls
    let fuelPerCall: UInt64
    /// Where a trap's report finds function names.
    let module: CheckedModule
    /// `ActorLimits.memoryBytes`, for a report of a growth it refused.
    let memoryLimit: Int
    fileprivate(set) var instance: UnsafeMutableRawPointer?
    /// Why a host call asked the instance to unwind.
    fileprivate var unwind: ActorUnwind?

    init(object: CompiledModule, calls: HostCalls, fuelPerCall: UInt64, module: CheckedModule, memoryLimit: Int) {
        self.object = object
        self.calls = calls
        self.fuelPerCall = fuelPerCall
        self.module = module
        self.memoryLimit = memoryLimit
    }

    /// Frees the instance: its memories and tables give their bytes back.
    deinit { object.freeInstance(instance) }

    /// Makes the running instance trap at its next function entry, loop
    /// header or bulk operation. The host calls it only while it holds this
    /// actor, so the instance exists.
    func interrupt() {
        if let instance { wskrt_interrupt(instance) }
    }

    func run() -> RunOutcome {
        let trap = wskrt_run(object.start, instance)
        // Ended while it ran, wherever that stopped it: the kernel has said why already.
        if trap != WASM_RT_TRAP_NONE.rawValue, calls.context.isEnded { return .terminated }
        switch trap {
        case WASM_RT_TRAP_NONE.rawValue:
            return .returned
        case WSKRT_TRAP_HOST_UNWIND.rawValue:
            switch unwind {
            case .exit(let code): return .exited(code)
            case .terminated, nil: return .terminated
            }
        case WSKRT_TRAP_FUEL.rawValue:
            return .trapped(report("watchdog: ran \(fuelPerCall) instructions without a host call").text(module: module))
        default:
            var report = report(trapText(trap))
            report.refusal = memoryRefusal()
            return .trapped(report.text(module: module))
        }
    }

    /// A report of `reason` with the frames the instance's shadow stack kept.
    private func report(_ reason: String) -> TrapReport {
        var indices = [UInt32](repeating: 0, count: TrapReport.shownFrames)
        let depth = wskrt_backtrace(instance, &indices, UInt32(indices.count))
        return TrapReport(
            reason: reason,
            frames: TrapFrames(innermost: Array(indices.prefix(min(Int(depth), indices.count))), depth: Int(depth)))
    }

    /// The limit that refused a `memory.grow` of this run, if one did.
    private func memoryRefusal() -> MemoryRefusal? {
        let account = calls.context.account
        switch wskrt_memory_refusal() {
        case WSKRT_REFUSED_MEMORY_LIMIT.rawValue: return .memoryLimit(bytes: memoryLimit)
        case WSKRT_REFUSED_ACTOR_LIMIT.rawValue: return MemoryRefusal(.actorLimit, account: account)
        case WSKRT_REFUSED_BUDGET.rawValue: return MemoryRefusal(.globalBudget, account: account)
        default: return nil
        }
    }

    /// A host call from the instance; an unwind is kept for `run` and reported as nonzero.
    fileprivate func hostCall(_ call: UInt32, _ args: UnsafePointer<UInt64>?, _ memory: RawGuestMemory) -> (Int32, UInt64) {
        let count = HostBinding.signature(Int(call)).parameters.count
        do throws(ActorUnwind) {
            return (0, try HostBinding.invoke(Int(call), UnsafeBufferPointer(start: args, count: count), calls: calls, memory: memory))
        } catch {
            unwind = error
            return (1, 0)
        }
    }
}

/// wskrt_host_call_fn: the one way out of compiled code into the host.
private let compiledHostCall: wskrt_host_call_fn = { context, call, args, memory, memorySize, result in
    let actor = Unmanaged<CompiledActor>.fromOpaque(context!).takeUnretainedValue()
    let (status, value) = actor.hostCall(call, args, RawGuestMemory(base: memory, byteCount: Int(memorySize)))
    result?.pointee = value
    return status
}

/// Linear memory of a compiled instance, as it stood when the host call began.
struct RawGuestMemory: GuestMemory {
    let base: UnsafeMutablePointer<UInt8>?
    let byteCount: Int

    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeMutableRawBufferPointer(start: base.map { UnsafeMutableRawPointer($0 + range.lowerBound) }, count: range.count))
    }
}

/// A trap's words, as the interpreter (WasmKit) says them.
func trapText(_ code: UInt32) -> String {
    var a: UInt64 = 0
    var b: UInt64 = 0
    wskrt_trap_details(&a, &b)
    switch wasm_rt_trap_t(rawValue: code) {
    case WASM_RT_TRAP_OOB: return "out of bounds memory access"
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow"
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero"
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer"
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable"
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted"
    case WSKRT_TRAP_UNDEFINED_ELEMENT: return "out of bounds table access at \(a) (undefined element)"
    case WSKRT_TRAP_NULL_ELEMENT: return "indirect call to null element (uninitialized element \(a))"
    case WSKRT_TRAP_TYPE_MISMATCH:
        return "indirect call type mismatch, expected \(functionType(UInt32(a))), got \(functionType(UInt32(b)))"
    case WSKRT_TRAP_MEMORY_LIMIT: return "initial memory size exceeds the resource limit: \(a) bytes"
    case WSKRT_TRAP_TABLE_LIMIT: return "initial table size exceeds the resource limit: \(a) elements"
    case WSKRT_TRAP_NO_MEMORY, WSKRT_TRAP_OUT_OF_MEMORY: return "out of memory"
    default: return "trap \(code)"
    }
}

/// A registered function type, written as WasmKit writes `FunctionType`.
private func functionType(_ id: UInt32) -> String {
    var params: UInt32 = 0
    var results: UInt32 = 0
    var types = [UInt8](repeating: 0, count: 64)
    guard wskrt_func_type(id, &params, &results, &types, UInt32(types.count)) != 0 else { return "unknown type \(id)" }
    let valueTypes: [ValueType] = types.prefix(Int(params + results)).map { raw in
        switch wasm_rt_type_t(rawValue: UInt32(raw)) {
        case WASM_RT_I32: .i32
        case WASM_RT_I64: .i64
        case WASM_RT_F32: .f32
        case WASM_RT_F64: .f64
        case WASM_RT_EXTERNREF: .ref(.externRef)
        default: .ref(.funcRef)
        }
    }
    let split = min(Int(params), valueTypes.count)
    return "\(FunctionType(parameters: Array(valueTypes[..<split]), results: Array(valueTypes[split...])))"
}
