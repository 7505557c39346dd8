//! Sharpen: the 3x3 kernel `[0 -1 0; -1 5 -1; 0 -1 0]` on each channel,
//! edge pixels extended outwards, results kept in 0..=255.
#![no_std]

extern crate alloc;

use wsk::filter::{keep_alive, Image, Params};

wsk::filter_plugin!(sharpen, name: "Sharpen");

fn sharpen(image: &mut Image, _: &Params) {
    let source = image.clone();
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = source.pixels();
    let out = image.pixels_mut();
    for y in 0..h {
        keep_alive();
        let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let (left, right) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let (c, n, s) = (src[y * w + x], src[up * w + x], src[down * w + x]);
            let (e, west) = (src[y * w + right], src[y * w + left]);
            let mut pixel = 0;
            for shift in [16u32, 8, 0] {
                let ch = |p: u32| ((p >> shift) & 0xff) as i32;
                let v = 5 * ch(c) - ch(n) - ch(s) - ch(e) - ch(west);
                pixel |= (v.clamp(0, 255) as u32) << shift;
            }
            out[y * w + x] = pixel;
        }
    }
}
