import Glibc

/// Loads and prepares Wasm modules for the kernel. The kernel knows nothing of
/// Wasm; the host (Interp) implements this and the kernel calls it for
/// `sys_spawn`.
public protocol ModuleLauncher: Sendable {
    /// Loads and validates `name` (a module name, no path) from `directory`,
    /// without running it.
    func prepare(module name: String, directory: String) -> Result<any PreparedActor, SpawnFailure>
}

/// A loaded module ready to run as an actor.
public protocol PreparedActor: Sendable {
    /// What the prepared instance is charged to, which the actor's entry
    /// takes over; nil for a new account.
    var account: ResourceAccount? { get }
    /// Runs the actor, on its own thread, as `actor`. Its caps are already
    /// granted. Throws if it cannot run (no thread to be had); the caller
    /// then ends `actor` and undoes what it granted.
    func start(in kernel: Kernel, as actor: ActorID) throws(SpawnFailure)
}

extension PreparedActor {
    public var account: ResourceAccount? { nil }
}

/// Why a spawn failed; logged in full, reported to the actor as an error code.
public struct SpawnFailure: Error, Sendable, CustomStringConvertible {
    public let code: SysError
    public let reason: String
    public init(code: SysError, reason: String) {
        self.code = code
        self.reason = reason
    }
    public var description: String { reason }
}

/// The right to start modules by name from an ordered list of folders (how
/// paint loads filter plugins at run time). A name is looked up at each
/// spawn, so a module added, replaced or removed meanwhile is what the next
/// spawn finds: the last folder holding `name.wasm` wins (later folders
/// override earlier ones, as a user's plugins override the built-in ones).
final class Spawner: KernelObject, @unchecked Sendable {
    override var kind: ObjectKind { .spawner }
    let folders: [String]
    init(folders: [String]) {
        precondition(!folders.isEmpty, "a spawner needs at least one folder")
        self.folders = folders
    }

    /// Module names are plain file stems: no paths, no dots, nothing to escape
    /// the directory with.
    static func isValidModuleName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d
        }
    }

    /// The folder `name` (a valid module name) is started from: the last of
    /// `folders` holding a file `name.wasm` now. When none does, the last
    /// folder, whose launcher then says the module is missing. Looks at the
    /// file system: never call it holding the kernel lock.
    static func folder(for name: String, in folders: [String]) -> String {
        folders.last { folder in
            var info = stat()
            return stat(folder + "/" + name + ".wasm", &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        } ?? folders[folders.count - 1]
    }
}

/// A cap naming a running actor: sending on it reaches the actor's boot
/// endpoint (its handle 1); with the kill right it can end the actor.
final class ActorObject: KernelObject, @unchecked Sendable {
    override var kind: ObjectKind { .actor }
    let target: ActorID
    let endpoint: Endpoint
    init(target: ActorID, endpoint: Endpoint) {
        self.target = target
        self.endpoint = endpoint
    }
    override var infoSize: UInt64 { UInt64(target.rawValue) }
}
