import Kernel

/// An engine that runs Wasm actors: the interpreter (WasmKit) or the compiled
/// tier (wasm2c and the C compiler). Every tier binds the same host calls (`HostCalls`) and must behave
/// the same: same results, same traps, same effect of a trap on the actor.
protocol ExecutionTier: Sendable {
    var name: String { get }
    /// Instantiates a checked module with the "env" host calls bound to `context`.
    func instantiate(_ module: CheckedModule, context: ActorContext) throws(ModuleLoadError) -> any RunnableActor
}

/// An instantiated actor, run once on its own thread.
protocol RunnableActor: Sendable {
    /// Runs `_start` to its end and says how the actor ended.
    func run() -> RunOutcome
    /// Called from another thread when the kernel ends the actor: makes a
    /// running instance stop as soon as the engine can. Freeing the instance
    /// gives back its memory.
    func interrupt()
}

enum RunOutcome {
    /// `_start` returned.
    case returned
    /// `sys_exit(code)`.
    case exited(Int32)
    /// The kernel ended the actor while it ran; it recorded why.
    case terminated
    /// A trap, a limit or the watchdog.
    case trapped(String)
}
