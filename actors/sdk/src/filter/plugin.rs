//! The plugin's side: answering DESCRIBE and APPLY on the boot endpoint.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use super::image::{clock, Image};
use super::{error, ApplyRequest, FilterInfo, Params, APPLY, DESCRIBE, DESCRIPTION, DONE, ERROR, MAX_PARAMS, MAX_PIXELS, MAX_SIDE};
use crate::abi::MESSAGE_HEADER_SIZE;
use crate::buffer::Buffer;
use crate::caps::{release, Cap};
use crate::error::Error;
use crate::ipc::{recv, reply, Message};
use crate::wire::Writer;

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
