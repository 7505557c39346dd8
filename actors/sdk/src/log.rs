//! Logging without an allocator: `sys_log`, a fixed-size line buffer that
//! implements `core::fmt::Write`, and the [`logf!`](crate::logf) macro.

use core::fmt;

use crate::abi::sys;

/// Writes one line to the host's log, tagged with this actor's name. The host
/// cuts lines past 4096 bytes.
pub fn log(text: &str) {
    let len = text.len().min(i32::MAX as usize);
    unsafe { sys::sys_log(text.as_ptr() as i32, len as i32) }
}

/// Bytes of the line [`logf!`](crate::logf) formats into.
pub const LOG_LINE_BYTES: usize = 256;

/// The line buffer [`logf!`](crate::logf) uses.
pub type LogLine = LineBuffer<LOG_LINE_BYTES>;

/// Text formatted into `N` bytes on the stack. Writing past the end keeps
/// what fits, cut at a character boundary, and never fails.
///
/// ```no_run
/// use core::fmt::Write;
/// let mut line = wsk::LineBuffer::<64>::new();
/// let _ = write!(line, "{} of {}", 3, 4);
/// line.log();
/// ```
pub struct LineBuffer<const N: usize> {
    bytes: [u8; N],
    len: usize,
    truncated: bool,
}

impl<const N: usize> LineBuffer<N> {
    /// An empty line.
    pub const fn new() -> Self {
        LineBuffer { bytes: [0; N], len: 0, truncated: false }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        // Only whole `str` prefixes cut at character boundaries are copied in,
        // so this never fails; the fallback keeps it panic-free regardless.
        match core::str::from_utf8(&self.bytes[..self.len]) {
            Ok(text) => text,
            Err(e) => core::str::from_utf8(&self.bytes[..e.valid_up_to()]).unwrap_or(""),
        }
    }

    /// Bytes written so far.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been written.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True if some text did not fit and was dropped.
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Empties the line for reuse.
    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated = false;
    }

    /// Sends the line to the host's log.
    pub fn log(&self) {
        log(self.as_str())
    }
}

impl<const N: usize> Default for LineBuffer<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for LineBuffer<N> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = N - self.len;
        let mut take = text.len().min(room);
        if take < text.len() {
            self.truncated = true;
            while !text.is_char_boundary(take) {
                take -= 1;
            }
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

impl<const N: usize> fmt::Debug for LineBuffer<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Formats like `format!` into a [`LogLine`] on the stack (256 bytes; longer
/// text is cut) and logs it. Needs no allocator.
///
/// ```no_run
/// let round_trips = 1000;
/// wsk::logf!("ping: {} round trips ok", round_trips);
/// ```
#[macro_export]
macro_rules! logf {
    ($($arg:tt)+) => {{
        let mut line = $crate::log::LogLine::new();
        let _ = ::core::fmt::Write::write_fmt(&mut line, ::core::format_args!($($arg)+));
        line.log();
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn formats_numbers() {
        let mut line = LogLine::new();
        write!(line, "ping: {} round trips ok", 1000).unwrap();
        assert_eq!(line.as_str(), "ping: 1000 round trips ok");
        assert!(!line.is_truncated());
        line.clear();
        assert!(line.is_empty());
    }

    #[test]
    fn truncates_at_a_character_boundary() {
        let cedilla = 'ç'; // two bytes in UTF-8
        let mut line = LineBuffer::<5>::new();
        write!(line, "ab{}d", cedilla).unwrap(); // exactly 5 bytes
        assert_eq!(line.as_str(), "abçd");
        let mut line = LineBuffer::<4>::new();
        write!(line, "abc{}", cedilla).unwrap(); // 'ç' would end at byte 5
        assert_eq!(line.as_str(), "abc");
        assert!(line.is_truncated());
        write!(line, "x").unwrap(); // room for one more byte, kept
        assert_eq!(line.as_str(), "abcx");
        write!(line, "y").unwrap();
        assert_eq!(line.len(), 4);
    }

    #[test]
    fn formats_sdk_types() {
        let mut line = LogLine::new();
        write!(line, "{:?} {:?} {:?} {:?}", crate::Rights::READ | crate::Rights::GRANT, crate::Rights::NONE, crate::Cap(3), crate::Cap(1 << 32 | 4)).unwrap();
        assert_eq!(line.as_str(), "read|grant none #3 #4g1");
        line.clear();
        write!(line, "{}; {}; {}", crate::Error::AnswerParked { reply: crate::Cap(2), needed: 99 }, crate::Error::QueueFull, crate::ActorId(7)).unwrap();
        assert_eq!(line.as_str(), "buffer too small (answer parked), 99 bytes needed; queue full; actor 7");
    }
}
