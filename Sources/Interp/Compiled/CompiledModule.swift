import CWasmRT
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A compiled module loaded into the process: the `wsk_*` entry points of
/// its shared object (wskrt.h). Loaded once per process and never unloaded,
/// since instances may run its code on any thread until the process ends.
final class CompiledModule: @unchecked Sendable {
    // Immutable after init; the function pointers point into an object that is never closed.
    let path: String
    let newInstance: wsk_instance_new_fn
    let instantiate: wsk_instance_entry_fn
    let start: wsk_instance_entry_fn
    let freeInstance: wsk_instance_free_fn
    /// The dlopen handle, for a spec module's `wsk_spec_export_<n>` (SpecGlue).
    private let handle: UnsafeMutableRawPointer

    /// One load at a time: loading the same object twice yields the same
    /// handle, whose initialization must not run on two threads at once.
    private static let loading = Mutex(())

    /// Loads the shared object at `path` and hands it the runtime; messages
    /// name it `shownAs` (the cache loads through /proc/self/fd/N).
    init(path: String, shownAs: String? = nil) throws(CompileError) {
        let shown = shownAs ?? path
        let loaded = CompiledModule.loading.withLock { _ in Result { () throws(CompileError) in try CompiledModule.load(path, shown) } }
        (handle, newInstance, instantiate, start, freeInstance) = try loaded.get()
        self.path = shown
    }

    private static func load(_ path: String, _ shown: String) throws(CompileError) -> (
        UnsafeMutableRawPointer, wsk_instance_new_fn, wsk_instance_entry_fn, wsk_instance_entry_fn, wsk_instance_free_fn
    ) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw CompileError("cannot load \(shown): \(String(cString: dlerror()))")
        }
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let initialize = symbol("wsk_module_init", as: wsk_module_init_fn.self),
            let newInstance = symbol("wsk_instance_new", as: wsk_instance_new_fn.self),
            let instantiate = symbol("wsk_instantiate", as: wsk_instance_entry_fn.self),
            let start = symbol("wsk_start", as: wsk_instance_entry_fn.self),
            let freeInstance = symbol("wsk_instance_free", as: wsk_instance_free_fn.self)
        else {
            dlclose(handle)
            throw CompileError("\(shown) is not a wskdesk compiled module")
        }
        // Nothing of the module has run yet, so refusing it can still unload it.
        guard initialize(wskrt_api_table()) == 0 else {
            dlclose(handle)
            throw CompileError("\(shown) was built for another version of the runtime")
        }
        return (handle, newInstance, instantiate, start, freeInstance)
    }

    /// The entry point of a spec module's export `n`, if it is a function or global.
    func specExport(_ n: Int) -> wsk_instance_entry_fn? {
        dlsym(handle, "wsk_spec_export_\(n)").map { unsafeBitCast($0, to: wsk_instance_entry_fn.self) }
    }
}
