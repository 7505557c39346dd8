//! What the hostile filter plugins share; each includes this file
//! (`#[path = "../../hostile.rs"] mod hostile;`). They speak the filter
//! protocol's DESCRIBE like any plugin, and answer every other request by
//! scribbling over the buffer it lends, then misbehaving their own way.

use wsk::{Cap, Message};

/// Where a request is answered: its reply cap when it was a call; handle 2
/// (the app's answer endpoint, when it granted one) when it was sent.
#[allow(dead_code)] // not every hostile plugin answers
pub fn answer_cap(message: &Message) -> Option<Cap> {
    message.reply().or_else(|| match wsk::info(Cap(2)) {
        Ok(info) if info.kind == wsk::Kind::Endpoint => Some(Cap(2)),
        _ => None,
    })
}

/// Serves requests on handle 1: DESCRIBE answered with `name`, APPLY
/// scribbled over, then handed to `misbehave`; anything else (PING)
/// ignored.
pub fn serve(name: &[u8], misbehave: fn(&Message)) {
    let mut buf = [0u8; 280];
    while let Ok(message) = wsk::recv(Cap(1), &mut buf) {
        if message.opcode() == wsk::filter::DESCRIBE {
            if let Some(reply) = message.reply() {
                let _ = wsk::reply(reply, wsk::filter::DESCRIPTION, name, None);
            }
            continue;
        }
        if message.opcode() != wsk::filter::APPLY {
            continue;
        }
        if let Some(cap) = message.cap() {
            scribble(cap);
        }
        misbehave(&message);
    }
}

/// Fills the whole buffer with magenta.
fn scribble(cap: Cap) {
    let size = wsk::Buffer::from_cap(cap).size().unwrap_or(0);
    let mut chunk = [0u8; 4096];
    for pixel in chunk.chunks_mut(4) {
        pixel.copy_from_slice(&[0xff, 0x00, 0xff, 0x00]);
    }
    let mut offset = 0u64;
    while offset < size {
        let n = (size - offset).min(chunk.len() as u64) as usize;
        let _ = wsk::mem_write(cap, offset as u32, &chunk[..n]);
        offset += n as u64;
    }
}
