//! A slow filter: inverts the image row by row, waiting between rows so
//! that the whole takes about `ms` milliseconds. It leaves progress to the
//! SDK (`Image::row_mut`), as a row-wise filter does.
#![no_std]

use wsk::filter::{Image, Params};

wsk::filter_plugin!(
    slow,
    name: "Slow (test)",
    description: "Inverts, slowly",
    params: [wsk::filter::Param::new("ms", 0, 60_000, 3_000)],
);

fn slow(image: &mut Image, params: &Params) {
    let per_row = params.named("ms") as u64 * 1_000_000 / image.height() as u64;
    for y in 0..image.height() {
        let until = wsk::now() + per_row;
        while wsk::now() < until {
            wsk::yield_now();
        }
        for pixel in image.row_mut(y) {
            *pixel = !*pixel & 0x00ff_ffff;
        }
    }
}
