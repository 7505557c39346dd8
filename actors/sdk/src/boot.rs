//! Boot configuration: the desktop's first message to an app that takes
//! settings. It waits on an endpoint the app receives on (paint and fractal:
//! handle 3) before the app starts, so the app reads it without blocking.
//!
//! The payload is UTF-8 text, one `key=value` per line; unknown keys are
//! ignored, a missing message means "all defaults". Lists are
//! comma-separated. `Sources/AppProtocols/BootConfig.swift` writes it.
//!
//! ```
//! let config = wsk::boot::BootConfig::parse("size=320x200\nplugins=blur, invert\n");
//! assert_eq!(config.size("size"), Some((320, 200)));
//! assert_eq!(config.list("plugins").collect::<Vec<_>>(), ["blur", "invert"]);
//! assert_eq!(config.number("workers"), None);
//! ```

use crate::abi::MESSAGE_HEADER_SIZE;
use crate::caps::{release, Cap};
use crate::file::File;
use crate::ipc::try_recv;
use crate::wire::Reader;

/// The opcode of the boot configuration message.
pub const BOOT_CONFIG: u32 = 0x0500;
/// The opcode of a file the desktop hands an app to open (`wskdesk --app
/// paint --open photo.png`): sent after the configuration, on the same
/// endpoint. Payload: handle u64 (a FILE cap already in the app's space),
/// the file's name UTF-8.
pub const OPEN_FILE: u32 = 0x0501;
/// The longest configuration text the desktop sends, in bytes.
pub const MAX_CONFIG_BYTES: usize = 4096;
/// A receive buffer that holds any boot configuration message.
pub const BOOT_BUFFER_BYTES: usize = MESSAGE_HEADER_SIZE + MAX_CONFIG_BYTES;

/// The settings, borrowing the text they were parsed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BootConfig<'a> {
    text: &'a str,
}

impl<'a> BootConfig<'a> {
    /// No settings: every lookup is `None`.
    pub const EMPTY: BootConfig<'static> = BootConfig { text: "" };

    /// Settings from `key=value` lines.
    pub fn parse(text: &'a str) -> BootConfig<'a> {
        BootConfig { text }
    }

    /// Takes the boot configuration waiting on `endpoint` into `buf`
    /// ([`BOOT_BUFFER_BYTES`] holds any), without waiting. Messages that are
    /// not [`BOOT_CONFIG`] are dropped; no message, or an endpoint that cannot
    /// be read, gives [`BootConfig::EMPTY`]. Text that is not UTF-8 is cut at
    /// the first bad byte.
    pub fn receive(endpoint: Cap, buf: &'a mut [u8]) -> BootConfig<'a> {
        let mut found = None;
        // Skip anything else queued before the configuration (a bounded loop:
        // an endpoint holds at most 1024 messages).
        for _ in 0..1024 {
            let (opcode, end) = match try_recv(endpoint, buf) {
                Ok(message) => {
                    if let Some(cap) = message.cap() {
                        let _ = release(cap);
                    }
                    if let Some(reply) = message.reply() {
                        let _ = release(reply);
                    }
                    (message.opcode(), MESSAGE_HEADER_SIZE + message.payload().len())
                }
                Err(_) => break,
            };
            if opcode == BOOT_CONFIG {
                found = Some(end);
                break;
            }
        }
        match found {
            Some(end) => BootConfig::parse(Reader::new(&buf[MESSAGE_HEADER_SIZE..end]).text()),
            None => BootConfig { text: "" },
        }
    }

    /// The value of `key` (trimmed), if a line sets it; the last line wins.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        let mut found = None;
        for line in self.text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    found = Some(v.trim());
                }
            }
        }
        found
    }

    /// The value of `key` as a decimal number.
    pub fn number(&self, key: &str) -> Option<u32> {
        self.get(key)?.parse().ok()
    }

    /// The value of `key` as `WIDTHxHEIGHT`.
    pub fn size(&self, key: &str) -> Option<(u32, u32)> {
        let (w, h) = self.get(key)?.split_once('x')?;
        Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
    }

    /// The comma-separated items of `key`, trimmed, empty ones left out.
    pub fn list(&self, key: &str) -> impl Iterator<Item = &'a str> {
        self.get(key).unwrap_or("").split(',').map(str::trim).filter(|item| !item.is_empty())
    }
}

/// The file the desktop handed this app to open at boot ([`OPEN_FILE`],
/// after the configuration), if any: the file and its name (borrowing
/// `buf`). Other messages are dropped, their caps released. Does not wait.
pub fn opened_file(endpoint: Cap, buf: &mut [u8]) -> Option<(File, &str)> {
    let mut found = None;
    for _ in 0..1024 {
        let message = match try_recv(endpoint, buf) {
            Ok(message) => message,
            Err(_) => break,
        };
        if let Some(reply) = message.reply() {
            let _ = release(reply);
        }
        if let Some(cap) = message.cap() {
            let _ = release(cap);
        }
        if message.opcode() == OPEN_FILE {
            found = Some(MESSAGE_HEADER_SIZE + message.payload().len());
            break;
        }
    }
    let mut reader = Reader::new(&buf[MESSAGE_HEADER_SIZE..found?]);
    let handle = reader.u64()?;
    Some((File::from_cap(Cap(handle as i64)), reader.text()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        let config = BootConfig::parse("workers = 4\nsize=640x480\r\nbad line\nworkers=6\nempty=\n");
        assert_eq!(config.number("workers"), Some(6), "the last line wins");
        assert_eq!(config.size("size"), Some((640, 480)));
        assert_eq!(config.get("empty"), Some(""));
        assert_eq!(config.list("empty").count(), 0);
        assert_eq!(config.get("bad line"), None);
        assert_eq!(config.size("workers"), None);
        assert_eq!(BootConfig::EMPTY.get("size"), None);
    }

    #[test]
    fn lists() {
        let config = BootConfig::parse("plugins=invert,, blur ,sepia,");
        let mut items = config.list("plugins");
        assert_eq!(items.next(), Some("invert"));
        assert_eq!(items.next(), Some("blur"));
        assert_eq!(items.next(), Some("sepia"));
        assert_eq!(items.next(), None);
    }
}
