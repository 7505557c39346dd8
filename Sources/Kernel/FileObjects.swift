import Glibc

/// What a file and a directory object share: an open descriptor of the
/// process, owned by the object.
///
/// `@unchecked Sendable`: `descriptor` never changes and is closed only in
/// deinit, when no read, write or listing can still be using it (each holds
/// the object while it runs outside the kernel lock), so a closed
/// descriptor's number can never be reused under work in progress.
class DescriptorObject: KernelObject, @unchecked Sendable {
    override var holdsDescriptor: Bool { true }
    let descriptor: Int32

    /// Takes ownership of `descriptor`.
    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { Glibc.close(descriptor) }
}

/// A regular file an actor was granted: an open descriptor, never a path.
/// The actor reads and writes bytes at offsets and, with `resize`, sets the
/// size; it cannot learn where the file is or reach anything beside it.
final class FileObject: DescriptorObject, @unchecked Sendable {
    override var kind: ObjectKind { .file }

    override var infoSize: UInt64 { UInt64(max(0, (try? size()) ?? 0)) }

    func size() throws(SysError) -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .ioFailed }
        return Int(status.st_size)
    }

    /// Reads up to `destination.count` bytes at `offset`; fewer at the end of
    /// the file, none past it. Returns how many.
    func read(at offset: Int, into destination: UnsafeMutableRawBufferPointer) throws(SysError) -> Int {
        var done = 0
        while done < destination.count {
            let n = pread(descriptor, destination.baseAddress! + done, destination.count - done, off_t(offset + done))
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw .ioFailed
            }
            done += n
        }
        return done
    }

    /// Writes all of `source` at `offset`, growing the file if it ends before.
    func write(at offset: Int, from source: UnsafeRawBufferPointer) throws(SysError) {
        var done = 0
        while done < source.count {
            let n = pwrite(descriptor, source.baseAddress! + done, source.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .ioFailed
            }
            done += n
        }
    }

    func resize(to size: Int) throws(SysError) {
        while ftruncate(descriptor, off_t(size)) != 0 {
            guard errno == EINTR else { throw .ioFailed }
        }
    }
}

/// A directory an actor was granted: it may list it, open the files in it
/// by name, and create files in it, as its rights say — nothing above it.
/// Names are single components; symbolic links are never followed, and
/// nothing but regular files and directories is ever opened (a FIFO or a
/// device node could block the opener or act on being opened).
final class DirectoryObject: DescriptorObject, @unchecked Sendable {
    override var kind: ObjectKind { .directory }

    /// One entry of a listing.
    struct Entry: Equatable {
        enum Kind: UInt8 {
            /// A symbolic link, FIFO, socket or device: listed, never opened.
            case other = 0
            case file = 1
            case directory = 2
        }

        let name: [UInt8]
        let kind: Kind
        /// Bytes, for a file; 0 otherwise.
        let size: UInt64
    }

    /// The entries, sorted by name, without "." and "..": at most `limit`
    /// of them (a directory of more is cut there: the work of one call stays
    /// bounded).
    func entries(limit: Int) throws(SysError) -> [Entry] {
        // A descriptor of its own: readdir moves a position that other
        // listings of the same directory must not share.
        let own = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard own >= 0 else { throw .ioFailed }
        guard let stream = fdopendir(own) else {
            Glibc.close(own)
            throw .ioFailed
        }
        defer { closedir(stream) }
        var entries: [Entry] = []
        while entries.count < limit, let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            entries.append(describe(name))
        }
        return entries.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    private func describe(_ name: [UInt8]) -> Entry {
        var status = stat()
        let found = FileName.withCString(name) { fstatat(descriptor, $0, &status, AT_SYMLINK_NOFOLLOW) } == 0
        guard found else { return Entry(name: name, kind: .other, size: 0) }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return Entry(name: name, kind: .file, size: UInt64(max(0, status.st_size)))
        case S_IFDIR: return Entry(name: name, kind: .directory, size: 0)
        default: return Entry(name: name, kind: .other, size: 0)
        }
    }

    /// Opens `name` in this directory: a regular file (read-only unless
    /// `writable`), or with `options.directory` a directory. Returns the new
    /// descriptor. The name is checked (`FileName.isValid`) by the caller.
    func open(_ name: [UInt8], options: OpenOptions, writable: Bool) throws(SysError) -> Int32 {
        try FileName.withCString(name) { (path: UnsafePointer<CChar>) throws(SysError) -> Int32 in
            try openChecked(path, options: options, writable: writable)
        }
    }

    private func openChecked(_ path: UnsafePointer<CChar>, options: OpenOptions, writable: Bool) throws(SysError) -> Int32 {
        // Look before opening: a FIFO would block the open, and opening a
        // device can act on it. What is opened must then be what was seen.
        var before = stat()
        let exists = fstatat(descriptor, path, &before, AT_SYMLINK_NOFOLLOW) == 0
        if !exists && errno != ENOENT { throw Self.error(errno) }
        if exists {
            guard !options.contains(.exclusive) else { throw .alreadyExists }
            let wanted = options.contains(.directory) ? S_IFDIR : S_IFREG
            guard before.st_mode & S_IFMT == wanted else { throw .wrongType }
        } else {
            guard options.contains(.create), !options.contains(.directory) else { throw .notFound }
        }
        var flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK
        if options.contains(.directory) {
            flags |= O_RDONLY | O_DIRECTORY
        } else {
            flags |= writable ? O_RDWR : O_RDONLY
            if options.contains(.create) { flags |= O_CREAT }
            if options.contains(.exclusive) || !exists { flags |= O_EXCL }  // created here, or not at all
            if options.contains(.truncate) { flags |= O_TRUNC }
        }
        let fd = Glibc.openat(descriptor, path, flags, mode_t(0o644))
        guard fd >= 0 else { throw Self.error(errno) }
        var after = stat()
        let wanted = options.contains(.directory) ? S_IFDIR : S_IFREG
        guard fstat(fd, &after) == 0, after.st_mode & S_IFMT == wanted,
            !exists || (after.st_dev == before.st_dev && after.st_ino == before.st_ino)
        else {
            // Swapped between the look and the open: refused, not followed.
            Glibc.close(fd)
            throw .wrongType
        }
        return fd
    }

    /// The error an actor sees for what the file system said.
    static func error(_ code: Int32) -> SysError {
        switch code {
        case ENOENT: .notFound
        case EEXIST: .alreadyExists
        case ELOOP, ENOTDIR, EISDIR, ENXIO: .wrongType
        case EMFILE, ENFILE: .limitReached
        default: .ioFailed
        }
    }
}

/// How `sys_dir_open` opens a name (its `flags`).
public struct OpenOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Create the file if it does not exist (needs `create` on the directory).
    public static let create = OpenOptions(rawValue: 1 << 0)
    /// Only create: an existing name is `alreadyExists`.
    public static let exclusive = OpenOptions(rawValue: 1 << 1)
    /// Empty the file (needs `write` and `resize` asked for).
    public static let truncate = OpenOptions(rawValue: 1 << 2)
    /// Open a directory, not a file.
    public static let directory = OpenOptions(rawValue: 1 << 3)

    public static let all: OpenOptions = [.create, .exclusive, .truncate, .directory]
}

/// A name inside a granted directory: one path component.
public enum FileName {
    /// The longest name, in bytes (Linux's NAME_MAX).
    public static let maxLength = 255

    /// 1 to 255 bytes, none of them `/` or NUL, and not `.` or `..`: a name
    /// that can only mean an entry of the directory itself.
    public static func isValid(_ name: [UInt8]) -> Bool {
        !name.isEmpty && name.count <= maxLength && !name.contains(0x2F) && !name.contains(0)
            && name != [0x2E] && name != [0x2E, 0x2E]
    }

    /// Calls `body` with `name` as a C string (the caller checked it has no NUL).
    static func withCString<R, E: Error>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        var bytes = name
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(E) -> R in
            try UnsafeRawPointer(buffer.baseAddress!).withMemoryRebound(to: CChar.self, capacity: buffer.count) { (pointer: UnsafePointer<CChar>) throws(E) -> R in
                try body(pointer)
            }
        }
    }
}
