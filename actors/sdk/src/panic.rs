//! Panics end only this actor, after logging where and why: the
//! `#[panic_handler]` without the `alloc` feature, a panic hook with it
//! (std's panic runtime is linked then; see `lib.rs`).

use core::fmt;

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

/// Logs `info` on one line and ends the actor with code 101.
#[cfg(target_arch = "wasm32")]
fn log_and_exit(info: &dyn fmt::Display) -> ! {
    let mut line = crate::log::LineBuffer::<PANIC_LINE_BYTES>::new();
    let _ = fmt::Write::write_fmt(&mut OneLine(&mut line), format_args!("{}", info));
    line.log();
    crate::exit(101)
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
