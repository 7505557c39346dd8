import CDRM
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Page flip completions, counted where libdrm's C callback can reach them:
/// its address is the user data of every drmModePageFlip, and the handler
/// passed to drmHandleEvent (a C function, no captures) bumps the count.
package final class PageFlipEvents {
    private struct Record {
        var completed: UInt64 = 0
        var sequence: UInt32 = 0
    }

    private let record: UnsafeMutablePointer<Record>
    /// Flips asked of the kernel.
    package private(set) var requested: UInt64 = 0

    package init() {
        record = .allocate(capacity: 1)
        record.initialize(to: Record())
    }

    deinit {
        record.deinitialize(count: 1)
        record.deallocate()
    }

    /// What to pass as user data to drmModePageFlip. Valid while `self` lives;
    /// its owner closes the fd before letting it go, so no event arrives later.
    package var userData: UnsafeMutableRawPointer { UnsafeMutableRawPointer(record) }

    package var completed: UInt64 { record.pointee.completed }
    package var isPending: Bool { record.pointee.completed < requested }
    /// The vblank counter of the last completed flip.
    package var lastSequence: UInt32 { record.pointee.sequence }

    package func didRequest() { requested += 1 }

    /// Forgets a flip whose event never came (so the next wait does not
    /// wait for it again).
    package func abandonPending() { record.pointee.completed = requested }

    /// Blocks in poll() on `fd` until every requested flip completed or
    /// `timeoutNanoseconds` passed; reads events with drmHandleEvent.
    /// Returns whether nothing is pending any more, and an errno value when
    /// poll or drmHandleEvent failed.
    package func wait(fd: Int32, timeoutNanoseconds: UInt64) -> (done: Bool, error: Int32?) {
        let deadline = Self.monotonicNanoseconds().addingReportingOverflow(timeoutNanoseconds)
        let end = deadline.overflow ? UInt64.max : deadline.partialValue
        var context = drmEventContext()
        context.version = 2
        context.page_flip_handler = { _, sequence, _, _, userData in
            guard let record = userData?.assumingMemoryBound(to: Record.self) else { return }
            record.pointee.completed &+= 1
            record.pointee.sequence = sequence
        }
        while isPending {
            let now = Self.monotonicNanoseconds()
            let remaining = end > now ? end - now : 0
            // Round up so a sub-millisecond timeout still waits, capped for poll's Int32.
            let milliseconds = Int32(min((remaining + 999_999) / 1_000_000, UInt64(Int32.max)))
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return (false, errno)
            }
            if ready == 0 {
                if Self.monotonicNanoseconds() >= end { return (false, nil) }
                continue
            }
            if pfd.revents & Int16(POLLIN) == 0 { return (false, EIO) }  // POLLERR/POLLHUP/POLLNVAL
            if drmHandleEvent(fd, &context) != 0 { return (false, errno) }
        }
        return (true, nil)
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// The one reader of a device's fd, shared by all its heads. Whoever waits
/// for a flip reads every event on the fd, including other heads' flips:
/// drmHandleEvent hands each to the record named by its user data, so a
/// head finds its flip already counted when it gets here. Holding `lock`
/// while reading serialises the reads; the records' counts are only read
/// and written under it.
package final class FlipEventReader: Sendable {
    package let fd: Int32
    private let lock: Mutex<Retired>

    /// The records of heads that are gone. Kept until the fd is closed: a
    /// flip given up on may still complete, and its event must not land
    /// in freed memory.
    private struct Retired: @unchecked Sendable {
        var records: [PageFlipEvents] = []
    }

    package init(fd: Int32) {
        self.fd = fd
        lock = Mutex(Retired())
    }

    /// Waits until `flips` has nothing pending, or `timeoutNanoseconds`
    /// passed; the wait can last longer while another head reads the fd.
    package func wait(_ flips: PageFlipEvents, timeoutNanoseconds: UInt64) -> (done: Bool, error: Int32?) {
        lock.withLock { _ in flips.wait(fd: fd, timeoutNanoseconds: timeoutNanoseconds) }
    }

    package func isPending(_ flips: PageFlipEvents) -> Bool {
        lock.withLock { _ in flips.isPending }
    }

    package func abandonPending(_ flips: PageFlipEvents) {
        lock.withLock { _ in flips.abandonPending() }
    }

    /// Keeps `flips` alive until the reader goes (after the fd is closed).
    package func retire(_ flips: PageFlipEvents) {
        lock.withLock { $0.records.append(flips) }
    }
}
