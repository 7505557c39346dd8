//! Edge detect: the Sobel operator on luma `l = (77 r + 150 g + 29 b + 128) >> 8`,
//! edge pixels extended outwards. Each pixel becomes gray
//! `m = min(255, |gx| + |gy|)` with
//! `gx = (l[x+1,y-1] + 2 l[x+1,y] + l[x+1,y+1]) - (l[x-1,y-1] + 2 l[x-1,y] + l[x-1,y+1])` and
//! `gy = (l[x-1,y+1] + 2 l[x,y+1] + l[x+1,y+1]) - (l[x-1,y-1] + 2 l[x,y-1] + l[x+1,y-1])`.
//!
//! The image is filtered in place, row by row, from the luma of three rows
//! kept aside: the originals of the rows above, at and below the one
//! being written. The operator is separable: with `s = l[y-1] + 2 l[y] + l[y+1]`
//! and `d = l[y+1] - l[y-1]` down each column, `gx = s[x+1] - s[x-1]` and
//! `gy = d[x-1] + 2 d[x] + d[x+1]`.
#![no_std]

extern crate alloc;

use alloc::vec;
use wsk::filter::{channels, keep_alive, rgb, Image, Params};

wsk::filter_plugin!(edges, name: "Edge detect");

/// Fills `luma` with the luma of `row`, its first and last pixel repeated
/// once more on either side (edges extended): `luma` is one longer than
/// `row` at each end.
fn luma_row(row: &[u32], luma: &mut [i32]) {
    for (l, &pixel) in luma[1..].iter_mut().zip(row) {
        let (r, g, b) = channels(pixel);
        *l = ((77 * r + 150 * g + 29 * b + 128) >> 8) as i32;
    }
    let last = luma.len() - 1;
    luma[0] = luma[1];
    luma[last] = luma[last - 1];
}

fn edges(image: &mut Image, _: &Params) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let (mut above, mut middle, mut below) = (vec![0i32; w + 2], vec![0i32; w + 2], vec![0i32; w + 2]);
    luma_row(image.row(0), &mut middle);
    above.copy_from_slice(&middle); // the row above the first is the first
    for y in 0..h {
        keep_alive();
        // Row y + 1 is not yet overwritten; below the last row is the last.
        luma_row(image.row((y + 1).min(h - 1) as u32), &mut below);
        // s and d of the columns left of, at and right of the pixel; pixel
        // x of the row is luma column x + 1.
        let column = |x: usize| (above[x] + 2 * middle[x] + below[x], below[x] - above[x]);
        let ((mut s0, mut d0), (mut s1, mut d1)) = (column(0), column(1));
        let right = above[2..].iter().zip(&middle[2..]).zip(&below[2..]);
        for (((&a, &m), &b), pixel) in right.zip(image.row_mut(y as u32)) {
            let (s2, d2) = (a + 2 * m + b, b - a);
            let gx = s2 - s0;
            let gy = d0 + 2 * d1 + d2;
            let g = (gx.abs() + gy.abs()).min(255) as u32;
            *pixel = rgb(g, g, g);
            (s0, d0, s1, d1) = (s1, d1, s2, d2);
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

    /// The definition, pixel by pixel.
    fn naive(image: &Image) -> Vec<u32> {
        let l = |x: i32, y: i32| {
            let (r, g, b) = channels(image.clamped(x, y));
            ((77 * r + 150 * g + 29 * b + 128) >> 8) as i32
        };
        let mut out = Vec::new();
        for y in 0..image.height() as i32 {
            for x in 0..image.width() as i32 {
                let gx = (l(x + 1, y - 1) + 2 * l(x + 1, y) + l(x + 1, y + 1)) - (l(x - 1, y - 1) + 2 * l(x - 1, y) + l(x - 1, y + 1));
                let gy = (l(x - 1, y + 1) + 2 * l(x, y + 1) + l(x + 1, y + 1)) - (l(x - 1, y - 1) + 2 * l(x, y - 1) + l(x + 1, y - 1));
                let m = (gx.abs() + gy.abs()).min(255) as u32;
                out.push(rgb(m, m, m));
            }
        }
        out
    }

    #[test]
    fn matches_the_definition() {
        static PARAMS: [Param; 0] = [];
        let mut seed = 99u32;
        let pixels: Vec<u32> = (0..17 * 11)
            .map(|i| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if i % 5 == 0 { 0x00ff_ffff } else { seed }
            })
            .collect();
        for (w, h) in [(17, 11), (1, 11), (17, 1), (1, 1), (2, 2)] {
            let mut image = Image::from_pixels(w, h, pixels[..(w * h) as usize].to_vec()).unwrap();
            let expected = naive(&image);
            edges(&mut image, &Params::resolve(&PARAMS, &[]));
            assert_eq!(image.pixels(), &expected[..], "{}x{}", w, h);
        }
    }
}
