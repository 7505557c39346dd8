import Kernel

/// The WASI descriptor calls: the standard streams, and files and
/// directories as kernel caps (`WASIDescriptors`). Every file operation is
/// the kernel's own call on the cap, with the kernel's rights checks; a path
/// is walked one name at a time through `Kernel.open` beneath a directory
/// cap, so "..", an absolute path or a symbolic link never leaves it.
extension HostCalls {
    /// At most this many bytes move in one read or write of a file; a
    /// program reads or writes the rest with its next call (a short count).
    static let maxFileTransfer = 16 << 20
    /// The longest path `path_open` takes (PATH_MAX).
    static let maxPath = 4096

    /// A kernel call's refusal as the errno it is.
    @inline(__always)
    func kernel<R>(_ body: () throws(SysError) -> R) throws(WASIFailure) -> R {
        do throws(SysError) {
            return try body()
        } catch {
            throw WASIFailure(WASIErrno(error))
        }
    }

    private var actor: ActorID { context.actor! }

    // MARK: Reading and writing

    func fdWrite(_ memory: some GuestMemory, fd: UInt32, iovs: UInt32, count: UInt32, writtenPtr: UInt32)
        throws(ActorUnwind) -> Int32
    {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let buffers = try HostCalls.iovecs(memory, iovs, count)
            let written = try HostCalls.wasiRange(writtenPtr, 4, in: memory)
            guard descriptor.rights.contains(.fdWrite) else { throw WASIFailure(.notcapable) }
            let taken: Int
            switch descriptor.kind {
            case .stdout, .stderr:
                // A short write past the bound: the program writes the rest next.
                var total = 0
                for range in buffers where total < WASI.maxStreamWrite {
                    let part = range.lowerBound..<min(range.upperBound, range.lowerBound + WASI.maxStreamWrite - total)
                    memory.withBytes(part) { context.wasi.write(UnsafeRawBufferPointer($0), to: descriptor.kind, log: context.log) }
                    total += part.count
                }
                taken = total
            case .file(let handle, let position, let append):
                var offset = append ? UInt64(try kernel { () throws(SysError) in try context.kernel.info(actor, handle).size }) : position
                taken = try transfer(memory, buffers, handle: handle, at: &offset, writing: true)
                context.wasi.update(fd) { $0.kind = .file(handle, position: offset, append: append) }
            case .directory: throw WASIFailure(.isdir)
            case .stdin: throw WASIFailure(.notcapable)
            }
            memory.withBytes(written) { HostCalls.store(UInt32(taken), at: 0, in: $0) }
        }
    }

    /// stdin is at its end: 0 bytes read; a file reads at its position.
    func fdRead(_ memory: some GuestMemory, fd: UInt32, iovs: UInt32, count: UInt32, readPtr: UInt32)
        throws(ActorUnwind) -> Int32
    {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let buffers = try HostCalls.iovecs(memory, iovs, count)
            let read = try HostCalls.wasiRange(readPtr, 4, in: memory)
            guard descriptor.rights.contains(.fdRead) else { throw WASIFailure(.notcapable) }
            let taken: Int
            switch descriptor.kind {
            case .stdin: taken = 0
            case .file(let handle, var position, let append):
                taken = try transfer(memory, buffers, handle: handle, at: &position, writing: false)
                context.wasi.update(fd) { $0.kind = .file(handle, position: position, append: append) }
            case .directory: throw WASIFailure(.isdir)
            case .stdout, .stderr: throw WASIFailure(.notcapable)
            }
            memory.withBytes(read) { HostCalls.store(UInt32(taken), at: 0, in: $0) }
        }
    }

    /// `fd_pread` and `fd_pwrite`: at `offset`, the position unchanged.
    func fdPositioned(_ memory: some GuestMemory, fd: UInt32, iovs: UInt32, count: UInt32, offset: UInt64, resultPtr: UInt32,
                      writing: Bool) throws(ActorUnwind) -> Int32
    {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let buffers = try HostCalls.iovecs(memory, iovs, count)
            let result = try HostCalls.wasiRange(resultPtr, 4, in: memory)
            guard case .file(let handle, _, _) = descriptor.kind else {
                if case .directory = descriptor.kind { throw WASIFailure(.isdir) }
                throw WASIFailure(.spipe)
            }
            guard descriptor.rights.contains(writing ? .fdWrite : .fdRead) else { throw WASIFailure(.notcapable) }
            var at = offset
            let taken = try transfer(memory, buffers, handle: handle, at: &at, writing: writing)
            memory.withBytes(result) { HostCalls.store(UInt32(taken), at: 0, in: $0) }
        }
    }

    /// Copies between the iovecs and the file at `offset`, at most
    /// `maxFileTransfer` bytes, stopping at the end of the file when
    /// reading; advances `offset`. Returns the bytes moved.
    private func transfer(
        _ memory: some GuestMemory, _ buffers: [Range<Int>], handle: Handle, at offset: inout UInt64, writing: Bool
    ) throws(WASIFailure) -> Int {
        var total = 0
        for range in buffers where total < Self.maxFileTransfer && !range.isEmpty {
            guard offset <= UInt64(Int.max) else { throw WASIFailure(.fbig) }
            let part = range.lowerBound..<min(range.upperBound, range.lowerBound + Self.maxFileTransfer - total)
            let at = Int(offset)
            let moved = try memory.withBytes(part) { bytes in
                Result { () throws(WASIFailure) -> Int in
                    try kernel { () throws(SysError) -> Int in
                        if writing {
                            try context.kernel.write(actor, to: handle, offset: at, from: UnsafeRawBufferPointer(bytes))
                            return bytes.count
                        }
                        return try context.kernel.read(actor, from: handle, offset: at, into: bytes)
                    }
                }
            }.get()
            total += moved
            offset += UInt64(moved)
            if moved < part.count { break }
        }
        return total
    }

    // MARK: Position

    /// whence: 0 from the start, 1 from the position, 2 from the end.
    func fdSeek(_ memory: some GuestMemory, fd: UInt32, offset: Int64, whence: UInt32, resultPtr: UInt32)
        throws(ActorUnwind) -> Int32
    {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let result = try HostCalls.wasiRange(resultPtr, 8, in: memory)
            guard case .file(let handle, let position, let append) = descriptor.kind else {
                if case .directory = descriptor.kind { throw WASIFailure(.isdir) }
                throw WASIFailure(.spipe)
            }
            let base: Int64
            switch whence {
            case 0: base = 0
            case 1: base = Int64(clamping: position)
            case 2: base = Int64(clamping: try kernel { () throws(SysError) in try context.kernel.info(actor, handle).size })
            default: throw WASIFailure(.inval)
            }
            let (target, overflow) = base.addingReportingOverflow(offset)
            guard !overflow, target >= 0 else { throw WASIFailure(.inval) }
            context.wasi.update(fd) { $0.kind = .file(handle, position: UInt64(target), append: append) }
            memory.withBytes(result) { HostCalls.store(UInt64(target), at: 0, in: $0) }
        }
    }

    func fdTell(_ memory: some GuestMemory, fd: UInt32, resultPtr: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let result = try HostCalls.wasiRange(resultPtr, 8, in: memory)
            guard case .file(_, let position, _) = descriptor.kind else {
                if case .directory = descriptor.kind { throw WASIFailure(.isdir) }
                throw WASIFailure(.spipe)
            }
            memory.withBytes(result) { HostCalls.store(position, at: 0, in: $0) }
        }
    }

    // MARK: Status

    /// The filetype and, for a cap, its kernel rights and size.
    private func status(_ descriptor: WASIDescriptors.Descriptor) throws(WASIFailure) -> (WASIFiletype, WASIRights, UInt64) {
        switch descriptor.kind {
        case .stdin, .stdout, .stderr: return (.characterDevice, descriptor.rights, 0)
        case .file(let handle, _, _), .directory(let handle, _):
            let info = try kernel { () throws(SysError) in try context.kernel.info(actor, handle) }
            let isDirectory = info.kind == .directory
            let rights = descriptor.rights.intersection(WASIRights(kernel: info.rights, directory: isDirectory))
            return (isDirectory ? .directory : .regularFile, rights, isDirectory ? 0 : info.size)
        }
    }

    /// fdstat: filetype u8 @0, flags u16 @2, rights base u64 @8, inheriting u64 @16.
    func fdFdstatGet(_ memory: some GuestMemory, fd: UInt32, ptr: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let range = try HostCalls.wasiRange(ptr, 24, in: memory)
            let (type, rights, _) = try status(descriptor)
            var append: UInt16 = 0
            if case .file(_, _, true) = descriptor.kind { append = 1 }
            let inheriting: WASIRights = if case .directory = descriptor.kind { .all } else { [] }
            memory.withBytes(range) { bytes in
                bytes.initializeMemory(as: UInt8.self, repeating: 0)
                HostCalls.store(type.rawValue, at: 0, in: bytes)
                HostCalls.store(append, at: 2, in: bytes)
                HostCalls.store(rights.rawValue, at: 8, in: bytes)
                HostCalls.store(inheriting.rawValue, at: 16, in: bytes)
            }
        }
    }

    /// filestat (64 bytes): dev, ino, filetype u8 @16, nlink @24, size @32, atim, mtim, ctim (0: not known).
    func fdFilestatGet(_ memory: some GuestMemory, fd: UInt32, ptr: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let range = try HostCalls.wasiRange(ptr, 64, in: memory)
            let (type, _, size) = try status(descriptor)
            HostCalls.storeFilestat(type, size: size, at: range, in: memory)
        }
    }

    static func storeFilestat(_ type: WASIFiletype, size: UInt64, at range: Range<Int>, in memory: some GuestMemory) {
        memory.withBytes(range) { bytes in
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            HostCalls.store(type.rawValue, at: 16, in: bytes)
            HostCalls.store(UInt64(1), at: 24, in: bytes)
            HostCalls.store(size, at: 32, in: bytes)
        }
    }

    func fdFilestatSetSize(fd: UInt32, size: UInt64) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            guard case .file(let handle, _, _) = descriptor.kind else {
                if case .directory = descriptor.kind { throw WASIFailure(.isdir) }
                throw WASIFailure(.notcapable)
            }
            guard descriptor.rights.contains(.fdFilestatSetSize) else { throw WASIFailure(.notcapable) }
            guard size <= UInt64(Int.max) else { throw WASIFailure(.fbig) }
            try kernel { () throws(SysError) in try context.kernel.resizeFile(actor, handle, to: Int(size)) }
        }
    }

    /// fd_sync, fd_datasync, fd_advise: a file's writes reach the host file
    /// as they are made, and advice is a hint: 0. Streams and directories:
    /// ENOTCAPABLE.
    func fdFileHint(fd: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            guard case .file = try open(fd).kind else { throw WASIFailure(.notcapable) }
        }
    }

    // MARK: Closing

    /// Releases the caps a closed descriptor held.
    private func release(_ descriptor: WASIDescriptors.Descriptor) {
        // A preopen is the actor's own cap: closing the WASI descriptor leaves it.
        if case .directory(_, .some) = descriptor.kind { return }
        for handle in [descriptor.cap].compactMap({ $0 }) + descriptor.through.reversed() {
            try? context.kernel.release(actor, handle)
        }
    }

    func fdClose(fd: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            guard let closed = context.wasi.close(fd) else { throw WASIFailure(.badf) }
            release(closed)
        }
    }

    func fdRenumber(fd: UInt32, to: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            guard let replaced = context.wasi.renumber(fd, to: to) else { throw WASIFailure(.badf) }
            if let replaced { release(replaced) }
        }
    }

    // MARK: Preopens

    /// prestat: tag u8 @0 (0: a directory), name length u32 @4. EBADF for
    /// a descriptor that is not a preopen, which is how a program learns
    /// where they end.
    func fdPrestatGet(_ memory: some GuestMemory, fd: UInt32, ptr: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            guard case .directory(_, .some(let name)) = try open(fd).kind else { throw WASIFailure(.badf) }
            let range = try HostCalls.wasiRange(ptr, 8, in: memory)
            memory.withBytes(range) { bytes in
                bytes.initializeMemory(as: UInt8.self, repeating: 0)
                HostCalls.store(UInt32(name.count), at: 4, in: bytes)
            }
        }
    }

    func fdPrestatDirName(_ memory: some GuestMemory, fd: UInt32, ptr: UInt32, len: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            guard case .directory(_, .some(let name)) = try open(fd).kind else { throw WASIFailure(.badf) }
            guard Int(len) >= name.count else { throw WASIFailure(.nametoolong) }
            let range = try HostCalls.wasiRange(ptr, name.count, in: memory)
            memory.withBytes(range) { $0.copyBytes(from: name) }
        }
    }

    // MARK: Directories

    /// dirent: next cookie u64 @0, inode u64 @8, name length u32 @16, type u8 @20, then the name.
    /// The cookie is the entry's index in the kernel's name-ordered listing.
    /// Fills the buffer; the last entry is cut when it does not fit whole,
    /// as the snapshot says (the program asks again with a larger buffer).
    func fdReaddir(_ memory: some GuestMemory, fd: UInt32, buf: UInt32, len: UInt32, cookie: UInt64, usedPtr: UInt32)
        throws(ActorUnwind) -> Int32
    {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let output = try HostCalls.wasiRange(buf, Int(len), in: memory)
            let used = try HostCalls.wasiRange(usedPtr, 4, in: memory)
            guard case .directory(let handle, _) = descriptor.kind else { throw WASIFailure(.notdir) }
            guard descriptor.rights.contains(.fdReaddir) else { throw WASIFailure(.notcapable) }
            guard cookie <= UInt64(Int32.max) else { throw WASIFailure(.inval) }
            var entries: [UInt8] = []
            var next = Int(cookie)
            var listing = [UInt8](repeating: 0, count: 64 << 10)
            while entries.count < output.count {
                let count = try listing.withUnsafeMutableBytes { bytes in
                    Result { () throws(WASIFailure) in
                        try kernel { () throws(SysError) in try context.kernel.listDirectory(actor, handle, start: next, into: bytes) }
                    }
                }.get()
                if count == 0 { break }
                var at = 0
                for _ in 0..<count {
                    let kind = listing[at]
                    let nameLength = Int(listing[at + 1])
                    let name = listing[(at + DirectoryListing.headerSize)..<(at + DirectoryListing.headerSize + nameLength)]
                    at += DirectoryListing.headerSize + nameLength
                    next += 1
                    var dirent = [UInt8](repeating: 0, count: 24)
                    dirent.withUnsafeMutableBytes { bytes in
                        HostCalls.store(UInt64(next), at: 0, in: bytes)
                        HostCalls.store(UInt32(nameLength), at: 16, in: bytes)
                        let type: WASIFiletype = kind == 1 ? .regularFile : kind == 2 ? .directory : .unknown
                        HostCalls.store(type.rawValue, at: 20, in: bytes)
                    }
                    entries += dirent + name
                }
            }
            let taken = min(entries.count, output.count)
            memory.withBytes(output.lowerBound..<output.lowerBound + taken) { $0.copyBytes(from: entries[..<taken]) }
            memory.withBytes(used) { HostCalls.store(UInt32(taken), at: 0, in: $0) }
        }
    }

    /// The path at `[ptr, ptr+len)` as names to open one by one beneath a
    /// directory: "." and empty names skipped; an absolute path or ".."
    /// ENOTCAPABLE (nothing above the directory is reachable).
    private func components(_ memory: some GuestMemory, _ ptr: UInt32, _ len: UInt32) throws(WASIFailure) -> [[UInt8]] {
        guard len <= Self.maxPath else { throw WASIFailure(.nametoolong) }
        let range = try HostCalls.wasiRange(ptr, Int(len), in: memory)
        let path = memory.withBytes(range) { Array(UnsafeRawBufferPointer($0)) }
        guard !path.contains(0) else { throw WASIFailure(.inval) }
        guard path.first != 0x2F else { throw WASIFailure(.notcapable) }
        let names = path.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init).filter { $0 != [0x2E] }
        guard !names.contains([0x2E, 0x2E]) else { throw WASIFailure(.notcapable) }
        guard !names.isEmpty else { throw WASIFailure(.inval) }
        guard names.allSatisfy({ $0.count <= FileName.maxLength }) else { throw WASIFailure(.nametoolong) }
        return names
    }

    /// Opens every name but the last beneath `directory` as a directory,
    /// each with the rights to open within it: the last one's parent and the
    /// caps opened on the way (released by the caller with what it opens).
    private func walk(from directory: Handle, _ names: [[UInt8]]) throws(WASIFailure) -> (Handle, [Handle]) {
        var current = directory
        var through: [Handle] = []
        for name in names.dropLast() {
            do throws(WASIFailure) {
                let rights = try kernel { () throws(SysError) in try context.kernel.info(actor, current).rights }
                let asked = rights.intersection([.list, .open, .create, .read, .write, .resize])
                current = try kernel { () throws(SysError) in
                    try context.kernel.open(actor, in: current, name: name, options: .directory, rights: asked)
                }
                through.append(current)
            } catch {
                for handle in through.reversed() { try? context.kernel.release(actor, handle) }
                throw error
            }
        }
        return (current, through)
    }

    /// oflags: 1 create, 2 directory, 4 exclusive, 8 truncate; fdflags: 1 append.
    func pathOpen(
        _ memory: some GuestMemory, fd: UInt32, path: UInt32, pathLength: UInt32, oflags: UInt32, rightsBase: UInt64,
        fdflags: UInt32, fdPtr: UInt32
    ) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let names = try components(memory, path, pathLength)
            let result = try HostCalls.wasiRange(fdPtr, 4, in: memory)
            guard case .directory(let directory, _) = descriptor.kind else { throw WASIFailure(.notdir) }
            guard descriptor.rights.contains(.pathOpen) else { throw WASIFailure(.notcapable) }
            guard oflags & ~0xF == 0 else { throw WASIFailure(.inval) }
            var options: OpenOptions = []
            if oflags & 1 != 0 { options.insert(.create) }
            if oflags & 2 != 0 { options.insert(.directory) }
            if oflags & 4 != 0 { options.insert(.exclusive) }
            if oflags & 8 != 0 { options.insert(.truncate) }
            if options.contains(.create) && !descriptor.rights.contains(.pathCreateFile) { throw WASIFailure(.notcapable) }
            let (parent, through) = try walk(from: directory, names)
            do throws(WASIFailure) {
                // The rights asked for, as the kernel knows them, within what the parent holds.
                let held = try kernel { () throws(SysError) in try context.kernel.info(actor, parent).rights }
                let wanted = WASIRights(rawValue: rightsBase)
                var rights: Rights = []
                if options.contains(.directory) {
                    rights = held.intersection([.list, .open, .create, .read, .write, .resize])
                } else {
                    if wanted.contains(.fdRead) { rights.insert(.read) }
                    if wanted.contains(.fdWrite) || options.contains(.truncate) { rights.insert(.write) }
                    if wanted.contains(.fdFilestatSetSize) || options.contains(.truncate) { rights.insert(.resize) }
                    guard held.isSuperset(of: rights) || !options.contains(.truncate) else { throw WASIFailure(.notcapable) }
                    rights.formIntersection(held)
                }
                let opened = try kernel { () throws(SysError) in
                    try context.kernel.open(actor, in: parent, name: names.last!, options: options, rights: rights)
                }
                let kind: WASIDescriptors.Descriptor.Kind = options.contains(.directory)
                    ? .directory(opened, preopen: nil) : .file(opened, position: 0, append: fdflags & 1 != 0)
                let wasiRights = wanted.intersection(WASIRights(kernel: rights, directory: options.contains(.directory)))
                    .union([.fdFilestatGet, .pollFdReadwrite, .fdSeek, .fdTell])
                guard let number = context.wasi.add(WASIDescriptors.Descriptor(kind: kind, rights: wasiRights, through: through))
                else {
                    try? context.kernel.release(actor, opened)
                    throw WASIFailure(.mfile)
                }
                memory.withBytes(result) { HostCalls.store(number, at: 0, in: $0) }
            } catch {
                for handle in through.reversed() { try? context.kernel.release(actor, handle) }
                throw error
            }
        }
    }

    /// The filestat of what a path names, opened for no rights and closed again.
    func pathFilestatGet(_ memory: some GuestMemory, fd: UInt32, path: UInt32, pathLength: UInt32, ptr: UInt32)
        throws(ActorUnwind) -> Int32
    {
        try wasi { () throws(WASIFailure) in
            let descriptor = try open(fd)
            let names = try components(memory, path, pathLength)
            let range = try HostCalls.wasiRange(ptr, 64, in: memory)
            guard case .directory(let directory, _) = descriptor.kind else { throw WASIFailure(.notdir) }
            guard descriptor.rights.contains(.pathFilestatGet) else { throw WASIFailure(.notcapable) }
            let (parent, through) = try walk(from: directory, names)
            defer { for handle in through.reversed() { try? context.kernel.release(actor, handle) } }
            for options: OpenOptions in [[], .directory] {
                do throws(SysError) {
                    let opened = try context.kernel.open(actor, in: parent, name: names.last!, options: options, rights: [])
                    defer { try? context.kernel.release(actor, opened) }
                    let info = try context.kernel.info(actor, opened)
                    HostCalls.storeFilestat(
                        info.kind == .directory ? .directory : .regularFile, size: info.kind == .directory ? 0 : info.size,
                        at: range, in: memory)
                    return
                } catch .wrongType where options.isEmpty {
                    continue  // perhaps a directory
                } catch {
                    throw WASIFailure(WASIErrno(error))
                }
            }
        }
    }
}
