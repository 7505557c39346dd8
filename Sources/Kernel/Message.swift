/// A message in an endpoint's queue: opcode, payload, and up to one transferred
/// cap plus one reply cap, both held in flight until delivery.
///
/// While the kernel holds a message (queued, or an answer waiting for its
/// caller) it is charged to its sender's account: `cost` bytes, given back
/// when it is received or dropped. A message handed straight to a blocked
/// receiver is never held, so never charged (`charge` nil).
struct Message {
    let sender: ActorID
    let opcode: UInt32
    let payload: [UInt8]
    var cap: CapabilityNode?
    var reply: CapabilityNode?
    /// Who pays for the message while the kernel holds it.
    var charge: ResourceAccount?

    /// What a held message costs beyond its payload bytes, an upper bound of
    /// what holding it takes: its queue slot (48 bytes), the payload array's
    /// header and allocator rounding (at most 64), up to two in-flight
    /// capability nodes with their weak-reference side tables (at most 2 ×
    /// 128), and for a call the reply object (at most 112) — 480, rounded up.
    /// It also makes empty messages cost something, so a queue of them is
    /// not free.
    static let overhead = 512

    static func cost(payloadBytes: Int) -> Int { payloadBytes + overhead }

    var cost: Int { Message.cost(payloadBytes: payload.count) }

    /// Room this message needs in a receive buffer.
    var wireSize: Int { ABI.messageHeaderSize + payload.count }

    /// The in-flight caps, to destroy when the message is dropped.
    var heldCaps: [CapabilityNode] { [cap, reply].compactMap { $0 } }

    /// How many caps it holds: the slots its receiver needs.
    var heldCapCount: Int { (cap == nil ? 0 : 1) + (reply == nil ? 0 : 1) }
}

/// A message as delivered: its caps are now handles in the receiver's space.
public struct ReceivedMessage: Sendable, Equatable {
    public let sender: ActorID
    public let opcode: UInt32
    public let payload: [UInt8]
    public let cap: Handle
    public let reply: Handle

    public init(sender: ActorID, opcode: UInt32, payload: [UInt8], cap: Handle, reply: Handle) {
        self.sender = sender
        self.opcode = opcode
        self.payload = payload
        self.cap = cap
        self.reply = reply
    }

    /// Room this message needs in a receive buffer.
    public var wireSize: Int { ABI.messageHeaderSize + payload.count }

    /// The bytes `sys_cap_recv` writes at `buf_ptr` (layout in `MessageHeader`).
    public func encodeHeader(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= ABI.messageHeaderSize)
        buffer.storeBytes(of: opcode.littleEndian, toByteOffset: MessageHeader.opcodeOffset, as: UInt32.self)
        buffer.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: MessageHeader.payloadLengthOffset, as: UInt32.self)
        buffer.storeBytes(of: cap.rawValue.littleEndian, toByteOffset: MessageHeader.capOffset, as: Int64.self)
        buffer.storeBytes(of: reply.rawValue.littleEndian, toByteOffset: MessageHeader.replyOffset, as: Int64.self)
    }
}
