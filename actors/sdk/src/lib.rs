//! wsk: the Rust SDK for wskdesk actors.
//!
//! An actor is a `cdylib` crate built for `wasm32-unknown-unknown` that exports
//! `_start` (use [`actor_main!`]). Everything it can touch arrives as a
//! capability handle; this crate wraps the host calls of `docs/ABI.md` in safe
//! functions that return `Result`.
#![no_std]

pub mod abi;

use abi::sys;

/// Write one line to the host's log, tagged with this actor's name.
pub fn log(text: &str) {
    unsafe { sys::sys_log(text.as_ptr() as i32, text.len() as i32) }
}

/// End this actor with `code`. Its caps are released by the kernel.
pub fn exit(code: i32) -> ! {
    unsafe { sys::sys_exit(code) }
}

/// An error code from a host call (see `abi::errno`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(pub i32);

/// A capability handle in this actor's own space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cap(pub i64);

fn check(code: i64) -> Result<i64, Error> {
    if code < 0 { Err(Error(code as i32)) } else { Ok(code) }
}

/// The framebuffer's size, if this actor holds a framebuffer cap.
pub fn fb_info() -> Option<(u32, u32)> {
    let packed = unsafe { sys::sys_fb_info() };
    if packed == 0 { None } else { Some(((packed >> 32) as u32, packed as u32)) }
}

/// Copy `data` into a shared buffer or the framebuffer at byte `offset`.
pub fn mem_write(cap: Cap, offset: u32, data: &[u8]) -> Result<usize, Error> {
    check(unsafe { sys::sys_cap_mem_write(cap.0, offset as i32, data.as_ptr() as i32, data.len() as i32) } as i64)
        .map(|n| n as usize)
}

/// Copy bytes from a shared buffer or the framebuffer at byte `offset` into `out`.
pub fn mem_read(cap: Cap, offset: u32, out: &mut [u8]) -> Result<usize, Error> {
    check(unsafe { sys::sys_cap_mem_read(cap.0, offset as i32, out.as_mut_ptr() as i32, out.len() as i32) } as i64)
        .map(|n| n as usize)
}

/// Defines the actor's `_start` export around a plain function.
///
/// ```ignore
/// wsk::actor_main!(main);
/// fn main() { wsk::log("hello"); }
/// ```
#[macro_export]
macro_rules! actor_main {
    ($main:path) => {
        #[no_mangle]
        pub extern "C" fn _start() {
            $main();
        }
    };
}

/// Log the panic and end the actor, so a bug in an actor ends only that actor.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    log("panic");
    exit(101)
}
