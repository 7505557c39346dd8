//! The actor ABI as numbers. These restate `Sources/Kernel/ABI.swift`, the one
//! definition; the Swift test `ABIAgreementTests` fails when they drift.

/// Rights on a capability.
pub mod rights {
    /// Copy bytes out of a buffer or framebuffer; query its size.
    pub const READ: u32 = 1 << 0;
    /// Copy bytes into a buffer or framebuffer.
    pub const WRITE: u32 = 1 << 1;
    /// Send on an endpoint, reply cap or actor cap.
    pub const SEND: u32 = 1 << 2;
    /// Receive from an endpoint (or a parked reply).
    pub const RECEIVE: u32 = 1 << 3;
    /// Pass the cap in a message, or derive from it.
    pub const GRANT: u32 = 1 << 4;
    /// Start modules through a spawner cap.
    pub const SPAWN: u32 = 1 << 5;
    /// End the actor an actor cap names.
    pub const KILL: u32 = 1 << 6;
    /// Set a file's size, or empty it as it is opened.
    pub const RESIZE: u32 = 1 << 7;
    /// List a directory.
    pub const LIST: u32 = 1 << 8;
    /// Open what a directory holds, by name.
    pub const OPEN: u32 = 1 << 9;
    /// Create files in a directory.
    pub const CREATE: u32 = 1 << 10;
    /// Every right.
    pub const ALL: u32 = READ | WRITE | SEND | RECEIVE | GRANT | SPAWN | KILL | RESIZE | LIST | OPEN | CREATE;
}

/// Error codes returned (negative) by host calls.
pub mod errno {
    /// Null, out of range, released, revoked, stale or forged handle.
    pub const INVALID_HANDLE: i32 = -1;
    /// The object does not support this call.
    pub const WRONG_TYPE: i32 = -2;
    /// The cap lacks a right the call needs.
    pub const NO_RIGHTS: i32 = -3;
    /// A pointer/length pair lies outside linear memory or the object.
    pub const OUT_OF_BOUNDS: i32 = -4;
    /// An argument is out of its documented range.
    pub const INVALID_ARGUMENT: i32 = -5;
    /// The endpoint's queue is full; nothing was sent.
    pub const QUEUE_FULL: i32 = -6;
    /// A non-blocking receive found no message.
    pub const WOULD_BLOCK: i32 = -7;
    /// No message or answer before the deadline.
    pub const TIMED_OUT: i32 = -8;
    /// The message does not fit the buffer; it stays queued.
    pub const BUFFER_TOO_SMALL: i32 = -9;
    /// The other side is gone: endpoint closed, callee died, reply dropped.
    pub const PEER_CLOSED: i32 = -10;
    /// The caller's capability space is full.
    pub const NO_SPACE: i32 = -11;
    /// The caller's memory limit, or the global budget, would be exceeded.
    pub const NO_MEMORY: i32 = -12;
    /// The spawner has no module of that name.
    pub const NOT_FOUND: i32 = -13;
    /// The module exists but could not be loaded.
    pub const LOAD_FAILED: i32 = -14;
    /// The kernel is shutting down, or this actor has been ended.
    pub const SHUTDOWN: i32 = -15;
    /// A limit on actors is reached (children per actor, actors in all, threads).
    pub const LIMIT_REACHED: i32 = -16;
    /// The file system refused: permission on the file itself, disk full, I/O error.
    pub const IO_FAILED: i32 = -17;
    /// The name is taken (an exclusive create).
    pub const ALREADY_EXISTS: i32 = -18;
}

/// Object kinds reported by `sys_cap_info`.
pub mod kind {
    /// A bounded message queue.
    pub const ENDPOINT: u32 = 1;
    /// A fixed-size shared byte buffer.
    pub const BUFFER: u32 = 2;
    /// The screen.
    pub const FRAMEBUFFER: u32 = 3;
    /// The one-shot answer slot of a call.
    pub const REPLY: u32 = 4;
    /// Starts modules from one directory.
    pub const SPAWNER: u32 = 5;
    /// A running actor started by `sys_spawn`.
    pub const ACTOR: u32 = 6;
    /// A regular file someone granted.
    pub const FILE: u32 = 7;
    /// A directory someone granted.
    pub const DIRECTORY: u32 = 8;
}

/// What `sys_engine` answers: the actor runs on the interpreter.
pub const ENGINE_INTERPRETER: u32 = 0;
/// What `sys_engine` answers: the actor runs compiled.
pub const ENGINE_COMPILED: u32 = 1;

/// How `sys_dir_open` opens a name (its `flags`).
pub mod open_flags {
    /// Create the file if it does not exist (needs CREATE on the directory).
    pub const CREATE: u32 = 1 << 0;
    /// Only create: an existing name is ALREADY_EXISTS.
    pub const EXCLUSIVE: u32 = 1 << 1;
    /// Empty the file (needs WRITE and RESIZE asked for).
    pub const TRUNCATE: u32 = 1 << 2;
    /// Open a directory, not a file.
    pub const DIRECTORY: u32 = 1 << 3;
}

/// Bytes before the name in each entry `sys_dir_list` writes: kind u8,
/// name length u8, size u64.
pub const DIRECTORY_ENTRY_HEADER_SIZE: usize = 10;

/// Layout of a received message: header then payload. Bytes before the payload.
pub const MESSAGE_HEADER_SIZE: usize = 24;
/// Offset of the opcode (u32).
pub const HEADER_OPCODE_OFFSET: usize = 0;
/// Offset of the payload length (u32).
pub const HEADER_PAYLOAD_LENGTH_OFFSET: usize = 4;
/// Offset of the transferred cap's handle (i64, 0 = none).
pub const HEADER_CAP_OFFSET: usize = 8;
/// Offset of the reply cap's handle (i64, 0 = none).
pub const HEADER_REPLY_OFFSET: usize = 16;
/// The largest payload one message may carry.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The host calls, module "env". Signatures as in docs/ABI.md; the safe
/// wrappers elsewhere in this crate are the way to call them.
pub mod sys {
    #[link(wasm_import_module = "env")]
    extern "C" {
        // The seed's compatible core.
        /// Logs `len` bytes of UTF-8 at `ptr`.
        pub fn sys_log(ptr: i32, len: i32);
        /// Ends this actor with `code`.
        pub fn sys_exit(code: i32) -> !;
        /// Sends a message, passing `cap_slot` (0 = none). 0 or an error.
        pub fn sys_cap_send(handle: i64, opcode: i32, payload_ptr: i32, payload_len: i32, cap_slot: i64) -> i32;
        /// Waits for a message and writes it at `buf_ptr`. Sender id or an error.
        pub fn sys_cap_recv(handle: i64, buf_ptr: i32, buf_len: i32) -> i64;
        /// Copies `len` bytes of a buffer from `offset` to `buf_ptr`. `len` or an error.
        pub fn sys_cap_mem_read(handle: i64, offset: i32, buf_ptr: i32, len: i32) -> i32;
        /// Copies `len` bytes at `data_ptr` into a buffer at `offset`. `len` or an error.
        pub fn sys_cap_mem_write(handle: i64, offset: i32, data_ptr: i32, len: i32) -> i32;
        /// `width << 32 | height` of the first framebuffer held, or 0.
        pub fn sys_fb_info() -> i64;
        // Extensions.
        /// As `sys_cap_recv`, waiting at most `timeout_ns` (0 polls, negative: forever).
        pub fn sys_cap_recv_timeout(handle: i64, buf_ptr: i32, buf_len: i32, timeout_ns: i64) -> i64;
        /// Sends a request with a reply cap and waits for the answer at `buf_ptr`. Answering actor id or an error.
        pub fn sys_cap_call(handle: i64, opcode: i32, payload_ptr: i32, payload_len: i32, cap_slot: i64, buf_ptr: i32, buf_len: i32, timeout_ns: i64) -> i64;
        /// Removes a cap and everything derived from it. 0 or an error.
        pub fn sys_cap_release(handle: i64) -> i32;
        /// A child cap with a subset of the rights. Handle or an error.
        pub fn sys_cap_derive(handle: i64, rights: i32) -> i64;
        /// Removes everything derived from a cap. 0 or an error.
        pub fn sys_cap_revoke(handle: i64) -> i32;
        /// Writes kind u32, rights u32, size u64 at `info_ptr`. 0 or an error.
        pub fn sys_cap_info(handle: i64, info_ptr: i32) -> i32;
        /// A new endpoint (capacity 0: the default). Handle or an error.
        pub fn sys_endpoint_create(capacity: i32) -> i64;
        /// A new zero-filled buffer of `size` bytes. Handle or an error.
        pub fn sys_buffer_create(size: i32) -> i64;
        /// Starts module `name` from a spawner. Actor cap or an error.
        pub fn sys_spawn(spawner: i64, name_ptr: i32, name_len: i32, grant: i64) -> i64;
        /// Ends the actor an actor cap names. 0 or an error.
        pub fn sys_actor_kill(actor: i64) -> i32;
        /// Monotonic time in nanoseconds.
        pub fn sys_time_now() -> i64;
        /// Gives up the CPU for a moment.
        pub fn sys_yield();
        /// Sets a file's size. 0 or an error.
        pub fn sys_file_resize(file: i64, size: i64) -> i32;
        /// Opens a name inside a directory. File or directory cap, or an error.
        pub fn sys_dir_open(dir: i64, name_ptr: i32, name_len: i32, flags: i32, rights: i32) -> i64;
        /// Lists a directory from entry `start`. Entries written, or an error.
        pub fn sys_dir_list(dir: i64, start: i32, buf_ptr: i32, buf_len: i32) -> i32;
        /// Which engine runs this actor: `ENGINE_INTERPRETER` or `ENGINE_COMPILED`.
        pub fn sys_engine() -> i32;
    }
}
