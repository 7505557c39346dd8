//! Julia: z₀ = the sample's point, z ← z² + c with c = (p0, p1) from the
//! request; the count of iterations before |z|² > 4 (at most `iterations`).
//! Exactly as mandelbrot's loop, starting from x = re, y = im and adding
//! (p0, p1) instead of (re, im).
#![no_std]

use wsk::formula::Tile;

wsk::formula_plugin!(julia);

fn julia(re: f64, im: f64, tile: &Tile) -> u32 {
    let (mut x, mut y) = (re, im);
    let mut n = 0;
    while n < tile.iterations {
        let (x2, y2) = (x * x, y * y);
        if x2 + y2 > 4.0 {
            break;
        }
        y = 2.0 * x * y + tile.p1;
        x = x2 - y2 + tile.p0;
        n += 1;
    }
    n
}
