/// The base of every kernel object a capability can name.
///
/// `@unchecked Sendable`: the bookkeeping here (cap count, quota owner) is only
/// read or written with the kernel lock held; subclasses say what else they
/// share and how.
public class KernelObject: @unchecked Sendable {
    var kind: ObjectKind { preconditionFailure("abstract") }
    /// Live capability nodes naming this object; at zero the object is destroyed.
    var capabilityCount = 0
    /// Who pays for this object in their memory quota, and how much.
    var quotaOwner: ActorID?
    var quotaBytes = 0

    /// What `sys_cap_info` reports as the size: bytes, packed dimensions, capacity.
    var infoSize: UInt64 { 0 }

    /// Called once, with the kernel lock held, when the last cap is gone or the
    /// kernel shuts down. Returns the in-flight caps it held so the kernel can
    /// destroy them too.
    func close() -> [CapabilityNode] { [] }
}
