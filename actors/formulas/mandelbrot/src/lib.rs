//! Mandelbrot: z₀ = 0, z ← z² + c with c the sample's point; the count of
//! iterations before |z|² > 4 (at most `iterations`). Exactly, in f64:
//!
//! ```text
//! x = 0, y = 0, n = 0
//! while n < iterations:
//!     x2 = x * x; y2 = y * y
//!     if x2 + y2 > 4: stop
//!     y = 2 * x * y + im      // (2 * x) * y, then + im
//!     x = x2 - y2 + re        // (x2 - y2), then + re
//!     n = n + 1
//! ```
#![no_std]

use wsk::formula::Tile;

wsk::formula_plugin!(mandelbrot);

fn mandelbrot(re: f64, im: f64, tile: &Tile) -> u32 {
    let (mut x, mut y) = (0.0f64, 0.0f64);
    let mut n = 0;
    while n < tile.iterations {
        let (x2, y2) = (x * x, y * y);
        if x2 + y2 > 4.0 {
            break;
        }
        y = 2.0 * x * y + im;
        x = x2 - y2 + re;
        n += 1;
    }
    n
}
