//! Calculation plugins: the protocol between the fractal viewer and its
//! workers, and the worker's side of it
//! ([`formula_plugin!`](crate::formula_plugin), [`serve`]). No allocator needed.
//!
//! A worker is spawned from the formulas directory with the app's results
//! endpoint as its handle 2. It takes [`RENDER`] requests on its boot
//! endpoint (handle 1), with a buffer cap (WRITE) for the result and a
//! [`Tile`] as payload, and computes one `u32` per sample: the escape
//! iteration count, or `iterations` for a point that never escaped. It
//! writes them row after row into the buffer and answers [`TILE_DONE`]
//! (payload: job `u32`) — on the reply cap if the request was a call, else
//! on handle 2 — or [`ERROR`] (job `u32`, code `u32`, message UTF-8).
//! [`PING`] is ignored: an app sends it to learn whether the worker still
//! lives (a send to a dead actor fails with `PeerClosed`).
//!
//! Sample (i, j) of a tile is pixel (x0 + i·stride, y0 + j·stride) of the
//! image, and stands for the complex number
//! `re = left + px·step`, `im = top − py·step` (f64, in that order; see
//! [`Tile::point`]). A whole tile must finish within the host's watchdog
//! (500 million instructions between host calls): keep
//! `samples × iterations` within about 10 million.
//!
//! This file is the protocol's definition; `Sources/AppProtocols/FormulaProtocol.swift`
//! and `docs/plugins.md` restate it (checked by `PluginProtocolAgreementTests`).

use crate::abi::MESSAGE_HEADER_SIZE;
use crate::buffer::Buffer;
use crate::caps::{release, Cap};
use crate::error::Error;
use crate::ipc::{recv, reply, send, Message};
use crate::wire::{Reader, Writer};

/// Render a tile: a [`Tile`] payload and a buffer cap (WRITE).
pub const RENDER: u32 = 0x0700;
/// Are you alive? Ignored by the worker.
pub const PING: u32 = 0x0701;
/// A tile is rendered: job u32.
pub const TILE_DONE: u32 = 0x0780;
/// A tile was refused: job u32, code u32, message UTF-8.
pub const ERROR: u32 = 0x07FF;

/// The most samples one tile may have (64 × 64).
pub const MAX_TILE_SAMPLES: usize = 4096;
/// Bytes of a [`RENDER`] payload.
pub const TILE_BYTES: usize = 68;

/// Codes in an [`ERROR`] answer.
pub mod error {
    /// Unknown opcode, or a payload too short.
    pub const MALFORMED: u32 = 1;
    /// No samples, more than [`MAX_TILE_SAMPLES`](super::MAX_TILE_SAMPLES),
    /// stride 0, or no buffer large enough.
    pub const BAD_TILE: u32 = 2;
    /// Writing the buffer failed.
    pub const BUFFER_FAILED: u32 = 3;
}

/// A [`RENDER`] request: which samples, and the view they lie in.
///
/// | offset | type | field |
/// |---|---|---|
/// | 0 | u32 | job: echoed in the answer |
/// | 4 | i32 | x0: pixel column of sample (0, 0) |
/// | 8 | i32 | y0: pixel row of sample (0, 0) |
/// | 12 | u32 | columns |
/// | 16 | u32 | rows |
/// | 20 | u32 | stride: pixels between samples |
/// | 24 | u32 | iterations: the most to run |
/// | 28 | f64 | left: `re` of pixel column 0 |
/// | 36 | f64 | top: `im` of pixel row 0 |
/// | 44 | f64 | step: complex units per pixel |
/// | 52 | f64 | p0: the formula's parameter (Julia: `re` of c) |
/// | 60 | f64 | p1: (Julia: `im` of c) |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tile {
    /// The caller's name for this request, echoed back.
    pub job: u32,
    /// Pixel column of sample (0, 0).
    pub x0: i32,
    /// Pixel row of sample (0, 0).
    pub y0: i32,
    /// Samples across.
    pub columns: u32,
    /// Samples down.
    pub rows: u32,
    /// Pixels between neighbouring samples.
    pub stride: u32,
    /// The most iterations to run for a sample.
    pub iterations: u32,
    /// `re` of pixel column 0.
    pub left: f64,
    /// `im` of pixel row 0.
    pub top: f64,
    /// Complex units per pixel.
    pub step: f64,
    /// The formula's first parameter.
    pub p0: f64,
    /// The formula's second parameter.
    pub p1: f64,
}

impl Tile {
    /// The samples in the tile, if its shape is valid: at least one, at
    /// most [`MAX_TILE_SAMPLES`], stride at least 1.
    pub fn samples(&self) -> Option<usize> {
        let n = (self.columns as usize).checked_mul(self.rows as usize)?;
        if n == 0 || n > MAX_TILE_SAMPLES || self.stride == 0 {
            None
        } else {
            Some(n)
        }
    }

    /// The complex number of sample (i, j):
    /// `px = x0 + i·stride`, `py = y0 + j·stride` (integers), then
    /// `re = left + (px as f64) * step` and `im = top - (py as f64) * step`.
    pub fn point(&self, i: u32, j: u32) -> (f64, f64) {
        let px = self.x0 as i64 + i as i64 * self.stride as i64;
        let py = self.y0 as i64 + j as i64 * self.stride as i64;
        (self.left + px as f64 * self.step, self.top - py as f64 * self.step)
    }

    /// Decodes a [`RENDER`] payload (`None` if shorter than [`TILE_BYTES`]).
    pub fn decode(payload: &[u8]) -> Option<Tile> {
        let mut r = Reader::new(payload);
        // Fields are read in the order written.
        Some(Tile {
            job: r.u32()?,
            x0: r.i32()?,
            y0: r.i32()?,
            columns: r.u32()?,
            rows: r.u32()?,
            stride: r.u32()?,
            iterations: r.u32()?,
            left: r.f64()?,
            top: r.f64()?,
            step: r.f64()?,
            p0: r.f64()?,
            p1: r.f64()?,
        })
    }

    /// The [`RENDER`] payload.
    pub fn encode(&self) -> [u8; TILE_BYTES] {
        let mut out = [0u8; TILE_BYTES];
        let mut w = Writer::new(&mut out);
        w.u32(self.job);
        w.i32(self.x0);
        w.i32(self.y0);
        for v in [self.columns, self.rows, self.stride, self.iterations] {
            w.u32(v);
        }
        for v in [self.left, self.top, self.step, self.p0, self.p1] {
            w.f64(v);
        }
        out
    }
}

/// Fills `out` (one per sample, row after row) with `escape(re, im, tile)`
/// for each sample's point: the loop a per-point formula needs.
pub fn render_each<F: Fn(f64, f64, &Tile) -> u32>(tile: &Tile, out: &mut [u32], escape: F) {
    let columns = tile.columns as usize;
    for j in 0..tile.rows {
        let row = &mut out[j as usize * columns..(j as usize + 1) * columns];
        for (i, value) in row.iter_mut().enumerate() {
            let (re, im) = tile.point(i as u32, j);
            *value = escape(re, im, tile);
        }
    }
}

/// `|x|` (core's `f64::abs` needs Rust 1.85 without std).
pub fn abs(x: f64) -> f64 {
    f64::from_bits(x.to_bits() & !(1u64 << 63))
}

/// The requests a worker answers (handle 1) and where plain-send answers go (handle 2).
const REQUESTS: Cap = Cap(1);
const RESULTS: Cap = Cap(2);

/// Runs a worker: renders each [`RENDER`] request's tile with `render`
/// (given the tile and one `u32` per sample to fill), until the endpoint is
/// gone. [`formula_plugin!`](crate::formula_plugin) calls this from `_start`.
pub fn serve<F: FnMut(&Tile, &mut [u32])>(mut render: F) {
    let mut buf = [0u8; MESSAGE_HEADER_SIZE + 128];
    let mut out = [0u32; MAX_TILE_SAMPLES];
    loop {
        let message = match recv(REQUESTS, &mut buf) {
            Ok(message) => message,
            Err(Error::BufferTooSmall { .. }) => {
                // Nothing this protocol sends is that long: take it and drop it.
                let mut big = [0u8; MESSAGE_HEADER_SIZE + crate::abi::MAX_PAYLOAD];
                if let Ok(message) = recv(REQUESTS, &mut big) {
                    release_all(&message);
                }
                continue;
            }
            Err(_) => return,
        };
        if message.opcode() == PING {
            release_all(&message);
            continue;
        }
        let tile = Tile::decode(message.payload());
        let job = tile.map(|t| t.job).unwrap_or(0);
        let outcome = match (message.opcode(), tile) {
            (RENDER, Some(tile)) => render_tile(&tile, message.cap(), &mut out, &mut render),
            _ => Err((error::MALFORMED, "not a render request")),
        };
        if let Some(cap) = message.cap() {
            let _ = release(cap);
        }
        answer(&message, job, outcome);
    }
}

fn render_tile<F: FnMut(&Tile, &mut [u32])>(
    tile: &Tile,
    cap: Option<Cap>,
    out: &mut [u32; MAX_TILE_SAMPLES],
    render: &mut F,
) -> Result<(), (u32, &'static str)> {
    let samples = tile.samples().ok_or((error::BAD_TILE, "bad tile shape"))?;
    let buffer = Buffer::from_cap(cap.ok_or((error::BAD_TILE, "no buffer cap"))?);
    let out = &mut out[..samples];
    out.fill(0);
    render(tile, out);
    // SAFETY: u32 has no padding; little-endian bytes are what the buffer holds.
    let bytes = unsafe { core::slice::from_raw_parts(out.as_ptr() as *const u8, samples * 4) };
    buffer.write(0, bytes).map_err(|e| match e {
        Error::OutOfBounds => (error::BAD_TILE, "buffer too small for the tile"),
        _ => (error::BUFFER_FAILED, "cannot write the buffer"),
    })
}

fn answer(message: &Message<'_>, job: u32, outcome: Result<(), (u32, &'static str)>) {
    let mut payload = [0u8; 8 + 64];
    let mut w = Writer::new(&mut payload);
    w.u32(job);
    let opcode = match outcome {
        Ok(()) => TILE_DONE,
        Err((code, words)) => {
            w.u32(code);
            w.raw(&words.as_bytes()[..words.len().min(64)]);
            ERROR
        }
    };
    let len = w.len();
    // The app may be gone or busy; a lost answer is the app's to notice.
    let _ = match message.reply() {
        Some(reply_cap) => reply(reply_cap, opcode, &payload[..len], None),
        None => send(RESULTS, opcode, &payload[..len], None),
    };
}

fn release_all(message: &Message<'_>) {
    if let Some(cap) = message.cap() {
        let _ = release(cap);
    }
    if let Some(reply_cap) = message.reply() {
        let _ = release(reply_cap);
    }
}

/// Defines `_start` for a calculation plugin around a per-point function
/// `fn(re: f64, im: f64, tile: &Tile) -> u32` (the escape iteration count).
///
/// ```ignore
/// wsk::formula_plugin!(mandelbrot);
/// fn mandelbrot(re: f64, im: f64, tile: &wsk::formula::Tile) -> u32 { /* ... */ 0 }
/// ```
#[macro_export]
macro_rules! formula_plugin {
    ($escape:path) => {
        // Only in the Wasm build: a host `cargo test` binary has its own `_start`.
        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub extern "C" fn _start() {
            $crate::__runtime_init();
            $crate::formula::serve(|tile, out| $crate::formula::render_each(tile, out, $escape));
        }
        #[cfg(not(target_arch = "wasm32"))]
        #[doc(hidden)]
        pub static __WSK_FORMULA: fn(f64, f64, &$crate::formula::Tile) -> u32 = $escape;
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile() -> Tile {
        Tile {
            job: 7,
            x0: -64,
            y0: 128,
            columns: 16,
            rows: 8,
            stride: 8,
            iterations: 256,
            left: -2.5,
            top: 1.25,
            step: 1.0 / 128.0,
            p0: -0.8,
            p1: 0.156,
        }
    }

    #[test]
    fn round_trips() {
        let t = tile();
        assert_eq!(Tile::decode(&t.encode()), Some(t));
        assert_eq!(Tile::decode(&t.encode()[..TILE_BYTES - 1]), None);
        assert_eq!(&t.encode()[4..8], &(-64i32).to_le_bytes());
    }

    #[test]
    fn points() {
        let t = tile();
        assert_eq!(t.point(0, 0), (-2.5 + -64.0 / 128.0, 1.25 - 1.0));
        assert_eq!(t.point(2, 1), (-2.5 + -48.0 / 128.0, 1.25 - 136.0 / 128.0));
        assert_eq!(t.samples(), Some(128));
        assert_eq!(Tile { stride: 0, ..t }.samples(), None);
        assert_eq!(Tile { columns: 65, rows: 64, ..t }.samples(), None);
        assert_eq!(Tile { rows: 0, ..t }.samples(), None);
    }

    #[test]
    fn renders_each_point() {
        let t = Tile { columns: 3, rows: 2, ..tile() };
        let mut out = [0u32; 6];
        render_each(&t, &mut out, |re, im, _| if re == t.point(1, 1).0 && im == t.point(1, 1).1 { 9 } else { 1 });
        assert_eq!(out, [1, 1, 1, 1, 9, 1]);
        assert_eq!(abs(-2.5), 2.5);
        assert_eq!(abs(0.0).to_bits(), 0);
        assert_eq!(abs(-0.0).to_bits(), 0);
    }
}
