//! The events ui_server sends a window (`docs/protocol.md`), decoded.

use crate::caps::Cap;
use crate::file::File;
use crate::protocol;
use crate::wire::Reader;

/// A key's state in [`Event::Key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Let go (0).
    Released,
    /// Pressed down (1).
    Pressed,
    /// Held down, repeating (2).
    Repeated,
    /// A value this SDK does not know.
    Other(u32),
}

impl KeyState {
    /// The state for the protocol's `pressed` field.
    pub const fn from_code(code: u32) -> KeyState {
        match code {
            0 => KeyState::Released,
            1 => KeyState::Pressed,
            2 => KeyState::Repeated,
            other => KeyState::Other(other),
        }
    }

    /// True for `Pressed` and `Repeated`: the key is down and its text counts.
    pub const fn is_down(self) -> bool {
        matches!(self, KeyState::Pressed | KeyState::Repeated)
    }
}

/// An event from ui_server about one window. Text fields borrow the receive
/// buffer. Coordinates are in window content pixels, (0, 0) the top left of
/// the surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The size ui_server gave the window (first event after create, the
    /// screen's for a kiosk app; again after resize). From
    /// [`Window::next_event`] the surface already has this size: when it
    /// differs from the one you drew for, lay out and draw everything again.
    Configure {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Keyboard focus came (true) or went (false).
    Focus(bool),
    /// The user pressed the close button. Nothing closes unless the app does.
    CloseRequest,
    /// The frame with the last commit is on screen: draw the next one.
    FrameDone {
        /// When, in nanoseconds (monotonic, like [`now`](crate::now)).
        time_ns: u64,
    },
    /// ui_server checking that the app reads its events (a kiosk restarts
    /// an app that leaves them unread): nothing to do.
    Heartbeat,
    /// The pointer moved over the window (or anywhere, while a button
    /// pressed in the window is held).
    PointerMotion {
        /// Pointer x.
        x: i32,
        /// Pointer y.
        y: i32,
        /// Buttons held: bit 0 left, bit 1 right, bit 2 middle.
        buttons: u32,
    },
    /// A button went down or up.
    PointerButton {
        /// Pointer x.
        x: i32,
        /// Pointer y.
        y: i32,
        /// Linux `BTN_*` code: [`protocol::BUTTON_LEFT`], ...
        button: u32,
        /// Down (true) or up (false).
        pressed: bool,
    },
    /// Wheel steps.
    PointerScroll {
        /// Pointer x.
        x: i32,
        /// Pointer y.
        y: i32,
        /// Steps right.
        dx: i32,
        /// Steps down.
        dy: i32,
    },
    /// The pointer came over the window's content.
    PointerEnter {
        /// Pointer x.
        x: i32,
        /// Pointer y.
        y: i32,
    },
    /// The pointer left the window's content.
    PointerLeave,
    /// A key, sent to the focused window.
    Key {
        /// evdev key code.
        keycode: u32,
        /// xkb keysym.
        keysym: u32,
        /// Modifier bits in effect as the key went down (or up, or
        /// repeated): [`protocol::MOD_SHIFT`], [`protocol::MOD_CTRL`], ...
        modifiers: u32,
        /// Down, up or repeat.
        state: KeyState,
        /// The text the key types (may be empty). Invalid UTF-8 is cut
        /// at the first bad byte.
        text: &'a str,
    },
    /// The user chose a file in the chooser ([`Window::choose_file`](crate::Window::choose_file)).
    /// The cap is this actor's: release it when done with the file.
    FileChosen {
        /// The file, with the rights the request's mode gives.
        file: File,
        /// Its name (never a path), for the title bar.
        name: &'a str,
    },
    /// No file was chosen: the user cancelled ([`protocol::error::CANCELLED`]),
    /// or the chooser could not be shown or the file not opened.
    FileNotChosen {
        /// A [`protocol::error`] code.
        code: i32,
        /// ui_server's words, to show the user.
        message: &'a str,
    },
    /// The filter plugins this app's spawner starts changed on disk (a file
    /// added, replaced or removed in a plugin folder the desktop watches).
    /// Walk the lines with [`plugin_changes`]; the next spawn of a name
    /// starts its new version.
    PluginsChanged {
        /// One line per module: `+name`, `-name` or `~name`.
        changes: &'a str,
    },
    /// A finger touched the window's content (windows created with
    /// [`protocol::FLAG_TOUCH`] only; others get the pointer instead).
    TouchDown {
        /// Names the finger until its [`Event::TouchUp`] or an
        /// [`Event::TouchCancel`]; a new touch gets a new id.
        id: u32,
        /// Finger x.
        x: i32,
        /// Finger y.
        y: i32,
    },
    /// A finger moved (anywhere: a touch stays with the window it began on).
    TouchMotion {
        /// The finger.
        id: u32,
        /// Finger x.
        x: i32,
        /// Finger y.
        y: i32,
    },
    /// A finger lifted.
    TouchUp {
        /// The finger.
        id: u32,
    },
    /// Every finger on the window is gone without lifting (a palm, the
    /// screen unplugged): forget them all, and undo what they began.
    TouchCancel,
    /// The touch events since the last frame happened together: act on
    /// them as one change (two fingers moved in the same scan).
    TouchFrame,
    /// ui_server refused a request about this window (see [`protocol::error`]).
    Error {
        /// A [`protocol::error`] code.
        code: i32,
        /// ui_server's words.
        message: &'a str,
    },
    /// An opcode this SDK does not know, or a payload shorter than its layout.
    Unknown {
        /// The message's opcode.
        opcode: u32,
    },
}

impl<'a> Event<'a> {
    /// Decodes an event message: `payload` starts with the window id, then
    /// the fields of `opcode` (`docs/protocol.md`).
    pub fn decode(opcode: u32, payload: &'a [u8]) -> Event<'a> {
        Event::fields(opcode, payload).unwrap_or(Event::Unknown { opcode })
    }

    fn fields(opcode: u32, payload: &'a [u8]) -> Option<Event<'a>> {
        let mut r = Reader::new(payload);
        let _window = r.u32()?;
        Some(match opcode {
            protocol::CONFIGURE => Event::Configure { width: r.u32()?, height: r.u32()? },
            protocol::FOCUS => Event::Focus(r.u32()? != 0),
            protocol::CLOSE_REQUEST => Event::CloseRequest,
            protocol::FRAME_DONE => Event::FrameDone { time_ns: r.u64()? },
            protocol::HEARTBEAT => Event::Heartbeat,
            protocol::POINTER_MOTION => Event::PointerMotion { x: r.i32()?, y: r.i32()?, buttons: r.u32()? },
            protocol::POINTER_BUTTON => {
                Event::PointerButton { x: r.i32()?, y: r.i32()?, button: r.u32()?, pressed: r.u32()? != 0 }
            }
            protocol::POINTER_SCROLL => Event::PointerScroll { x: r.i32()?, y: r.i32()?, dx: r.i32()?, dy: r.i32()? },
            protocol::POINTER_ENTER => Event::PointerEnter { x: r.i32()?, y: r.i32()? },
            protocol::POINTER_LEAVE => Event::PointerLeave,
            protocol::KEY => Event::Key {
                keycode: r.u32()?,
                keysym: r.u32()?,
                modifiers: r.u32()?,
                state: KeyState::from_code(r.u32()?),
                text: r.text(),
            },
            protocol::FILE_CHOSEN => Event::FileChosen { file: File::from_cap(Cap(r.u64()? as i64)), name: r.text() },
            protocol::FILE_NOT_CHOSEN => Event::FileNotChosen { code: r.i32()?, message: r.text() },
            protocol::ERROR => Event::Error { code: r.i32()?, message: r.text() },
            protocol::PLUGINS_CHANGED => Event::PluginsChanged { changes: r.text() },
            protocol::TOUCH_DOWN => Event::TouchDown { id: r.u32()?, x: r.i32()?, y: r.i32()? },
            protocol::TOUCH_MOTION => Event::TouchMotion { id: r.u32()?, x: r.i32()?, y: r.i32()? },
            protocol::TOUCH_UP => Event::TouchUp { id: r.u32()? },
            protocol::TOUCH_CANCEL => Event::TouchCancel,
            protocol::TOUCH_FRAME => Event::TouchFrame,
            _ => return None,
        })
    }
}

/// What happened to one plugin in [`Event::PluginsChanged`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PluginChange {
    /// A new module (`+name`): spawn it and describe it.
    Added,
    /// The module is gone (`-name`): a spawn of it fails now.
    Removed,
    /// The module's file is another one now (`~name`): the next spawn
    /// starts the new version, which may describe itself differently.
    Changed,
}

/// The changes of an [`Event::PluginsChanged`], in order, as
/// `(what, module name)`. Lines that are not `+name`, `-name` or `~name`
/// with a module name (letters, digits, `_`, `-`, at most 64 bytes) are
/// skipped.
pub fn plugin_changes(changes: &str) -> PluginChanges<'_> {
    PluginChanges { lines: changes.split('\n') }
}

/// The iterator of [`plugin_changes`].
#[derive(Clone, Debug)]
pub struct PluginChanges<'a> {
    lines: core::str::Split<'a, char>,
}

impl<'a> Iterator for PluginChanges<'a> {
    type Item = (PluginChange, &'a str);

    fn next(&mut self) -> Option<(PluginChange, &'a str)> {
        for line in &mut self.lines {
            let what = match line.as_bytes().first() {
                Some(b'+') => PluginChange::Added,
                Some(b'-') => PluginChange::Removed,
                Some(b'~') => PluginChange::Changed,
                _ => continue,
            };
            let name = &line[1..];
            let valid = !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
            if valid {
                return Some((what, name));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tests::payload;

    fn decode(opcode: u32, fields: &[u32], text: &[u8], check: impl FnOnce(Event<'_>)) {
        let (bytes, len) = payload(fields, text);
        check(Event::decode(opcode, &bytes[..len]));
    }

    #[test]
    fn decodes_every_event() {
        use protocol::*;
        let minus = |v: i32| v as u32;
        decode(CONFIGURE, &[7, 320, 200], b"", |e| assert_eq!(e, Event::Configure { width: 320, height: 200 }));
        decode(FOCUS, &[7, 1], b"", |e| assert_eq!(e, Event::Focus(true)));
        decode(FOCUS, &[7, 0], b"", |e| assert_eq!(e, Event::Focus(false)));
        decode(CLOSE_REQUEST, &[7], b"", |e| assert_eq!(e, Event::CloseRequest));
        decode(HEARTBEAT, &[7], b"", |e| assert_eq!(e, Event::Heartbeat));
        decode(FRAME_DONE, &[7, 0x89ab_cdef, 0x1234_5678], b"", |e| {
            assert_eq!(e, Event::FrameDone { time_ns: 0x1234_5678_89ab_cdef })
        });
        decode(POINTER_MOTION, &[7, minus(-3), 40, 5], b"", |e| {
            assert_eq!(e, Event::PointerMotion { x: -3, y: 40, buttons: 5 })
        });
        decode(POINTER_BUTTON, &[7, 10, 20, BUTTON_RIGHT, 1], b"", |e| {
            assert_eq!(e, Event::PointerButton { x: 10, y: 20, button: BUTTON_RIGHT, pressed: true })
        });
        decode(POINTER_BUTTON, &[7, 10, 20, BUTTON_LEFT, 0], b"", |e| {
            assert_eq!(e, Event::PointerButton { x: 10, y: 20, button: BUTTON_LEFT, pressed: false })
        });
        decode(POINTER_SCROLL, &[7, 1, 2, minus(-1), 3], b"", |e| {
            assert_eq!(e, Event::PointerScroll { x: 1, y: 2, dx: -1, dy: 3 })
        });
        decode(POINTER_ENTER, &[7, 4, 5], b"", |e| assert_eq!(e, Event::PointerEnter { x: 4, y: 5 }));
        decode(POINTER_LEAVE, &[7], b"", |e| assert_eq!(e, Event::PointerLeave));
        decode(KEY, &[7, 30, 0x61, 4, 1], b"a", |e| {
            assert_eq!(e, Event::Key { keycode: 30, keysym: 0x61, modifiers: 4, state: KeyState::Pressed, text: "a" })
        });
        decode(KEY, &[7, 30, 0x61, 0, 2], "é".as_bytes(), |e| {
            assert_eq!(e, Event::Key { keycode: 30, keysym: 0x61, modifiers: 0, state: KeyState::Repeated, text: "é" })
        });
        decode(ERROR, &[7, error::BAD_SIZE as u32], b"too big", |e| {
            assert_eq!(e, Event::Error { code: error::BAD_SIZE, message: "too big" })
        });
        decode(FILE_CHOSEN, &[7, 0x0000_0005, 0x0000_0001], b"photo.png", |e| {
            assert_eq!(e, Event::FileChosen { file: File::from_cap(Cap(1 << 32 | 5)), name: "photo.png" })
        });
        decode(FILE_NOT_CHOSEN, &[7, error::CANCELLED as u32], b"cancelled", |e| {
            assert_eq!(e, Event::FileNotChosen { code: error::CANCELLED, message: "cancelled" })
        });
        decode(PLUGINS_CHANGED, &[7], b"+blur\n~edges", |e| {
            assert_eq!(e, Event::PluginsChanged { changes: "+blur\n~edges" })
        });
        decode(TOUCH_DOWN, &[7, 3, 10, minus(-2)], b"", |e| assert_eq!(e, Event::TouchDown { id: 3, x: 10, y: -2 }));
        decode(TOUCH_MOTION, &[7, 3, 11, 12], b"", |e| assert_eq!(e, Event::TouchMotion { id: 3, x: 11, y: 12 }));
        decode(TOUCH_UP, &[7, 3], b"", |e| assert_eq!(e, Event::TouchUp { id: 3 }));
        decode(TOUCH_CANCEL, &[7], b"", |e| assert_eq!(e, Event::TouchCancel));
        decode(TOUCH_FRAME, &[7], b"", |e| assert_eq!(e, Event::TouchFrame));
        decode(0x02ff, &[7, 1, 2], b"", |e| assert_eq!(e, Event::Unknown { opcode: 0x02ff }));
    }

    #[test]
    fn plugin_changes_skip_what_is_not_a_change() {
        let mut changes = plugin_changes("+blur\n-old_one\n~my-edges\n\nblur\n*x\n+\n+a.wasm\n+../etc\n-ok\n");
        assert_eq!(changes.next(), Some((PluginChange::Added, "blur")));
        assert_eq!(changes.next(), Some((PluginChange::Removed, "old_one")));
        assert_eq!(changes.next(), Some((PluginChange::Changed, "my-edges")));
        assert_eq!(changes.next(), Some((PluginChange::Removed, "ok")));
        assert_eq!(changes.next(), None);
        let longest = "+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert_eq!(plugin_changes(longest).count(), 1);
        let too_long = "+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert_eq!(plugin_changes(too_long).count(), 0);
        assert_eq!(plugin_changes("").count(), 0);
    }

    #[test]
    fn short_or_odd_payloads() {
        use protocol::*;
        // Short of a field: Unknown, never a panic or a made-up value.
        decode(CONFIGURE, &[7, 320], b"", |e| assert_eq!(e, Event::Unknown { opcode: CONFIGURE }));
        decode(CLOSE_REQUEST, &[], b"", |e| assert_eq!(e, Event::Unknown { opcode: CLOSE_REQUEST }));
        decode(KEY, &[7, 30, 0x61, 0], b"", |e| assert_eq!(e, Event::Unknown { opcode: KEY }));
        decode(TOUCH_DOWN, &[7, 3, 10], b"", |e| assert_eq!(e, Event::Unknown { opcode: TOUCH_DOWN }));
        decode(TOUCH_UP, &[7], b"", |e| assert_eq!(e, Event::Unknown { opcode: TOUCH_UP }));
        decode(FRAME_DONE, &[7], b"\x01\x02\x03", |e| assert_eq!(e, Event::Unknown { opcode: FRAME_DONE }));
        // Invalid UTF-8 is cut at the first bad byte; unknown states kept.
        decode(KEY, &[7, 1, 2, 3, 9], b"ok\xff\xfe", |e| {
            assert_eq!(e, Event::Key { keycode: 1, keysym: 2, modifiers: 3, state: KeyState::Other(9), text: "ok" })
        });
        // Extra bytes after the fields are ignored.
        decode(FOCUS, &[7, 1, 99], b"", |e| assert_eq!(e, Event::Focus(true)));
        assert!(KeyState::Repeated.is_down() && KeyState::Pressed.is_down() && !KeyState::Released.is_down());
    }
}
