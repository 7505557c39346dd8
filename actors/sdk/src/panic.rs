//! Panics end only this actor, after logging where and why: the
//! `#[panic_handler]` without the `alloc` feature, a panic hook with it
//! (std's panic runtime is linked then; see `lib.rs`). An actor serving a
//! request (a filter plugin: `filter::serve`) first answers it with the
//! panic's text, so that the app can show it ([`answer_panics_on`]).

use core::fmt;
use core::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use crate::caps::Cap;

/// The cap a panic is answered on (0: none), and the answer's opcode and
/// error code. Atomics only to have statics without `unsafe`: an actor has
/// one thread.
static ANSWER_CAP: AtomicI64 = AtomicI64::new(0);
static ANSWER_OPCODE: AtomicU32 = AtomicU32::new(0);
static ANSWER_CODE: AtomicU32 = AtomicU32::new(0);

/// While the actor serves a request: a panic answers on `cap` (a reply cap
/// or an endpoint) with `opcode`, payload `code` u32 then the panic's text
/// on one line. `None`: a panic answers nothing (between requests).
#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
pub(crate) fn answer_panics_on(cap: Option<Cap>, opcode: u32, code: u32) {
    ANSWER_OPCODE.store(opcode, Ordering::Relaxed);
    ANSWER_CODE.store(code, Ordering::Relaxed);
    ANSWER_CAP.store(cap.map_or(0, Cap::raw), Ordering::Relaxed);
}

/// Bytes of the logged panic line; a longer message is cut.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const PANIC_LINE_BYTES: usize = 512;

/// A writer that keeps the panic on one log line: Rust's panic text may hold
/// newlines (its message follows the location on a new line since 1.73).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct OneLine<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for OneLine<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                self.0.write_str(" ")?;
            }
            self.0.write_str(part)?;
        }
        Ok(())
    }
}

/// Logs the panic (its message and location, as the toolchain's `Display`
/// for `PanicInfo` words them) and ends the actor with code 101, so a bug in
/// an actor ends only that actor.
#[cfg(all(target_arch = "wasm32", not(test), not(feature = "alloc")))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    log_and_exit(info)
}

/// Answers the request being served (see [`answer_panics_on`]), logs
/// `info` on one line and ends the actor with code 101.
#[cfg(target_arch = "wasm32")]
fn log_and_exit(info: &dyn fmt::Display) -> ! {
    let mut line = crate::log::LineBuffer::<PANIC_LINE_BYTES>::new();
    let _ = fmt::Write::write_fmt(&mut OneLine(&mut line), format_args!("{}", info));
    answer(line.as_str());
    line.log();
    crate::exit(101)
}

/// Sends the panic's `text` where [`answer_panics_on`] said, once.
#[cfg(target_arch = "wasm32")]
fn answer(text: &str) {
    let cap = match Cap::non_null(ANSWER_CAP.swap(0, Ordering::Relaxed)) {
        Some(cap) => cap,
        None => return,
    };
    let mut payload = [0u8; 4 + PANIC_LINE_BYTES];
    payload[..4].copy_from_slice(&ANSWER_CODE.load(Ordering::Relaxed).to_le_bytes());
    let len = 4 + text.len().min(PANIC_LINE_BYTES);
    payload[4..len].copy_from_slice(&text.as_bytes()[..len - 4]);
    let opcode = ANSWER_OPCODE.load(Ordering::Relaxed);
    // An app's answer endpoint may be full of progress notes for a moment.
    for _ in 0..1000 {
        match crate::ipc::send(cap, opcode, &payload[..len], None) {
            Err(crate::Error::QueueFull) => crate::yield_now(),
            _ => return,
        }
    }
}

/// Prepares the runtime; `_start` calls it first (the `*_main!` and
/// `*_plugin!` macros do). With `alloc` it installs the panic hook.
pub fn runtime_init() {
    #[cfg(all(target_arch = "wasm32", feature = "alloc"))]
    std::panic::set_hook(std::boxed::Box::new(|info| log_and_exit(info)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn joins_lines() {
        let mut line = crate::log::LineBuffer::<PANIC_LINE_BYTES>::new();
        let message = "boom\nagain";
        write!(OneLine(&mut line), "panicked at src/lib.rs:3:5:\n{}", message).unwrap();
        assert_eq!(line.as_str(), "panicked at src/lib.rs:3:5: boom again");
    }
}
