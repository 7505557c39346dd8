/// One capability: a reference to a kernel object with rights, at one place in
/// the derivation tree.
///
/// A node lives either in an actor's capability space or in flight inside a
/// queued message. Deriving, and passing a cap in a message, create child
/// nodes; destroying a node destroys its whole subtree, in every actor — that
/// is what revocation means here.
///
/// The children are an intrusive doubly-linked list (first child, previous
/// and next sibling), so attaching and detaching a node are O(1) however many
/// siblings it has or ever had. A destroyed node is detached at once and
/// keeps no links, so nothing live ever reaches it.
///
/// Only touched with the kernel lock held.
final class CapabilityNode {
    let object: KernelObject
    let rights: Rights
    private(set) weak var parent: CapabilityNode?
    /// Strong: a parent keeps its listed children, a child its later siblings.
    private(set) var firstChild: CapabilityNode?
    private(set) var nextSibling: CapabilityNode?
    private(set) weak var previousSibling: CapabilityNode?
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
        if let parent { parent.attach(self) }
        object.capabilityCount += 1
    }

    var isAlive: Bool {
        if case .destroyed = location { return false }
        return true
    }

    /// The direct children, first to last (for invariants and tests; O(children)).
    var children: [CapabilityNode] {
        var result: [CapabilityNode] = []
        var child = firstChild
        while let c = child {
            result.append(c)
            child = c.nextSibling
        }
        return result
    }

    private func attach(_ child: CapabilityNode) {
        child.parent = self
        child.nextSibling = firstChild
        firstChild?.previousSibling = child
        firstChild = child
    }

    /// Unlinks this node from its parent's children, in O(1).
    func detachFromParent() {
        guard let parent else { return }
        if let previousSibling {
            previousSibling.nextSibling = nextSibling
        } else {
            parent.firstChild = nextSibling
        }
        nextSibling?.previousSibling = previousSibling
        self.parent = nil
        nextSibling = nil
        previousSibling = nil
    }

    /// Detaches the first child and returns it; nil when there is none.
    /// O(1): a caller that empties a node this way pays per child.
    func detachFirstChild() -> CapabilityNode? {
        guard let child = firstChild else { return nil }
        child.detachFromParent()
        return child
    }
}
