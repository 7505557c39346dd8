//! A filter plugin that scribbles over its buffer, floods the app's answer
//! endpoint with progress notes for a second, then answers DONE with a
//! payload far too large for any answer.
#![no_std]

extern crate alloc;

#[path = "../../hostile.rs"]
mod hostile;

wsk::actor_main!(main);

fn main() {
    hostile::serve(b"Flood (test)\n", |message| {
        let to = match hostile::answer_cap(message) {
            Some(to) => to,
            None => return,
        };
        let until = wsk::now() + 1_000_000_000;
        let mut done = 0u32;
        while wsk::now() < until {
            done += 1;
            let mut note = [0u8; 8];
            note[..4].copy_from_slice(&done.to_le_bytes());
            note[4..].copy_from_slice(&u32::MAX.to_le_bytes());
            // A full queue is refused; flood on regardless.
            let _ = wsk::send(to, wsk::filter::PROGRESS, &note, None);
        }
        let huge = alloc::vec![0x55u8; 60 * 1024];
        let _ = wsk::send(to, wsk::filter::DONE, &huge, None);
    });
}
