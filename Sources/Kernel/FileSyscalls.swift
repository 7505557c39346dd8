import Glibc

/// Files and directories: what an actor may do with the ones it was granted
/// (the user's choice in the file chooser, a file named on the command line,
/// a folder the manifest names). An actor never names a path: it opens
/// single names inside a directory cap it holds, and nothing it opens
/// outlives that cap.
extension Kernel {
    /// Bytes a file or directory object costs whoever opened it (the
    /// descriptor and its bookkeeping), until its last cap is gone.
    static let fileObjectCost = 4096

    // MARK: Host grants

    /// Grants `actor` a cap to an open regular file or directory that the
    /// host opened (the user chose it). Takes `descriptor` over: it is closed
    /// with the object, or at once if the grant fails. Charged to `actor`.
    public func grantOpened(descriptor: Int32, rights: Rights, to actor: ActorID) throws(SysError) -> Handle {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            Glibc.close(descriptor)
            throw .ioFailed
        }
        let isDirectory = status.st_mode & S_IFMT == S_IFDIR
        guard isDirectory || status.st_mode & S_IFMT == S_IFREG else {
            Glibc.close(descriptor)
            throw .wrongType
        }
        return try install(descriptor: descriptor, directory: isDirectory, rights: rights, origin: .host, in: actor)
    }

    /// Opens the regular file `name` beneath the directory cap `handle`
    /// that `holder` holds, with every check `open` makes, and installs the
    /// file cap in `receiver`'s space as a root of its own, charged to
    /// `receiver`: the file chooser's grant. `receiver` keeps the file when
    /// `holder` lets its directory cap go, and loses it when it ends.
    /// Needs `open` on the directory, and `create` to create; `rights` are
    /// among read, write, resize and grant, and at most the directory's.
    public func openForGrant(
        in handle: Handle, heldBy holder: ActorID, name: [UInt8], options: OpenOptions, rights: Rights,
        to receiver: ActorID
    ) throws(SysError) -> Handle {
        let directory: DirectoryObject = try locked { state throws(SysError) in
            let node = try state.lookup(holder, handle, rights: .open, kinds: .directory)
            try Self.checkFileOpen(node, name: name, options: options, rights: rights)
            try Self.requireRoomForFile(state, receiver)
            return node.object as! DirectoryObject
        }
        let descriptor = try directory.open(name, options: options, writable: !rights.isDisjoint(with: [.write, .resize]))
        return try install(
            descriptor: descriptor, directory: false, rights: rights, origin: .beneath(holder, handle, directory),
            in: receiver)
    }

    /// What `open` checks of a regular file's options and rights against
    /// the directory cap it is opened beneath.
    private static func checkFileOpen(_ node: CapabilityNode, name: [UInt8], options: OpenOptions, rights: Rights)
        throws(SysError)
    {
        let fileRights: Rights = [.read, .write, .resize, .grant]
        guard OpenOptions.all.isSuperset(of: options), !options.contains(.directory), fileRights.isSuperset(of: rights),
            FileName.isValid(name), !options.contains(.exclusive) || options.contains(.create),
            !options.contains(.truncate) || rights.isSuperset(of: [.write, .resize])
        else { throw .invalidArgument }
        guard node.rights.isSuperset(of: rights), !options.contains(.create) || node.rights.contains(.create)
        else { throw .noRights }
    }

    // MARK: Syscalls

    /// Sets a file's size: cut, or grown with zeros. Needs `resize`.
    public func resizeFile(_ caller: ActorID, _ handle: Handle, to size: Int) throws(SysError) {
        let file: FileObject = try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle, rights: .resize, kinds: .file)
            guard size >= 0 else { throw .invalidArgument }
            guard size <= state.limits.maxFileSize else { throw .outOfBounds }
            return node.object as! FileObject
        }
        try file.resize(to: size)
    }

    /// Opens `name` inside the directory `handle` names, as `options` say,
    /// with `rights` (at most the directory cap's). Needs `open`, and
    /// `create` to create. The new cap is derived from the directory's:
    /// revoking or releasing that removes it too.
    ///
    /// A file's rights are among read, write, resize and grant; a
    /// directory's among those and list, open, create. `truncate` needs
    /// write and resize asked for. A name is one component (`FileName`);
    /// links are not followed and nothing but regular files and
    /// directories is opened (`wrongType`).
    public func open(_ caller: ActorID, in handle: Handle, name: [UInt8], options: OpenOptions, rights: Rights)
        throws(SysError) -> Handle
    {
        let fileRights: Rights = [.read, .write, .resize, .grant]
        let allowed = options.contains(.directory) ? fileRights.union([.list, .open, .create]) : fileRights
        let directory: DirectoryObject = try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle, rights: .open, kinds: .directory)
            guard OpenOptions.all.isSuperset(of: options), allowed.isSuperset(of: rights), FileName.isValid(name),
                !options.contains(.directory) || options.isDisjoint(with: [.create, .exclusive, .truncate]),
                !options.contains(.exclusive) || options.contains(.create),
                !options.contains(.truncate) || rights.isSuperset(of: [.write, .resize])
            else { throw .invalidArgument }
            guard node.rights.isSuperset(of: rights), !options.contains(.create) || node.rights.contains(.create)
            else { throw .noRights }
            try Self.requireRoomForFile(state, caller)
            return node.object as! DirectoryObject
        }
        // The file system is asked outside the lock; the cap is checked again
        // to install what was opened.
        let descriptor = try directory.open(name, options: options, writable: !rights.isDisjoint(with: [.write, .resize]))
        return try install(
            descriptor: descriptor, directory: options.contains(.directory), rights: rights,
            origin: .derived(handle, directory), in: caller)
    }

    /// Writes the entries of a directory, from the `start`th in name order,
    /// into `buffer` as `ABI` lays them out (`DirectoryListing`); as many
    /// whole entries as fit. Returns how many; 0 past the last. Needs `list`.
    public func listDirectory(_ caller: ActorID, _ handle: Handle, start: Int, into buffer: UnsafeMutableRawBufferPointer)
        throws(SysError) -> Int
    {
        let (directory, limit) = try locked { state throws(SysError) in
            let node = try state.lookup(caller, handle, rights: .list, kinds: .directory)
            guard start >= 0 else { throw .invalidArgument }
            return (node.object as! DirectoryObject, state.limits.maxDirectoryEntries)
        }
        let entries = try directory.entries(limit: limit)
        guard start < entries.count else { return 0 }
        var written = 0
        var offset = 0
        for entry in entries[start...] {
            let size = DirectoryListing.headerSize + entry.name.count
            guard offset + size <= buffer.count else { break }
            DirectoryListing.write(entry, at: offset, into: buffer)
            offset += size
            written += 1
        }
        guard written > 0 else { throw .bufferTooSmall }
        return written
    }

    // MARK: Installing

    /// The limits a new file or directory object must fit: room in the
    /// caller's space, and a descriptor to spare.
    private static func requireRoomForFile(_ state: KernelState, _ actor: ActorID) throws(SysError) {
        try state.requireRoom(1, in: actor)
        guard state.openFiles < state.limits.maxOpenFiles else { throw .limitReached }
    }

    /// Where an opened descriptor came from, for `install`.
    private enum Origin {
        /// The host opened it: a root cap.
        case host
        /// Beneath the installing actor's own directory cap (which must
        /// still name the same directory): derived from it.
        case derived(Handle, DirectoryObject)
        /// Beneath another actor's directory cap (which must still name the
        /// same directory): a root cap, independent of it.
        case beneath(ActorID, Handle, DirectoryObject)
    }

    /// Makes the object for an open descriptor and installs a cap to it in
    /// `actor`'s space, as `origin` says. Closes the descriptor if anything
    /// refuses.
    private func install(
        descriptor: Int32, directory: Bool, rights: Rights, origin: Origin, in actor: ActorID
    ) throws(SysError) -> Handle {
        do {
            return try locked { state throws(SysError) in
                var parentNode: CapabilityNode?
                switch origin {
                case .host:
                    break
                case .derived(let handle, let object):
                    let node = try state.lookup(actor, handle, rights: .open, kinds: .directory)
                    guard node.object === object else { throw .invalidHandle }
                    parentNode = node
                case .beneath(let holder, let handle, let object):
                    let node = try state.lookup(holder, handle, rights: .open, kinds: .directory)
                    guard node.object === object else { throw .invalidHandle }
                }
                try Self.requireRoomForFile(state, actor)
                let account = try state.entry(actor).account
                let object: KernelObject =
                    directory
                    ? try state.create(charging: Self.fileObjectCost, to: account) { DirectoryObject(descriptor: descriptor) }
                    : try state.create(charging: Self.fileObjectCost, to: account) { FileObject(descriptor: descriptor) }
                state.openFiles += 1
                return state.install(object, rights: rights, parent: parentNode, in: actor)
            }
        } catch {
            // No object took the descriptor over (`create` makes it last).
            Glibc.close(descriptor)
            throw error
        }
    }
}

/// How `sys_dir_list` writes one entry, little-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | kind: 1 file, 2 directory, 0 anything else (a link, FIFO, device) |
/// | 1 | 1 | name length n (1 to 255) |
/// | 2 | 8 | size in bytes (files; 0 otherwise) |
/// | 10 | n | name (bytes as the file system has them) |
public enum DirectoryListing {
    public static let headerSize = 10

    static func write(_ entry: DirectoryObject.Entry, at offset: Int, into buffer: UnsafeMutableRawBufferPointer) {
        buffer[offset] = entry.kind.rawValue
        buffer[offset + 1] = UInt8(entry.name.count)
        for i in 0..<8 { buffer[offset + 2 + i] = UInt8(truncatingIfNeeded: entry.size >> (8 * UInt64(i))) }
        for (i, byte) in entry.name.enumerated() { buffer[offset + headerSize + i] = byte }
    }
}
