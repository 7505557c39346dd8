/// One capability: a reference to a kernel object with rights, at one place in
/// the derivation tree.
///
/// A node lives either in an actor's capability space or in flight inside a
/// queued message. Deriving, and passing a cap in a message, create child
/// nodes; destroying a node destroys its whole subtree, in every actor — that
/// is what revocation means here.
///
/// Only touched with the kernel lock held.
final class CapabilityNode {
    let object: KernelObject
    let rights: Rights
    private(set) weak var parent: CapabilityNode?
    private(set) var children: [CapabilityNode] = []
    /// Where the node is: an actor's slot, or in flight in a message.
    var location: Location

    enum Location {
        case space(ActorID, Handle)
        case inFlight
        case destroyed
    }

    init(object: KernelObject, rights: Rights, parent: CapabilityNode?, location: Location) {
        self.object = object
        self.rights = rights
        self.location = location
        self.parent = parent
        parent?.children.append(self)
        object.capabilityCount += 1
    }

    var isAlive: Bool {
        if case .destroyed = location { return false }
        return true
    }

    /// This node and every descendant, parents before children, without recursion
    /// (a derivation chain may be as long as an actor cares to make it).
    func subtree() -> [CapabilityNode] {
        var result: [CapabilityNode] = [self]
        var index = 0
        while index < result.count {
            result.append(contentsOf: result[index].children)
            index += 1
        }
        return result
    }

    /// Detach from the parent; the caller destroys the subtree.
    func detachFromParent() {
        guard let parent else { return }
        if let i = parent.children.firstIndex(where: { $0 === self }) {
            parent.children.remove(at: i)
        }
        self.parent = nil
    }

    func removeAllChildren() -> [CapabilityNode] {
        let old = children
        children = []
        for child in old { child.parent = nil }
        return old
    }
}
