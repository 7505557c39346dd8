import Kernel

/// Binds each host call of the ABI, and each WASI preview 1 function, to
/// `HostCalls`, for every tier: raw argument bits in (as the tables order
/// them), raw result bits out. The interpreter converts WasmKit values to and
/// from these bits; compiled code passes them as they are.
///
/// Imports are numbered in one sequence: the "env" calls in `ABI.hostCalls`
/// order, then the WASI functions in `WASI.functions` order.
enum HostBinding {
    /// The host calls by name; each case is bound below.
    enum Call: String {
        case log = "sys_log", exit = "sys_exit", send = "sys_cap_send", receive = "sys_cap_recv"
        case memRead = "sys_cap_mem_read", memWrite = "sys_cap_mem_write", framebufferInfo = "sys_fb_info"
        case receiveTimeout = "sys_cap_recv_timeout", call = "sys_cap_call", release = "sys_cap_release"
        case derive = "sys_cap_derive", revoke = "sys_cap_revoke", info = "sys_cap_info"
        case createEndpoint = "sys_endpoint_create", createBuffer = "sys_buffer_create", spawn = "sys_spawn"
        case kill = "sys_actor_kill", now = "sys_time_now", yield = "sys_yield"
        case resizeFile = "sys_file_resize", openInDirectory = "sys_dir_open", listDirectory = "sys_dir_list"
        case engine = "sys_engine"
    }

    /// `ABI.hostCalls`, numbered as the compiled tier's trampolines number them.
    static let table: [Call] = ABI.hostCalls.map { signature in
        guard let call = Call(rawValue: signature.name) else {
            preconditionFailure("host call \(signature.name) is in the ABI table but has no binding")
        }
        return call
    }

    /// The WASI functions by name; each case is bound below.
    enum WASICall: String {
        case argsGet = "args_get", argsSizesGet = "args_sizes_get"
        case environGet = "environ_get", environSizesGet = "environ_sizes_get"
        case clockResGet = "clock_res_get", clockTimeGet = "clock_time_get"
        case fdAdvise = "fd_advise", fdAllocate = "fd_allocate", fdClose = "fd_close", fdDatasync = "fd_datasync"
        case fdFdstatGet = "fd_fdstat_get", fdFdstatSetFlags = "fd_fdstat_set_flags"
        case fdFdstatSetRights = "fd_fdstat_set_rights", fdFilestatGet = "fd_filestat_get"
        case fdFilestatSetSize = "fd_filestat_set_size", fdFilestatSetTimes = "fd_filestat_set_times"
        case fdPread = "fd_pread", fdPrestatGet = "fd_prestat_get", fdPrestatDirName = "fd_prestat_dir_name"
        case fdPwrite = "fd_pwrite", fdRead = "fd_read", fdReaddir = "fd_readdir", fdRenumber = "fd_renumber"
        case fdSeek = "fd_seek", fdSync = "fd_sync", fdTell = "fd_tell", fdWrite = "fd_write"
        case pathCreateDirectory = "path_create_directory", pathFilestatGet = "path_filestat_get"
        case pathFilestatSetTimes = "path_filestat_set_times", pathLink = "path_link", pathOpen = "path_open"
        case pathReadlink = "path_readlink", pathRemoveDirectory = "path_remove_directory", pathRename = "path_rename"
        case pathSymlink = "path_symlink", pathUnlinkFile = "path_unlink_file"
        case pollOneoff = "poll_oneoff", procExit = "proc_exit", procRaise = "proc_raise", schedYield = "sched_yield"
        case randomGet = "random_get"
        case sockAccept = "sock_accept", sockRecv = "sock_recv", sockSend = "sock_send", sockShutdown = "sock_shutdown"
    }

    /// `WASI.functions`, numbered after `table`.
    static let wasiTable: [WASICall] = WASI.functions.map { signature in
        guard let call = WASICall(rawValue: signature.name) else {
            preconditionFailure("WASI function \(signature.name) is in the WASI table but has no binding")
        }
        return call
    }

    /// The number of host call `name` of "env".
    static func number(of name: String) -> Int? {
        ABI.hostCalls.firstIndex { $0.name == name }
    }

    /// The number of WASI function `name`.
    static func number(ofWASI name: String) -> Int? {
        WASI.functions.firstIndex { $0.name == name }.map { ABI.hostCalls.count + $0 }
    }

    /// The signature of import `number`.
    static func signature(_ number: Int) -> HostCallSignature {
        number < ABI.hostCalls.count ? ABI.hostCalls[number] : WASI.functions[number - ABI.hostCalls.count]
    }

    /// Runs host call `number` with `args` (i32 arguments in the low 32
    /// bits); returns its result bits, 0 for a call without a result.
    static func invoke(
        _ number: Int, _ args: UnsafeBufferPointer<UInt64>, calls: HostCalls, memory: some GuestMemory
    ) throws(ActorUnwind) -> UInt64 {
        func i32(_ i: Int) -> Int32 { Int32(truncatingIfNeeded: args[i]) }
        func i64(_ i: Int) -> Int64 { Int64(bitPattern: args[i]) }
        func bits(_ value: Int32) -> UInt64 { UInt64(UInt32(bitPattern: value)) }
        func bits(_ value: Int64) -> UInt64 { UInt64(bitPattern: value) }

        guard number < table.count else {
            return try invokeWASI(number - table.count, args, calls: calls, memory: memory)
        }
        switch HostBinding.table[number] {
        case .log:
            try calls.log(memory, ptr: i32(0), len: i32(1))
            return 0
        case .exit:
            try calls.exit(code: i32(0))
        case .send:
            return bits(try calls.send(memory, handle: i64(0), opcode: i32(1), ptr: i32(2), len: i32(3), cap: i64(4)))
        case .receive:
            return bits(try calls.receive(memory, handle: i64(0), buf: i32(1), len: i32(2), timeout: .forever))
        case .receiveTimeout:
            return bits(try calls.receive(
                memory, handle: i64(0), buf: i32(1), len: i32(2), timeout: Timeout(abi: i64(3))))
        case .call:
            return bits(try calls.call(
                memory, handle: i64(0), opcode: i32(1), ptr: i32(2), len: i32(3), cap: i64(4),
                buf: i32(5), bufLen: i32(6), timeout: Timeout(abi: i64(7))))
        case .memRead:
            return bits(try calls.memRead(memory, handle: i64(0), offset: i32(1), ptr: i32(2), len: i32(3)))
        case .memWrite:
            return bits(try calls.memWrite(memory, handle: i64(0), offset: i32(1), ptr: i32(2), len: i32(3)))
        case .framebufferInfo:
            return bits(try calls.framebufferInfo())
        case .release:
            return bits(try calls.release(handle: i64(0)))
        case .derive:
            return bits(try calls.derive(handle: i64(0), rights: i32(1)))
        case .revoke:
            return bits(try calls.revoke(handle: i64(0)))
        case .info:
            return bits(try calls.info(memory, handle: i64(0), ptr: i32(1)))
        case .createEndpoint:
            return bits(try calls.createEndpoint(capacity: i32(0)))
        case .createBuffer:
            return bits(try calls.createBuffer(size: i32(0)))
        case .spawn:
            return bits(try calls.spawn(memory, spawner: i64(0), namePtr: i32(1), nameLen: i32(2), grant: i64(3)))
        case .kill:
            return bits(try calls.kill(handle: i64(0)))
        case .now:
            return bits(try calls.now())
        case .yield:
            try calls.yield()
            return 0
        case .resizeFile:
            return bits(try calls.resizeFile(handle: i64(0), size: i64(1)))
        case .openInDirectory:
            return bits(try calls.openInDirectory(
                memory, directory: i64(0), namePtr: i32(1), nameLen: i32(2), flags: i32(3), rights: i32(4)))
        case .listDirectory:
            return bits(try calls.listDirectory(memory, directory: i64(0), start: i32(1), ptr: i32(2), len: i32(3)))
        case .engine:
            return bits(try calls.engine())
        }
    }

    /// Runs WASI function `number` (its index in `WASI.functions`); returns its errno bits.
    static func invokeWASI(
        _ number: Int, _ args: UnsafeBufferPointer<UInt64>, calls: HostCalls, memory: some GuestMemory
    ) throws(ActorUnwind) -> UInt64 {
        func u32(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: args[i]) }
        let errno: Int32
        switch wasiTable[number] {
        case .argsGet: errno = try calls.argsGet(memory, argv: u32(0), buffer: u32(1))
        case .argsSizesGet: errno = try calls.argsSizesGet(memory, countPtr: u32(0), sizePtr: u32(1))
        case .environGet: errno = try calls.environGet(memory, environ: u32(0), buffer: u32(1))
        case .environSizesGet: errno = try calls.environSizesGet(memory, countPtr: u32(0), sizePtr: u32(1))
        case .clockResGet: errno = try calls.clockResGet(memory, clock: u32(0), resolutionPtr: u32(1))
        case .clockTimeGet: errno = try calls.clockTimeGet(memory, clock: u32(0), timePtr: u32(2))
        case .fdWrite: errno = try calls.fdWrite(memory, fd: u32(0), iovs: u32(1), count: u32(2), writtenPtr: u32(3))
        case .fdRead: errno = try calls.fdRead(memory, fd: u32(0), iovs: u32(1), count: u32(2), readPtr: u32(3))
        case .fdPread, .fdPwrite:
            errno = try calls.fdPositioned(
                memory, fd: u32(0), iovs: u32(1), count: u32(2), offset: args[3], resultPtr: u32(4), writing: wasiTable[number] == .fdPwrite)
        case .fdSeek:
            errno = try calls.fdSeek(memory, fd: u32(0), offset: Int64(bitPattern: args[1]), whence: u32(2), resultPtr: u32(3))
        case .fdTell: errno = try calls.fdTell(memory, fd: u32(0), resultPtr: u32(1))
        case .fdSync, .fdDatasync, .fdAdvise: errno = try calls.fdFileHint(fd: u32(0))
        case .fdAllocate, .fdFdstatSetFlags, .fdFilestatSetTimes: errno = try calls.fdNotCapable(fd: u32(0))
        case .fdFilestatSetSize: errno = try calls.fdFilestatSetSize(fd: u32(0), size: args[1])
        case .fdReaddir:
            errno = try calls.fdReaddir(memory, fd: u32(0), buf: u32(1), len: u32(2), cookie: args[3], usedPtr: u32(4))
        case .fdFdstatGet: errno = try calls.fdFdstatGet(memory, fd: u32(0), ptr: u32(1))
        case .fdFdstatSetRights: errno = try calls.fdFdstatSetRights(fd: u32(0), base: args[1], inheriting: args[2])
        case .fdFilestatGet: errno = try calls.fdFilestatGet(memory, fd: u32(0), ptr: u32(1))
        case .fdClose: errno = try calls.fdClose(fd: u32(0))
        case .fdRenumber: errno = try calls.fdRenumber(fd: u32(0), to: u32(1))
        case .fdPrestatGet: errno = try calls.fdPrestatGet(memory, fd: u32(0), ptr: u32(1))
        case .fdPrestatDirName: errno = try calls.fdPrestatDirName(memory, fd: u32(0), ptr: u32(1), len: u32(2))
        case .pathOpen:
            errno = try calls.pathOpen(
                memory, fd: u32(0), path: u32(2), pathLength: u32(3), oflags: u32(4), rightsBase: args[5], fdflags: u32(7),
                fdPtr: u32(8))
        case .pathFilestatGet:
            errno = try calls.pathFilestatGet(memory, fd: u32(0), path: u32(2), pathLength: u32(3), ptr: u32(4))
        case .pathCreateDirectory, .pathFilestatSetTimes, .pathLink, .pathReadlink, .pathRemoveDirectory, .pathRename,
            .pathUnlinkFile:
            errno = try calls.pathCall(fd: u32(0))
        case .pathSymlink: errno = try calls.pathCall(fd: u32(2))
        case .pollOneoff:
            errno = try calls.pollOneoff(memory, subscriptions: u32(0), events: u32(1), count: u32(2), eventCountPtr: u32(3))
        case .procExit: try calls.exit(code: Int32(bitPattern: u32(0)))
        case .schedYield: errno = try calls.schedYield()
        case .randomGet: errno = try calls.randomGet(memory, ptr: u32(0), len: u32(1))
        case .procRaise, .sockAccept, .sockRecv, .sockSend, .sockShutdown: errno = try calls.wasiUnsupported()
        }
        return UInt64(UInt32(bitPattern: errno))
    }
}
