//! Box blur: each channel becomes the mean of the `(2 radius + 1)²` pixels
//! around it, edge pixels extended outwards, rounded half up:
//! `(sum + n / 2) / n` with `n = (2 radius + 1)²`.
//!
//! Computed as two sliding-window passes (rows, then columns) over integer
//! sums: exactly the 2-D sum, at a cost independent of the radius.
#![no_std]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use wsk::filter::{keep_alive, Image, Param, Params};

wsk::filter_plugin!(blur, name: "Box blur", params: [Param::new("radius", 1, 32, 2)]);

fn blur(image: &mut Image, params: &Params) {
    let radius = params.named("radius").max(0) as usize;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let n = ((2 * radius + 1) * (2 * radius + 1)) as u32;
    let mut sums: Vec<u32> = vec![0; w * h];
    let mut column: Vec<u32> = vec![0; w];
    for shift in [16u32, 8, 0] {
        // Rows: sums[y][x] = Σ channel(clamp(x + dx)), dx in -radius..=radius.
        let pixels = image.pixels();
        for y in 0..h {
            keep_alive();
            let row = &pixels[y * w..(y + 1) * w];
            let ch = |x: isize| (row[x.max(0).min(w as isize - 1) as usize] >> shift) & 0xff;
            let mut sum: u32 = (-(radius as isize)..=radius as isize).map(ch).sum();
            for x in 0..w {
                sums[y * w + x] = sum;
                sum += ch((x + radius + 1) as isize);
                sum -= ch(x as isize - radius as isize);
            }
        }
        // Columns, a whole row at a time: column[x] = Σ sums[clamp(y + dy)][x].
        let at = |y: isize| y.max(0).min(h as isize - 1) as usize * w;
        column.fill(0);
        for dy in -(radius as isize)..=radius as isize {
            let row = at(dy);
            for x in 0..w {
                column[x] += sums[row + x];
            }
        }
        let out = image.pixels_mut();
        for y in 0..h {
            keep_alive();
            let mask = !(0xff << shift);
            for x in 0..w {
                let mean = (column[x] + n / 2) / n;
                out[y * w + x] = (out[y * w + x] & mask) | (mean << shift);
            }
            let (add, sub) = (at((y + radius + 1) as isize), at(y as isize - radius as isize));
            for x in 0..w {
                column[x] = column[x] + sums[add + x] - sums[sub + x];
            }
        }
    }
    for pixel in image.pixels_mut() {
        *pixel &= 0x00ff_ffff;
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
        let pixels: Vec<u32> = (0..13 * 7)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                seed | 0xff00_0000
            })
            .collect();
        for radius in [1, 2, 5, 20] {
            let mut image = Image::from_pixels(13, 7, pixels.clone()).unwrap();
            let expected = naive(&image, radius);
            blur(&mut image, &Params::resolve(&PARAMS, &[radius]));
            assert_eq!(image.pixels(), &expected[..], "radius {}", radius);
        }
    }
}
