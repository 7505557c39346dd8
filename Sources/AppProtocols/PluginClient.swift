import Kernel
import Wire

/// Why a plugin call failed.
public enum PluginCallError: Error, Equatable, CustomStringConvertible {
    /// The kernel refused or the call ended without an answer (timed out,
    /// the plugin died: `peerClosed`).
    case kernel(SysError)
    /// The plugin answered with its protocol's error.
    case refused(code: UInt32, message: String)
    /// The plugin answered something its protocol does not have.
    case garbled(opcode: UInt32)

    public var description: String {
        switch self {
        case .kernel(let error): "\(error)"
        case .refused(let code, let message): "refused (\(code)): \(message)"
        case .garbled(let opcode): "answered opcode \(opcode)"
        }
    }
}

/// What came on a filter plugin's answer endpoint (`PluginClient.nextAnswer`).
public enum FilterAnswer: Equatable, Sendable {
    case progress(done: UInt32, total: UInt32)
    /// The filter's own time and the engine (0 interpreter, 1 compiled), when said.
    case done(nanoseconds: UInt64?, engine: UInt32?)
    case refused(code: UInt32, message: String)
    case garbled(opcode: UInt32)
}

/// A native actor's side of the plugin protocols: start plugins and
/// workers from a spawner, and call them as paint and fractal do.
public struct PluginClient: Sendable {
    public let kernel: Kernel
    public let actor: ActorID

    public init(kernel: Kernel, actor: ActorID) {
        self.kernel = kernel
        self.actor = actor
    }

    /// Starts `module` from `spawner`; its actor cap.
    public func spawn(_ module: String, from spawner: Handle, grant: Handle = .null) throws(SysError) -> Handle {
        try kernel.spawn(actor, spawner: spawner, module: module, grant: grant)
    }

    /// A call; the answer, or why there was none.
    func call(_ target: Handle, _ opcode: UInt32, _ payload: [UInt8], cap: Handle = .null, timeout: Timeout)
        throws(PluginCallError) -> ReceivedMessage
    {
        let outcome: CallOutcome
        do {
            outcome = try kernel.call(actor, to: target, opcode: opcode, payload: payload, cap: cap,
                                      capacity: ABI.messageHeaderSize + 4096, timeout: timeout)
        } catch {
            throw .kernel(error)
        }
        switch outcome {
        case .answer(let answer):
            if !answer.cap.isNull { try? kernel.release(actor, answer.cap) }
            return answer
        case .parked(let opcode, _, let reply):
            try? kernel.release(actor, reply)
            throw .garbled(opcode: opcode)
        }
    }

    /// The `DESCRIPTION` text of a filter plugin.
    public func describe(_ plugin: Handle, timeout: Timeout = .nanoseconds(10_000_000_000)) throws(PluginCallError) -> String {
        let answer = try call(plugin, FilterProtocol.describe, [], timeout: timeout)
        guard answer.opcode == FilterProtocol.description else { throw refusal(answer) }
        return String(decoding: answer.payload, as: UTF8.self)
    }

    /// Filters `pixels` with a plugin, as paint does: a fresh buffer, a
    /// derived cap (read, write, grant) for the call, released before the
    /// result is read.
    public func apply(_ plugin: Handle, _ pixels: [UInt32], width: Int, height: Int, params: [Int32] = [],
                      timeout: Timeout = .nanoseconds(60_000_000_000)) throws(PluginCallError) -> [UInt32]
    {
        var result = pixels
        try apply(plugin, to: &result, width: width, height: height, params: params, timeout: timeout)
        return result
    }

    /// Filters `pixels` in place, as paint filters its canvas: `apply`,
    /// with the result read straight back into `pixels`, which stay as they
    /// were unless the plugin answered `done`. The canvas is copied into
    /// `copy` (a buffer of at least `pixels.count × 4` bytes, kept between
    /// calls as paint keeps its own), or into a fresh buffer when it is nil.
    public func apply(_ plugin: Handle, to pixels: inout [UInt32], width: Int, height: Int, params: [Int32] = [],
                      through copy: Handle? = nil, timeout: Timeout = .nanoseconds(60_000_000_000)) throws(PluginCallError)
    {
        let count = pixels.count
        let buffer: Handle
        if let copy {
            buffer = copy
        } else {
            buffer = try kernelCall { () throws(SysError) in try kernel.createBuffer(actor, size: count * 4) }
        }
        defer { if copy == nil { try? kernel.release(actor, buffer) } }
        try write(pixels, to: buffer)
        let lent = try kernelCall { () throws(SysError) in try kernel.derive(actor, buffer, rights: [.read, .write, .grant]) }
        let answer: ReceivedMessage
        do {
            answer = try call(plugin, FilterProtocol.apply,
                              FilterProtocol.applyPayload(width: width, height: height, params: params), cap: lent, timeout: timeout)
        } catch {
            try? kernel.release(actor, lent)
            throw error
        }
        try? kernel.release(actor, lent)
        guard answer.opcode == FilterProtocol.done else { throw refusal(answer) }
        try read(from: buffer, into: &pixels)
        pixels.withUnsafeMutableBufferPointer { pixels in
            for i in pixels.indices { pixels[i] &= 0x00ff_ffff }
        }
    }

    /// The parsed `DESCRIPTION` of a filter plugin: `.garbled` when the
    /// text is not a valid description.
    public func describeFilter(_ plugin: Handle, timeout: Timeout = .nanoseconds(10_000_000_000))
        throws(PluginCallError) -> FilterDescription
    {
        let text = try describe(plugin, timeout: timeout)
        guard let description = FilterDescription(parsing: text) else { throw .garbled(opcode: FilterProtocol.description) }
        return description
    }

    /// Starts a filter without waiting, as paint does: `apply` sent (no
    /// reply cap) with `lent` (a cap to the image buffer the plugin may read
    /// and write), answered on the plugin's handle 2, the answer endpoint
    /// granted at spawn. Read the answers with `nextAnswer`.
    public func startApply(_ plugin: Handle, lent: Handle, width: Int, height: Int, params: [Int32] = [])
        throws(PluginCallError)
    {
        try kernelCall { () throws(SysError) in
            try kernel.send(actor, to: plugin, opcode: FilterProtocol.apply,
                            payload: FilterProtocol.applyPayload(width: width, height: height, params: params), cap: lent)
        }
    }

    /// The next message on an answer endpoint, within `timeout`.
    public func nextAnswer(on endpoint: Handle, timeout: Timeout) throws(PluginCallError) -> FilterAnswer {
        let receipt = try kernelCall { () throws(SysError) in
            try kernel.receive(actor, from: endpoint, capacity: ABI.messageHeaderSize + 4 + 512, timeout: timeout)
        }
        guard case .message(let message) = receipt else {
            if case .tooSmall(let opcode, _) = receipt { return .garbled(opcode: opcode) }
            return .garbled(opcode: 0)
        }
        if !message.cap.isNull { try? kernel.release(actor, message.cap) }
        var reader = PayloadReader(message.payload)
        switch message.opcode {
        case FilterProtocol.progress where message.payload.count == 8:
            return .progress(done: reader.u32()!, total: reader.u32()!)
        case FilterProtocol.done:
            let nanoseconds = reader.u64()
            return .done(nanoseconds: nanoseconds, engine: nanoseconds == nil ? nil : reader.u32())
        default:
            switch refusal(message) {
            case .refused(let code, let text): return .refused(code: code, message: text)
            default: return .garbled(opcode: message.opcode)
            }
        }
    }

    /// Renders one tile with a worker, through a call (the answer comes on
    /// the reply cap) and `buffer`, a buffer of at least `tile.samples × 4` bytes.
    public func render(_ worker: Handle, _ tile: FormulaTile, into buffer: Handle,
                       timeout: Timeout = .nanoseconds(60_000_000_000)) throws(PluginCallError) -> [UInt32]
    {
        let lent = try kernelCall { () throws(SysError) in try kernel.derive(actor, buffer, rights: [.write, .grant]) }
        let answer: ReceivedMessage
        do {
            answer = try call(worker, FormulaProtocol.render, tile.payload, cap: lent, timeout: timeout)
        } catch {
            try? kernel.release(actor, lent)
            throw error
        }
        try? kernel.release(actor, lent)
        var reader = PayloadReader(answer.payload)
        guard answer.opcode == FormulaProtocol.tileDone, reader.u32() == tile.job else { throw refusal(answer) }
        return try read(tile.samples, from: buffer)
    }

    /// Writes `pixels` at the start of `buffer`.
    public func write(_ pixels: [UInt32], to buffer: Handle) throws(PluginCallError) {
        var failure: SysError?
        pixels.withUnsafeBytes { bytes in
            do throws(SysError) { try kernel.write(actor, to: buffer, offset: 0, from: bytes) } catch { failure = error }
        }
        if let failure { throw .kernel(failure) }
    }

    /// Reads `count` u32s from the start of `buffer`.
    public func read(_ count: Int, from buffer: Handle) throws(PluginCallError) -> [UInt32] {
        var result = [UInt32](repeating: 0, count: count)
        try read(from: buffer, into: &result)
        return result
    }

    /// Reads `pixels.count` u32s from the start of `buffer` into `pixels`.
    public func read(from buffer: Handle, into pixels: inout [UInt32]) throws(PluginCallError) {
        var failure: SysError?
        pixels.withUnsafeMutableBytes { bytes in
            do throws(SysError) { try kernel.read(actor, from: buffer, offset: 0, into: bytes) } catch { failure = error }
        }
        if let failure { throw .kernel(failure) }
    }

    private func kernelCall<T>(_ body: () throws(SysError) -> T) throws(PluginCallError) -> T {
        do {
            return try body()
        } catch {
            throw .kernel(error)
        }
    }

    func refusal(_ answer: ReceivedMessage) -> PluginCallError {
        var reader = PayloadReader(answer.payload)
        switch answer.opcode {
        case FilterProtocol.error:
            guard let code = reader.u32() else { return .garbled(opcode: answer.opcode) }
            return .refused(code: code, message: reader.text())
        case FormulaProtocol.error:
            guard reader.u32() != nil, let code = reader.u32() else { return .garbled(opcode: answer.opcode) }
            return .refused(code: code, message: reader.text())
        default:
            return .garbled(opcode: answer.opcode)
        }
    }
}
