//! Faults the way a plugin author makes them, for the tests of trap
//! reports (Tests/InterpTests/TrapReportTests.swift): waits for one message
//! on handle 1 and, by its opcode, panics in `Image::row` (1), allocates
//! 512 MiB (2), reads past its memory (3), recurses without end (4) or
//! traps (5). Anything else exits 0.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use wsk::filter::Image;
use wsk::Cap;

wsk::actor_main!(main);

fn main() {
    let mut buf = [0u8; 64];
    let opcode = match wsk::recv(Cap(1), &mut buf) {
        Ok(message) => message.opcode(),
        Err(_) => 0,
    };
    match opcode {
        1 => row_past_the_end(),
        2 => allocate_512_mib(),
        3 => read_past_memory(),
        4 => {
            recurse(1);
        }
        5 => wsk::trap(),
        _ => {}
    }
}

#[inline(never)]
fn row_past_the_end() {
    let image = Image::new(4, 3).unwrap();
    let row = image.row(3); // the line a panic must name
    wsk::logf!("row of {}", row.len());
}

#[inline(never)]
fn allocate_512_mib() {
    let mut big: Vec<u8> = Vec::with_capacity(512 << 20);
    big.push(1);
    wsk::logf!("allocated {}", big.capacity());
}

#[inline(never)]
fn read_past_memory() {
    // Past any memory an actor may have: a trap, not a value.
    let value = unsafe { core::ptr::read_volatile(0xffff_fff0 as *const u32) };
    wsk::logf!("read {}", value);
}

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u32) -> u32 {
    // Volatile loads around the call, so that the recursion is neither
    // folded nor turned into a loop.
    let step = unsafe { core::ptr::read_volatile(&depth) };
    let below = recurse(step + 1);
    unsafe { core::ptr::read_volatile(&below) }
}
