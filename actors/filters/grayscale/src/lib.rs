//! Grayscale: each pixel becomes its luma `y = (77 r + 150 g + 29 b + 128) >> 8`
//! (BT.601 weights in 256ths) in all three channels.
#![no_std]

use wsk::filter::{channels, rgb, Image, Params};

wsk::filter_plugin!(grayscale, name: "Grayscale");

fn grayscale(image: &mut Image, _: &Params) {
    image.map(|pixel| {
        let (r, g, b) = channels(pixel);
        let y = (77 * r + 150 * g + 29 * b + 128) >> 8;
        rgb(y, y, y)
    });
}
