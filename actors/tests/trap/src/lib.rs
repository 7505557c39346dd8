//! A filter plugin that scribbles over its buffer, then traps mid-APPLY.
#![no_std]

#[path = "../../hostile.rs"]
mod hostile;

wsk::actor_main!(main);

fn main() {
    hostile::serve(b"Trap (test)\n", |_| wsk::trap());
}
