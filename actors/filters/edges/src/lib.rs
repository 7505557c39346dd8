//! Edge detect: the Sobel operator on luma `l = (77 r + 150 g + 29 b + 128) >> 8`,
//! edge pixels extended outwards. Each pixel becomes gray
//! `m = min(255, |gx| + |gy|)` with
//! `gx = (l[x+1,y-1] + 2 l[x+1,y] + l[x+1,y+1]) - (l[x-1,y-1] + 2 l[x-1,y] + l[x-1,y+1])` and
//! `gy = (l[x-1,y+1] + 2 l[x,y+1] + l[x+1,y+1]) - (l[x-1,y-1] + 2 l[x,y-1] + l[x+1,y-1])`.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use wsk::filter::{keep_alive, channels, rgb, Image, Params};

wsk::filter_plugin!(edges, name: "Edge detect");

fn edges(image: &mut Image, _: &Params) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let luma: Vec<i32> = image
        .pixels()
        .iter()
        .map(|&p| {
            let (r, g, b) = channels(p);
            ((77 * r + 150 * g + 29 * b + 128) >> 8) as i32
        })
        .collect();
    let out = image.pixels_mut();
    for y in 0..h {
        keep_alive();
        let rows = [y.saturating_sub(1) * w, y * w, (y + 1).min(h - 1) * w];
        for x in 0..w {
            let (l, r) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let at = |row: usize, col: usize| luma[rows[row] + col];
            let gx = (at(0, r) + 2 * at(1, r) + at(2, r)) - (at(0, l) + 2 * at(1, l) + at(2, l));
            let gy = (at(2, l) + 2 * at(2, x) + at(2, r)) - (at(0, l) + 2 * at(0, x) + at(0, r));
            let m = (gx.abs() + gy.abs()).min(255) as u32;
            out[y * w + x] = rgb(m, m, m);
        }
    }
}
