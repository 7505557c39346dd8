//! Box blur: each channel becomes the mean of the `(2 radius + 1)²` pixels
//! around it, edge pixels extended outwards, rounded half up:
//! `(sum + n / 2) / n` with `n = (2 radius + 1)²`.
//!
//! Computed with running sums, at a cost independent of the radius: one
//! sum per column over the window's rows, updated as the window slides
//! down a row; along each row, one sum over those column sums, updated as
//! the window slides right a pixel. Each sum holds all three channels (see
//! [`spread`]), so updating it is one addition and one subtraction.
#![no_std]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use wsk::filter::{keep_alive, rgb, Image, Param, Params};

wsk::filter_plugin!(
    blur,
    name: "Box blur",
    version: "1.0.0",
    author: "wskdesk",
    description: "Each pixel becomes the mean of the square around it",
    params: [Param::new("radius", 1, 32, 2)],
);

/// Bits of one channel's sum in a spread value: a window holds at most
/// 65² pixels of 255, less than 2²¹.
const FIELD: u32 = 21;
const FIELD_MASK: u64 = (1 << FIELD) - 1;

/// A pixel's channels 21 bits apart, blue lowest: sums of up to 65² spread
/// pixels add each channel in its own field, without carries between them.
fn spread(pixel: u32) -> u64 {
    let p = pixel as u64;
    (p & 0xff) | (p & 0xff00) << (FIELD - 8) | (p & 0xff_0000) << (2 * FIELD - 16)
}

/// `x / n` as `(x * inverse(n)) >> 35`, a multiplication instead of a slow
/// division by a variable: exact for every `x` up to `256 n`, more than any
/// window's sum plus `n / 2` (the tests try them all).
fn inverse(n: u64) -> u64 {
    (1 << 35) / n + 1
}

fn blur(image: &mut Image, params: &Params) {
    let r = params.named("radius").max(1) as usize;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let side = 2 * r + 1;
    let n = (side * side) as u64;
    let scale = inverse(n);
    // Each field of a window's sum starts at n / 2, so that dividing it by n
    // rounds half up.
    let half = n / 2 * spread(0x0001_0101);
    let row_of = |y: usize| y.min(h - 1) as u32; // rows below the image are its last

    // The window's rows, spread, in a ring: the originals, which the
    // output overwrites. The window of row 0 is rows -r..=r, where the
    // rows above the image are its first.
    let mut window: Vec<u64> = Vec::with_capacity(side * w);
    for dy in 0..side {
        window.extend(image.row(row_of(dy.saturating_sub(r))).iter().map(|&p| spread(p)));
    }
    let mut top = 0; // the ring slot of the window's top row
    // The column sums of the window, with r copies of the first and of the
    // last column on either side (edges extended): the running sum along
    // a row needs no clamping.
    let mut columns = vec![0u64; w + 2 * r];
    for slot in window.chunks_exact(w) {
        for (sum, &value) in columns[r..r + w].iter_mut().zip(slot) {
            *sum += value;
        }
    }

    for y in 0..h {
        keep_alive();
        let (first, last) = (columns[r], columns[r + w - 1]);
        columns[..r].fill(first);
        columns[r + w..].fill(last);
        // Along row y: the window of pixel x covers padded columns x..=x + 2r.
        let mut sum: u64 = half + columns[..2 * r].iter().sum::<u64>();
        let mean = |sum: u64, shift: u32| (((sum >> shift & FIELD_MASK) * scale) >> 35) as u32;
        let leaving = columns.iter();
        let entering = columns[2 * r..].iter();
        for ((pixel, &enter), &leave) in image.row_mut(y as u32).iter_mut().zip(entering).zip(leaving) {
            sum += enter;
            *pixel = rgb(mean(sum, 2 * FIELD), mean(sum, FIELD), mean(sum, 0));
            sum -= leave;
        }
        // Slide the window down: its top row leaves, row y + r + 1 comes
        // (not yet overwritten: it is below y).
        if y + 1 < h {
            let slot = &mut window[top * w..(top + 1) * w];
            let row = image.row(row_of(y + r + 1));
            for ((sum, old), &pixel) in columns[r..r + w].iter_mut().zip(slot.iter_mut()).zip(row) {
                let new = spread(pixel);
                *sum = *sum - *old + new;
                *old = new;
            }
            top = (top + 1) % side;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mean of the clamped window, computed the slow way.
    fn naive(image: &Image, radius: i32) -> Vec<u32> {
        let n = ((2 * radius + 1) * (2 * radius + 1)) as u32;
        let mut out = Vec::new();
        for y in 0..image.height() as i32 {
            for x in 0..image.width() as i32 {
                let mut pixel = 0;
                for shift in [16u32, 8, 0] {
                    let mut sum = 0;
                    for dy in -radius..=radius {
                        for dx in -radius..=radius {
                            sum += (image.clamped(x + dx, y + dy) >> shift) & 0xff;
                        }
                    }
                    pixel |= ((sum + n / 2) / n) << shift;
                }
                out.push(pixel);
            }
        }
        out
    }

    #[test]
    fn matches_the_two_dimensional_mean() {
        static PARAMS: [Param; 1] = [Param::new("radius", 1, 32, 2)];
        let mut seed = 12345u32;
        let pixels: Vec<u32> = (0..40 * 30)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                seed | 0xff00_0000
            })
            .collect();
        for (w, h) in [(13, 7), (1, 9), (9, 1), (1, 1), (40, 30)] {
            for radius in [1, 2, 5, 20, 32] {
                let mut image = Image::from_pixels(w, h, pixels[..(w * h) as usize].to_vec()).unwrap();
                let expected = naive(&image, radius);
                blur(&mut image, &Params::resolve(&PARAMS, &[radius]));
                assert_eq!(image.pixels(), &expected[..], "{}x{}, radius {}", w, h, radius);
            }
        }
    }

    #[test]
    fn inverses_divide_exactly() {
        for radius in 1..=32u64 {
            let n = (2 * radius + 1) * (2 * radius + 1);
            let scale = inverse(n);
            // Sums reach 255 n + n / 2.
            assert!((0..=256 * n).all(|x| (x * scale) >> 35 == x / n), "n = {}", n);
        }
    }

    #[test]
    fn full_white_windows_fit_their_fields() {
        static PARAMS: [Param; 1] = [Param::new("radius", 1, 32, 2)];
        let mut image = Image::from_pixels(70, 70, vec![0x00ff_ffff; 70 * 70]).unwrap();
        blur(&mut image, &Params::resolve(&PARAMS, &[32]));
        assert!(image.pixels().iter().all(|&p| p == 0x00ff_ffff));
    }
}
