/// Which of two scanout buffers is on screen, which one a flip is pending
/// for, and how old each one's content is. A value, so the rules are
/// tested without a device; each `DRMHead` holds one.
package struct BufferChain: Hashable, Sendable {
    /// The buffer on screen.
    package private(set) var front = 0
    /// The buffer a page flip is pending for: on screen at the next vblank.
    package private(set) var pending: Int?
    /// Frames since each buffer was last shown, as in HeadlessBackend:
    /// 0 unknown, 1 the last frame presented, 2 the one before.
    package private(set) var ages = [0, 0]

    package init() {}

    /// The buffer to draw into next; only meaningful with no flip pending.
    package var back: Int { 1 - front }

    /// `index` was handed to the display: on screen now (a modeset), or
    /// once its flip completes (`flipping`).
    package mutating func presented(_ index: Int, flipping: Bool) {
        precondition(ages.indices.contains(index), "not a buffer of this chain: \(index)")
        precondition(pending == nil, "presented with a flip still pending")
        for i in ages.indices where ages[i] > 0 { ages[i] += 1 }
        ages[index] = 1
        if flipping { pending = index } else { front = index }
    }

    /// The pending flip completed (or was given up on): its buffer is the front.
    package mutating func flipCompleted() {
        guard let pending else { return }
        front = pending
        self.pending = nil
    }
}
