//! A filter plugin that tries to write outside the buffer it was lent: every
//! other handle it might hold (slots 0 to 64, generations 0 to 3), past the
//! buffer's end, a framebuffer, a wider cap. It logs what happened and
//! answers DONE, with the buffer untouched, only if every attempt failed.
#![no_std]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use wsk::{Cap, Error, Rights};

wsk::actor_main!(main);

fn main() {
    let mut buf = [0u8; 280];
    // APPLY sent without a reply cap is answered on handle 2, the app's
    // answer endpoint (when it granted one); other plain sends, not at all.
    let answers = match wsk::info(Cap(2)) {
        Ok(info) if info.kind == wsk::Kind::Endpoint => Some(Cap(2)),
        _ => None,
    };
    while let Ok(message) = wsk::recv(Cap(1), &mut buf) {
        let answer_on = match message.opcode() {
            wsk::filter::APPLY => answers,
            _ => None,
        };
        let reply = match message.reply().or(answer_on) {
            Some(reply) => reply,
            None => continue,
        };
        if message.opcode() == wsk::filter::DESCRIBE {
            let _ = wsk::reply(reply, wsk::filter::DESCRIPTION, b"Escape (test)\n", None);
            continue;
        }
        let buffer = message.cap().unwrap_or(Cap::NULL);
        let (attempts, escaped) = try_to_escape(buffer, reply);
        if escaped.is_empty() {
            wsk::logf!("escape: {} attempts, all refused", attempts);
            let _ = wsk::send(reply, wsk::filter::DONE, &[], None);
        } else {
            wsk::logf!("escape: {} of {} attempts got through: {}", escaped.len(), attempts, escaped.join(", "));
            let _ = wsk::send(reply, wsk::filter::ERROR, b"\x01\x00\x00\x00escaped", None);
        }
    }
}

/// Every attempt to reach past `buffer`; the ones that did not fail.
fn try_to_escape(buffer: Cap, reply: Cap) -> (usize, Vec<String>) {
    let mut attempts = 0;
    let mut escaped = Vec::new();
    let pixel = [0xffu8; 4];
    for generation in 0..4i64 {
        for slot in 0..=64i64 {
            let handle = Cap(generation << 32 | slot);
            if handle == buffer || handle == reply {
                continue;
            }
            attempts += 1;
            match wsk::mem_write(handle, 0, &pixel) {
                Err(Error::InvalidHandle) | Err(Error::WrongType) => {}
                other => escaped.push(format!("write to {:?}: {:?}", handle, other)),
            }
        }
    }
    let size = wsk::Buffer::from_cap(buffer).size().unwrap_or(0) as u32;
    for offset in [size, size.saturating_sub(2), u32::MAX / 2] {
        attempts += 1;
        if wsk::mem_write(buffer, offset, &pixel) != Err(Error::OutOfBounds) {
            escaped.push(format!("write at {} of {}", offset, size));
        }
    }
    attempts += 1;
    if wsk::fb_info().is_some() {
        escaped.push(String::from("a framebuffer"));
    }
    attempts += 1;
    if let Ok(wider) = wsk::derive(buffer, Rights::READ | Rights::WRITE | Rights::SPAWN) {
        escaped.push(format!("derived {:?}", wider));
    }
    (attempts, escaped)
}
