//! A filter plugin that scribbles over its buffer, then loops forever
//! without a host call.
#![no_std]

use wsk::Cap;

wsk::actor_main!(main);

fn main() {
    let mut buf = [0u8; 280];
    while let Ok(message) = wsk::recv(Cap(1), &mut buf) {
        match message.opcode() {
            wsk::filter::DESCRIBE => {
                if let Some(reply) = message.reply() {
                    let _ = wsk::reply(reply, wsk::filter::DESCRIPTION, b"Hang (test)\n", None);
                }
            }
            _ => {
                if let Some(cap) = message.cap() {
                    scribble(cap);
                }
                spin()
            }
        }
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

static SPIN: u32 = 0;

/// Never returns and never calls the host.
fn spin() -> ! {
    loop {
        // SAFETY: a plain read of a static; volatile so the loop stays.
        unsafe { core::ptr::read_volatile(&SPIN) };
    }
}
