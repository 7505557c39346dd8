//! wsk: the Rust SDK for wskdesk actors.
//!
//! An actor is a `cdylib` crate built for `wasm32-unknown-unknown` that exports
//! `_start` (use [`actor_main!`]). Everything it can touch arrives as a
//! capability handle ([`Cap`]); this crate wraps the host calls of
//! `docs/ABI.md` in safe functions that return [`Result`]. It needs no
//! allocator: messages are received into buffers the caller owns, and
//! [`logf!`] formats into a fixed buffer on the stack. The cargo feature
//! `alloc` adds one ([`heap`]: `Vec`, `String`, `Box` through
//! `extern crate alloc`) and the filter plugin API ([`filter`]).
//!
//! A std program for WASI preview 1 (`wasm32-wasi`, with `fn main`) uses the
//! feature `std` instead: no panic handler, no allocator and no `_start`
//! from the SDK (std has its own), the rest as for an actor
//! (`actors/view-std` is the example).
//!
//! | module | what it wraps |
//! |---|---|
//! | [`abi`] | the raw numbers and host-call imports (restating `Sources/Kernel/ABI.swift`) |
//! | [`error`] | [`Error`], [`Result`] |
//! | [`caps`] | [`Cap`], [`Rights`], [`CapInfo`]; release, derive, revoke, info |
//! | [`ipc`] | [`Message`], [`Timeout`]; send, recv, call, reply, endpoints |
//! | [`buffer`] | [`Buffer`], [`Framebuffer`], the raw `mem_read`/`mem_write` |
//! | [`actor`] | [`ActorId`], [`Engine`]; spawn, kill, exit, time, yield, engine |
//! | [`log`](mod@log) | [`log()`], [`LineBuffer`], [`logf!`] |
//! | [`font`] | the built-in 8x16 bitmap font: [`font::draw_text`] into a pixel slice |
//! | [`protocol`] | the window protocol's numbers (restating `WindowProtocol.swift`) |
//! | [`window`] | [`Window`], [`Event`], [`Rect`]: windows on ui_server |
//! | [`canvas`] | [`Canvas`]: drawing into app-owned pixels, uploading to a surface |
//! | [`boot`] | [`boot::BootConfig`]: the desktop's settings for an app |
//! | [`wire`] | [`wire::Reader`], [`wire::Writer`]: little-endian message payloads |
//! | [`formula`] | calculation plugins (fractal workers): protocol, [`formula_plugin!`] |
//! | `filter` | filter plugins (feature `alloc`): protocol, `Image`, `filter_plugin!` |
//! | `heap` | the allocator (feature `alloc`) |
//! | `image_file` | PNG files decoded and encoded in the actor (feature `image-file`) |
//!
//! A server that answers calls, and a client that makes one:
//!
//! ```no_run
//! use wsk::{Cap, Timeout};
//!
//! const REQUESTS: Cap = Cap(1); // the first cap granted at spawn
//!
//! fn serve() -> wsk::Result<()> {
//!     let mut buf = [0u8; 256];
//!     loop {
//!         let msg = wsk::recv(REQUESTS, &mut buf)?;
//!         if let Some(reply) = msg.reply() {
//!             wsk::reply(reply, msg.opcode() + 1, msg.payload(), None)?;
//!         }
//!     }
//! }
//!
//! fn ask(server: Cap) -> wsk::Result<u32> {
//!     let mut buf = [0u8; 64];
//!     let answer = wsk::call(server, 7, b"hi", None, &mut buf, Timeout::Forever)?;
//!     wsk::logf!("{} answered opcode {}", answer.sender(), answer.opcode());
//!     Ok(answer.opcode())
//! }
//! # let _ = (serve, ask);
//! ```
#![no_std]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
// Rust before 1.68 builds no `no_std` binary that uses `alloc` on a stable
// compiler: it demands an `#[alloc_error_handler]`, which only nightly may
// define. std has one, and std for wasm32-unknown-unknown imports nothing
// from the host; so with `alloc`, std is linked for that handler and its
// panic runtime. The allocator is still ours (`heap`), and `panic` installs
// a hook that logs and exits as the `no_std` panic handler does.
#[cfg(all(feature = "alloc", target_arch = "wasm32"))]
extern crate std;

pub mod abi;
pub mod actor;
pub mod boot;
pub mod buffer;
pub mod canvas;
pub mod caps;
pub mod error;
pub mod event;
pub mod file;
#[cfg(feature = "alloc")]
pub mod filter;
pub mod font;
mod font_data;
pub mod formula;
pub mod geometry;
#[cfg(feature = "alloc")]
pub mod heap;
#[cfg(feature = "image-file")]
pub mod image_file;
pub mod ipc;
pub mod log;
mod panic;
pub mod protocol;
pub mod window;
pub mod wire;

#[doc(hidden)]
pub use panic::runtime_init as __runtime_init;

pub use actor::{engine, exit, kill, now, spawn, trap, yield_now, ActorId, Engine};
pub use buffer::{fb_info, mem_read, mem_write, Buffer, Framebuffer};
pub use canvas::Canvas;
pub use caps::{derive, info, release, revoke, Cap, CapInfo, Kind, Rights};
pub use error::{Error, Result};
pub use ipc::{call, endpoint_create, recv, recv_timeout, reply, send, try_recv, Message, Timeout};
pub use log::{log, LineBuffer, LogLine};
pub use event::{plugin_changes, Event, KeyState, PluginChange, PluginChanges};
pub use file::{Directory, File, OpenFlags};
pub use geometry::Rect;
pub use window::{ChooseFile, Window};

/// Defines the actor's `_start` export around a plain function.
///
/// ```ignore
/// wsk::actor_main!(main);
/// fn main() { wsk::log("hello"); }
/// ```
#[cfg(not(feature = "std"))]
#[macro_export]
macro_rules! actor_main {
    ($main:path) => {
        // Only in the Wasm build: a host `cargo test` binary has its own `_start`.
        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub extern "C" fn _start() {
            $crate::__runtime_init();
            $main();
        }
        // Elsewhere, keep `main` (and all it calls) from counting as dead code.
        #[cfg(not(target_arch = "wasm32"))]
        #[doc(hidden)]
        pub static __WSK_MAIN: fn() = $main;
    };
}

/// With the feature `std` (a std program for WASI preview 1), std's own
/// `_start` calls `fn main`: a second one would not link, so this says so.
#[cfg(feature = "std")]
#[macro_export]
macro_rules! actor_main {
    ($main:path) => {
        compile_error!("wsk::actor_main! is for no_std actors: with the SDK's `std` feature, std's `_start` calls `fn main`");
    };
}
