//! The window protocol as numbers: the messages between apps and ui_server
//! (and from an input source to ui_server). These restate
//! `Sources/Compositor/Protocol/WindowProtocol.swift`, the one definition;
//! `docs/protocol.md` describes each message, and the Swift test
//! `ProtocolAgreementTests` fails when the three drift apart.
//!
//! All integers are little-endian. [`window`](crate::window) is the safe way
//! to speak the protocol; these are for those who speak it by hand.

// Requests, app -> ui_server (on the ui_server endpoint, boot handle 1).

/// Create a window: `sys_cap_call` with the surface buffer as cap.
/// Payload: width u32, height u32, flags u32, format u32, title UTF-8 (the
/// rest). Answer: [`WINDOW_CREATED`] with the window's event endpoint as
/// cap, or [`ERROR`].
pub const CREATE_WINDOW: u32 = 0x0100;
/// Show what changed. Payload: window u32, then any number of damage
/// rectangles (x, y, width, height as i32, surface coordinates). None (or
/// more than 64) = the whole surface.
pub const COMMIT: u32 = 0x0101;
/// Payload: window u32, title UTF-8.
pub const SET_TITLE: u32 = 0x0102;
/// Cap: the new surface buffer. Payload: window u32, width u32, height u32.
pub const RESIZE: u32 = 0x0103;
/// Payload: window u32.
pub const DESTROY_WINDOW: u32 = 0x0104;
/// `sys_cap_call`, no payload. Answered with [`SYNC_DONE`] once every request
/// sent before it has been handled (a round trip, like `wl_display.sync`).
pub const SYNC: u32 = 0x0105;
/// Ask the user for a file, in the runtime's file chooser (a plain send).
/// Payload: window u32, mode u32 ([`CHOOSE_OPEN`], [`CHOOSE_EDIT`],
/// [`CHOOSE_SAVE`]), types length u32, types UTF-8 (comma-separated name
/// extensions without dots; empty = any), suggested name UTF-8 (the rest).
/// Then [`FILE_CHOSEN`] or [`FILE_NOT_CHOSEN`] on the window.
pub const CHOOSE_FILE: u32 = 0x0106;

// Answers (to a call, on its reply cap).

/// Payload: window u32, x i32, y i32 (where the content was placed on the
/// screen). Cap: the window's event endpoint (RECEIVE).
pub const WINDOW_CREATED: u32 = 0x0180;
/// No payload: the answer to [`SYNC`].
pub const SYNC_DONE: u32 = 0x0181;
/// Payload: error code i32 (see [`error`]), message UTF-8. As an event on a
/// window's endpoint the window u32 comes first, as in every event.
pub const ERROR: u32 = 0x01FF;

// Events, ui_server -> app (on the window's event endpoint); each payload
// starts with the window u32.

/// width u32, height u32: the size the window has (after create or resize).
pub const CONFIGURE: u32 = 0x0200;
/// focused u32 (1 in, 0 out).
pub const FOCUS: u32 = 0x0201;
/// The user pressed the close button; the app decides.
pub const CLOSE_REQUEST: u32 = 0x0202;
/// time u64 (ns, monotonic): the frame with the last commit is on screen;
/// draw the next.
pub const FRAME_DONE: u32 = 0x0203;
/// ui_server checks that the app reads its events (the kiosk's hang
/// watch): nothing to do.
pub const HEARTBEAT: u32 = 0x0204;
/// x i32, y i32 (window content coordinates), buttons u32 (bit 0 left,
/// 1 right, 2 middle).
pub const POINTER_MOTION: u32 = 0x0210;
/// x i32, y i32, button u32 (Linux `BTN_*` code), pressed u32.
pub const POINTER_BUTTON: u32 = 0x0211;
/// x i32, y i32, dx i32, dy i32 (scroll steps; positive dy = down).
pub const POINTER_SCROLL: u32 = 0x0212;
/// x i32, y i32: the pointer came over the window's content.
pub const POINTER_ENTER: u32 = 0x0213;
/// The pointer left the window's content.
pub const POINTER_LEAVE: u32 = 0x0214;
/// keycode u32 (evdev), keysym u32, modifiers u32, pressed u32 (0 up,
/// 1 down, 2 repeat), UTF-8 text.
pub const KEY: u32 = 0x0220;
/// file handle u64 (a FILE cap already in this actor's space), name UTF-8
/// (the file's name, never a path): the user chose a file.
pub const FILE_CHOSEN: u32 = 0x0230;
/// code i32 (see [`error`]), message UTF-8: no file was chosen (the user
/// cancelled, a chooser was already open, no folder is allowed, ...).
pub const FILE_NOT_CHOSEN: u32 = 0x0231;
/// changes UTF-8 (the rest): the plugins this app's spawner starts changed on
/// disk, one line per module: `+name` added, `-name` removed, `~name`
/// changed. Decoded as [`Event::PluginsChanged`](crate::Event::PluginsChanged).
pub const PLUGINS_CHANGED: u32 = 0x0240;
/// id u32, x i32, y i32 (window content coordinates): a finger touched the
/// window's content. Only to windows created with [`FLAG_TOUCH`]; `id` names
/// the finger until its [`TOUCH_UP`] or a [`TOUCH_CANCEL`].
pub const TOUCH_DOWN: u32 = 0x0250;
/// id u32, x i32, y i32: the finger moved (anywhere, even off the window).
pub const TOUCH_MOTION: u32 = 0x0251;
/// id u32: the finger lifted.
pub const TOUCH_UP: u32 = 0x0252;
/// Every finger on the window is gone without lifting: forget them all.
pub const TOUCH_CANCEL: u32 = 0x0253;
/// The touch events before it happened together (one scan of the screen).
pub const TOUCH_FRAME: u32 = 0x0254;

// Input, input source -> ui_server (believed only from registered sources).

/// mode u32 (0 relative, 1 absolute), x f64, y f64 (relative: pixels;
/// absolute: 0...1 of the output).
pub const INPUT_POINTER_MOTION: u32 = 0x0300;
/// button u32 (Linux `BTN_*` code), pressed u32.
pub const INPUT_POINTER_BUTTON: u32 = 0x0301;
/// dx f64, dy f64 (wheel steps).
pub const INPUT_POINTER_SCROLL: u32 = 0x0302;
/// keycode u32, keysym u32, modifiers u32, pressed u32, UTF-8 text.
pub const INPUT_KEY: u32 = 0x0303;
/// device u32, slot u32, x f64, y f64 (0...1 of the touchscreen, after
/// calibration), width_mm u32, height_mm u32 (0: unknown), output hint UTF-8.
pub const INPUT_TOUCH_DOWN: u32 = 0x0304;
/// device u32, slot u32, x f64, y f64.
pub const INPUT_TOUCH_MOTION: u32 = 0x0305;
/// device u32, slot u32.
pub const INPUT_TOUCH_UP: u32 = 0x0306;
/// device u32: every finger of the device is gone.
pub const INPUT_TOUCH_CANCEL: u32 = 0x0307;
/// device u32.
pub const INPUT_TOUCH_FRAME: u32 = 0x0308;

// Values.

/// [`CHOOSE_FILE`] mode: a file to read (the cap has READ).
pub const CHOOSE_OPEN: u32 = 0;
/// [`CHOOSE_FILE`] mode: a file to read and save back (READ, WRITE, RESIZE).
pub const CHOOSE_EDIT: u32 = 1;
/// [`CHOOSE_FILE`] mode: a file to save into, new or replaced after the
/// user agreed (READ, WRITE, RESIZE).
pub const CHOOSE_SAVE: u32 = 2;
/// Window flag: no title bar or border, even on the desktop.
pub const FLAG_UNDECORATED: u32 = 1 << 0;
/// Window flag: touches come as [`TOUCH_DOWN`], [`TOUCH_MOTION`], ... events
/// ([`Event::TouchDown`](crate::Event::TouchDown), ...). Without it, a
/// finger on the window comes as the pointer with its left button held.
pub const FLAG_TOUCH: u32 = 1 << 1;
/// Surface format: 32-bit pixels `0x00RRGGBB`, the top byte ignored.
pub const FORMAT_XRGB8888: u32 = 0;
/// Surface format: 32-bit pixels `0xAARRGGBB`, premultiplied alpha,
/// blended over what is below.
pub const FORMAT_ARGB8888: u32 = 1;
/// Modifier bit of [`KEY`]'s `modifiers`: Shift is held.
pub const MOD_SHIFT: u32 = 1 << 0;
/// Modifier bit: Caps Lock is on.
pub const MOD_CAPS_LOCK: u32 = 1 << 1;
/// Modifier bit: Ctrl is held.
pub const MOD_CTRL: u32 = 1 << 2;
/// Modifier bit: Alt is held (xkb Mod1).
pub const MOD_ALT: u32 = 1 << 3;
/// Modifier bit: the Super/Windows key is held (xkb Mod4).
pub const MOD_LOGO: u32 = 1 << 4;
/// Modifier bit: AltGr is held (ISO_Level3_Shift, xkb Mod5).
pub const MOD_ALTGR: u32 = 1 << 5;
/// Modifier bit: Num Lock is on (xkb Mod2).
pub const MOD_NUM_LOCK: u32 = 1 << 6;
/// Linux `BTN_LEFT`.
pub const BUTTON_LEFT: u32 = 0x110;
/// Linux `BTN_RIGHT`.
pub const BUTTON_RIGHT: u32 = 0x111;
/// Linux `BTN_MIDDLE`.
pub const BUTTON_MIDDLE: u32 = 0x112;
/// The longest title kept (bytes); longer ones are cut.
pub const MAX_TITLE_BYTES: usize = 256;
/// Windows one app may have open.
pub const MAX_WINDOWS_PER_CLIENT: usize = 16;
/// The largest width or height of a window.
pub const MAX_WINDOW_SIZE: usize = 8192;
/// Damage rectangles one commit may name; more count as the whole surface.
pub const MAX_DAMAGE_RECTS: usize = 64;
/// Events queued for a window before ui_server starts dropping them.
pub const EVENT_QUEUE_LENGTH: usize = 256;
/// The largest [`PLUGINS_CHANGED`] payload, window id included; more changes
/// than fit come in several events.
pub const MAX_PLUGINS_CHANGED_BYTES: usize = 4096;

/// Error codes in an [`ERROR`] answer or event (`ProtocolError` in Swift).
pub mod error {
    /// The payload is shorter than the message needs, or malformed.
    pub const MALFORMED: i32 = 1;
    /// No such window, or not yours.
    pub const UNKNOWN_WINDOW: i32 = 2;
    /// Width or height is zero, negative or larger than 8192.
    pub const BAD_SIZE: i32 = 3;
    /// The surface buffer is missing, not readable, or smaller than
    /// width × height × 4.
    pub const BAD_SURFACE: i32 = 4;
    /// Unknown format or flags.
    pub const BAD_FORMAT: i32 = 5;
    /// The app has too many windows.
    pub const TOO_MANY_WINDOWS: i32 = 6;
    /// ui_server could not make the window's event endpoint.
    pub const NO_RESOURCES: i32 = 7;
    /// The user closed the file chooser without choosing.
    pub const CANCELLED: i32 = 8;
    /// A file chooser is already open for this app (one at a time).
    pub const BUSY: i32 = 9;
    /// No folder may be browsed (the runtime was started without one).
    pub const NO_FILES: i32 = 10;
    /// The chosen file could not be opened or created.
    pub const FAILED: i32 = 11;

    /// The name of an error code, as this module spells it (`"BAD_SIZE"`),
    /// or `"UNKNOWN"` for a code this SDK does not know.
    pub const fn name(code: i32) -> &'static str {
        match code {
            MALFORMED => "MALFORMED",
            UNKNOWN_WINDOW => "UNKNOWN_WINDOW",
            BAD_SIZE => "BAD_SIZE",
            BAD_SURFACE => "BAD_SURFACE",
            BAD_FORMAT => "BAD_FORMAT",
            TOO_MANY_WINDOWS => "TOO_MANY_WINDOWS",
            NO_RESOURCES => "NO_RESOURCES",
            CANCELLED => "CANCELLED",
            BUSY => "BUSY",
            NO_FILES => "NO_FILES",
            FAILED => "FAILED",
            _ => "UNKNOWN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names() {
        assert_eq!(error::name(error::BAD_SIZE), "BAD_SIZE");
        assert_eq!(error::name(error::NO_RESOURCES), "NO_RESOURCES");
        assert_eq!(error::name(0), "UNKNOWN");
        assert_eq!(error::name(-1), "UNKNOWN");
    }

    #[test]
    fn opcodes_are_distinct() {
        let all = [
            CREATE_WINDOW, COMMIT, SET_TITLE, RESIZE, DESTROY_WINDOW, SYNC, WINDOW_CREATED, SYNC_DONE, ERROR, CONFIGURE, FOCUS,
            CLOSE_REQUEST, FRAME_DONE, HEARTBEAT, POINTER_MOTION, POINTER_BUTTON, POINTER_SCROLL, POINTER_ENTER, POINTER_LEAVE,
            KEY, FILE_CHOSEN, FILE_NOT_CHOSEN, PLUGINS_CHANGED, TOUCH_DOWN, TOUCH_MOTION, TOUCH_UP, TOUCH_CANCEL,
            TOUCH_FRAME, INPUT_POINTER_MOTION, INPUT_POINTER_BUTTON, INPUT_POINTER_SCROLL, INPUT_KEY, INPUT_TOUCH_DOWN,
            INPUT_TOUCH_MOTION, INPUT_TOUCH_UP, INPUT_TOUCH_CANCEL, INPUT_TOUCH_FRAME,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|b| a != b), "{:#x} twice", a);
        }
    }
}
