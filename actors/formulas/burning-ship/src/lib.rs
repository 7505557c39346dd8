//! Burning ship: as mandelbrot, but z ← (|Re z| + i |Im z|)² + c, so the new
//! imaginary part is `abs(2 * x * y) + im` (abs of `(2 * x) * y`).
#![no_std]

use wsk::formula::{abs, Tile};

wsk::formula_plugin!(burning_ship);

fn burning_ship(re: f64, im: f64, tile: &Tile) -> u32 {
    let (mut x, mut y) = (0.0f64, 0.0f64);
    let mut n = 0;
    while n < tile.iterations {
        let (x2, y2) = (x * x, y * y);
        if x2 + y2 > 4.0 {
            break;
        }
        y = abs(2.0 * x * y) + im;
        x = x2 - y2 + re;
        n += 1;
    }
    n
}
