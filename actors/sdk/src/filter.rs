//! Filter plugins (cargo feature `alloc`): the protocol between an app
//! such as paint and an image filter, the plugin's side of it
//! ([`filter_plugin!`](crate::filter_plugin), [`serve`]) and the app's
//! ([`describe`], [`apply`]). `docs/plugins.md` walks through writing one.
//!
//! A plugin is an actor spawned from the plugins directory. Its boot
//! endpoint (handle 1) takes two calls:
//!
//! - [`DESCRIBE`], no payload: answered with [`DESCRIPTION`], UTF-8 text:
//!   the filter's name on the first line, then one line per parameter,
//!   `name min max default` (decimal `i32`s).
//! - [`APPLY`], with a buffer cap (READ, WRITE) holding the image,
//!   `width × height` pixels of XRGB8888 (`0x00RRGGBB`), row after row.
//!   Payload: width `u32`, height `u32`, then parameter values `i32`, in
//!   the order DESCRIPTION lists them (missing ones take their default,
//!   values are clamped to their range, extra ones are ignored). The
//!   plugin reads the image into its own memory, filters it, writes it
//!   back and answers [`DONE`] (payload: the filter's own time, `u64`
//!   nanoseconds, or nothing), or [`ERROR`]: code `u32` ([`error`]),
//!   message UTF-8.
//!
//! The caller decides what to trust: paint lends a copy of its canvas, waits
//! a bounded time, revokes the cap, and only then takes the result.
//!
//! These numbers restate nothing: this file is their definition;
//! `Sources/AppProtocols/FilterProtocol.swift` and `docs/plugins.md` restate
//! them, and the test `PluginProtocolAgreementTests` fails when they drift.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::abi::MESSAGE_HEADER_SIZE;
use crate::buffer::Buffer;
use crate::caps::{release, Cap};
use crate::error::{Error, Result};
use crate::ipc::{call, recv, reply, Message, Timeout};
use crate::wire::{Reader, Writer};

/// Describe yourself: answered with [`DESCRIPTION`].
pub const DESCRIBE: u32 = 0x0600;
/// Filter the image in the passed buffer: answered with [`DONE`] or [`ERROR`].
pub const APPLY: u32 = 0x0601;
/// Answer to [`DESCRIBE`]: name line, then `name min max default` lines.
pub const DESCRIPTION: u32 = 0x0680;
/// Answer to [`APPLY`]: the buffer holds the filtered image. Payload: how
/// long the filter function took, `u64` nanoseconds by the plugin's clock
/// (`sys_time_now`; the copies in and out not included), or nothing. A
/// figure for benchmarks, which callers may ignore.
pub const DONE: u32 = 0x0681;
/// Answer to a request the plugin refused: code u32, message UTF-8.
pub const ERROR: u32 = 0x06FF;

/// The most parameters a filter has.
pub const MAX_PARAMS: usize = 8;
/// The largest width or height of an image.
pub const MAX_SIDE: u32 = 8192;
/// The largest image, in pixels (a 64 MiB buffer).
pub const MAX_PIXELS: usize = 16 * 1024 * 1024;

/// Codes in an [`ERROR`] answer.
pub mod error {
    /// Unknown opcode, or a payload too short for its fields.
    pub const MALFORMED: u32 = 1;
    /// Width or height 0 or too large, or no buffer cap, or a buffer
    /// smaller than `width × height × 4` bytes.
    pub const BAD_IMAGE: u32 = 2;
    /// The plugin could not allocate the image.
    pub const NO_MEMORY: u32 = 3;
    /// Reading or writing the buffer failed (no READ or WRITE right, or
    /// the cap was revoked meanwhile).
    pub const BUFFER_FAILED: u32 = 4;
}

/// One parameter of a filter: an `i32` in `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// Its name, one word (no spaces).
    pub name: &'static str,
    /// The smallest value.
    pub min: i32,
    /// The largest value.
    pub max: i32,
    /// The value when the caller sends none.
    pub default: i32,
}

impl Param {
    /// A parameter `name` in `min..=max`, `default` when not given.
    pub const fn new(name: &'static str, min: i32, max: i32, default: i32) -> Param {
        Param { name, min, max, default }
    }
}

/// What [`DESCRIBE`] answers: the filter's name and parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterInfo {
    /// The name shown in menus.
    pub name: &'static str,
    /// The parameters, in the order [`APPLY`] takes their values.
    pub params: &'static [Param],
}

/// The parameter values of one request: clamped, defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    values: [i32; MAX_PARAMS],
    names: &'static [Param],
}

impl Params {
    /// Resolves the values a caller sent against the declared parameters.
    pub fn resolve(declared: &'static [Param], sent: &[i32]) -> Params {
        let mut values = [0; MAX_PARAMS];
        for (i, param) in declared.iter().take(MAX_PARAMS).enumerate() {
            let value = sent.get(i).copied().unwrap_or(param.default);
            values[i] = value.max(param.min).min(param.max);
        }
        Params { values, names: declared }
    }

    /// The value of parameter `index` (0 if there is none).
    pub fn get(&self, index: usize) -> i32 {
        self.values.get(index).copied().unwrap_or(0)
    }

    /// The value of the parameter called `name` (0 if there is none).
    pub fn named(&self, name: &str) -> i32 {
        match self.names.iter().position(|p| p.name == name) {
            Some(index) => self.get(index),
            None => 0,
        }
    }
}

/// An XRGB8888 image in the plugin's own memory: `width × height` pixels
/// `0x00RRGGBB`, row after row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    width: u32,
    height: u32,
    pixels: Vec<u32>,
}

impl Image {
    /// A black image, or `None` if the size is 0, over [`MAX_SIDE`], or the
    /// memory cannot be had.
    pub fn new(width: u32, height: u32) -> Option<Image> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return None;
        }
        let count = width as usize * height as usize;
        let mut pixels = Vec::new();
        pixels.try_reserve_exact(count).ok()?;
        pixels.resize(count, 0);
        Some(Image { width, height, pixels })
    }

    /// Makes this image `width × height`, keeping its memory when that is
    /// large enough: the pixels are then whatever was there, zeros only
    /// where the image grew. False for a size [`Image::new`] refuses (the
    /// image unchanged), or when the memory cannot be had (the image left
    /// empty).
    fn reuse_as(&mut self, width: u32, height: u32) -> bool {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return false;
        }
        let count = width as usize * height as usize;
        if count > self.pixels.capacity() {
            // Let the old memory go first: growing the Vec would copy it.
            *self = Image::empty();
            if self.pixels.try_reserve_exact(count).is_err() {
                return false;
            }
        }
        self.pixels.resize(count, 0);
        self.width = width;
        self.height = height;
        true
    }

    /// No pixels, no memory.
    const fn empty() -> Image {
        Image { width: 0, height: 0, pixels: Vec::new() }
    }

    /// An image over `pixels` (`width × height` of them), or `None` if the
    /// count is wrong.
    pub fn from_pixels(width: u32, height: u32, pixels: Vec<u32>) -> Option<Image> {
        if pixels.len() != width as usize * height as usize {
            return None;
        }
        Some(Image { width, height, pixels })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// All pixels, row after row.
    pub fn pixels(&self) -> &[u32] {
        &self.pixels
    }

    /// Replaces each pixel `p` with `f(p)`: the loop of a filter that looks
    /// at one pixel at a time. Keeps the watchdog fed on large images.
    pub fn map<F: Fn(u32) -> u32>(&mut self, f: F) {
        for block in self.pixels.chunks_mut(MAP_BLOCK) {
            keep_alive();
            // Eight pixels a loop round: compiled code counts the watchdog's
            // instructions once a round, which costs as much as a short body.
            let mut rounds = block.chunks_exact_mut(8);
            for eight in &mut rounds {
                for pixel in eight {
                    *pixel = f(*pixel);
                }
            }
            for pixel in rounds.into_remainder() {
                *pixel = f(*pixel);
            }
        }
    }

    /// All pixels, to change in place.
    pub fn pixels_mut(&mut self) -> &mut [u32] {
        &mut self.pixels
    }

    /// The pixels, giving up the image.
    pub fn into_pixels(self) -> Vec<u32> {
        self.pixels
    }

    /// Row `y`.
    pub fn row(&self, y: u32) -> &[u32] {
        let w = self.width as usize;
        &self.pixels[y as usize * w..(y as usize + 1) * w]
    }

    /// Row `y`, to change in place.
    pub fn row_mut(&mut self, y: u32) -> &mut [u32] {
        let w = self.width as usize;
        &mut self.pixels[y as usize * w..(y as usize + 1) * w]
    }

    /// Pixel (x, y) with coordinates clamped to the image: edge pixels
    /// extend outwards, as convolution filters want.
    pub fn clamped(&self, x: i32, y: i32) -> u32 {
        let x = x.max(0).min(self.width as i32 - 1) as usize;
        let y = y.max(0).min(self.height as i32 - 1) as usize;
        self.pixels[y * self.width as usize + x]
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: u32 has no padding and u8 no alignment; the bytes are in
        // bounds and borrowed as long as the pixels. Little-endian (Wasm),
        // so they are XRGB8888 as the buffer holds it.
        unsafe { core::slice::from_raw_parts_mut(self.pixels.as_mut_ptr() as *mut u8, self.pixels.len() * 4) }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: as in `bytes_mut`.
        unsafe { core::slice::from_raw_parts(self.pixels.as_ptr() as *const u8, self.pixels.len() * 4) }
    }
}

/// Tells the host this plugin is still working: one cheap host call (the
/// clock), which restarts the watchdog's count of instructions (500 million
/// between host calls, about a second of interpreted code). Call it once a
/// row or so in filters that make several passes over large images; the
/// caller's time budget still bounds the whole request.
pub fn keep_alive() {
    // On the host (`cargo test`) there is no watchdog, and no host to call.
    #[cfg(target_arch = "wasm32")]
    let _ = crate::actor::now();
}

/// Nanoseconds on the host's clock; 0 in host unit tests.
fn clock() -> u64 {
    #[cfg(target_arch = "wasm32")]
    return crate::actor::now();
    #[cfg(not(target_arch = "wasm32"))]
    return 0;
}

/// Pixels [`Image::map`] filters between two calls of [`keep_alive`].
const MAP_BLOCK: usize = 64 * 1024;

/// The red, green and blue of a pixel.
pub const fn channels(pixel: u32) -> (u32, u32, u32) {
    ((pixel >> 16) & 0xff, (pixel >> 8) & 0xff, pixel & 0xff)
}

/// The pixel of red, green and blue (each 0..=255).
pub const fn rgb(r: u32, g: u32, b: u32) -> u32 {
    (r << 16) | (g << 8) | b
}

/// A refusal: an [`error`] code and words for the log.
type Refusal = (u32, &'static str);

/// The requests a plugin answers on its boot endpoint (handle 1).
const REQUESTS: Cap = Cap(1);

/// Runs a filter plugin: answers [`DESCRIBE`] with `info` and [`APPLY`]
/// with `filter`, until the endpoint is gone. [`filter_plugin!`](crate::filter_plugin)
/// calls this from `_start`.
pub fn serve(info: &'static FilterInfo, filter: fn(&mut Image, &Params)) {
    let mut buf = [0u8; MESSAGE_HEADER_SIZE + 256];
    // One image for all requests: a picture no larger than the last one
    // (paint's canvas keeps its size) needs no allocation and no clearing.
    let mut image = Image::empty();
    loop {
        let message = match recv(REQUESTS, &mut buf) {
            Ok(message) => message,
            Err(Error::BufferTooSmall { needed: Some(needed) }) => {
                drop_oversized(needed);
                continue;
            }
            Err(_) => return, // endpoint gone: nobody can ask any more
        };
        handle(info, filter, &message, &mut image);
    }
}

/// What a request is answered with.
enum Answer {
    Description(String),
    /// The filter's time in nanoseconds.
    Done(u64),
}

fn handle(info: &'static FilterInfo, filter: fn(&mut Image, &Params), message: &Message<'_>, image: &mut Image) {
    let answer = match message.opcode() {
        DESCRIBE => Ok(Answer::Description(description(info))),
        APPLY => apply_request(info, filter, message.payload(), message.cap(), image).map(Answer::Done),
        _ => Err((error::MALFORMED, "unknown request")),
    };
    if let Some(cap) = message.cap() {
        let _ = release(cap);
    }
    let reply_cap = match message.reply() {
        Some(cap) => cap,
        None => return, // a plain send: nobody to tell
    };
    // The caller may have stopped waiting; nothing to do about that.
    let _ = match answer {
        Ok(Answer::Description(text)) => reply(reply_cap, DESCRIPTION, text.as_bytes(), None),
        Ok(Answer::Done(nanoseconds)) => reply(reply_cap, DONE, &nanoseconds.to_le_bytes(), None),
        Err((code, words)) => {
            let mut payload = alloc::vec![0u8; 4 + words.len()];
            let mut w = Writer::new(&mut payload);
            w.u32(code);
            w.raw(words.as_bytes());
            reply(reply_cap, ERROR, &payload, None)
        }
    };
}

/// Receives (and refuses) a message too big for the request buffer, so it
/// does not block the queue.
fn drop_oversized(needed: usize) {
    let mut big = Vec::new();
    if big.try_reserve_exact(needed).is_err() {
        return;
    }
    big.resize(needed, 0);
    if let Ok(message) = recv(REQUESTS, &mut big) {
        if let Some(cap) = message.cap() {
            let _ = release(cap);
        }
        if let Some(reply_cap) = message.reply() {
            let _ = reply(reply_cap, ERROR, &error::MALFORMED.to_le_bytes(), None);
        }
    }
}

/// The [`DESCRIPTION`] text of `info`.
pub fn description(info: &FilterInfo) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}", info.name);
    for p in info.params.iter().take(MAX_PARAMS) {
        let _ = writeln!(text, "{} {} {} {}", p.name, p.min, p.max, p.default);
    }
    text
}

/// Reads the image into `image`, filters it, writes it back: the filter's
/// time in nanoseconds.
fn apply_request(
    info: &'static FilterInfo,
    filter: fn(&mut Image, &Params),
    payload: &[u8],
    cap: Option<Cap>,
    image: &mut Image,
) -> core::result::Result<u64, Refusal> {
    let request = ApplyRequest::decode(payload).ok_or((error::MALFORMED, "payload too short"))?;
    let buffer = Buffer::from_cap(cap.ok_or((error::BAD_IMAGE, "no buffer cap"))?);
    let (w, h) = (request.width, request.height);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || w as usize * h as usize > MAX_PIXELS {
        return Err((error::BAD_IMAGE, "image size out of range"));
    }
    match buffer.size() {
        Ok(size) if size >= w as u64 * h as u64 * 4 => {}
        Ok(_) => return Err((error::BAD_IMAGE, "buffer smaller than the image")),
        Err(_) => return Err((error::BAD_IMAGE, "the cap is not a buffer")),
    }
    if !image.reuse_as(w, h) {
        return Err((error::NO_MEMORY, "no memory for the image"));
    }
    buffer.read(0, image.bytes_mut()).map_err(|_| (error::BUFFER_FAILED, "cannot read the buffer"))?;
    let params = Params::resolve(info.params, &request.params[..request.count]);
    // The filter is called through a pointer the optimizer cannot see
    // through, so that it stays a function of its own. Inlined here, deep in
    // the request's branches, its loops look rarely run to the compiled
    // tier's C compiler, which then optimizes them for size (a division by
    // a constant becomes a `div` instruction, several times slower).
    // SAFETY: a read of a local variable.
    let filter = unsafe { core::ptr::read_volatile(&filter) };
    let start = clock();
    filter(image, &params);
    let took = clock().wrapping_sub(start);
    buffer.write(0, image.bytes()).map_err(|_| (error::BUFFER_FAILED, "cannot write the buffer"))?;
    Ok(took)
}

/// An [`APPLY`] payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplyRequest {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Parameter values; the first `count` were sent.
    pub params: [i32; MAX_PARAMS],
    /// How many values were sent (at most [`MAX_PARAMS`] are kept).
    pub count: usize,
}

impl ApplyRequest {
    /// Decodes a payload: `None` if it is shorter than 8 bytes.
    pub fn decode(payload: &[u8]) -> Option<ApplyRequest> {
        let mut r = Reader::new(payload);
        let width = r.u32()?;
        let height = r.u32()?;
        let mut params = [0; MAX_PARAMS];
        let mut count = 0;
        while count < MAX_PARAMS {
            match r.i32() {
                Some(value) => params[count] = value,
                None => break,
            }
            count += 1;
        }
        Some(ApplyRequest { width, height, params, count })
    }

    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = [0u8; 8 + 4 * MAX_PARAMS];
        let mut w = Writer::new(&mut out);
        w.u32(self.width);
        w.u32(self.height);
        for &value in &self.params[..self.count.min(MAX_PARAMS)] {
            w.i32(value);
        }
        let len = w.len();
        out[..len].to_vec()
    }
}

// MARK: the app's side

/// A filter as its plugin describes itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// The name to show.
    pub name: String,
    /// Parameters: (name, min, max, default).
    pub params: Vec<(String, i32, i32, i32)>,
}

impl Description {
    /// Parses a [`DESCRIPTION`] text: `None` if there is no name line or a
    /// parameter line is not `name min max default` with `min <= default <= max`.
    pub fn parse(text: &str) -> Option<Description> {
        let mut lines = text.lines();
        let name = lines.next()?.trim();
        if name.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let mut words = line.split_whitespace();
            let pname = words.next()?;
            let min: i32 = words.next()?.parse().ok()?;
            let max: i32 = words.next()?.parse().ok()?;
            let default: i32 = words.next()?.parse().ok()?;
            if words.next().is_some() || min > max || default < min || default > max || params.len() == MAX_PARAMS {
                return None;
            }
            params.push((String::from(pname), min, max, default));
        }
        Some(Description { name: String::from(name), params })
    }
}

/// Asks the plugin behind `plugin` (an actor cap) to describe itself,
/// waiting at most `timeout`.
///
/// Errors: from the call (`TimedOut`, `PeerClosed`, ...);
/// `Protocol(code)` when the plugin refused, `Protocol(MALFORMED)` when its
/// answer is not a valid [`DESCRIPTION`].
pub fn describe(plugin: Cap, timeout: Timeout) -> Result<Description> {
    let mut buf = [0u8; MESSAGE_HEADER_SIZE + 1024];
    let answer = answer_of(call(plugin, DESCRIBE, &[], None, &mut buf, timeout))?;
    if answer.opcode() != DESCRIPTION {
        return Err(refusal(&answer));
    }
    let text = core::str::from_utf8(answer.payload()).map_err(|_| Error::Protocol(error::MALFORMED as i32))?;
    Description::parse(text).ok_or(Error::Protocol(error::MALFORMED as i32))
}

/// Asks the plugin to filter the `width × height` image in `image` (a cap
/// the plugin may read and write: it is passed along), waiting at most
/// `timeout`. On `Ok` the buffer holds the plugin's result — unless the
/// plugin still holds its cap: revoke it before trusting the bytes.
///
/// Errors: as [`describe`].
pub fn apply(plugin: Cap, image: Cap, width: u32, height: u32, params: &[i32], timeout: Timeout) -> Result<()> {
    let mut request = ApplyRequest { width, height, params: [0; MAX_PARAMS], count: params.len().min(MAX_PARAMS) };
    request.params[..request.count].copy_from_slice(&params[..request.count]);
    let mut buf = [0u8; MESSAGE_HEADER_SIZE + 256];
    let answer = answer_of(call(plugin, APPLY, &request.encode(), Some(image), &mut buf, timeout))?;
    if answer.opcode() == DONE {
        Ok(())
    } else {
        Err(refusal(&answer))
    }
}

/// The answer of a call, with any cap it carried released (no answer here
/// carries one) and a parked (oversized, so malformed) answer dropped.
fn answer_of(result: Result<Message<'_>>) -> Result<Message<'_>> {
    match result {
        Ok(answer) => {
            if let Some(cap) = answer.cap() {
                let _ = release(cap);
            }
            Ok(answer)
        }
        Err(Error::AnswerParked { reply, .. }) => {
            let _ = release(reply);
            Err(Error::Protocol(error::MALFORMED as i32))
        }
        Err(error) => Err(error),
    }
}

/// The error for an answer that is not the expected one: the plugin's
/// [`ERROR`] code, or MALFORMED for anything else.
fn refusal(answer: &Message<'_>) -> Error {
    match (answer.opcode(), answer.payload_u32()) {
        (ERROR, Some(code)) if code != 0 && code <= i32::MAX as u32 => Error::Protocol(code as i32),
        _ => Error::Protocol(error::MALFORMED as i32),
    }
}

/// The words of an [`error`] code.
pub const fn error_name(code: u32) -> &'static str {
    match code {
        error::MALFORMED => "malformed request or answer",
        error::BAD_IMAGE => "bad image",
        error::NO_MEMORY => "out of memory",
        error::BUFFER_FAILED => "buffer access failed",
        _ => "unknown error",
    }
}

/// Defines `_start` for a filter plugin around a function
/// `fn(&mut Image, &Params)`: the plugin answers [`DESCRIBE`] and [`APPLY`]
/// (see the [module](crate::filter) docs).
///
/// ```ignore
/// // No parameters; the menu shows the function's name.
/// wsk::filter_plugin!(invert);
///
/// // A name and parameters.
/// wsk::filter_plugin!(blur, name: "Box blur", params: [wsk::filter::Param::new("radius", 1, 32, 2)]);
/// ```
#[macro_export]
macro_rules! filter_plugin {
    ($filter:ident) => {
        $crate::filter_plugin!($filter, name: stringify!($filter), params: []);
    };
    ($filter:path, name: $name:expr $(,)?) => {
        $crate::filter_plugin!($filter, name: $name, params: []);
    };
    ($filter:path, name: $name:expr, params: [$($param:expr),* $(,)?] $(,)?) => {
        // Only in the Wasm build: a host `cargo test` binary has its own `_start`.
        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub extern "C" fn _start() {
            static PARAMS: &[$crate::filter::Param] = &[$($param),*];
            static INFO: $crate::filter::FilterInfo = $crate::filter::FilterInfo { name: $name, params: PARAMS };
            $crate::__runtime_init();
            $crate::filter::serve(&INFO, $filter);
        }
        #[cfg(not(target_arch = "wasm32"))]
        #[doc(hidden)]
        pub static __WSK_FILTER: fn(&mut $crate::filter::Image, &$crate::filter::Params) = $filter;
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    static BLUR: [Param; 2] = [Param::new("radius", 1, 32, 2), Param::new("passes", 1, 3, 1)];

    #[test]
    fn resolves_params() {
        let p = Params::resolve(&BLUR, &[]);
        assert_eq!((p.get(0), p.get(1), p.get(2)), (2, 1, 0));
        let p = Params::resolve(&BLUR, &[99, -4, 7]);
        assert_eq!((p.named("radius"), p.named("passes"), p.named("nope")), (32, 1, 0));
    }

    #[test]
    fn requests_round_trip() {
        let mut request = ApplyRequest { width: 640, height: 480, params: [0; MAX_PARAMS], count: 2 };
        request.params[0] = -3;
        request.params[1] = 9;
        assert_eq!(ApplyRequest::decode(&request.encode()), Some(request));
        assert_eq!(ApplyRequest::decode(&[1, 0, 0, 0, 2, 0, 0]), None);
        let bare = ApplyRequest::decode(&[1, 0, 0, 0, 2, 0, 0, 0, 5]).unwrap();
        assert_eq!((bare.width, bare.height, bare.count), (1, 2, 0), "a partial value is not a value");
    }

    #[test]
    fn descriptions_round_trip() {
        let info = FilterInfo { name: "Box blur", params: &BLUR };
        let text = description(&info);
        assert_eq!(text, "Box blur\nradius 1 32 2\npasses 1 3 1\n");
        let parsed = Description::parse(&text).unwrap();
        assert_eq!(parsed.name, "Box blur");
        assert_eq!(parsed.params[0], (String::from("radius"), 1, 32, 2));
        assert_eq!(Description::parse("x\nr 5 1 3\n"), None, "min above max");
        assert_eq!(Description::parse("x\nr 1 5\n"), None, "missing default");
        assert_eq!(Description::parse("\n"), None, "no name");
        assert_eq!(Description::parse("Invert").unwrap().params.len(), 0);
    }

    #[test]
    fn images() {
        let mut image = Image::new(3, 2).unwrap();
        image.pixels_mut().copy_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(image.row(1), &[4, 5, 6]);
        image.row_mut(0)[2] = 9;
        assert_eq!(image.row(0), &[1, 2, 9]);
        image.row_mut(0)[2] = 3;
        assert_eq!(image.clamped(-5, 9), 4);
        assert_eq!(image.clamped(7, -1), 3);
        assert_eq!(image.bytes()[4..8], [2, 0, 0, 0]);
        assert!(Image::new(0, 5).is_none() && Image::new(MAX_SIDE + 1, 1).is_none());
        assert!(Image::from_pixels(2, 2, alloc::vec![0; 3]).is_none());
        assert_eq!(channels(rgb(1, 2, 3)), (1, 2, 3));
    }

    #[test]
    fn images_are_reused() {
        let mut image = Image::empty();
        assert!(image.reuse_as(4, 2));
        image.pixels_mut().fill(7);
        let memory = image.pixels().as_ptr();
        assert!(image.reuse_as(2, 3));
        assert_eq!((image.width(), image.height(), image.pixels()), (2, 3, &[7; 6][..]), "old pixels, not cleared");
        assert!(image.reuse_as(1, 8));
        assert_eq!(image.pixels(), &[7, 7, 7, 7, 7, 7, 0, 0], "zeros where it grew");
        assert_eq!(image.pixels().as_ptr(), memory, "the same memory");
        assert!(image.reuse_as(3, 3));
        assert_eq!(image.pixels().len(), 9);
        assert!(!image.reuse_as(0, 3) && !image.reuse_as(MAX_SIDE + 1, 1));
    }
}
