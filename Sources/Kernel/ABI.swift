// The one definition of the actor ABI: host calls, rights, error codes, the
// received-message layout and object kinds. The Rust SDK
// (actors/sdk/src/abi.rs) and docs/ABI.md restate these values; the test
// `ABIAgreementTests` fails when any of them drifts from this file.

/// A Wasm value type as it appears in a host-call signature.
public enum ABIValueType: String, Sendable {
    case i32, i64
}

/// One host call in module `"env"`.
public struct HostCallSignature: Sendable, Equatable {
    public let name: String
    public let parameters: [ABIValueType]
    public let results: [ABIValueType]
    /// Part of the seed's seven-call table (fixed forever) or a wskdesk extension.
    public let isSeedCore: Bool

    public init(name: String, parameters: [ABIValueType], results: [ABIValueType], isSeedCore: Bool) {
        self.name = name
        self.parameters = parameters
        self.results = results
        self.isSeedCore = isSeedCore
    }

    /// The signature as written in docs/ABI.md: `(i64, i32) -> i32`.
    public var text: String {
        let params = "(" + parameters.map(\.rawValue).joined(separator: ", ") + ")"
        switch results.count {
        case 0: return params
        case 1: return params + " -> " + results[0].rawValue
        default: return params + " -> (" + results.map(\.rawValue).joined(separator: ", ") + ")"
        }
    }
}

public enum ABI {
    /// The import module every host call lives in.
    public static let importModule = "env"

    /// Every host call, in the order docs/ABI.md lists them.
    public static let hostCalls: [HostCallSignature] = [
        // The seed's compatible core: names, signatures and argument order fixed.
        .init(name: "sys_log", parameters: [.i32, .i32], results: [], isSeedCore: true),
        .init(name: "sys_exit", parameters: [.i32], results: [], isSeedCore: true),
        .init(name: "sys_cap_send", parameters: [.i64, .i32, .i32, .i32, .i64], results: [.i32], isSeedCore: true),
        .init(name: "sys_cap_recv", parameters: [.i64, .i32, .i32], results: [.i64], isSeedCore: true),
        .init(name: "sys_cap_mem_read", parameters: [.i64, .i32, .i32, .i32], results: [.i32], isSeedCore: true),
        .init(name: "sys_cap_mem_write", parameters: [.i64, .i32, .i32, .i32], results: [.i32], isSeedCore: true),
        .init(name: "sys_fb_info", parameters: [], results: [.i64], isSeedCore: true),
        // Extensions.
        .init(name: "sys_cap_recv_timeout", parameters: [.i64, .i32, .i32, .i64], results: [.i64], isSeedCore: false),
        .init(name: "sys_cap_call", parameters: [.i64, .i32, .i32, .i32, .i64, .i32, .i32, .i64], results: [.i64], isSeedCore: false),
        .init(name: "sys_cap_release", parameters: [.i64], results: [.i32], isSeedCore: false),
        .init(name: "sys_cap_derive", parameters: [.i64, .i32], results: [.i64], isSeedCore: false),
        .init(name: "sys_cap_revoke", parameters: [.i64], results: [.i32], isSeedCore: false),
        .init(name: "sys_cap_info", parameters: [.i64, .i32], results: [.i32], isSeedCore: false),
        .init(name: "sys_endpoint_create", parameters: [.i32], results: [.i64], isSeedCore: false),
        .init(name: "sys_buffer_create", parameters: [.i32], results: [.i64], isSeedCore: false),
        .init(name: "sys_spawn", parameters: [.i64, .i32, .i32, .i64], results: [.i64], isSeedCore: false),
        .init(name: "sys_actor_kill", parameters: [.i64], results: [.i32], isSeedCore: false),
        .init(name: "sys_time_now", parameters: [], results: [.i64], isSeedCore: false),
        .init(name: "sys_yield", parameters: [], results: [], isSeedCore: false),
        .init(name: "sys_file_resize", parameters: [.i64, .i64], results: [.i32], isSeedCore: false),
        .init(name: "sys_dir_open", parameters: [.i64, .i32, .i32, .i32, .i32], results: [.i64], isSeedCore: false),
        .init(name: "sys_dir_list", parameters: [.i64, .i32, .i32, .i32], results: [.i32], isSeedCore: false),
        .init(name: "sys_engine", parameters: [], results: [.i32], isSeedCore: false),
    ]

    public static func hostCall(named name: String) -> HostCallSignature? {
        hostCalls.first { $0.name == name }
    }

    /// Bytes before the payload in a received message (see `MessageHeader`).
    public static let messageHeaderSize = 24
    /// The largest payload one message may carry.
    public static let maxPayload = 64 * 1024
    /// The largest `sys_log` line; longer ones are cut, not refused.
    public static let maxLogLine = 4096
}

/// Which engine runs an actor, as `sys_engine` answers.
public enum ActorEngine: Int32, Sendable, CaseIterable {
    /// WasmKit's interpreter.
    case interpreter = 0
    /// The module's wasm2c translation, compiled.
    case compiled = 1

    /// Its name in the Rust SDK and docs/ABI.md.
    public var abiName: String {
        switch self {
        case .interpreter: "ENGINE_INTERPRETER"
        case .compiled: "ENGINE_COMPILED"
        }
    }
}

/// The layout of a received message at `buf_ptr`, little-endian.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0  | 4 | opcode |
/// | 4  | 4 | payload length |
/// | 8  | 8 | handle of the transferred cap in the receiver's space (0 = none) |
/// | 16 | 8 | handle of the reply cap (0 = none; set when the sender used `sys_cap_call`) |
/// | 24 | n | payload |
public enum MessageHeader {
    public static let opcodeOffset = 0
    public static let payloadLengthOffset = 4
    public static let capOffset = 8
    public static let replyOffset = 16
}

/// Rights on a capability. A derived cap has a subset of its parent's rights.
public struct Rights: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Copy bytes out of a buffer or framebuffer; query its size.
    public static let read = Rights(rawValue: 1 << 0)
    /// Copy bytes into a buffer or framebuffer.
    public static let write = Rights(rawValue: 1 << 1)
    /// Send on an endpoint, reply cap or actor cap.
    public static let send = Rights(rawValue: 1 << 2)
    /// Receive from an endpoint.
    public static let receive = Rights(rawValue: 1 << 3)
    /// Pass this cap to another actor in a message, or derive from it.
    public static let grant = Rights(rawValue: 1 << 4)
    /// Start modules through a spawner cap.
    public static let spawn = Rights(rawValue: 1 << 5)
    /// End the actor an actor cap names.
    public static let kill = Rights(rawValue: 1 << 6)
    /// Set a file's size (`sys_file_resize`, or emptying it as it is opened).
    public static let resize = Rights(rawValue: 1 << 7)
    /// List a directory (`sys_dir_list`).
    public static let list = Rights(rawValue: 1 << 8)
    /// Open what a directory holds, by name (`sys_dir_open`).
    public static let open = Rights(rawValue: 1 << 9)
    /// Create files in a directory.
    public static let create = Rights(rawValue: 1 << 10)

    public static let all: Rights = [.read, .write, .send, .receive, .grant, .spawn, .kill, .resize, .list, .open, .create]

    public static let names: [(Rights, String)] = [
        (.read, "read"), (.write, "write"), (.send, "send"), (.receive, "receive"),
        (.grant, "grant"), (.spawn, "spawn"), (.kill, "kill"), (.resize, "resize"),
        (.list, "list"), (.open, "open"), (.create, "create"),
    ]

    public var description: String {
        let parts = Rights.names.filter { contains($0.0) }.map(\.1)
        return parts.isEmpty ? "none" : parts.joined(separator: "|")
    }
}

/// Error codes returned (negative) by host calls. Zero or positive means success.
public enum SysError: Int32, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// The handle is null, out of range, released, revoked, stale or forged.
    case invalidHandle = -1
    /// The object behind the handle does not support this call.
    case wrongType = -2
    /// The cap lacks a right the call needs.
    case noRights = -3
    /// A pointer/length pair lies outside linear memory or the object.
    case outOfBounds = -4
    /// An argument is out of its documented range (negative length, bad rights bits, ...).
    case invalidArgument = -5
    /// The endpoint's queue is full; nothing was sent. Try again later.
    case queueFull = -6
    /// A non-blocking receive found no message.
    case wouldBlock = -7
    /// A timed receive or call saw no message before its deadline.
    case timedOut = -8
    /// The receive buffer is too small; the message stays queued. See docs/ABI.md.
    case bufferTooSmall = -9
    /// The other side is gone: endpoint closed, callee died, reply cap dropped.
    case peerClosed = -10
    /// The actor's capability space is full.
    case noSpace = -11
    /// The actor's memory limit, or the global budget of all actors, would be
    /// exceeded (kernel objects, queued messages, linear memory and tables
    /// all count).
    case noMemory = -12
    /// The spawner has no module of that name.
    case notFound = -13
    /// The module exists but could not be loaded (invalid, bad imports, ...).
    case loadFailed = -14
    /// The kernel is shutting down.
    case shutdown = -15
    /// A limit on actors is reached: the caller's live children
    /// (`maxChildrenPerActor`), all live actors (`maxActors`), or the
    /// system's threads. Try again after an actor has ended.
    case limitReached = -16
    /// The file system refused: no permission on the file itself, disk
    /// full, an I/O error.
    case ioFailed = -17
    /// The name is taken (an exclusive create).
    case alreadyExists = -18

    /// The name docs/ABI.md and the Rust SDK use: `INVALID_HANDLE`.
    public var abiName: String {
        switch self {
        case .invalidHandle: "INVALID_HANDLE"
        case .wrongType: "WRONG_TYPE"
        case .noRights: "NO_RIGHTS"
        case .outOfBounds: "OUT_OF_BOUNDS"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .queueFull: "QUEUE_FULL"
        case .wouldBlock: "WOULD_BLOCK"
        case .timedOut: "TIMED_OUT"
        case .bufferTooSmall: "BUFFER_TOO_SMALL"
        case .peerClosed: "PEER_CLOSED"
        case .noSpace: "NO_SPACE"
        case .noMemory: "NO_MEMORY"
        case .notFound: "NOT_FOUND"
        case .loadFailed: "LOAD_FAILED"
        case .shutdown: "SHUTDOWN"
        case .limitReached: "LIMIT_REACHED"
        case .ioFailed: "IO_FAILED"
        case .alreadyExists: "ALREADY_EXISTS"
        }
    }

    public var description: String {
        switch self {
        case .invalidHandle: "invalid handle"
        case .wrongType: "wrong object type"
        case .noRights: "missing right"
        case .outOfBounds: "out of bounds"
        case .invalidArgument: "invalid argument"
        case .queueFull: "queue full"
        case .wouldBlock: "would block"
        case .timedOut: "timed out"
        case .bufferTooSmall: "buffer too small"
        case .peerClosed: "peer closed"
        case .noSpace: "capability space full"
        case .noMemory: "memory limit reached"
        case .notFound: "not found"
        case .loadFailed: "load failed"
        case .shutdown: "kernel shutting down"
        case .limitReached: "limit reached"
        case .ioFailed: "the file system refused"
        case .alreadyExists: "already exists"
        }
    }
}

/// What `sys_cap_info` reports as the kind of object behind a handle.
public enum ObjectKind: UInt32, Sendable, CaseIterable {
    case endpoint = 1
    case buffer = 2
    case framebuffer = 3
    case reply = 4
    case spawner = 5
    case actor = 6
    case file = 7
    case directory = 8
}
