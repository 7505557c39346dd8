//! The plugin's side: answering DESCRIBE and APPLY on the boot endpoint,
//! and progress notes on the answer endpoint (handle 2) when there is one.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use super::image::{clock, Image};
use super::{
    error, ApplyRequest, FilterInfo, Params, APPLY, DESCRIBE, DESCRIPTION, DONE, ERROR, MAX_META_BYTES, MAX_PARAMS,
    MAX_PIXELS, MAX_SIDE, PING, PROGRESS,
};
use crate::abi::MESSAGE_HEADER_SIZE;
use crate::buffer::Buffer;
use crate::caps::{info as cap_info, release, Cap, Kind, Rights};
use crate::error::Error;
use crate::ipc::{recv, reply, send, Message};
use crate::wire::Writer;

/// A refusal: an [`error`] code and words for the log.
type Refusal = (u32, &'static str);

/// The requests a plugin answers on its boot endpoint (handle 1).
const REQUESTS: Cap = Cap(1);
/// The app's answer endpoint, when the plugin was started with one.
const ANSWERS: Cap = Cap(2);

/// The side of the self-test image DESCRIBE runs the filter on.
const SELF_TEST_SIDE: u32 = 4;
/// Nanoseconds between two progress notes at least (20 a second at most).
const PROGRESS_INTERVAL: u64 = 50_000_000;
/// How long an answer on the answer endpoint is retried while the app's
/// queue is full (of progress notes) before it is given up.
const ANSWER_PATIENCE: u64 = 2_000_000_000;

/// Progress notes are sent now: an APPLY runs and there is an answer endpoint.
/// Atomics only to have statics without `unsafe`: a plugin has one thread.
static NOTING: AtomicBool = AtomicBool::new(false);
/// When the last note went, by [`clock`].
static LAST_NOTE: AtomicU64 = AtomicU64::new(0);
/// The rows seen so far by [`rows_seen`]: the highest row plus one.
static ROWS: AtomicU32 = AtomicU32::new(0);

/// Tells the app how far the filter is: `done` of `total` (rows, pixels,
/// passes: units of the filter's choosing). Cheap to call often: a note
/// goes at most every 50 ms, only while an APPLY runs for an app that
/// listens, and a note that finds the app's queue full is dropped.
/// Filters that walk the image with [`Image::map`], [`Image::row`] or
/// [`Image::row_mut`] need not call it: the SDK reports the rows reached.
pub fn progress(done: u32, total: u32) {
    if !NOTING.load(Ordering::Relaxed) {
        return;
    }
    let now = clock();
    if now.wrapping_sub(LAST_NOTE.load(Ordering::Relaxed)) < PROGRESS_INTERVAL {
        return;
    }
    LAST_NOTE.store(now, Ordering::Relaxed);
    let mut payload = [0u8; 8];
    payload[..4].copy_from_slice(&done.to_le_bytes());
    payload[4..].copy_from_slice(&total.to_le_bytes());
    note(&payload);
}

/// Sends a progress note. Host unit tests never get here (nothing sets
/// NOTING there) and have no host to call.
fn note(payload: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    let _ = send(ANSWERS, PROGRESS, payload, None);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (payload, PROGRESS);
}

/// Row `y` of `height` was reached: a progress note when it is the
/// furthest yet (and the clock allows).
pub(super) fn rows_seen(y: u32, height: u32) {
    if !NOTING.load(Ordering::Relaxed) || y < ROWS.load(Ordering::Relaxed) {
        return;
    }
    ROWS.store(y + 1, Ordering::Relaxed);
    progress(y + 1, height);
}

/// True for handle 2 when it is an endpoint this plugin may send on.
fn has_answer_endpoint() -> bool {
    match cap_info(ANSWERS) {
        Ok(info) => info.kind == Kind::Endpoint && info.rights.contains(Rights::SEND),
        Err(_) => false,
    }
}

/// Runs a filter plugin: answers [`DESCRIBE`] with `info` and [`APPLY`]
/// with `filter`, until the endpoint is gone. [`filter_plugin!`](crate::filter_plugin)
/// calls this from `_start`.
pub fn serve(info: &'static FilterInfo, filter: fn(&mut Image, &Params)) {
    let mut buf = [0u8; MESSAGE_HEADER_SIZE + 256];
    // One image for all requests: a picture no larger than the last one
    // (paint's canvas keeps its size) needs no allocation and no clearing.
    let mut image = Image::empty();
    // Looked at once, before any request: a reply cap received later may
    // take handle 2 when there is no grant.
    let answers = if has_answer_endpoint() { Some(ANSWERS) } else { None };
    loop {
        let message = match recv(REQUESTS, &mut buf) {
            Ok(message) => message,
            Err(Error::BufferTooSmall { needed: Some(needed) }) => {
                drop_oversized(needed);
                continue;
            }
            Err(_) => return, // endpoint gone: nobody can ask any more
        };
        handle(info, filter, &message, &mut image, answers);
    }
}

/// What a request is answered with.
enum Answer {
    Description(String),
    /// The filter's time in nanoseconds.
    Done(u64),
}

fn handle(
    info: &'static FilterInfo,
    filter: fn(&mut Image, &Params),
    message: &Message<'_>,
    image: &mut Image,
    answers: Option<Cap>,
) {
    if message.opcode() == PING {
        // Only the send's success mattered to the app.
        for cap in [message.cap(), message.reply()].iter().flatten() {
            let _ = release(*cap);
        }
        return;
    }
    // A call is answered on its reply cap; an APPLY sent plainly, on the
    // answer endpoint; anything else sent plainly, nowhere.
    let to = match (message.reply(), message.opcode()) {
        (Some(reply_cap), _) => Some(reply_cap),
        (None, APPLY) => answers,
        (None, _) => None,
    };
    crate::panic::answer_panics_on(to, ERROR, error::PANICKED);
    let answer = match message.opcode() {
        DESCRIBE => {
            self_test(info, filter);
            Ok(Answer::Description(description(info)))
        }
        APPLY => {
            NOTING.store(answers.is_some(), Ordering::Relaxed);
            LAST_NOTE.store(clock(), Ordering::Relaxed);
            ROWS.store(0, Ordering::Relaxed);
            let done = apply_request(info, filter, message.payload(), message.cap(), image).map(Answer::Done);
            NOTING.store(false, Ordering::Relaxed);
            done
        }
        _ => Err((error::MALFORMED, "unknown request")),
    };
    crate::panic::answer_panics_on(None, ERROR, error::PANICKED);
    if let Some(cap) = message.cap() {
        let _ = release(cap);
    }
    let to = match to {
        Some(cap) => cap,
        None => return, // nobody to tell
    };
    let async_answer = message.reply().is_none();
    // The caller may have stopped waiting; nothing to do about that.
    let _ = match answer {
        Ok(Answer::Description(text)) => deliver(to, async_answer, DESCRIPTION, text.as_bytes()),
        Ok(Answer::Done(nanoseconds)) => {
            // The filter's own time, then the engine that ran it (the app
            // says which in its "applied" line).
            let mut payload = [0u8; 12];
            payload[..8].copy_from_slice(&nanoseconds.to_le_bytes());
            payload[8..].copy_from_slice(&crate::engine().code().to_le_bytes());
            deliver(to, async_answer, DONE, &payload)
        }
        Err((code, words)) => {
            let mut payload = alloc::vec![0u8; 4 + words.len()];
            let mut w = Writer::new(&mut payload);
            w.u32(code);
            w.raw(words.as_bytes());
            deliver(to, async_answer, ERROR, &payload)
        }
    };
}

/// Sends an answer on a reply cap, or on the answer endpoint, whose queue
/// progress notes may have filled for a moment: retried a while then.
fn deliver(to: Cap, on_endpoint: bool, opcode: u32, payload: &[u8]) -> crate::error::Result<()> {
    if !on_endpoint {
        return reply(to, opcode, payload, None);
    }
    let start = clock();
    loop {
        match send(to, opcode, payload, None) {
            Err(Error::QueueFull) if clock().wrapping_sub(start) < ANSWER_PATIENCE => crate::yield_now(),
            other => return other,
        }
    }
}

/// Runs the filter on a tiny image with the default values, so that a
/// mistake every run makes (a parameter name not declared) panics while
/// answering DESCRIBE: the app learns it when it loads the plugin.
fn self_test(info: &'static FilterInfo, filter: fn(&mut Image, &Params)) {
    let params = Params::resolve(info.params, &[]);
    if let Some(mut tiny) = Image::new(SELF_TEST_SIDE, SELF_TEST_SIDE) {
        for (i, pixel) in tiny.pixels_mut().iter_mut().enumerate() {
            *pixel = (i as u32).wrapping_mul(0x0012_3457) & 0x00ff_ffff;
        }
        filter(&mut tiny, &params);
    }
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

/// The [`DESCRIPTION`] text of `info`: the name, the metadata given
/// (control characters made spaces, cut at [`MAX_META_BYTES`]), the
/// parameters.
pub fn description(info: &FilterInfo) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}", one_line(info.name));
    for (key, value) in [("version", info.version), ("author", info.author), ("description", info.description)] {
        let value = one_line(value);
        if !value.is_empty() {
            let _ = writeln!(text, "{}: {}", key, value);
        }
    }
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

/// `text` as one line a description may hold: control characters made
/// spaces, trimmed, cut at a character boundary to [`MAX_META_BYTES`].
fn one_line(text: &str) -> String {
    let mut line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut end = line.trim_end().len().min(MAX_META_BYTES);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line.truncate(end);
    String::from(line.trim())
}
