import Kernel
import Synchronization

/// An actor's WASI descriptor table and its stdout/stderr lines.
///
/// A descriptor is an index into this table, never a host file descriptor:
/// 0-2 are the standard streams (stdin at end of file, stdout and stderr to
/// the actor's log); 3 on are the actor's preopens, DIRECTORY caps it holds
/// (`ProgramArguments.preopens`), then what `path_open` opened beneath
/// them: each a kernel cap, reached through the kernel's own calls and
/// rights, so nothing here ever names a host path.
///
/// Host calls of one actor run on its thread, but the actor's end
/// (`flush`) may come from another: the table sits behind a mutex.
final class WASIDescriptors: Sendable {
    struct Descriptor {
        enum Kind: Hashable {
            case stdin, stdout, stderr
            /// A DIRECTORY cap; `preopen` is its name for `fd_prestat_dir_name`.
            case directory(Handle, preopen: [UInt8]?)
            /// A FILE cap and where the next read or write goes.
            case file(Handle, position: UInt64, append: Bool)
        }
        var kind: Kind
        /// What the descriptor may still be used for; `fd_fdstat_set_rights`
        /// only narrows it. For caps, the kernel checks its own rights too.
        var rights: WASIRights
        /// Directory caps opened to reach this one (a path of several
        /// names): the cap is derived from them, so they live as long as it.
        var through: [Handle] = []

        var cap: Handle? {
            switch kind {
            case .directory(let handle, _), .file(let handle, _, _): handle
            default: nil
            }
        }
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

    /// The standard streams, then `preopens` from descriptor 3 on.
    init(preopens: [Preopen] = []) {
        state.withLock { state in
            for (i, preopen) in preopens.enumerated() {
                state.table[UInt32(3 + i)] = Descriptor(
                    kind: .directory(Handle(rawValue: preopen.handle), preopen: Array(preopen.name.utf8)), rights: .all)
            }
        }
    }

    func descriptor(_ fd: UInt32) -> Descriptor? {
        state.withLock { $0.table[fd] }
    }

    /// Replaces what `fd` holds (a file's position); false when it is not open.
    func update(_ fd: UInt32, _ change: (inout Descriptor) -> Void) {
        state.withLock { state in
            if state.table[fd] != nil { change(&state.table[fd]!) }
        }
    }

    /// At most this many descriptors open at once: EMFILE past it.
    static let maxOpen = 1024

    /// Puts `descriptor` at the lowest free number from 3; nil when full.
    func add(_ descriptor: Descriptor) -> UInt32? {
        state.withLock { state in
            guard state.table.count < Self.maxOpen else { return nil }
            var fd: UInt32 = 3
            while state.table[fd] != nil { fd += 1 }
            state.table[fd] = descriptor
            return fd
        }
    }

    /// Closes `fd`: what it was, or nil when it is not open.
    func close(_ fd: UInt32) -> Descriptor? {
        state.withLock { $0.table.removeValue(forKey: fd) }
    }

    /// Moves `from` over `to` (both open): what `to` was, to be closed, or
    /// nil when either is not open.
    func renumber(_ from: UInt32, to: UInt32) -> Descriptor?? {
        state.withLock { state in
            guard let moved = state.table[from], let replaced = state.table[to] else { return nil }
            guard from != to else { return .some(nil) }
            state.table[to] = moved
            state.table[from] = nil
            return .some(replaced)
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
