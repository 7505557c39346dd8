import Kernel
import Synchronization

/// An actor's WASI descriptor table and its stdout/stderr lines.
///
/// A descriptor is an index into this table, never a host file descriptor:
/// 0-2 are the standard streams (stdin at end of file, stdout and stderr to
/// the actor's log). Files and directories will map to kernel capabilities
/// the actor holds (`Descriptor.Kind` has room for them): a preopen is a
/// DIRECTORY cap, named from its grant, and `path_open` resolves one name
/// at a time beneath it through the kernel, so nothing here ever names a
/// host path. Until those objects exist, every other descriptor is EBADF.
///
/// Host calls of one actor run on its thread, but the actor's end
/// (`flush`) may come from another: the table sits behind a mutex.
final class WASIDescriptors: Sendable {
    struct Descriptor {
        enum Kind: Equatable {
            case stdin, stdout, stderr
        }
        var kind: Kind
        /// What the descriptor may still be used for; `fd_fdstat_set_rights` only narrows it.
        var rights: WASIRights
    }

    private struct State {
        var table: [UInt32: Descriptor] = [
            0: Descriptor(kind: .stdin, rights: [.fdRead, .pollFdReadwrite]),
            1: Descriptor(kind: .stdout, rights: [.fdWrite, .pollFdReadwrite]),
            2: Descriptor(kind: .stderr, rights: [.fdWrite, .pollFdReadwrite]),
        ]
        /// Bytes written to stdout and stderr after their last newline.
        var pending: [Descriptor.Kind: [UInt8]] = [:]
    }

    private let state = Mutex(State())

    func descriptor(_ fd: UInt32) -> Descriptor? {
        state.withLock { $0.table[fd] }
    }

    /// Closes `fd`; false when it is not open.
    func close(_ fd: UInt32) -> Bool {
        state.withLock { $0.table.removeValue(forKey: fd) != nil }
    }

    /// Moves `from` over `to` (both open), closing what `to` was.
    func renumber(_ from: UInt32, to: UInt32) -> Bool {
        state.withLock { state in
            guard let moved = state.table[from], state.table[to] != nil else { return false }
            if from != to {
                state.table[to] = moved
                state.table[from] = nil
            }
            return true
        }
    }

    /// Narrows `fd`'s rights to `rights`; false when that would add any.
    func narrow(_ fd: UInt32, to rights: WASIRights) -> Bool {
        state.withLock { state in
            guard let current = state.table[fd]?.rights, current.isSuperset(of: rights) else { return false }
            state.table[fd]!.rights = rights
            return true
        }
    }

    /// Appends `bytes` to `stream`'s pending line and logs every line that
    /// ends in them (a newline; or `ABI.maxLogLine` bytes without one, so a
    /// line cannot grow without bound).
    func write(_ bytes: UnsafeRawBufferPointer, to stream: Descriptor.Kind, log: ActorLog) {
        let lines = state.withLock { state -> [[UInt8]] in
            var pending = state.pending[stream] ?? []
            var lines: [[UInt8]] = []
            for byte in bytes {
                if byte == 0x0A {
                    lines.append(pending)
                    pending.removeAll(keepingCapacity: true)
                } else {
                    pending.append(byte)
                    if pending.count == ABI.maxLogLine {
                        lines.append(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                }
            }
            state.pending[stream] = pending
            return lines
        }
        for line in lines { log.write(Self.text(line)) }
    }

    /// Logs what is left of a line on stdout and stderr: the actor has ended.
    func flush(to log: ActorLog) {
        let rest = state.withLock { state -> [[UInt8]] in
            defer { state.pending = [:] }
            return [state.pending[.stdout], state.pending[.stderr]].compactMap { $0 }.filter { !$0.isEmpty }
        }
        for line in rest { log.write(Self.text(line)) }
    }

    /// A line's bytes as text: a carriage return before the newline goes.
    private static func text(_ line: [UInt8]) -> String {
        String(decoding: line.last == 0x0D ? line.dropLast() : line[...], as: UTF8.self)
    }
}
