/// The base of every kernel object a capability can name.
///
/// `@unchecked Sendable`: the bookkeeping here (cap count, charge) is only
/// read or written with the kernel lock held; subclasses say what else they
/// share and how.
public class KernelObject: @unchecked Sendable {
    var kind: ObjectKind { preconditionFailure("abstract") }
    /// Live capability nodes naming this object; at zero the object is destroyed.
    var capabilityCount = 0
    /// The account that paid for this object, and how much. Given back when
    /// the object is destroyed — the payer may have ended long before.
    var chargedTo: ResourceAccount?
    var chargedBytes = 0

    /// What `sys_cap_info` reports as the size: bytes, packed dimensions, capacity.
    var infoSize: UInt64 { 0 }

    /// Holds an open file descriptor (a file or directory): counted against
    /// `KernelLimits.maxOpenFiles` while it lives.
    var holdsDescriptor: Bool { false }

    /// Called once, with the kernel lock held, when the last cap is gone.
    /// Returns the undelivered messages it held so the kernel can give back
    /// their charges and destroy their in-flight caps.
    func close() -> [Message] { [] }
}

/// A set of object kinds, as a bit mask: what a syscall accepts behind a
/// handle (checking it costs no hashing and no allocation).
struct ObjectKinds: OptionSet {
    let rawValue: UInt32

    init(rawValue: UInt32) { self.rawValue = rawValue }
    init(_ kind: ObjectKind) { rawValue = 1 << kind.rawValue }

    static let endpoint = ObjectKinds(.endpoint)
    static let buffer = ObjectKinds(.buffer)
    static let framebuffer = ObjectKinds(.framebuffer)
    static let reply = ObjectKinds(.reply)
    static let spawner = ObjectKinds(.spawner)
    static let actor = ObjectKinds(.actor)
    static let file = ObjectKinds(.file)
    static let directory = ObjectKinds(.directory)
}
