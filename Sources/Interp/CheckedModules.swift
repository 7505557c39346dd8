import Glibc

/// The modules a host has checked, by their bytes. The same module is loaded
/// again and again on a desktop: a filter plugin for every request, a kiosk
/// app after each restart, whatever a spawner starts twice. Found here, it
/// is not parsed, checked, validated or hashed again (`ModuleFacts`).
///
/// The key is every byte of the module, not a digest of them, so two modules
/// share an entry only if they are the same module. At most `capacity`
/// modules and `byteCapacity` bytes are kept; the least recently used go first.
struct CheckedModules {
    let capacity: Int
    let byteCapacity: Int

    private struct Entry {
        let module: CheckedModule
        var lastUse: UInt64
    }

    private var entries: [ModuleBytes: Entry] = [:]
    private var keptBytes = 0
    private var clock: UInt64 = 0

    init(capacity: Int = 64, byteCapacity: Int = 64 << 20) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    var count: Int { entries.count }

    /// The module in `bytes` if it was checked before, under `name` and `source`.
    mutating func find(_ bytes: [UInt8], name: String, source: String) -> CheckedModule? {
        guard let index = entries.index(forKey: ModuleBytes(bytes)) else { return nil }
        clock += 1
        entries.values[index].lastUse = clock
        return entries.values[index].module.named(name, source: source)
    }

    /// Remembers a module that passed its checks, forgetting the least
    /// recently used ones past the capacities. A module larger than
    /// `byteCapacity` is not kept.
    mutating func remember(_ module: CheckedModule) {
        let key = ModuleBytes(module.bytes)
        guard module.bytes.count <= byteCapacity, entries[key] == nil else { return }
        clock += 1
        entries[key] = Entry(module: module, lastUse: clock)
        keptBytes += module.bytes.count
        while entries.count > capacity || keptBytes > byteCapacity {
            let oldest = entries.min { $0.value.lastUse < $1.value.lastUse }!
            entries[oldest.key] = nil
            keptBytes -= oldest.key.bytes.count
        }
    }
}

/// A module's bytes as a dictionary key, hashed as one block rather than
/// byte by byte.
private struct ModuleBytes: Hashable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ModuleBytes, b: ModuleBytes) -> Bool {
        a.bytes.count == b.bytes.count && (a.bytes.isEmpty || a.bytes.withUnsafeBytes { a in
            b.bytes.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        })
    }
}
