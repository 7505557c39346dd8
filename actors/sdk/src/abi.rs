//! The actor ABI as numbers. These restate `Sources/Kernel/ABI.swift`, the one
//! definition; the Swift test `ABIAgreementTests` fails when they drift.

/// Rights on a capability.
pub mod rights {
    pub const READ: u32 = 1 << 0;
    pub const WRITE: u32 = 1 << 1;
    pub const SEND: u32 = 1 << 2;
    pub const RECEIVE: u32 = 1 << 3;
    pub const GRANT: u32 = 1 << 4;
    pub const SPAWN: u32 = 1 << 5;
    pub const KILL: u32 = 1 << 6;
    pub const ALL: u32 = READ | WRITE | SEND | RECEIVE | GRANT | SPAWN | KILL;
}

/// Error codes returned (negative) by host calls.
pub mod errno {
    pub const INVALID_HANDLE: i32 = -1;
    pub const WRONG_TYPE: i32 = -2;
    pub const NO_RIGHTS: i32 = -3;
    pub const OUT_OF_BOUNDS: i32 = -4;
    pub const INVALID_ARGUMENT: i32 = -5;
    pub const QUEUE_FULL: i32 = -6;
    pub const WOULD_BLOCK: i32 = -7;
    pub const TIMED_OUT: i32 = -8;
    pub const BUFFER_TOO_SMALL: i32 = -9;
    pub const PEER_CLOSED: i32 = -10;
    pub const NO_SPACE: i32 = -11;
    pub const NO_MEMORY: i32 = -12;
    pub const NOT_FOUND: i32 = -13;
    pub const LOAD_FAILED: i32 = -14;
    pub const SHUTDOWN: i32 = -15;
}

/// Object kinds reported by `sys_cap_info`.
pub mod kind {
    pub const ENDPOINT: u32 = 1;
    pub const BUFFER: u32 = 2;
    pub const FRAMEBUFFER: u32 = 3;
    pub const REPLY: u32 = 4;
    pub const SPAWNER: u32 = 5;
    pub const ACTOR: u32 = 6;
}

/// Layout of a received message: header then payload.
pub const MESSAGE_HEADER_SIZE: usize = 24;
pub const HEADER_OPCODE_OFFSET: usize = 0;
pub const HEADER_PAYLOAD_LENGTH_OFFSET: usize = 4;
pub const HEADER_CAP_OFFSET: usize = 8;
pub const HEADER_REPLY_OFFSET: usize = 16;
/// The largest payload one message may carry.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The host calls, module "env". Signatures as in docs/ABI.md.
pub mod sys {
    #[link(wasm_import_module = "env")]
    extern "C" {
        // The seed's compatible core.
        pub fn sys_log(ptr: i32, len: i32);
        pub fn sys_exit(code: i32) -> !;
        pub fn sys_cap_send(handle: i64, opcode: i32, payload_ptr: i32, payload_len: i32, cap_slot: i64) -> i32;
        pub fn sys_cap_recv(handle: i64, buf_ptr: i32, buf_len: i32) -> i64;
        pub fn sys_cap_mem_read(handle: i64, offset: i32, buf_ptr: i32, len: i32) -> i32;
        pub fn sys_cap_mem_write(handle: i64, offset: i32, data_ptr: i32, len: i32) -> i32;
        pub fn sys_fb_info() -> i64;
        // Extensions.
        pub fn sys_cap_recv_timeout(handle: i64, buf_ptr: i32, buf_len: i32, timeout_ns: i64) -> i64;
        pub fn sys_cap_call(handle: i64, opcode: i32, payload_ptr: i32, payload_len: i32, cap_slot: i64, buf_ptr: i32, buf_len: i32, timeout_ns: i64) -> i64;
        pub fn sys_cap_release(handle: i64) -> i32;
        pub fn sys_cap_derive(handle: i64, rights: i32) -> i64;
        pub fn sys_cap_revoke(handle: i64) -> i32;
        pub fn sys_cap_info(handle: i64, info_ptr: i32) -> i32;
        pub fn sys_endpoint_create(capacity: i32) -> i64;
        pub fn sys_buffer_create(size: i32) -> i64;
        pub fn sys_spawn(spawner: i64, name_ptr: i32, name_len: i32, grant: i64) -> i64;
        pub fn sys_actor_kill(actor: i64) -> i32;
        pub fn sys_time_now() -> i64;
        pub fn sys_yield();
    }
}
