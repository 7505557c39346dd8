/// An actor's table of capabilities (seed 004): slot 0 is the null cap,
/// released slots are reused from a free stack, and each slot carries a
/// generation so a stale or guessed handle never reaches a newer object.
///
/// Only touched with the kernel lock held.
struct CapabilitySpace {
    private var slots: [Slot] = [Slot(node: nil, generation: 0)]
    private var freeStack: [UInt32] = []
    let capacity: Int
    private(set) var count = 0

    private struct Slot {
        var node: CapabilityNode?
        var generation: UInt32
    }

    /// Generations stay below this so handles stay positive i64 values; a slot
    /// whose generation would pass it is retired rather than reused.
    private static let maxGeneration: UInt32 = 0x7fff_ffff

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    func lookup(_ handle: Handle) -> CapabilityNode? {
        guard !handle.isNull, handle.rawValue > 0 else { return nil }
        let index = Int(handle.slot)
        guard index < slots.count, slots[index].generation == handle.generation else { return nil }
        return slots[index].node
    }

    /// Places `node` in the most recently freed slot, or a new one.
    mutating func insert(_ node: CapabilityNode) throws(SysError) -> Handle {
        guard count < capacity else { throw .noSpace }
        let index: UInt32
        if let reused = freeStack.popLast() {
            index = reused
        } else {
            guard slots.count <= Int(UInt32.max) else { throw .noSpace }
            index = UInt32(slots.count)
            slots.append(Slot(node: nil, generation: 0))
        }
        slots[Int(index)].node = node
        count += 1
        return Handle(slot: index, generation: slots[Int(index)].generation)
    }

    mutating func remove(_ handle: Handle) {
        let index = Int(handle.slot)
        precondition(index > 0 && index < slots.count && slots[index].generation == handle.generation,
                     "capability space out of sync with its nodes")
        slots[index].node = nil
        count -= 1
        if slots[index].generation < Self.maxGeneration {
            slots[index].generation += 1
            freeStack.append(UInt32(index))
        }
    }

    /// Every live node, in slot order.
    var nodes: [CapabilityNode] { slots.compactMap(\.node) }
}
