//! Windows on ui_server: create one, draw into its surface, commit, and read
//! its events. The window protocol is described in `docs/protocol.md`; its
//! numbers are in [`protocol`].
//!
//! A window is a shared buffer (the *surface*, `width × height` pixels,
//! XRGB8888, row after row) that ui_server reads, plus an event endpoint it
//! writes to. The app draws somewhere of its own — a [`Canvas`]
//! over a pixel array — uploads what changed into the surface, and commits
//! that damage. ui_server answers each commit with [`Event::FrameDone`] once
//! the frame showing it is on screen: draw the next frame then, not before.
//!
//! ```no_run
//! use wsk::{Canvas, Event, Rect, Timeout, Window};
//!
//! const UI: wsk::Cap = wsk::Cap(1); // the ui_server endpoint, granted at boot
//!
//! fn run() -> wsk::Result<()> {
//!     let mut window = Window::create(UI, 64, 32, "tiny", 0)?;
//!     let mut pixels = [0u32; 64 * 32];
//!     let mut canvas = Canvas::new(&mut pixels, 64, 32).unwrap();
//!     canvas.fill_rect(Rect::new(8, 8, 16, 16), 0x00ff_cc00);
//!     window.present(&canvas, &[])?; // upload everything and commit
//!     let mut buf = [0u8; wsk::window::EVENT_BUFFER_BYTES];
//!     loop {
//!         if let Event::CloseRequest = window.next_event(&mut buf, Timeout::Forever)? {
//!             return window.destroy();
//!         }
//!     }
//! }
//! # let _ = run;
//! ```

use crate::abi::MESSAGE_HEADER_SIZE;
use crate::actor::yield_now;
use crate::buffer::Buffer;
use crate::canvas::Canvas;
use crate::caps::{release, Cap};
use crate::error::{Error, Result};
pub use crate::event::{Event, KeyState};
pub use crate::geometry::Rect;
use crate::ipc::{self, Message, Timeout};
use crate::protocol::{self, error as code};
use crate::wire::{Reader, Writer};

/// A receive buffer that holds any event ui_server sends: the 24-byte
/// header, at most 16 bytes of fields and the text of a key or an error.
pub const EVENT_BUFFER_BYTES: usize = MESSAGE_HEADER_SIZE + 1024;

/// The largest width or height ui_server accepts (see `BAD_SIZE`).
pub const MAX_SIZE: u32 = crate::protocol::MAX_WINDOW_SIZE as u32;

/// ui_server damages the whole surface for a commit with more rectangles.
const MAX_DAMAGE_RECTS: usize = crate::protocol::MAX_DAMAGE_RECTS;

/// Room for ui_server's answers: `WINDOW_CREATED`, or `ERROR` with a line of text.
const ANSWER_BUFFER_BYTES: usize = MESSAGE_HEADER_SIZE + 1024;

/// `text` cut to at most `max` bytes, at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

const CREATE_PAYLOAD_BYTES: usize = 16 + protocol::MAX_TITLE_BYTES;
const TITLE_PAYLOAD_BYTES: usize = 4 + protocol::MAX_TITLE_BYTES;
const COMMIT_PAYLOAD_BYTES: usize = 4 + 16 * MAX_DAMAGE_RECTS;
/// The longest list of types and suggested name `choose_file` sends.
const CHOOSE_TEXT_BYTES: usize = 255;
const CHOOSE_PAYLOAD_BYTES: usize = 12 + 2 * CHOOSE_TEXT_BYTES;

/// What the file chooser is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChooseFile<'a> {
    /// A file to read, among those whose names end in one of `types`
    /// (extensions without dots, comma-separated; empty = any).
    Open {
        /// Accepted extensions: `"png"`, `"png,jpg"`.
        types: &'a str,
    },
    /// A file to read and save back (READ, WRITE, RESIZE).
    Edit {
        /// Accepted extensions.
        types: &'a str,
    },
    /// A file to save into: a new name, or an existing file the user agreed
    /// to replace (READ, WRITE, RESIZE; emptied).
    Save {
        /// The name the chooser proposes.
        suggested: &'a str,
        /// Accepted extensions.
        types: &'a str,
    },
}

/// CHOOSE_FILE's payload; texts cut to `CHOOSE_TEXT_BYTES`.
fn encode_choose(out: &mut [u8; CHOOSE_PAYLOAD_BYTES], window: u32, request: ChooseFile<'_>) -> usize {
    let (mode, types, suggested) = match request {
        ChooseFile::Open { types } => (protocol::CHOOSE_OPEN, types, ""),
        ChooseFile::Edit { types } => (protocol::CHOOSE_EDIT, types, ""),
        ChooseFile::Save { suggested, types } => (protocol::CHOOSE_SAVE, types, suggested),
    };
    let types = cut(types, CHOOSE_TEXT_BYTES);
    let mut w = Writer::new(out);
    w.u32(window);
    w.u32(mode);
    w.u32(types.len() as u32);
    w.raw(types.as_bytes());
    w.raw(cut(suggested, CHOOSE_TEXT_BYTES).as_bytes());
    w.len()
}

/// CREATE_WINDOW's payload; the title is cut to `MAX_TITLE_BYTES`.
fn encode_create(
    out: &mut [u8; CREATE_PAYLOAD_BYTES],
    width: u32,
    height: u32,
    flags: u32,
    format: u32,
    title: &str,
) -> usize {
    let mut w = Writer::new(out);
    w.u32(width);
    w.u32(height);
    w.u32(flags);
    w.u32(format);
    w.raw(cut(title, protocol::MAX_TITLE_BYTES).as_bytes());
    w.len()
}

/// SET_TITLE's payload.
fn encode_title(out: &mut [u8; TITLE_PAYLOAD_BYTES], window: u32, title: &str) -> usize {
    let mut w = Writer::new(out);
    w.u32(window);
    w.raw(cut(title, protocol::MAX_TITLE_BYTES).as_bytes());
    w.len()
}

/// COMMIT's payload: the rectangles clipped to `surface`, empty ones left
/// out. No rectangles means the whole surface: so are too many, and a list
/// that clips to nothing (a commit must still damage something, or no frame
/// is drawn and no `FRAME_DONE` comes).
fn encode_commit(out: &mut [u8; COMMIT_PAYLOAD_BYTES], window: u32, surface: Rect, damage: &[Rect]) -> usize {
    let mut w = Writer::new(out);
    w.u32(window);
    if damage.len() > MAX_DAMAGE_RECTS {
        return w.len();
    }
    for rect in damage {
        let r = rect.intersect(surface);
        if !r.is_empty() {
            w.i32(r.x);
            w.i32(r.y);
            w.i32(r.w);
            w.i32(r.h);
        }
    }
    w.len()
}

/// Bytes of a `width × height` surface, or `BAD_SIZE` as ui_server would say.
fn surface_bytes(width: u32, height: u32) -> Result<usize> {
    if width == 0 || height == 0 || width > MAX_SIZE || height > MAX_SIZE {
        return Err(Error::Protocol(code::BAD_SIZE));
    }
    // At most 8192 × 8192 × 4 = 2^28: fits even a 32-bit usize.
    Ok(width as usize * height as usize * 4)
}

/// What ui_server answered to CREATE_WINDOW.
#[derive(Debug, PartialEq, Eq)]
enum Created<'a> {
    Window { id: u32, x: i32, y: i32, events: Cap },
    Refused { code: i32, message: &'a str },
    /// Not an answer this protocol has.
    Garbled,
}

fn parse_created<'a>(opcode: u32, payload: &'a [u8], cap: Option<Cap>) -> Created<'a> {
    let mut r = Reader::new(payload);
    match (opcode, cap) {
        (protocol::WINDOW_CREATED, Some(events)) => match (r.u32(), r.i32(), r.i32()) {
            (Some(id), Some(x), Some(y)) => Created::Window { id, x, y, events },
            _ => Created::Garbled,
        },
        (protocol::ERROR, _) => match r.i32() {
            Some(code) => Created::Refused { code, message: r.text() },
            None => Created::Garbled,
        },
        _ => Created::Garbled,
    }
}

/// `call` to ui_server. An answer too long for `buf` (ui_server's answers
/// never are) is dropped and reported as `BufferTooSmall`.
fn call_ui<'b>(ui: Cap, opcode: u32, payload: &[u8], transfer: Option<Cap>, buf: &'b mut [u8]) -> Result<Message<'b>> {
    // ui_server answers every request in turn and never waits on an app.
    match ipc::call(ui, opcode, payload, transfer, buf, Timeout::Forever) {
        Err(Error::AnswerParked { reply, needed }) => {
            let _ = release(reply);
            Err(Error::BufferTooSmall { needed: Some(needed) })
        }
        other => other,
    }
}

/// A round trip to ui_server (`SYNC`): returns once every request this
/// actor sent on `ui` before it has been handled.
///
/// Errors: `Protocol(MALFORMED)` if ui_server answers anything but
/// `SYNC_DONE`; from the call `InvalidHandle`, `NoRights`, `QueueFull`,
/// `PeerClosed`.
pub fn sync(ui: Cap) -> Result<()> {
    let mut buf = [0u8; ANSWER_BUFFER_BYTES];
    let answer = call_ui(ui, protocol::SYNC, &[], None, &mut buf)?;
    if let Some(cap) = answer.cap() {
        let _ = release(cap);
    }
    if answer.opcode() == protocol::SYNC_DONE {
        Ok(())
    } else {
        Err(Error::Protocol(code::MALFORMED))
    }
}

/// A window on ui_server, owned by this actor.
///
/// It holds three caps: the surface buffer, the window's event endpoint
/// (RECEIVE) and the ui_server endpoint it was created through. Nothing is
/// released when a `Window` goes out of scope; call [`Window::destroy`]
/// (when the actor ends, the kernel releases its caps and ui_server removes
/// its windows anyway).
#[derive(Debug)]
pub struct Window {
    id: u32,
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    surface: Buffer,
    events: Cap,
    ui: Cap,
}

impl Window {
    /// Creates a `width × height` XRGB8888 window titled `title` (cut to
    /// [`protocol::MAX_TITLE_BYTES`]) through the ui_server endpoint `ui`.
    /// `flags`: 0, or any of [`protocol::FLAG_UNDECORATED`] and
    /// [`protocol::FLAG_TOUCH`] (touches as [`Event::TouchDown`], ...,
    /// rather than as the pointer) or'd together. The window shows once
    /// the app first commits; its first event is [`Event::Configure`].
    ///
    /// Errors: `Protocol(code)` when ui_server refuses (its message is
    /// logged): `BAD_SIZE` (checked here first: 1 to [`MAX_SIZE`]),
    /// `BAD_FORMAT`, `TOO_MANY_WINDOWS`, `NO_RESOURCES`; `Protocol(MALFORMED)`
    /// for an answer that is not in the protocol; from making the surface
    /// buffer `InvalidArgument` (over 64 MiB), `NoMemory`, `NoSpace`; from the
    /// call `InvalidHandle`, `NoRights`, `QueueFull`, `PeerClosed`.
    pub fn create(ui: Cap, width: u32, height: u32, title: &str, flags: u32) -> Result<Window> {
        Window::create_with_format(ui, width, height, title, flags, protocol::FORMAT_XRGB8888)
    }

    /// As [`Window::create`], with a surface `format`
    /// ([`protocol::FORMAT_ARGB8888`]: premultiplied alpha, blended).
    pub fn create_with_format(
        ui: Cap,
        width: u32,
        height: u32,
        title: &str,
        flags: u32,
        format: u32,
    ) -> Result<Window> {
        let surface = Buffer::create(surface_bytes(width, height)?)?;
        let mut payload = [0u8; CREATE_PAYLOAD_BYTES];
        let len = encode_create(&mut payload, width, height, flags, format, title);
        let mut buf = [0u8; ANSWER_BUFFER_BYTES];
        let answer = match call_ui(ui, protocol::CREATE_WINDOW, &payload[..len], Some(surface.cap()), &mut buf) {
            Ok(answer) => answer,
            Err(error) => {
                let _ = surface.release();
                return Err(error);
            }
        };
        match parse_created(answer.opcode(), answer.payload(), answer.cap()) {
            Created::Window { id, x, y, events } => Ok(Window { id, x, y, width, height, surface, events, ui }),
            refused => {
                // ui_server released its copy of the surface; ours goes too.
                let _ = surface.release();
                if let Some(cap) = answer.cap() {
                    let _ = release(cap);
                }
                match refused {
                    Created::Refused { code, message } => {
                        crate::logf!("ui_server refused the window: {}", message);
                        Err(Error::Protocol(code))
                    }
                    _ => {
                        crate::logf!("ui_server answered create-window with opcode {:#x}", answer.opcode());
                        Err(Error::Protocol(code::MALFORMED))
                    }
                }
            }
        }
    }

    /// The window's id (unique on this ui_server).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Where ui_server placed the content's top-left corner on the screen at
    /// creation. The user (or, at boot, ui_server keeping the manifest's
    /// order) may move the window later; apps are not told.
    pub fn position(&self) -> (i32, i32) {
        (self.x, self.y)
    }

    /// Surface width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Surface height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The whole surface, (0, 0, width, height).
    pub fn bounds(&self) -> Rect {
        Rect::of_size(self.width, self.height)
    }

    /// The surface buffer: `width × height` pixels, pixel (x, y) at byte
    /// `(y * width + x) * 4`. Write it with [`Window::upload`] or directly.
    pub fn surface(&self) -> Buffer {
        self.surface
    }

    /// The window's event endpoint (RECEIVE). [`Window::next_event`] reads it.
    pub fn events(&self) -> Cap {
        self.events
    }

    /// The ui_server endpoint the window was created through.
    pub fn ui(&self) -> Cap {
        self.ui
    }

    /// Copies `rect` of `canvas` into the surface (clipped to both), with one
    /// host call per row, or one for a run of whole rows. See [`Canvas::upload`].
    pub fn upload(&self, canvas: &Canvas<'_>, rect: Rect) -> Result<()> {
        canvas.upload(self.surface, self.width, self.height, rect)
    }

    /// Tells ui_server what changed since the last commit: `damage` in
    /// surface coordinates (clipped to it), empty for the whole surface. It
    /// shows at the next frame; [`Event::FrameDone`] follows once it is on
    /// screen. Sending never blocks.
    ///
    /// Errors: `QueueFull` (ui_server is busy: nothing was sent, commit again
    /// later), `PeerClosed` (ui_server is gone), `InvalidHandle`.
    pub fn commit(&self, damage: &[Rect]) -> Result<()> {
        let mut payload = [0u8; COMMIT_PAYLOAD_BYTES];
        let len = encode_commit(&mut payload, self.id, self.bounds(), damage);
        ipc::send(self.ui, protocol::COMMIT, &payload[..len], None)
    }

    /// Uploads `damage` of `canvas` (everything when empty) and commits it:
    /// the usual way to show a frame.
    pub fn present(&self, canvas: &Canvas<'_>, damage: &[Rect]) -> Result<()> {
        if damage.is_empty() {
            self.upload(canvas, self.bounds())?;
        }
        for rect in damage {
            self.upload(canvas, *rect)?;
        }
        self.commit(damage)
    }

    /// Sets the title shown in the title bar (cut to [`protocol::MAX_TITLE_BYTES`]).
    ///
    /// Errors: as [`Window::commit`].
    pub fn set_title(&self, title: &str) -> Result<()> {
        let mut payload = [0u8; TITLE_PAYLOAD_BYTES];
        let len = encode_title(&mut payload, self.id, title);
        ipc::send(self.ui, protocol::SET_TITLE, &payload[..len], None)
    }

    /// Asks the user for a file in the runtime's file chooser, drawn by
    /// ui_server over everything: the app never sees the folders, only the
    /// file the user picks. The answer comes later as an event on this
    /// window: [`Event::FileChosen`] or [`Event::FileNotChosen`]. One
    /// chooser per app at a time.
    ///
    /// Errors: as [`Window::commit`].
    pub fn choose_file(&self, request: ChooseFile<'_>) -> Result<()> {
        let mut payload = [0u8; CHOOSE_PAYLOAD_BYTES];
        let len = encode_choose(&mut payload, self.id, request);
        ipc::send(self.ui, protocol::CHOOSE_FILE, &payload[..len], None)
    }

    /// Gives the window a new, zero-filled (black) surface of `width ×
    /// height`. ui_server shows it at once, so draw and commit right after;
    /// an [`Event::Configure`] with the new size follows.
    ///
    /// Waits until ui_server has switched: the old surface buffer is
    /// released only then (releasing it earlier would revoke ui_server's
    /// copy while a commit sent before the resize may still need it, and
    /// ui_server closes a window whose surface is gone).
    ///
    /// Errors: `Protocol(BAD_SIZE)` (checked here), `Protocol(code)` when
    /// ui_server refuses (`UNKNOWN_WINDOW`: the window is gone), and as
    /// [`Window::create`] for the buffer and the call. On error the window
    /// keeps its surface and size.
    pub fn resize(&mut self, width: u32, height: u32) -> Result<()> {
        let new = Buffer::create(surface_bytes(width, height)?)?;
        let mut payload = [0u8; 12];
        let mut w = Writer::new(&mut payload);
        w.u32(self.id);
        w.u32(width);
        w.u32(height);
        let mut buf = [0u8; ANSWER_BUFFER_BYTES];
        // A call, not a send, to know when RESIZE has been handled (like a
        // SYNC after it, but in one message): ui_server answers a refusal
        // with ERROR and otherwise drops the reply cap once it is done, which
        // ends the call with PeerClosed.
        let refused = match call_ui(self.ui, protocol::RESIZE, &payload, Some(new.cap()), &mut buf) {
            Err(Error::PeerClosed) => None,
            Ok(answer) => {
                if let Some(cap) = answer.cap() {
                    let _ = release(cap);
                }
                match parse_created(answer.opcode(), answer.payload(), None) {
                    Created::Refused { code, message } => {
                        crate::logf!("ui_server refused the resize: {}", message);
                        Some(code)
                    }
                    _ => None,
                }
            }
            Err(error) => {
                let _ = new.release();
                return Err(error);
            }
        };
        if let Some(code) = refused {
            let _ = new.release();
            return Err(Error::Protocol(code));
        }
        let _ = self.surface.release();
        self.surface = new;
        self.width = width;
        self.height = height;
        Ok(())
    }

    /// Waits up to `timeout` for the window's next event and decodes it into
    /// `buf` (which it borrows; [`EVENT_BUFFER_BYTES`] holds any event).
    ///
    /// A [`Event::Configure`] asking for another size than the surface's is
    /// acted on before it is returned: the window gets a new, zero-filled
    /// surface of that size (see [`Window::resize`]), so the event tells the
    /// app to lay itself out for `width × height` and draw everything again.
    /// ui_server configures a kiosk app to the size of the screen, so an app
    /// that follows this event is fullscreen there. Should the new surface
    /// be refused (too big for a buffer, say), the reason is logged and the
    /// event carries the size the surface kept. One that matches the
    /// surface (the first after [`Window::create`] on the desktop, and the
    /// one after each resize) changes nothing: compare it with the size you
    /// drew for.
    ///
    /// Errors: `WouldBlock`/`TimedOut` (nothing came: see
    /// [`Error::is_timeout`]), `BufferTooSmall { needed }` (the event stays
    /// queued: read it with a bigger buffer), `InvalidHandle` or `PeerClosed`
    /// (the window is gone: ui_server removed it).
    pub fn next_event<'b>(&mut self, buf: &'b mut [u8], timeout: Timeout) -> Result<Event<'b>> {
        let message = ipc::recv_timeout(self.events, buf, timeout)?;
        if let Some(cap) = message.cap() {
            let _ = release(cap); // no event carries one
        }
        Ok(match Event::decode(message.opcode(), message.payload()) {
            Event::Configure { width, height } => self.configure(width, height),
            event => event,
        })
    }

    /// Follows ui_server's CONFIGURE to `width × height`; returns the event
    /// with the size the surface has now.
    fn configure(&mut self, width: u32, height: u32) -> Event<'static> {
        if (width, height) != (self.width, self.height) {
            if let Err(error) = self.resize(width, height) {
                crate::logf!("cannot resize the window to {}x{} as configured: {}", width, height, error);
            }
        }
        Event::Configure { width: self.width, height: self.height }
    }

    /// Removes the window and releases its caps. If ui_server's queue stays
    /// full the request is retried for a while, then `QueueFull` is returned
    /// (the caps are released anyway; the window goes when the actor ends).
    /// When ui_server has ended (the desktop is stopping) there is no window
    /// left to remove: that is `Ok`.
    pub fn destroy(self) -> Result<()> {
        let id = self.id.to_le_bytes();
        let mut result = ipc::send(self.ui, protocol::DESTROY_WINDOW, &id, None);
        let mut tries = 0;
        while result == Err(Error::QueueFull) && tries < 1000 {
            yield_now();
            result = ipc::send(self.ui, protocol::DESTROY_WINDOW, &id, None);
            tries += 1;
        }
        // ui_server's releases revoke our event cap; it may already be gone.
        let _ = release(self.events);
        let _ = self.surface.release();
        match result {
            Err(Error::PeerClosed) | Err(Error::InvalidHandle) => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tests::payload;

    #[test]
    fn encodes_create() {
        let mut out = [0u8; CREATE_PAYLOAD_BYTES];
        let len = encode_create(&mut out, 320, 200, protocol::FLAG_UNDECORATED, protocol::FORMAT_XRGB8888, "demo");
        let (want, want_len) = payload(&[320, 200, 1, 0], b"demo");
        assert_eq!(&out[..len], &want[..want_len]);
        // A long title is cut at a character boundary within MAX_TITLE_BYTES.
        let mut long = [b'a'; 300];
        long[255] = 0xc3; // 'é' = c3 a9 straddling byte 256
        long[256] = 0xa9;
        let title = core::str::from_utf8(&long).unwrap();
        let len = encode_create(&mut out, 1, 1, 0, 0, title);
        assert_eq!(len, 16 + 255);
        assert!(core::str::from_utf8(&out[16..len]).is_ok());
    }

    #[test]
    fn encodes_title() {
        let mut out = [0u8; TITLE_PAYLOAD_BYTES];
        let len = encode_title(&mut out, 9, "paint");
        let (want, want_len) = payload(&[9], b"paint");
        assert_eq!(&out[..len], &want[..want_len]);
    }

    #[test]
    fn encodes_choose_file() {
        let mut out = [0u8; CHOOSE_PAYLOAD_BYTES];
        let len = encode_choose(&mut out, 4, ChooseFile::Save { suggested: "drawing.png", types: "png" });
        let (want, want_len) = payload(&[4, protocol::CHOOSE_SAVE, 3], b"pngdrawing.png");
        assert_eq!(&out[..len], &want[..want_len]);
        let len = encode_choose(&mut out, 4, ChooseFile::Open { types: "" });
        let (want, want_len) = payload(&[4, protocol::CHOOSE_OPEN, 0], b"");
        assert_eq!(&out[..len], &want[..want_len]);
        let len = encode_choose(&mut out, 4, ChooseFile::Edit { types: "png,jpg" });
        let (want, want_len) = payload(&[4, protocol::CHOOSE_EDIT, 7], b"png,jpg");
        assert_eq!(&out[..len], &want[..want_len]);
    }

    #[test]
    fn encodes_commit() {
        let surface = Rect::of_size(320, 200);
        let mut out = [0u8; COMMIT_PAYLOAD_BYTES];
        // Whole surface: no rectangles.
        assert_eq!(encode_commit(&mut out, 3, surface, &[]), 4);
        assert_eq!(&out[..4], &3u32.to_le_bytes());
        // Rectangles are clipped; empty ones dropped.
        let damage = [Rect::new(-5, 10, 20, 5), Rect::new(400, 0, 5, 5), Rect::new(300, 190, 50, 50)];
        let len = encode_commit(&mut out, 3, surface, &damage);
        let (want, want_len) = payload(&[3, 0, 10, 15, 5, 300, 190, 20, 10], b"");
        assert_eq!(&out[..len], &want[..want_len]);
        // All clipped away, or more than ui_server takes: the whole surface.
        assert_eq!(encode_commit(&mut out, 3, surface, &[Rect::new(0, 0, 0, 9)]), 4);
        let many = [Rect::new(0, 0, 1, 1); MAX_DAMAGE_RECTS + 1];
        assert_eq!(encode_commit(&mut out, 3, surface, &many), 4);
        let most = [Rect::new(0, 0, 1, 1); MAX_DAMAGE_RECTS];
        assert_eq!(encode_commit(&mut out, 3, surface, &most), COMMIT_PAYLOAD_BYTES);
    }

    #[test]
    fn parses_create_answers() {
        let (ok, len) = payload(&[12, 40, (-8i32) as u32], b"");
        assert_eq!(
            parse_created(protocol::WINDOW_CREATED, &ok[..len], Some(Cap(5))),
            Created::Window { id: 12, x: 40, y: -8, events: Cap(5) }
        );
        assert_eq!(parse_created(protocol::WINDOW_CREATED, &ok[..len], None), Created::Garbled);
        assert_eq!(parse_created(protocol::WINDOW_CREATED, &ok[..8], Some(Cap(5))), Created::Garbled);
        let (refused, len) = payload(&[protocol::error::TOO_MANY_WINDOWS as u32], b"at most 16 windows per app");
        assert_eq!(
            parse_created(protocol::ERROR, &refused[..len], None),
            Created::Refused { code: protocol::error::TOO_MANY_WINDOWS, message: "at most 16 windows per app" }
        );
        assert_eq!(parse_created(protocol::ERROR, &refused[..2], None), Created::Garbled);
        assert_eq!(parse_created(protocol::CONFIGURE, &ok[..len], None), Created::Garbled);
    }

    #[test]
    fn checks_sizes() {
        assert_eq!(surface_bytes(320, 200), Ok(320 * 200 * 4));
        assert_eq!(surface_bytes(MAX_SIZE, MAX_SIZE), Ok(1 << 28));
        assert_eq!(surface_bytes(0, 5), Err(Error::Protocol(code::BAD_SIZE)));
        assert_eq!(surface_bytes(5, MAX_SIZE + 1), Err(Error::Protocol(code::BAD_SIZE)));
    }

    #[test]
    fn cuts_titles_at_a_character() {
        assert_eq!(cut("abc", 2), "ab");
        assert_eq!(cut("aé", 2), "a");
        assert_eq!(cut("aé", 3), "aé");
    }
}
