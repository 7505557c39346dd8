//! Sharpen: the 3x3 kernel `[0 -1 0; -1 5 -1; 0 -1 0]` on each channel,
//! edge pixels extended outwards, results kept in 0..=255.
//!
//! The image is filtered in place, row by row, from three rows kept aside:
//! the originals of the rows above, at and below the one being written,
//! with each pixel's channels spread 16 bits apart ([`spread`]), so that
//! the kernel works on all three channels in one go.
#![no_std]

extern crate alloc;

use alloc::vec;
use wsk::filter::{keep_alive, rgb, Image, Params};

wsk::filter_plugin!(sharpen, name: "Sharpen");

/// 4 × 255 in each channel's field: added before the four neighbours are
/// taken away, so that no field ever goes below zero (and borrows from the
/// next). A field then holds `5 c − n − s − e − w + 1020`, 0 to 2295.
const BIAS: u64 = 1020 * (1 | 1 << 16 | 1 << 32);

/// A pixel's channels 16 bits apart, blue lowest.
fn spread(pixel: u32) -> u64 {
    let p = pixel as u64;
    (p & 0xff) | (p & 0xff00) << 8 | (p & 0xff_0000) << 16
}

/// Fills `out` with `row` spread, its first and last pixel repeated once
/// more on either side (edges extended): `out` is one longer than `row` at
/// each end.
fn spread_row(row: &[u32], out: &mut [u64]) {
    for (o, &pixel) in out[1..].iter_mut().zip(row) {
        *o = spread(pixel);
    }
    let last = out.len() - 1;
    out[0] = out[1];
    out[last] = out[last - 1];
}

fn sharpen(image: &mut Image, _: &Params) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let (mut above, mut middle, mut below) = (vec![0u64; w + 2], vec![0u64; w + 2], vec![0u64; w + 2]);
    // clamped[f]: the channel of a biased field f, f − 1020 kept in 0..=255.
    // A table of 4096 (fields stay below 2296), so that looking up a
    // field masked to 12 bits needs no bounds check.
    let mut clamped = [0u8; 4096];
    for (f, c) in clamped.iter_mut().enumerate() {
        *c = (f as i32 - 1020).clamp(0, 255) as u8;
    }
    let channel = |sum: u64, shift: u32| clamped[(sum >> shift & 0xfff) as usize] as u32;
    spread_row(image.row(0), &mut middle);
    above.copy_from_slice(&middle); // the row above the first is the first
    for y in 0..h {
        keep_alive();
        // Row y + 1 is not yet overwritten; below the last row is the last.
        spread_row(image.row((y + 1).min(h - 1) as u32), &mut below);
        // Pixel x of the row is column x + 1 of the spread rows.
        let (mut west, mut centre) = (middle[0], middle[1]);
        let neighbours = above[1..].iter().zip(&below[1..]).zip(&middle[2..]);
        for (((&north, &south), &east), pixel) in neighbours.zip(image.row_mut(y as u32)) {
            let sum = 5 * centre + BIAS - north - south - east - west;
            *pixel = rgb(channel(sum, 32), channel(sum, 16), channel(sum, 0));
            (west, centre) = (centre, east);
        }
        // Down a row: the middle row becomes the one above, the one below the middle.
        core::mem::swap(&mut above, &mut middle);
        core::mem::swap(&mut middle, &mut below);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use wsk::filter::Param;

    /// The definition, pixel by pixel and channel by channel.
    fn naive(image: &Image) -> Vec<u32> {
        let mut out = Vec::new();
        for y in 0..image.height() as i32 {
            for x in 0..image.width() as i32 {
                let mut pixel = 0;
                for shift in [16u32, 8, 0] {
                    let c = |dx: i32, dy: i32| ((image.clamped(x + dx, y + dy) >> shift) & 0xff) as i32;
                    let v = 5 * c(0, 0) - c(0, -1) - c(0, 1) - c(1, 0) - c(-1, 0);
                    pixel |= (v.clamp(0, 255) as u32) << shift;
                }
                out.push(pixel);
            }
        }
        out
    }

    #[test]
    fn matches_the_definition() {
        static PARAMS: [Param; 0] = [];
        let mut seed = 7u32;
        let pixels: Vec<u32> = (0..17 * 11)
            .map(|i| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                match i % 7 {
                    0 => 0xff00_0000,
                    1 => 0x00ff_ffff,
                    _ => seed,
                }
            })
            .collect();
        for (w, h) in [(17, 11), (1, 11), (17, 1), (1, 1), (2, 2)] {
            let mut image = Image::from_pixels(w, h, pixels[..(w * h) as usize].to_vec()).unwrap();
            let expected = naive(&image);
            sharpen(&mut image, &Params::resolve(&PARAMS, &[]));
            assert_eq!(image.pixels(), &expected[..], "{}x{}", w, h);
        }
    }
}
