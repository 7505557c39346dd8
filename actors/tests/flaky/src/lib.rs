//! A mandelbrot worker that traps on every third tile it is given: a fresh
//! instance must render the lost tile again.
#![no_std]

use wsk::formula::{render_each, serve, Tile};

wsk::actor_main!(main);

fn main() {
    let mut tiles = 0;
    serve(|tile, out| {
        tiles += 1;
        if tiles % 3 == 0 {
            wsk::trap()
        }
        render_each(tile, out, mandelbrot)
    });
}

/// As `actors/formulas/mandelbrot`.
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
