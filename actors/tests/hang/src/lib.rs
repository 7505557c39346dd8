//! A filter plugin that scribbles over its buffer, then loops forever
//! without a host call.
#![no_std]

#[path = "../../hostile.rs"]
mod hostile;

wsk::actor_main!(main);

fn main() {
    hostile::serve(b"Hang (test)\n", |_| spin());
}

static SPIN: u32 = 0;

/// Never returns and never calls the host.
fn spin() -> ! {
    loop {
        // SAFETY: a plain read of a static; volatile so the loop stays.
        unsafe { core::ptr::read_volatile(&SPIN) };
    }
}
