import Dispatch
import Kernel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An actor's linear memory as the host calls see it, whatever the engine.
public protocol GuestMemory {
    var byteCount: Int { get }
    /// Runs `body` over `range`, which the caller has checked lies inside memory.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R
}

/// Thrown out of a host call to unwind the actor's Wasm stack.
public enum ActorUnwind: Error, Sendable {
    /// `sys_exit(code)`.
    case exit(Int32)
    /// The kernel ended this actor (killed, shutdown) while it ran.
    case terminated
}

/// Where an actor's `sys_log` lines go: (actor name, line), both already
/// escaped (`LogText`): each is one line of plain text.
public typealias LogSink = @Sendable (String, String) -> Void

/// The state a running actor's host calls share: who it is, what its memory
/// is charged to, and whether the kernel has ended it. One per actor,
/// engine-independent.
public final class ActorContext: Sendable {
    public let kernel: Kernel
    public let name: String
    /// Charged with the instance's linear memory and tables from its first
    /// byte on; the kernel charges the actor's objects and messages to it too.
    public let account: ResourceAccount
    private let actorID = Atomic<UInt32>(0)
    private let ended = Atomic<Bool>(false)
    /// Its `sys_log` lines: escaped, tagged, rate-limited.
    let log: ActorLog
    /// Its WASI command line and environment.
    let program: ProgramArguments
    /// Its WASI descriptors, and what it wrote to stdout and stderr since
    /// their last newline.
    let wasi: WASIDescriptors
    /// Signalled when the actor is ended, to cut a WASI sleep short.
    private let ending = DispatchSemaphore(value: 0)

    init(
        kernel: Kernel, name: String, account: ResourceAccount, logSink: @escaping LogSink, logRate: LogRate = LogRate(),
        program: ProgramArguments = ProgramArguments()
    ) {
        self.kernel = kernel
        self.name = name
        self.account = account
        self.log = ActorLog(name: name, sink: logSink, rate: logRate)
        self.program = program
        self.wasi = WASIDescriptors(preopens: program.preopens)
    }

    /// Set once, when the kernel has created the actor.
    public var actor: ActorID? {
        let raw = actorID.load(ordering: .acquiring)
        return raw == 0 ? nil : ActorID(rawValue: raw)
    }

    func bind(_ actor: ActorID) { actorID.store(actor.rawValue, ordering: .releasing) }

    /// Marks the actor ended: its next host call unwinds it. Its log says
    /// what the rate limit dropped since its last line.
    func markEnded() {
        ended.store(true, ordering: .releasing)
        ending.signal()
        wasi.flush(to: log)
        log.flush()
    }

    /// Sleeps until the monotonic clock reads `deadline` (nanoseconds), or
    /// unwinds as soon as the actor is ended.
    func sleep(untilMonotonic deadline: UInt64) throws(ActorUnwind) {
        while true {
            if isEnded { throw .terminated }
            guard let now = try? HostCalls.wasiNow(WASIClock.monotonic.rawValue), now < deadline else { return }
            let wait = min(deadline - now, UInt64(Int64.max / 2))
            if ending.wait(timeout: .now() + .nanoseconds(Int(clamping: wait))) == .success { throw .terminated }
        }
    }
    public var isEnded: Bool { ended.load(ordering: .acquiring) }
}

/// The host ABI of docs/ABI.md, engine-independent: each method takes the raw
/// Wasm arguments, checks every pointer/length against linear memory before
/// touching it, calls the kernel, and returns the raw result. A bad argument
/// is an error code with nothing copied, never a host crash.
public struct HostCalls {
    public let context: ActorContext
    /// The engine the actor runs on (`sys_engine`).
    public let tier: ActorEngine

    public init(context: ActorContext, tier: ActorEngine) {
        self.context = context
        self.tier = tier
    }

    /// The calling actor, or an unwind if it was ended meanwhile.
    @inline(__always)
    func caller() throws(ActorUnwind) -> ActorID {
        guard !context.isEnded, let actor = context.actor else { throw .terminated }
        return actor
    }

    /// The byte range `[ptr, ptr+len)` of linear memory, checked.
    static func guestRange(_ ptr: Int32, _ len: Int32, in memory: some GuestMemory) throws(SysError) -> Range<Int> {
        guard len >= 0 else { throw .invalidArgument }
        let start = Int(UInt32(bitPattern: ptr))
        let count = Int(len)
        guard start <= memory.byteCount, count <= memory.byteCount - start else { throw .outOfBounds }
        return start..<(start + count)
    }

    /// The result of a kernel call as the ABI returns it: the value, or the
    /// negative error code. `shutdown` is only ever thrown for a caller the
    /// kernel has already ended, so it unwinds the actor instead: its instance
    /// must not run on (until the exit observer marks it) on a -15.
    @inline(__always)
    static func code(_ body: () throws(SysError) -> Int64) throws(ActorUnwind) -> Int64 {
        do throws(SysError) {
            return try body()
        } catch .shutdown {
            throw .terminated
        } catch {
            return Int64(error.rawValue)
        }
    }

    // MARK: The seed's core

    public func log(_ memory: some GuestMemory, ptr: Int32, len: Int32) throws(ActorUnwind) {
        _ = try caller()
        // The whole pair is checked like any other, then the line is cut: a
        // bad pointer or length logs nothing rather than a piece of memory.
        guard let range = try? HostCalls.guestRange(ptr, len, in: memory) else { return }
        let line = range.lowerBound..<min(range.upperBound, range.lowerBound + ABI.maxLogLine)
        let text = memory.withBytes(line) { String(decoding: $0, as: UTF8.self) }
        context.log.write(text)
    }

    public func exit(code: Int32) throws(ActorUnwind) -> Never {
        throw .exit(code)
    }

    public func send(_ memory: some GuestMemory, handle: Int64, opcode: Int32, ptr: Int32, len: Int32, cap: Int64)
        throws(ActorUnwind) -> Int32
    {
        let actor = try caller()
        return Int32(try HostCalls.code { () throws(SysError) in
            guard len <= Int32(ABI.maxPayload) else { throw .invalidArgument }
            let range = try HostCalls.guestRange(ptr, len, in: memory)
            let payload = memory.withBytes(range) { Array(UnsafeRawBufferPointer($0)) }
            try context.kernel.send(
                actor, to: Handle(rawValue: handle), opcode: UInt32(bitPattern: opcode), payload: payload,
                cap: Handle(rawValue: cap))
            return 0
        })
    }

    public func receive(_ memory: some GuestMemory, handle: Int64, buf: Int32, len: Int32, timeout: Timeout)
        throws(ActorUnwind) -> Int64
    {
        let actor = try caller()
        let result = try HostCalls.code { () throws(SysError) in
            let range = try HostCalls.guestRange(buf, len, in: memory)
            let receipt = try context.kernel.receive(actor, from: Handle(rawValue: handle), capacity: range.count, timeout: timeout)
            return HostCalls.store(receipt, in: memory, at: range)
        }
        if context.isEnded { throw .terminated }
        return result
    }

    public func call(
        _ memory: some GuestMemory, handle: Int64, opcode: Int32, ptr: Int32, len: Int32, cap: Int64,
        buf: Int32, bufLen: Int32, timeout: Timeout
    ) throws(ActorUnwind) -> Int64 {
        let actor = try caller()
        let result = try HostCalls.code { () throws(SysError) in
            guard len <= Int32(ABI.maxPayload), bufLen >= Int32(ABI.messageHeaderSize) else { throw .invalidArgument }
            let request = try HostCalls.guestRange(ptr, len, in: memory)
            let answer = try HostCalls.guestRange(buf, bufLen, in: memory)
            let payload = memory.withBytes(request) { Array(UnsafeRawBufferPointer($0)) }
            let outcome = try context.kernel.call(
                actor, to: Handle(rawValue: handle), opcode: UInt32(bitPattern: opcode), payload: payload,
                cap: Handle(rawValue: cap), capacity: answer.count, timeout: timeout)
            switch outcome {
            case .answer(let message):
                return HostCalls.store(.message(message), in: memory, at: answer)
            case .parked(let opcode, let needed, let reply):
                let header = ReceivedMessage(
                    sender: actor, opcode: opcode, payload: [], cap: .null, reply: reply)
                memory.withBytes(answer) { bytes in
                    header.encodeHeader(into: bytes)
                    bytes.storeBytes(
                        of: UInt32(needed - ABI.messageHeaderSize).littleEndian,
                        toByteOffset: MessageHeader.payloadLengthOffset, as: UInt32.self)
                }
                throw .bufferTooSmall
            }
        }
        if context.isEnded { throw .terminated }
        return result
    }

    /// Writes a receipt at `range`: the message (header + payload) and the
    /// sender id, or for a message too large, its opcode and payload length
    /// (when there are 8 bytes for them) and `bufferTooSmall`.
    static func store(_ receipt: Receipt, in memory: some GuestMemory, at range: Range<Int>) -> Int64 {
        switch receipt {
        case .message(let message):
            memory.withBytes(range) { bytes in
                message.encodeHeader(into: bytes)
                message.payload.withUnsafeBytes { payload in
                    UnsafeMutableRawBufferPointer(rebasing: bytes[ABI.messageHeaderSize...]).copyMemory(from: payload)
                }
            }
            return Int64(message.sender.rawValue)
        case .tooSmall(let opcode, let needed):
            if range.count >= 8 {
                memory.withBytes(range) { bytes in
                    bytes.storeBytes(of: opcode.littleEndian, toByteOffset: MessageHeader.opcodeOffset, as: UInt32.self)
                    bytes.storeBytes(
                        of: UInt32(needed - ABI.messageHeaderSize).littleEndian,
                        toByteOffset: MessageHeader.payloadLengthOffset, as: UInt32.self)
                }
            }
            return Int64(SysError.bufferTooSmall.rawValue)
        }
    }

    public func memRead(_ memory: some GuestMemory, handle: Int64, offset: Int32, ptr: Int32, len: Int32)
        throws(ActorUnwind) -> Int32
    {
        let actor = try caller()
        return Int32(try HostCalls.code { () throws(SysError) in
            guard offset >= 0 else { throw .invalidArgument }
            let range = try HostCalls.guestRange(ptr, len, in: memory)
            let copied = try memory.withBytes(range) { bytes in
                Result { () throws(SysError) in
                    try context.kernel.read(actor, from: Handle(rawValue: handle), offset: Int(offset), into: bytes)
                }
            }.get()
            return Int64(copied)
        })
    }

    public func memWrite(_ memory: some GuestMemory, handle: Int64, offset: Int32, ptr: Int32, len: Int32)
        throws(ActorUnwind) -> Int32
    {
        let actor = try caller()
        return Int32(try HostCalls.code { () throws(SysError) in
            guard offset >= 0 else { throw .invalidArgument }
            let range = try HostCalls.guestRange(ptr, len, in: memory)
            try memory.withBytes(range) { bytes in
                Result { () throws(SysError) in
                    try context.kernel.write(actor, to: Handle(rawValue: handle), offset: Int(offset), from: UnsafeRawBufferPointer(bytes))
                }
            }.get()
            return Int64(len)
        })
    }

    public func framebufferInfo() throws(ActorUnwind) -> Int64 {
        context.kernel.framebufferInfo(try caller())
    }

    // MARK: Extensions

    public func release(handle: Int64) throws(ActorUnwind) -> Int32 {
        let actor = try caller()
        return Int32(try HostCalls.code { () throws(SysError) in
            try context.kernel.release(actor, Handle(rawValue: handle))
            return 0
        })
    }

    public func derive(handle: Int64, rights: Int32) throws(ActorUnwind) -> Int64 {
        let actor = try caller()
        return try HostCalls.code { () throws(SysError) in
            try context.kernel.derive(actor, Handle(rawValue: handle), rights: Rights(rawValue: UInt32(bitPattern: rights))).rawValue
        }
    }

    public func revoke(handle: Int64) throws(ActorUnwind) -> Int32 {
        let actor = try caller()
        return Int32(try HostCalls.code { () throws(SysError) in
            try context.kernel.revoke(actor, Handle(rawValue: handle))
            return 0
        })
    }

    /// Writes 16 bytes at `ptr`: kind u32, rights u32, size u64.
    public func info(_ memory: some GuestMemory, handle: Int64, ptr: Int32) throws(ActorUnwind) -> Int32 {
        let actor = try caller()
        return Int32(try HostCalls.code { () throws(SysError) in
            let range = try HostCalls.guestRange(ptr, 16, in: memory)
            let info = try context.kernel.info(actor, Handle(rawValue: handle))
            memory.withBytes(range) { bytes in
                bytes.storeBytes(of: info.kind.rawValue.littleEndian, toByteOffset: 0, as: UInt32.self)
                bytes.storeBytes(of: info.rights.rawValue.littleEndian, toByteOffset: 4, as: UInt32.self)
                bytes.storeBytes(of: info.size.littleEndian, toByteOffset: 8, as: UInt64.self)
            }
            return 0
        })
    }

    public func createEndpoint(capacity: Int32) throws(ActorUnwind) -> Int64 {
        let actor = try caller()
        return try HostCalls.code { () throws(SysError) in
            try context.kernel.createEndpoint(actor, capacity: Int(capacity)).rawValue
        }
    }

    public func createBuffer(size: Int32) throws(ActorUnwind) -> Int64 {
        let actor = try caller()
        return try HostCalls.code { () throws(SysError) in
            try context.kernel.createBuffer(actor, size: Int(size)).rawValue
        }
    }

    public func spawn(_ memory: some GuestMemory, spawner: Int64, namePtr: Int32, nameLen: Int32, grant: Int64)
        throws(ActorUnwind) -> Int64
    {
        let actor = try caller()
        return try HostCalls.code { () throws(SysError) in
            guard nameLen <= 64 else { throw .invalidArgument }
            let range = try HostCalls.guestRange(namePtr, nameLen, in: memory)
            let name = memory.withBytes(range) { String(decoding: $0, as: UTF8.self) }
            return try context.kernel.spawn(actor, spawner: Handle(rawValue: spawner), module: name, grant: Handle(rawValue: grant)).rawValue
        }
    }

    public func kill(handle: Int64) throws(ActorUnwind) -> Int32 {
        let actor = try caller()
        let result = Int32(try HostCalls.code { () throws(SysError) in
            try context.kernel.kill(actor, Handle(rawValue: handle))
            return 0
        })
        if context.isEnded { throw .terminated }  // it may have killed itself
        return result
    }

    public func now() throws(ActorUnwind) -> Int64 {
        _ = try caller()
        return context.kernel.now()
    }

    public func yield() throws(ActorUnwind) {
        _ = try caller()
        sched_yield()
    }

    public func engine() throws(ActorUnwind) -> Int32 {
        _ = try caller()
        return tier.rawValue
    }

    // MARK: Files and directories

    public func resizeFile(handle: Int64, size: Int64) throws(ActorUnwind) -> Int32 {
        let actor = try caller()
        return Int32(try HostCalls.code { () throws(SysError) in
            guard size >= 0, size <= Int64(Int.max) else { throw .invalidArgument }
            try context.kernel.resizeFile(actor, Handle(rawValue: handle), to: Int(size))
            return 0
        })
    }

    public func openInDirectory(
        _ memory: some GuestMemory, directory: Int64, namePtr: Int32, nameLen: Int32, flags: Int32, rights: Int32
    ) throws(ActorUnwind) -> Int64 {
        let actor = try caller()
        return try HostCalls.code { () throws(SysError) in
            guard nameLen >= 0, nameLen <= FileName.maxLength else { throw .invalidArgument }
            let range = try HostCalls.guestRange(namePtr, nameLen, in: memory)
            let name = memory.withBytes(range) { Array(UnsafeRawBufferPointer($0)) }
            return try context.kernel.open(
                actor, in: Handle(rawValue: directory), name: name,
                options: OpenOptions(rawValue: UInt32(bitPattern: flags)),
                rights: Rights(rawValue: UInt32(bitPattern: rights))
            ).rawValue
        }
    }

    public func listDirectory(_ memory: some GuestMemory, directory: Int64, start: Int32, ptr: Int32, len: Int32)
        throws(ActorUnwind) -> Int32
    {
        let actor = try caller()
        return Int32(try HostCalls.code { () throws(SysError) in
            let range = try HostCalls.guestRange(ptr, len, in: memory)
            let written = try memory.withBytes(range) { bytes in
                Result { () throws(SysError) in
                    try context.kernel.listDirectory(actor, Handle(rawValue: directory), start: Int(start), into: bytes)
                }
            }.get()
            return Int64(written)
        })
    }
}
