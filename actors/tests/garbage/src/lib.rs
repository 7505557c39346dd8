//! A filter plugin that scribbles over its buffer, then answers APPLY
//! with an opcode and payload of no protocol.
#![no_std]

#[path = "../../hostile.rs"]
mod hostile;

wsk::actor_main!(main);

fn main() {
    hostile::serve(b"Garbage (test)\n", |message| {
        if let Some(to) = hostile::answer_cap(message) {
            let _ = wsk::send(to, 0x1234, &[0xde, 0xad, 0xbe], None);
        }
    });
}
