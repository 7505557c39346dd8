//! Sepia: the classic matrix in thousandths, each result cut at 255:
//! `r' = (393 r + 769 g + 189 b) / 1000`, `g' = (349 r + 686 g + 168 b) / 1000`,
//! `b' = (272 r + 534 g + 131 b) / 1000` (integer division).
#![no_std]

use wsk::filter::{channels, rgb, Image, Params};

wsk::filter_plugin!(sepia, name: "Sepia");

fn sepia(image: &mut Image, _: &Params) {
    image.map(|pixel| {
        let (r, g, b) = channels(pixel);
        let tone = |wr: u32, wg: u32, wb: u32| ((wr * r + wg * g + wb * b) / 1000).min(255);
        rgb(tone(393, 769, 189), tone(349, 686, 168), tone(272, 534, 131))
    });
}
