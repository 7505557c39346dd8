import AppProtocols
import Compositor
import Foundation
import Interp
import Kernel
import Logging
import Synchronization
import Threads

#if canImport(Glibc)
    import Glibc
#endif

/// Watches the plugin folders (inotify) and tells each app holding a
/// spawner over them what changed: PLUGINS_CHANGED on its windows, one line
/// per module (`+name`, `-name`, `~name`), computed against that spawner's
/// own folder list, later folders overriding earlier ones.
///
/// Only a finished file counts: one written and closed (`IN_CLOSE_WRITE`),
/// moved in (`IN_MOVED_TO`), deleted or moved out; and only a name a spawn
/// takes (`NAME.wasm`). An editor's `.blur.wasm.swp` or a copy's
/// `blur.wasm.tmp` says nothing, and a file being copied is not looked at
/// until it is closed. Events are gathered until the folders have been
/// quiet for `quietPeriodMilliseconds` (a copy then a rename, a build writing several
/// plugins), so they come to an app as one message.
///
/// Added and changed modules are checked as a spawn checks them, and a
/// failure logged; the app is told regardless (its spawn then says why).
/// The watcher runs on a thread of its own: it takes the kernel lock only
/// to list who holds spawners, and posts to ui_server without waiting.
final class PluginWatcher: Sendable {
    /// Checks a module file as a spawn would: nil when it loads, else why not.
    typealias Check = @Sendable (_ path: String, _ name: String) -> String?

    /// How long the folders must be quiet before a change is told.
    static let quietPeriodMilliseconds: Int32 = 20
    /// The longest a change waits while events keep coming.
    static let longestWaitNanoseconds: UInt64 = 250_000_000

    private let inotify: Int32
    /// A pipe whose read end `poll` watches beside inotify: `stop` writes to it.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Watch descriptor → folder (its real path).
    private let watched: [Int32: String]
    private let kernel: Kernel
    private let server: UIServer
    private let logger: Logger
    private let check: Check
    private let thread = ServiceThread(name: "plugin watcher")
    private let closed = Atomic<Bool>(false)

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts watching `folders` (a folder that cannot be watched is logged
    /// and left out). Nothing is read until `start`.
    init(folders: [String], kernel: Kernel, server: UIServer, logger: Logger, check: @escaping Check) throws(Failure) {
        self.kernel = kernel
        self.server = server
        self.logger = logger
        self.check = check
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else { throw Failure(description: "inotify: \(String(cString: strerror(errno)))") }
        var ends: [Int32] = [-1, -1]
        // pipe2 is not in Swift's Glibc. A compiler started by another thread
        // in between may inherit the ends: harmless, nothing waits for this
        // pipe's end of file.
        guard pipe(&ends) == 0 else {
            let why = String(cString: strerror(errno))
            close(inotify)
            throw Failure(description: "a pipe for the plugin watcher: \(why)")
        }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
        var watched: [Int32: String] = [:]
        for folder in folders {
            let real = Self.realPath(folder)
            let wd = inotify_add_watch(inotify, real, mask)
            if wd < 0 {
                logger.warning("not watching the plugin folder \(folder): \(String(cString: strerror(errno)))")
                continue
            }
            watched[wd] = real
        }
        self.watched = watched
    }

    deinit { closeDescriptors() }

    /// The inotify descriptor and the wake pipe's ends (tests).
    var descriptors: [Int32] { [inotify, wakeRead, wakeWrite] }

    /// Whether the thread has ended, or never started.
    var hasEnded: Bool { thread.join(timeout: .now()) }

    /// Starts the watcher's thread. It reads the folders as they are now:
    /// what changes from here on is told.
    func start() {
        let initial = FolderState(folders: Array(Set(watched.values)))
        thread.start { [self] thread in
            var state = initial
            watch(&state, while: thread)
        }
    }

    /// Stops the thread, waits for it, and closes the watcher's descriptors.
    func stop() {
        if thread.cancel() {
            _ = write(wakeWrite, [UInt8(1)], 1)
            thread.join()
        }
        closeDescriptors()
    }

    private func closeDescriptors() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        close(inotify)
        close(wakeRead)
        close(wakeWrite)
    }

    /// The check a spawn does: load (parse, check, validate) and instantiate.
    static func spawnCheck(_ host: WasmActorHost) -> Check {
        { path, name in
            do {
                let module = try host.load(path: path, name: name)
                _ = try host.prepare(module)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    // MARK: The loop

    /// What changed since the last told change: (folder, module name) pairs.
    private struct Pending {
        var touched: Set<Touch> = []
        /// Every folder is to be read again (the kernel's queue overflowed).
        var everything = false
        var since: UInt64 = 0
        var isEmpty: Bool { touched.isEmpty && !everything }
    }

    struct Touch: Hashable {
        let folder: String
        let name: String
    }

    private func watch(_ state: inout FolderState, while thread: ServiceThread) {
        var pending = Pending()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while thread.isRunning {
            var timeout: Int32 = -1
            if !pending.isEmpty {
                let waited = DispatchTime.now().uptimeNanoseconds - pending.since
                let left = Self.longestWaitNanoseconds > waited ? Self.longestWaitNanoseconds - waited : 0
                timeout = min(Self.quietPeriodMilliseconds, Int32(left / 1_000_000))
            }
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("the plugin watcher stops: poll: \(String(cString: strerror(errno)))")
                return
            }
            guard thread.isRunning else { return }
            if fds[0].revents & Int16(POLLIN) != 0 {
                if pending.isEmpty { pending.since = DispatchTime.now().uptimeNanoseconds }
                readEvents(into: &pending, buffer: &buffer, state: state)
            }
            let overdue = !pending.isEmpty && DispatchTime.now().uptimeNanoseconds - pending.since >= Self.longestWaitNanoseconds
            if !pending.isEmpty && (ready == 0 || overdue) {
                tell(pending, &state)
                pending = Pending()
            }
        }
    }

    /// Takes every queued inotify event, keeping those about module files.
    private func readEvents(into pending: inout Pending, buffer: inout [UInt8], state: FolderState) {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            guard count > 0 else { return }  // EAGAIN: all taken
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let (wd, mask, length) = buffer.withUnsafeBytes { bytes in
                    (bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                     bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let nameBytes = buffer[(offset + header)..<min(offset + header + length, count)]
                offset += header + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    pending.everything = true
                    continue
                }
                guard let folder = watched[wd] else { continue }
                if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                    // The folder itself went: every module it held is gone.
                    for name in state.names(in: folder) { pending.touched.insert(Touch(folder: folder, name: name)) }
                    continue
                }
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                guard name.hasSuffix(".wasm") else { continue }
                let module = String(name.dropLast(5))
                guard Self.isModuleName(module) else { continue }
                pending.touched.insert(Touch(folder: folder, name: module))
            }
        }
    }

    /// Reads the touched files again, works out each spawner holder's
    /// changes, checks what is new and tells the apps.
    private func tell(_ pending: Pending, _ state: inout FolderState) {
        let before = state
        var touched = pending.touched
        if pending.everything {
            for folder in state.folders {
                for name in state.names(in: folder) + AppBoot.modules(in: folder) {
                    touched.insert(Touch(folder: folder, name: name))
                }
            }
        }
        for touch in touched { state.reread(touch) }
        let names = Set(touched.map(\.name)).sorted()
        var checked: Set<String> = []
        var told: [String] = []
        var checking: UInt64 = 0
        var realPaths: [String: String] = [:]
        for holder in kernel.spawnerHolders() {
            let folders = holder.folders.map { folder in
                if let known = realPaths[folder] { return known }
                let real = Self.realPath(folder)
                realPaths[folder] = real
                return real
            }
            guard folders.contains(where: state.folders.contains) else { continue }
            let changes = names.compactMap { name in Self.change(of: name, in: folders, before: before, after: state) }
            guard !changes.isEmpty else { continue }
            for change in changes where change.kind != .removed {
                guard let path = change.path, checked.insert(path).inserted else { continue }
                let start = DispatchTime.now().uptimeNanoseconds
                defer { checking += DispatchTime.now().uptimeNanoseconds - start }
                if let why = check(path, change.name) {
                    logger.warning("plugin \(change.name).wasm in \((path as NSString).deletingLastPathComponent) does not load: \(why)")
                }
            }
            let lines = changes.map(\.line)
            for fields in Self.messages(lines) {
                server.sendToEveryWindow(of: holder.actor, opcode: WindowProtocol.pluginsChanged, fields: fields)
            }
            told.append("\(holder.name) (\(holder.actor)): \(lines.joined(separator: " "))")
        }
        let waited = Double(DispatchTime.now().uptimeNanoseconds - pending.since) / 1e6
        if !told.isEmpty {
            let times = String(format: "%.1f ms after the first event, %.1f ms of it checking", waited, Double(checking) / 1e6)
            logger.info("plugins changed; told \(told.joined(separator: "; ")) (\(times))")
        }
    }

    /// One module's change for a spawner over `folders`: which file a spawn
    /// started before, and which it starts now.
    static func change(of name: String, in folders: [String], before: FolderState, after: FolderState) -> Change? {
        let old = before.winner(name, in: folders)
        let new = after.winner(name, in: folders)
        switch (old, new) {
        case (nil, nil): return nil
        case (nil, let new?): return Change(kind: .added, name: name, path: new.path)
        case (_?, nil): return Change(kind: .removed, name: name, path: nil)
        case (let old?, let new?):
            return old == new ? nil : Change(kind: .changed, name: name, path: new.path)
        }
    }

    struct Change: Equatable {
        enum Kind: Character { case added = "+", removed = "-", changed = "~" }
        let kind: Kind
        let name: String
        /// The file a spawn starts now (none once removed).
        let path: String?
        var line: String { "\(kind.rawValue)\(name)" }
    }

    /// `lines` as PLUGINS_CHANGED payloads after the window id, each within
    /// `WindowProtocol.maxPluginsChangedBytes` with the id.
    static func messages(_ lines: [String]) -> [[UInt8]] {
        let room = WindowProtocol.maxPluginsChangedBytes - 4
        var messages: [[UInt8]] = []
        var current: [UInt8] = []
        for line in lines {
            let bytes = Array(line.utf8)
            if !current.isEmpty && current.count + 1 + bytes.count > room {
                messages.append(current)
                current = []
            }
            if !current.isEmpty { current.append(0x0a) }
            current += bytes
        }
        if !current.isEmpty { messages.append(current) }
        return messages
    }

    static func isModuleName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d
        }
    }

    /// The path with links and `..` resolved (as given when that fails), so
    /// that a spawner's folder and a watched one compare equal.
    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Which module files the watched folders hold, with what identifies each
/// file's version: a file rewritten in place or replaced by another has a
/// different stamp.
struct FolderState: Sendable {
    /// A file's identity and version.
    struct Stamp: Equatable, Sendable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modified: timespec
        let changed: timespec

        static func == (a: Stamp, b: Stamp) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }

        /// The regular file at `path`, following links; nil when there is none.
        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = info.st_mtim
            changed = info.st_ctim
        }
    }

    /// The watched folders (real paths).
    let folders: Set<String>
    private var stamps: [String: [String: Stamp]] = [:]

    /// The folders as they are now.
    init(folders: [String]) {
        self.folders = Set(folders)
        for folder in folders {
            for name in AppBoot.modules(in: folder) { reread(PluginWatcher.Touch(folder: folder, name: name)) }
        }
    }

    func names(in folder: String) -> [String] { stamps[folder].map { Array($0.keys) } ?? [] }

    mutating func reread(_ touch: PluginWatcher.Touch) {
        stamps[touch.folder, default: [:]][touch.name] = Stamp(path: touch.folder + "/" + touch.name + ".wasm")
    }

    /// The file a spawner over `folders` starts for `name`: the last folder
    /// holding it. A folder not watched is looked at as it is now.
    func winner(_ name: String, in folders: [String]) -> (path: String, stamp: Stamp)? {
        for folder in folders.reversed() {
            let path = folder + "/" + name + ".wasm"
            let stamp = self.folders.contains(folder) ? stamps[folder]?[name] : Stamp(path: path)
            if let stamp { return (path, stamp) }
        }
        return nil
    }
}
