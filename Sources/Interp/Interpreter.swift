@_spi(Fuzzing) import WasmKit
import Kernel
import Synchronization

/// The interpreter tier: WasmKit. Starts at once; fuel metering is its watchdog.
struct InterpreterEngine: ExecutionTier {
    var name: String { "interpreter" }
    /// Translates every function body while a module is instantiated, which
    /// validates them all: a malformed body is a load error, not a later trap.
    let engine: Engine
    /// Translates a body when it is first called: for modules whose bodies
    /// have all passed validation once (`ModuleFacts`), so that an actor
    /// starts without translating code it may never run.
    let lazyEngine: Engine
    let limits: ActorLimits

    init(limits: ActorLimits) {
        self.limits = limits
        let configuration = { (mode: EngineConfiguration.CompilationMode) in
            EngineConfiguration(
                compilationMode: mode, stackSize: limits.interpreterStackBytes, features: WasmLanguage.wasmKitFeatures,
                fuelMetering: true)
        }
        self.engine = Engine(configuration: configuration(.eager))
        self.lazyEngine = Engine(configuration: configuration(.lazy))
    }

    /// What WasmKit's fuel charges a bulk memory or table operation, besides
    /// one unit for the instruction: a unit per 64 bytes it moves or adds
    /// (`chargeBytesCopied` in WasmKit's Fuel.swift), a table element counting
    /// the bytes of a `Reference`. The compiled tier charges the same.
    static let bulkFuelBytes = 64
    static let tableElementFuelBytes = MemoryLayout<Reference>.stride

    /// Instantiates `module` with the "env" host calls and WASI functions bound to `context`,
    /// its memories and tables charged to `context.account`.
    func instantiate(_ module: CheckedModule, context: ActorContext) throws(ModuleLoadError) -> any RunnableActor {
        let limiter = GrowthLimiter(limits: limits, account: context.account)
        let validated = module.facts.bodiesValidated
        let store = makeStore(limiter, engine: validated ? lazyEngine : engine)
        let memoryBox = MemoryBox()
        let calls = HostCalls(context: context, tier: .interpreter)
        var imports = Imports()
        for (importModule, name, number) in Self.bindings(of: module) {
            imports.define(module: importModule, name: name,
                           hostFunction(number, store: store, calls: calls, memory: memoryBox, fuel: limits.fuelPerCall))
        }
        let (memory, start) = try instantiate(module, store: store, imports: imports)
        if !validated { module.facts.recordBodiesValidated() }
        limiter.instantiated()
        memoryBox.memory = memory
        return InterpretedActor(
            store: store, start: start, memory: memoryBox, context: context, fuelPerCall: limits.fuelPerCall, module: module,
            limiter: limiter)
    }

    /// Refuses `module` exactly as `instantiate` would, without an actor: the
    /// compiled tier's validation, so both tiers refuse the same modules with
    /// the same words.
    func validate(_ module: CheckedModule) throws(ModuleLoadError) {
        guard !module.facts.bodiesValidated else { return }
        let store = makeStore(GrowthLimiter(limits: limits, account: nil), engine: engine)
        var imports = Imports()
        for (importModule, name, number) in Self.bindings(of: module) {
            let signature = HostBinding.signature(number)
            imports.define(module: importModule, name: name, Function(
                store: store, parameters: signature.parameters.map(ModuleCheck.valueType),
                results: signature.results.map(ModuleCheck.valueType)
            ) { _, _ in throw ActorUnwind.terminated })
        }
        _ = try instantiate(module, store: store, imports: imports)
        module.facts.recordBodiesValidated()
    }

    private func makeStore(_ limiter: GrowthLimiter, engine: Engine) -> Store {
        let store = Store(engine: engine)
        store.resourceLimiter = limiter
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
            throw ModuleLoadError(source: module.source, problems: [instantiationProblem(firstLine(of: error))])
        }
    }

    /// WasmKit's words for an instance it refused, in ours: a body that fails
    /// validation (`"Expected i64 on the stack top but got i32" at offset
    /// 0x38`) is said to be invalid, where and what to do; anything else (a
    /// limit, a trap while instantiating) as WasmKit says it.
    func instantiationProblem(_ text: String) -> String {
        let marker = "\" at offset 0x"
        guard text.first == "\"", let split = text.ranges(of: marker).last else {
            return "cannot instantiate: \(text)"
        }
        let offset = text[split.upperBound...]
        let reason = text[text.index(after: text.startIndex)..<split.lowerBound]
        guard !reason.isEmpty, !offset.isEmpty, offset.allSatisfy({ $0.isHexDigit }) else { return "cannot instantiate: \(text)" }
        return "is not valid WebAssembly: \(reason.prefix(1).lowercased() + reason.dropFirst()) at offset 0x\(offset): "
            + "the file is corrupt or the compiler that made it is broken; build it again"
    }

    /// The module's imports: module, name and number in `HostBinding`.
    static func bindings(of module: CheckedModule) -> [(String, String, Int)] {
        module.importedCalls.map { (ABI.importModule, $0, HostBinding.number(of: $0)!) }
            + module.importedWASI.map { (WASI.importModule, $0, HostBinding.number(ofWASI: $0)!) }
    }

    private func hostFunction(_ number: Int, store: Store, calls: HostCalls, memory box: MemoryBox, fuel: UInt64)
        -> Function
    {
        let signature = HostBinding.signature(number)
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

/// The module's exported memory, known only after instantiation. The store's
/// host functions hold the box and the memory holds the store's allocator:
/// `InterpretedActor` empties the box when it goes, so nothing of the store
/// can outlive the instance through it.
final class MemoryBox: @unchecked Sendable {
    // Written before the actor runs and after it ended, read on the actor's
    // thread only in between.
    var memory: Memory?
}

struct WasmKitMemory: GuestMemory {
    let memory: Memory
    var byteCount: Int { memory.byteCount }
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try memory.withUnsafeMutableBufferPointer(offset: UInt(range.lowerBound), count: range.count, body)
    }
}

/// Refuses memory or table growth past the actor's limits (`ActorLimits`),
/// and charges every byte of the instance's memories and tables to its
/// account, all given back when the store, and with it every memory and
/// table, is freed. Without an account (validation) it only limits.
///
/// WasmKit asks with the new size of one memory or table but not which one.
/// While the module instantiates, each question is a new one (a checked
/// module has no start function and imports neither); a refusal then fails
/// the instantiation with the account's words. Afterwards each is a growth,
/// refused as a failed `memory.grow`/`table.grow` (-1), and charged as if the
/// smallest grew: exact for one memory and one table, never less than the
/// truth for more.
final class GrowthLimiter: ResourceLimiter {
    /// Bytes of one table element in WasmKit: an address (its `TableElements`).
    static let tableElementBytes = MemoryLayout<Int>.stride

    let limits: ActorLimits
    let account: ResourceAccount?
    private let state = Mutex(State())

    private struct State {
        var instantiating = true
        var refusal: MemoryRefusal?
        var memoryBytes: [Int] = []
        var tableElements: [Int] = []
        var charged = 0
    }

    init(limits: ActorLimits, account: ResourceAccount?) {
        self.limits = limits
        self.account = account
    }

    deinit {
        if let account { account.release(state.withLock { $0.charged }) }
    }

    /// The module is instantiated: from now on every question is a growth.
    func instantiated() { state.withLock { $0.instantiating = false } }

    /// The limit that refused the last `memory.grow` it refused, if any:
    /// an allocator that traps after that has run out of memory.
    var refusal: MemoryRefusal? { state.withLock { $0.refusal } }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= limits.memoryBytes else {
            state.withLock { $0.refusal = .memoryLimit(bytes: limits.memoryBytes) }
            return false
        }
        return try charge(\.memoryBytes, to: desired, bytesEach: 1)
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        guard desired <= limits.tableElements else { return false }
        return try charge(\.tableElements, to: desired, bytesEach: GrowthLimiter.tableElementBytes)
    }

    /// Charges a memory or table (`sizes` holds them all) growing to `desired` units.
    private func charge(_ sizes: WritableKeyPath<State, [Int]>, to desired: Int, bytesEach: Int) throws(OutOfMemory)
        -> Bool
    {
        try state.withLock { state throws(OutOfMemory) -> Bool in
            let isNew = state.instantiating || state[keyPath: sizes].isEmpty
            let smallest = isNew ? nil : state[keyPath: sizes].indices.min { state[keyPath: sizes][$0] < state[keyPath: sizes][$1] }
            let old = smallest.map { state[keyPath: sizes][$0] } ?? 0
            let bytes = max(desired - old, 0) * bytesEach
            if bytes > 0, let account, let refusal = account.charge(bytes) {
                if isNew { throw OutOfMemory(refusal: refusal, account: account) }
                if sizes == \State.memoryBytes { state.refusal = MemoryRefusal(refusal, account: account) }
                return false
            }
            state.charged += bytes
            if let smallest {
                state[keyPath: sizes][smallest] = max(old, desired)
            } else {
                state[keyPath: sizes].append(desired)
            }
            return true
        }
    }
}

/// A memory or table the actor's account refused, in the words both tiers say it.
struct OutOfMemory: Error, CustomStringConvertible {
    let refusal: ChargeRefusal
    let account: ResourceAccount

    var description: String {
        switch refusal {
        case .actorLimit: "out of memory: the actor's limit of \(byteCount(account.limit)) is reached"
        case .globalBudget: "out of memory: all actors' budget of \(byteCount(account.budget.limit)) is reached"
        }
    }

    private func byteCount(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

/// A running instance; lives on its actor's thread only.
final class InterpretedActor: RunnableActor, @unchecked Sendable {
    // Created on the spawning thread, then handed whole to the actor's thread,
    // which is the only one that touches it afterwards.
    private let store: Store
    private let start: Function
    private let memory: MemoryBox
    let context: ActorContext
    let fuelPerCall: UInt64
    /// Where a trap's report finds function names.
    private let module: CheckedModule
    private let limiter: GrowthLimiter

    init(
        store: Store, start: Function, memory: MemoryBox, context: ActorContext, fuelPerCall: UInt64, module: CheckedModule,
        limiter: GrowthLimiter
    ) {
        self.store = store
        self.start = start
        self.memory = memory
        self.context = context
        self.fuelPerCall = fuelPerCall
        self.module = module
        self.limiter = limiter
    }

    /// The store, its memories and tables go with the instance (and give
    /// their bytes back to the account): nothing else holds them once the
    /// box is empty.
    deinit { memory.memory = nil }

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
            var report = interpretedTrap(error)
            if report.reason.contains("out of fuel") {
                // Ended while it ran: the kernel has said why already.
                if context.isEnded { return .terminated }
                report.reason = "watchdog: ran \(fuelPerCall) instructions without a host call"
            } else {
                report.refusal = limiter.refusal
            }
            return .trapped(report.text(module: module))
        }
    }

    /// WasmKit's fuel is a plain field of the store, charged without atomics
    /// on the actor's thread: lowering it from another thread would race and
    /// could be lost. An ended actor unwinds at its next host call instead,
    /// and the watchdog bounds how long that can take (`fuelPerCall`).
    func interrupt() {}
}

/// A WasmKit error as a trap report: its first line (less "Trap: ") is the
/// reason, each further line of a trap a frame, innermost first,
/// `    0: (0x7f0012345678) wasm function[12]`. WasmKit never sees a module's
/// name section (`FunctionNames.hidingNameSection`), so that is all a frame
/// line can say; only the index is kept.
func interpretedTrap(_ error: any Error) -> TrapReport {
    let text = String(describing: error)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
    let first = lines.popFirst() ?? ""
    var report = TrapReport(reason: String(first.hasPrefix("Trap: ") ? first.dropFirst(6) : first))
    let marker = "wasm function["
    for line in lines {
        guard let start = line.firstRange(of: marker)?.upperBound, let end = line[start...].firstIndex(of: "]"),
            let index = UInt32(line[start..<end])
        else { continue }
        if report.frames.innermost.count < TrapReport.shownFrames { report.frames.innermost.append(index) }
        report.frames.depth += 1
    }
    return report
}

/// What a WasmKit error says, without the backtrace a trap carries: after a
/// deep recursion that runs to one line per frame (tens of thousands), and its
/// addresses mean nothing to the user reading an exit reason.
func firstLine(of error: any Error) -> String {
    let text = String(describing: error)
    return text.firstIndex(of: "\n").map { String(text[..<$0]) } ?? text
}
