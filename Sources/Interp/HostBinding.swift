import Kernel

/// Binds each host call of the ABI to `HostCalls`, for every tier: raw
/// argument bits in (as the ABI table orders them), raw result bits out. The
/// interpreter converts WasmKit values to and from these bits; compiled code
/// passes them as they are.
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
    }

    /// `ABI.hostCalls`, numbered as the compiled tier's trampolines number them.
    static let table: [Call] = ABI.hostCalls.map { signature in
        guard let call = Call(rawValue: signature.name) else {
            preconditionFailure("host call \(signature.name) is in the ABI table but has no binding")
        }
        return call
    }

    /// The number of host call `name`.
    static func number(of name: String) -> Int? {
        ABI.hostCalls.firstIndex { $0.name == name }
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
        }
    }
}
