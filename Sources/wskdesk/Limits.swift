import Kernel

#if canImport(Glibc)
    import Glibc
#endif

extension KernelLimits {
    /// The kernel's limits for a desktop: the manifest's `[limits]` where it
    /// sets them, else the kernel's defaults, with all actors' memory budget
    /// at half the machine's memory — the rest is for wskdesk itself (its
    /// frame buffers, the compiled tier's builds) and everything else the
    /// machine runs — and never less than one actor's limit.
    static func forDesktop(_ limits: Manifest.Limits, physicalMemory: Int = physicalMemoryBytes()) -> KernelLimits {
        var kernel = KernelLimits()
        if let mib = limits.actorMemoryMiB { kernel.actorMemoryLimit = mib << 20 }
        if let mib = limits.memoryBudgetMiB {
            kernel.globalMemoryBudget = mib << 20
        } else {
            kernel.globalMemoryBudget = max(physicalMemory / 2, kernel.actorMemoryLimit)
        }
        if let actors = limits.actors { kernel.maxActors = actors }
        if let children = limits.childrenPerActor { kernel.maxChildrenPerActor = children }
        return kernel
    }

    /// One line for the log: what actors may cause.
    var summary: String {
        "actors may use \(mebibytes(actorMemoryLimit)) each and \(mebibytes(globalMemoryBudget)) in all; "
            + "at most \(maxActors) actors, \(maxChildrenPerActor) children each"
    }
}

/// The machine's memory (`_SC_PHYS_PAGES` pages); 4 GiB if the system does not say.
func physicalMemoryBytes() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let size = sysconf(Int32(_SC_PAGESIZE))
    return pages > 0 && size > 0 ? pages * size : 4 << 30
}

private func mebibytes(_ bytes: Int) -> String {
    bytes >= 10 << 30 ? "\(bytes >> 30) GiB" : "\(bytes >> 20) MiB"
}
