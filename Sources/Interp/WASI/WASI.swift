import Kernel

/// WASI preview 1 (`wasi_snapshot_preview1`) as wskdesk gives it to actors:
/// every function of the snapshot, so that a std Rust or C program links,
/// each either implemented (`WASICalls`) or returning the errno the
/// snapshot gives for what it cannot do here. docs/ABI.md "WASI preview 1"
/// says which is which.
public enum WASI {
    /// The import module of WASI preview 1.
    public static let importModule = "wasi_snapshot_preview1"

    /// Every function of the snapshot, with its core Wasm signature, in the
    /// order docs/ABI.md lists them. `HostBinding` numbers them after the
    /// "env" calls.
    public static let functions: [HostCallSignature] = [
        call("args_get", [.i32, .i32]),
        call("args_sizes_get", [.i32, .i32]),
        call("environ_get", [.i32, .i32]),
        call("environ_sizes_get", [.i32, .i32]),
        call("clock_res_get", [.i32, .i32]),
        call("clock_time_get", [.i32, .i64, .i32]),
        call("fd_advise", [.i32, .i64, .i64, .i32]),
        call("fd_allocate", [.i32, .i64, .i64]),
        call("fd_close", [.i32]),
        call("fd_datasync", [.i32]),
        call("fd_fdstat_get", [.i32, .i32]),
        call("fd_fdstat_set_flags", [.i32, .i32]),
        call("fd_fdstat_set_rights", [.i32, .i64, .i64]),
        call("fd_filestat_get", [.i32, .i32]),
        call("fd_filestat_set_size", [.i32, .i64]),
        call("fd_filestat_set_times", [.i32, .i64, .i64, .i32]),
        call("fd_pread", [.i32, .i32, .i32, .i64, .i32]),
        call("fd_prestat_get", [.i32, .i32]),
        call("fd_prestat_dir_name", [.i32, .i32, .i32]),
        call("fd_pwrite", [.i32, .i32, .i32, .i64, .i32]),
        call("fd_read", [.i32, .i32, .i32, .i32]),
        call("fd_readdir", [.i32, .i32, .i32, .i64, .i32]),
        call("fd_renumber", [.i32, .i32]),
        call("fd_seek", [.i32, .i64, .i32, .i32]),
        call("fd_sync", [.i32]),
        call("fd_tell", [.i32, .i32]),
        call("fd_write", [.i32, .i32, .i32, .i32]),
        call("path_create_directory", [.i32, .i32, .i32]),
        call("path_filestat_get", [.i32, .i32, .i32, .i32, .i32]),
        call("path_filestat_set_times", [.i32, .i32, .i32, .i32, .i64, .i64, .i32]),
        call("path_link", [.i32, .i32, .i32, .i32, .i32, .i32, .i32]),
        call("path_open", [.i32, .i32, .i32, .i32, .i32, .i64, .i64, .i32, .i32]),
        call("path_readlink", [.i32, .i32, .i32, .i32, .i32, .i32]),
        call("path_remove_directory", [.i32, .i32, .i32]),
        call("path_rename", [.i32, .i32, .i32, .i32, .i32, .i32]),
        call("path_symlink", [.i32, .i32, .i32, .i32, .i32]),
        call("path_unlink_file", [.i32, .i32, .i32]),
        call("poll_oneoff", [.i32, .i32, .i32, .i32]),
        HostCallSignature(name: "proc_exit", parameters: [.i32], results: [], isSeedCore: false),
        call("proc_raise", [.i32]),
        call("sched_yield", []),
        call("random_get", [.i32, .i32]),
        call("sock_accept", [.i32, .i32, .i32]),
        call("sock_recv", [.i32, .i32, .i32, .i32, .i32, .i32]),
        call("sock_send", [.i32, .i32, .i32, .i32, .i32]),
        call("sock_shutdown", [.i32, .i32]),
    ]

    /// A function returning its errno as an i32, as all but `proc_exit` do.
    private static func call(_ name: String, _ parameters: [ABIValueType]) -> HostCallSignature {
        HostCallSignature(name: name, parameters: parameters, results: [.i32], isSeedCore: false)
    }

    public static func function(named name: String) -> HostCallSignature? {
        functions.first { $0.name == name }
    }

    /// At most this many iovecs in one `fd_read`/`fd_write`/`fd_pread`/
    /// `fd_pwrite` (wasi-libc's IOV_MAX); more is EINVAL.
    public static let maxIovecs = 1024
    /// At most this many bytes of one `fd_write` to stdout or stderr are
    /// taken (the call says how many, as a short write); a program writes
    /// the rest with its next call.
    public static let maxStreamWrite = 64 * 1024
    /// At most this many subscriptions in one `poll_oneoff`; more is EINVAL.
    public static let maxSubscriptions = 64
}

/// The errno values of WASI preview 1 (`$errno` in its witx), those wskdesk returns.
public enum WASIErrno: UInt16, Sendable, CaseIterable {
    case success = 0
    case badf = 8
    case exist = 20
    case fault = 21
    case fbig = 22
    case inval = 28
    case io = 29
    case isdir = 31
    case mfile = 33
    case nametoolong = 37
    case noent = 44
    case nomem = 48
    case nosys = 52
    case notdir = 54
    case notsup = 58
    case spipe = 70
    case notcapable = 76

    /// What a kernel refusal is in WASI's words.
    init(_ error: SysError) {
        switch error {
        case .invalidHandle: self = .badf
        case .wrongType: self = .notsup
        case .noRights: self = .notcapable
        case .outOfBounds: self = .fbig
        case .invalidArgument: self = .inval
        case .noSpace, .limitReached: self = .mfile
        case .noMemory: self = .nomem
        case .notFound: self = .noent
        case .alreadyExists: self = .exist
        default: self = .io
        }
    }
}

/// `$rights` of WASI preview 1: what a descriptor may be used for.
struct WASIRights: OptionSet, Sendable {
    let rawValue: UInt64
    init(rawValue: UInt64) { self.rawValue = rawValue }
    static let fdRead = WASIRights(rawValue: 1 << 1)
    static let fdSeek = WASIRights(rawValue: 1 << 2)
    static let fdTell = WASIRights(rawValue: 1 << 5)
    static let fdWrite = WASIRights(rawValue: 1 << 6)
    static let pathCreateFile = WASIRights(rawValue: 1 << 10)
    static let pathOpen = WASIRights(rawValue: 1 << 13)
    static let fdReaddir = WASIRights(rawValue: 1 << 14)
    static let pathFilestatGet = WASIRights(rawValue: 1 << 18)
    static let fdFilestatGet = WASIRights(rawValue: 1 << 21)
    static let fdFilestatSetSize = WASIRights(rawValue: 1 << 22)
    static let pollFdReadwrite = WASIRights(rawValue: 1 << 27)
    /// Every right of the snapshot (bits 0-29).
    static let all = WASIRights(rawValue: (1 << 30) - 1)

    /// What a FILE or DIRECTORY cap with kernel `rights` allows, as WASI rights.
    init(kernel rights: Rights, directory: Bool) {
        var wasi: WASIRights = [.fdFilestatGet, .pollFdReadwrite]
        if directory {
            if rights.contains(.list) { wasi.insert(.fdReaddir) }
            if rights.contains(.open) { wasi.formUnion([.pathOpen, .pathFilestatGet]) }
            if rights.contains(.create) { wasi.insert(.pathCreateFile) }
        } else {
            wasi.formUnion([.fdSeek, .fdTell])
            if rights.contains(.read) { wasi.insert(.fdRead) }
            if rights.contains(.write) { wasi.insert(.fdWrite) }
            if rights.contains(.resize) { wasi.insert(.fdFilestatSetSize) }
        }
        self = wasi
    }
}

/// `$filetype` of WASI preview 1.
enum WASIFiletype: UInt8 {
    case unknown = 0, characterDevice = 2, directory = 3, regularFile = 4
}

/// `$clockid` of WASI preview 1.
enum WASIClock: UInt32 {
    case realtime = 0, monotonic = 1, processCPUTime = 2, threadCPUTime = 3
}

/// What the guest side of a WASI call returns when it could not go on: an errno.
struct WASIFailure: Error {
    let errno: WASIErrno
    init(_ errno: WASIErrno) { self.errno = errno }
}

/// A DIRECTORY cap an actor holds, shown to its WASI program as a
/// preopened directory: `handle` in the actor's own space (its boot grants
/// are handles 1, 2, ... in grant order), `name` what `fd_prestat_dir_name`
/// says (the grant's name, such as "/photos"), never a host path.
public struct Preopen: Sendable, Equatable {
    public var name: String
    public var handle: Int64

    public init(name: String, handle: Int64) {
        self.name = name
        self.handle = handle
    }
}

/// An actor's command line and environment (WASI `args_get`,
/// `environ_get`), from its manifest entry or its spawner. The program's
/// name, argument 0, is the actor's name; these follow it.
public struct ProgramArguments: Sendable, Equatable {
    public var arguments: [String]
    /// `KEY=VALUE` strings.
    public var environment: [String]
    /// The DIRECTORY caps a WASI program finds as its preopened
    /// directories, descriptors 3, 4, ... in this order.
    public var preopens: [Preopen]

    public init(arguments: [String] = [], environment: [String] = [], preopens: [Preopen] = []) {
        self.arguments = arguments
        self.environment = environment
        self.preopens = preopens
    }

    /// At most this many bytes of arguments and of environment, each
    /// counted as WASI hands them over (each string and its NUL).
    public static let maxBytes = 64 * 1024

    /// Why these cannot be given to a program, in plain words, or nil.
    public var problem: String? {
        for argument in arguments where argument.utf8.contains(0) {
            return "argument \"\(LogText.escaped(argument))\" holds a NUL character"
        }
        for variable in environment {
            guard let equals = variable.firstIndex(of: "="), equals != variable.startIndex else {
                return "environment entry \"\(LogText.escaped(variable))\" is not NAME=VALUE with a name"
            }
            if variable.utf8.contains(0) {
                return "environment entry \"\(LogText.escaped(variable))\" holds a NUL character"
            }
        }
        if arguments.reduce(0, { $0 + $1.utf8.count + 1 }) > Self.maxBytes {
            return "the arguments are longer than \(Self.maxBytes / 1024) KiB"
        }
        if environment.reduce(0, { $0 + $1.utf8.count + 1 }) > Self.maxBytes {
            return "the environment is longer than \(Self.maxBytes / 1024) KiB"
        }
        return nil
    }
}
