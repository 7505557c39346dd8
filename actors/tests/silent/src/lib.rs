//! A filter plugin that scribbles over its buffer, keeps the reply cap
//! and never answers.
#![no_std]

#[path = "../../hostile.rs"]
mod hostile;

wsk::actor_main!(main);

fn main() {
    // The reply cap stays in this actor's space, unanswered.
    hostile::serve(b"Silent (test)\n", |_| {});
}
