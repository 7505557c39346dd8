#if canImport(Glibc)
    import Glibc
#endif

/// The compiled tier's cache folder, held open: every file operation in it
/// is relative to this descriptor (`openat`, `renameat`, `unlinkat`, ...)
/// and never follows a symlink, so a link planted in the cache cannot point
/// a load, a write or a removal elsewhere. Objects are loaded from the very
/// descriptor their contents were hashed from (`/proc/self/fd/N`).
///
/// Opening checks every folder of the path as opened (not by name). For the
/// user's cache (`Kind.user`) each belongs to this user or root and is
/// writable by no one else unless it has the sticky bit (as /tmp); the last
/// one belongs to this user and is made private (0700). For the system
/// cache (`Kind.system`) root must own every folder, and the files in it:
/// a folder an ordinary user could write to is refused, as its objects
/// would be loaded into every user's wskdesk.
final class CacheDirectory: @unchecked Sendable {
    // `fd` and `path` are immutable; the descriptor is closed only in deinit.
    let fd: Int32
    let path: String
    let kind: Kind

    enum Kind: Equatable {
        /// The user's own cache: created private (0700), files of this user.
        case user
        /// The system cache (`ModuleCompiler.systemDirectory`), root's:
        /// read-only, never created, unless `writable` (root's
        /// `wskdesk compile --system`), which creates it readable by all (0755).
        case system(writable: Bool)
    }

    /// Whom the last folder and every file in it must belong to.
    var owner: uid_t { kind == .user ? geteuid() : 0 }

    /// Opens `path`, creating missing folders unless it is the system cache
    /// read-only, and checks the chain.
    init(path: String, kind: Kind = .user) throws(CompileError) {
        guard path.hasPrefix("/") else { throw CompileError("the cache folder \(path) is not an absolute path") }
        if case .system(writable: true) = kind, geteuid() != 0 {
            throw CompileError("only root may write the system cache \(path)")
        }
        let creates = kind != .system(writable: false)
        let folderMode: mode_t = kind == .user ? 0o700 : 0o755
        var current = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { throw CompileError("cannot open /: \(errnoText())") }
        var shown = ""
        let parts = path.split(separator: "/")
        for (n, part) in parts.enumerated() {
            shown += "/" + part
            let created = creates && mkdirat(current, String(part), folderMode) == 0
            if creates, !created, errno != EEXIST {
                let error = errnoText()
                close(current)
                throw CompileError("cannot create \(shown): \(error)")
            }
            let next = openat(current, String(part), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            close(current)
            guard next >= 0 else {
                throw CompileError(errno == ENOENT ? "\(shown) does not exist" : "cannot open \(shown): \(errnoText())")
            }
            current = next
            // As asked, whatever the umask: users must be able to reach the system cache.
            if created { fchmod(current, folderMode) }
            do {
                try Self.check(current, shown, last: n == parts.count - 1, kind: kind)
            } catch {
                close(current)
                throw error
            }
        }
        fd = current
        self.path = path
        self.kind = kind
    }

    deinit { close(fd) }

    private static func check(_ fd: Int32, _ shown: String, last: Bool, kind: Kind) throws(CompileError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CompileError("cannot inspect \(shown): \(errnoText())") }
        let user = geteuid()
        let writableByOthers = info.st_mode & 0o022 != 0
        switch (kind, last) {
        case (.user, true):
            guard info.st_uid == user else {
                throw CompileError("\(shown) belongs to another user; compiled modules are not loaded from it")
            }
            if info.st_mode & 0o077 != 0, fchmod(fd, 0o700) != 0 {
                throw CompileError("\(shown) is open to other users and cannot be made private")
            }
        case (.user, false):
            guard info.st_uid == user || info.st_uid == 0 else {
                throw CompileError("\(shown) belongs to another user; the cache in it could be replaced under wskdesk")
            }
            guard !writableByOthers || info.st_mode & S_ISVTX != 0 else {
                throw CompileError("\(shown) is writable by other users; the cache in it could be replaced under wskdesk")
            }
        case (.system(let writable), _):
            guard info.st_uid == 0 else {
                throw CompileError("\(shown) does not belong to root; the system cache is not used")
            }
            if last, writable {
                // Root's own `compile --system`: readable by all, written by root only.
                guard info.st_mode & 0o7777 == 0o755 || fchmod(fd, 0o755) == 0 else {
                    throw CompileError("\(shown) cannot be made 0755: \(errnoText())")
                }
                break
            }
            guard writableByOthers else { break }
            // A sticky folder above (as /tmp) keeps others from replacing
            // root's folder in it; the cache itself has no such excuse.
            if !last, info.st_mode & S_ISVTX != 0 { break }
            throw CompileError("\(shown) is writable by other users than root; the system cache is not used")
        }
    }

    // MARK: Files

    /// A regular file of this folder, opened without following a link, and
    /// its contents; nil (with why) when it is missing or not a regular file
    /// of this folder's owner (root's in the system cache, and written by
    /// root only). The caller closes the descriptor.
    func openRegular(_ name: String) -> Result<(fd: Int32, bytes: [UInt8]), CompileError> {
        let file = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard file >= 0 else {
            return .failure(CompileError(errno == ELOOP ? "\(path)/\(name) is a symbolic link" : "\(path)/\(name): \(errnoText())"))
        }
        var info = stat()
        guard fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == owner else {
            close(file)
            return .failure(CompileError("\(path)/\(name) is not a regular file of \(kind == .user ? "this user" : "root")"))
        }
        if kind != .user, info.st_mode & 0o022 != 0 {
            close(file)
            return .failure(CompileError("\(path)/\(name) is writable by other users than root"))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else {
                let error = errnoText()
                close(file)
                return .failure(CompileError("cannot read \(path)/\(name): \(error)"))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return .success((file, bytes))
    }

    /// A path through which the object open as `file` can be loaded: the
    /// same file, whatever its name points to now.
    static func loadPath(of file: Int32) -> String { "/proc/self/fd/\(file)" }

    func remove(_ name: String) { unlinkat(fd, name, 0) }

    /// Marks `name` used now (its modification time), not following a link.
    func touch(_ name: String) { utimensat(fd, name, nil, AT_SYMLINK_NOFOLLOW) }

    /// Moves `from` (a path relative to this folder) to `to`, replacing it.
    func rename(_ from: String, to: String) throws(CompileError) {
        guard renameat(fd, from, fd, to) == 0 else {
            throw CompileError("cannot store \(path)/\(to): \(errnoText())")
        }
    }

    /// When `name` was last modified, or nil when it is missing.
    func modificationTime(_ name: String) -> time_t? {
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return info.st_mtim.tv_sec
    }

    /// The names in this folder, without "." and "..".
    func entries() -> [String] { Self.entries(of: fd) }

    private static func entries(of fd: Int32) -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else { return [] }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    // MARK: Build folders

    /// A new, empty build folder `build-<pid>-<random>` (0700); its name.
    func makeBuildFolder() throws(CompileError) -> String {
        for _ in 0..<16 {
            let name = "build-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
            if mkdirat(fd, name, 0o700) == 0 { return name }
            guard errno == EEXIST else { throw CompileError("cannot create a build folder in \(path): \(errnoText())") }
        }
        throw CompileError("cannot create a build folder in \(path): every name tried exists")
    }

    /// Removes the folder `name` and the files in it (it has no
    /// subfolders), never following a link.
    func removeFolder(_ name: String) {
        let folder = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if folder >= 0 {
            for entry in Self.entries(of: folder) { unlinkat(folder, entry, 0) }
            close(folder)
        }
        unlinkat(fd, name, AT_REMOVEDIR)
    }
}

private func errnoText() -> String { String(cString: strerror(errno)) }
