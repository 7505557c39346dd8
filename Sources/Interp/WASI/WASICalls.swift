import Dispatch
import Kernel

#if canImport(Glibc)
    import Glibc
#endif

/// The WASI preview 1 functions, engine-independent, over the actor's
/// `ActorContext`. Every pointer and length from the guest is checked
/// against linear memory before anything is read or written (EFAULT when
/// it lies outside; nothing is then copied); iovec and subscription arrays
/// are bounded in count and bytes (`WASI.maxIovecs`, ...). Each returns
/// the errno, 0 for success.
extension HostCalls {
    /// The guest range `[ptr, ptr+count)`, or EFAULT.
    static func wasiRange(_ ptr: UInt32, _ count: Int, in memory: some GuestMemory) throws(WASIFailure) -> Range<Int> {
        let start = Int(ptr)
        guard count >= 0, start <= memory.byteCount, count <= memory.byteCount - start else { throw WASIFailure(.fault) }
        return start..<(start + count)
    }

    /// Runs a WASI function's body: its errno, or an unwind for the actor.
    @inline(__always)
    func wasi(_ body: () throws(WASIFailure) -> Void) throws(ActorUnwind) -> Int32 {
        _ = try caller()
        do throws(WASIFailure) {
            try body()
            return 0
        } catch {
            return Int32(error.errno.rawValue)
        }
    }

    /// Stores little-endian values at checked offsets of `range`.
    static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: UnsafeMutableRawBufferPointer) {
        bytes.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }

    /// Writes `value` (u32 or u64) at `ptr`, or EFAULT.
    static func put<T: FixedWidthInteger>(_ value: T, at ptr: UInt32, in memory: some GuestMemory) throws(WASIFailure) {
        let range = try wasiRange(ptr, MemoryLayout<T>.size, in: memory)
        memory.withBytes(range) { store(value, at: 0, in: $0) }
    }

    // MARK: Arguments and environment

    /// argv: the actor's name, then its arguments.
    var wasiArguments: [String] { [context.name] + context.program.arguments }

    func argsSizesGet(_ memory: some GuestMemory, countPtr: UInt32, sizePtr: UInt32) throws(ActorUnwind) -> Int32 {
        try sizes(of: wasiArguments, memory, countPtr: countPtr, sizePtr: sizePtr)
    }

    func argsGet(_ memory: some GuestMemory, argv: UInt32, buffer: UInt32) throws(ActorUnwind) -> Int32 {
        try strings(wasiArguments, memory, pointers: argv, buffer: buffer)
    }

    func environSizesGet(_ memory: some GuestMemory, countPtr: UInt32, sizePtr: UInt32) throws(ActorUnwind) -> Int32 {
        try sizes(of: context.program.environment, memory, countPtr: countPtr, sizePtr: sizePtr)
    }

    func environGet(_ memory: some GuestMemory, environ: UInt32, buffer: UInt32) throws(ActorUnwind) -> Int32 {
        try strings(context.program.environment, memory, pointers: environ, buffer: buffer)
    }

    private func sizes(of strings: [String], _ memory: some GuestMemory, countPtr: UInt32, sizePtr: UInt32)
        throws(ActorUnwind) -> Int32
    {
        try wasi { () throws(WASIFailure) in
            let count = try HostCalls.wasiRange(countPtr, 4, in: memory)
            let size = try HostCalls.wasiRange(sizePtr, 4, in: memory)
            memory.withBytes(count) { HostCalls.store(UInt32(strings.count), at: 0, in: $0) }
            let bytes = strings.reduce(0) { $0 + $1.utf8.count + 1 }
            memory.withBytes(size) { HostCalls.store(UInt32(bytes), at: 0, in: $0) }
        }
    }

    /// The strings, each NUL-terminated, packed at `buffer`, and a pointer
    /// to each at `pointers`: both ranges checked before either is written.
    private func strings(_ strings: [String], _ memory: some GuestMemory, pointers: UInt32, buffer: UInt32)
        throws(ActorUnwind) -> Int32
    {
        try wasi { () throws(WASIFailure) in
            let table = try HostCalls.wasiRange(pointers, strings.count * 4, in: memory)
            let packed = try HostCalls.wasiRange(buffer, strings.reduce(0) { $0 + $1.utf8.count + 1 }, in: memory)
            var offset = 0
            for (i, string) in strings.enumerated() {
                let address = UInt32(packed.lowerBound + offset)
                memory.withBytes(table) { HostCalls.store(address, at: i * 4, in: $0) }
                let bytes = Array(string.utf8) + [0]
                memory.withBytes(packed.lowerBound + offset..<packed.lowerBound + offset + bytes.count) {
                    $0.copyBytes(from: bytes)
                }
                offset += bytes.count
            }
        }
    }

    // MARK: Clocks, random, process

    /// Now on `clock` in nanoseconds, or EINVAL for a clock actors do not have
    /// (the CPU-time clocks would tell one actor about the others).
    static func wasiNow(_ clock: UInt32) throws(WASIFailure) -> UInt64 {
        var time = timespec()
        switch WASIClock(rawValue: clock) {
        case .realtime: clock_gettime(CLOCK_REALTIME, &time)
        case .monotonic: clock_gettime(CLOCK_MONOTONIC, &time)
        default: throw WASIFailure(.inval)
        }
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    func clockResGet(_ memory: some GuestMemory, clock: UInt32, resolutionPtr: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            var resolution = timespec()
            switch WASIClock(rawValue: clock) {
            case .realtime: clock_getres(CLOCK_REALTIME, &resolution)
            case .monotonic: clock_getres(CLOCK_MONOTONIC, &resolution)
            default: throw WASIFailure(.inval)
            }
            let nanoseconds = UInt64(resolution.tv_sec) * 1_000_000_000 + UInt64(resolution.tv_nsec)
            try HostCalls.put(max(nanoseconds, 1), at: resolutionPtr, in: memory)
        }
    }

    func clockTimeGet(_ memory: some GuestMemory, clock: UInt32, timePtr: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            let range = try HostCalls.wasiRange(timePtr, 8, in: memory)
            let now = try HostCalls.wasiNow(clock)
            memory.withBytes(range) { HostCalls.store(now, at: 0, in: $0) }
        }
    }

    /// Fills `[ptr, ptr+len)` from the system's CSPRNG (Swift's
    /// `SystemRandomNumberGenerator`: getrandom on Linux).
    func randomGet(_ memory: some GuestMemory, ptr: UInt32, len: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            let range = try HostCalls.wasiRange(ptr, Int(len), in: memory)
            memory.withBytes(range) { bytes in
                var generator = SystemRandomNumberGenerator()
                var offset = 0
                while offset < bytes.count {
                    let word = generator.next()
                    let count = min(8, bytes.count - offset)
                    withUnsafeBytes(of: word) { bytes.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: count) }
                    offset += count
                }
            }
        }
    }

    func schedYield() throws(ActorUnwind) -> Int32 {
        try wasi { sched_yield() }
    }

    // MARK: Descriptors

    /// The open descriptor `fd`, or EBADF.
    func open(_ fd: UInt32) throws(WASIFailure) -> WASIDescriptors.Descriptor {
        guard let descriptor = context.wasi.descriptor(fd) else { throw WASIFailure(.badf) }
        return descriptor
    }

    /// The iovec array at `iovs` (`count` entries of buf u32, len u32), each
    /// buffer checked against memory: the ranges, in order, or EFAULT/EINVAL.
    static func iovecs(_ memory: some GuestMemory, _ iovs: UInt32, _ count: UInt32) throws(WASIFailure) -> [Range<Int>] {
        guard count <= WASI.maxIovecs else { throw WASIFailure(.inval) }
        let array = try wasiRange(iovs, Int(count) * 8, in: memory)
        let entries = memory.withBytes(array) { bytes in
            (0..<Int(count)).map { i in
                (UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt32.self)),
                 UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8 + 4, as: UInt32.self)))
            }
        }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(entries.count)
        for (buffer, length) in entries { ranges.append(try wasiRange(buffer, Int(length), in: memory)) }
        return ranges
    }

    /// A call on an open descriptor that its rights do not allow (every
    /// such call on the standard streams, and those the kernel has no
    /// operation for): EBADF when `fd` is not open, else ENOTCAPABLE.
    func fdNotCapable(fd: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            _ = try open(fd)
            throw WASIFailure(.notcapable)
        }
    }

    /// A path call the kernel has no operation for (links, renames,
    /// removals, new directories, times): EBADF when `fd` is not open,
    /// ENOTDIR when it is not a directory, else ENOTCAPABLE.
    func pathCall(fd: UInt32) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            guard case .directory = try open(fd).kind else { throw WASIFailure(.notdir) }
            throw WASIFailure(.notcapable)
        }
    }

    func fdFdstatSetRights(fd: UInt32, base: UInt64, inheriting: UInt64) throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in
            _ = try open(fd)
            guard context.wasi.narrow(fd, to: WASIRights(rawValue: base)) else { throw WASIFailure(.notcapable) }
        }
    }

    /// A function that does nothing here (processes, signals, sockets): ENOSYS.
    func wasiUnsupported() throws(ActorUnwind) -> Int32 {
        try wasi { () throws(WASIFailure) in throw WASIFailure(.nosys) }
    }

    // MARK: poll_oneoff

    /// Clock subscriptions sleep until the earliest is due; a subscription
    /// on a standard stream is ready at once (stdin at its end, stdout and
    /// stderr writable). Subscription: userdata u64 @0, tag u8 @8, then for
    /// a clock id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40
    /// (1: absolute), for a descriptor fd u32 @16; 48 bytes. Event: userdata
    /// u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24; 32 bytes.
    func pollOneoff(_ memory: some GuestMemory, subscriptions: UInt32, events: UInt32, count: UInt32, eventCountPtr: UInt32)
        throws(ActorUnwind) -> Int32
    {
        var due: [(deadline: UInt64, event: WASIEvent)] = []
        var ready: [WASIEvent] = []
        var outRange = 0..<0
        var countRange = 0..<0
        let errno = try wasi { () throws(WASIFailure) in
            guard count > 0, count <= WASI.maxSubscriptions else { throw WASIFailure(.inval) }
            let inRange = try HostCalls.wasiRange(subscriptions, Int(count) * 48, in: memory)
            outRange = try HostCalls.wasiRange(events, Int(count) * 32, in: memory)
            countRange = try HostCalls.wasiRange(eventCountPtr, 4, in: memory)
            let raw = memory.withBytes(inRange) { Array(UnsafeRawBufferPointer($0)) }
            let start = try HostCalls.wasiNow(WASIClock.monotonic.rawValue)
            for i in 0..<Int(count) {
                func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                    raw.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: i * 48 + offset, as: T.self)) }
                }
                let userdata = load(0, UInt64.self)
                let tag = load(8, UInt8.self)
                switch tag {
                case 0:
                    let clock = load(16, UInt32.self)
                    let timeout = load(24, UInt64.self)
                    let absolute = load(40, UInt16.self) & 1 != 0
                    do throws(WASIFailure) {
                        let now = try HostCalls.wasiNow(clock)
                        let remaining = absolute ? (timeout > now ? timeout - now : 0) : timeout
                        let (deadline, overflow) = start.addingReportingOverflow(remaining)
                        due.append((overflow ? .max : deadline, WASIEvent(userdata: userdata, error: .success, type: 0)))
                    } catch {
                        ready.append(WASIEvent(userdata: userdata, error: error.errno, type: 0))
                    }
                case 1, 2:
                    let fd = load(16, UInt32.self)
                    guard let descriptor = context.wasi.descriptor(fd) else {
                        ready.append(WASIEvent(userdata: userdata, error: .badf, type: tag))
                        continue
                    }
                    // Files are always ready, stdin for reading, stdout and stderr for writing.
                    let fits: Bool = switch descriptor.kind {
                    case .file: true
                    case .stdin: tag == 1
                    case .stdout, .stderr: tag == 2
                    case .directory: false
                    }
                    ready.append(fits
                        ? WASIEvent(userdata: userdata, error: .success, type: tag, hangup: tag == 1)
                        : WASIEvent(userdata: userdata, error: .badf, type: tag))
                default:
                    throw WASIFailure(.inval)
                }
            }
        }
        guard errno == 0 else { return errno }
        if ready.isEmpty, let first = due.map(\.deadline).min() {
            try context.sleep(untilMonotonic: first)
        }
        if let now = try? HostCalls.wasiNow(WASIClock.monotonic.rawValue) {
            ready += due.filter { $0.deadline <= now }.map(\.event)
        }
        memory.withBytes(outRange) { bytes in
            for (i, event) in ready.enumerated() {
                let base = i * 32
                bytes.baseAddress!.advanced(by: base).initializeMemory(as: UInt8.self, repeating: 0, count: 32)
                HostCalls.store(event.userdata, at: base, in: bytes)
                HostCalls.store(event.error.rawValue, at: base + 8, in: bytes)
                HostCalls.store(event.type, at: base + 10, in: bytes)
                HostCalls.store(event.nbytes, at: base + 16, in: bytes)
                HostCalls.store(UInt16(event.hangup ? 1 : 0), at: base + 24, in: bytes)
            }
        }
        memory.withBytes(countRange) { HostCalls.store(UInt32(ready.count), at: 0, in: $0) }
        return 0
    }
}

/// One event `poll_oneoff` reports.
private struct WASIEvent {
    var userdata: UInt64
    var error: WASIErrno
    var type: UInt8
    var nbytes: UInt64 = 0
    var hangup = false
}
