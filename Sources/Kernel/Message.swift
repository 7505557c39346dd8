/// A message in an endpoint's queue: opcode, payload, and up to one transferred
/// cap plus one reply cap, both held in flight until delivery.
struct Message {
    let sender: ActorID
    let opcode: UInt32
    let payload: [UInt8]
    var cap: CapabilityNode?
    var reply: CapabilityNode?

    /// Room this message needs in a receive buffer.
    var wireSize: Int { ABI.messageHeaderSize + payload.count }

    /// The in-flight caps, to destroy when the message is dropped.
    var heldCaps: [CapabilityNode] { [cap, reply].compactMap { $0 } }
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
