//! The smallest actor: proves the toolchain, the loader and the seed's host
//! calls end to end. It logs a line and, when granted the framebuffer (as
//! handle 1), paints a gradient on it one row at a time.
#![no_std]

use wsk::Cap;

wsk::actor_main!(main);

/// The first cap granted at spawn is handle 1.
const FRAMEBUFFER: Cap = Cap(1);

fn main() {
    wsk::log("hello from a Rust actor");
    let (width, height) = match wsk::fb_info() {
        Some(size) => size,
        None => return,
    };
    let mut row = [0u8; 4 * 1024];
    let chunk = row.len() as u32 / 4;
    for y in 0..height {
        let mut x0 = 0;
        while x0 < width {
            let n = core::cmp::min(chunk, width - x0);
            for i in 0..n {
                let x = x0 + i;
                let pixel = (x * 255 / width) << 16 | (y * 255 / height) << 8 | 0x60;
                row[(i * 4) as usize..(i * 4 + 4) as usize].copy_from_slice(&pixel.to_le_bytes());
            }
            let offset = (y * width + x0) * 4;
            if wsk::mem_write(FRAMEBUFFER, offset, &row[..(n * 4) as usize]).is_err() {
                wsk::log("framebuffer write refused");
                return;
            }
            x0 += n;
        }
    }
    wsk::log("painted the framebuffer");
}
