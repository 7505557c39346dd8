//! Invert: every channel `c` becomes `255 - c`.
#![no_std]

use wsk::filter::{Image, Params};

wsk::filter_plugin!(invert, name: "Invert", version: "1.0.0", description: "Every channel c becomes 255 - c");

fn invert(image: &mut Image, _: &Params) {
    image.map(|pixel| !pixel & 0x00ff_ffff);
}

#[cfg(test)]
mod tests {
    #[test]
    fn inverts() {
        let mut image = wsk::filter::Image::from_pixels(2, 1, [0x0012_3456, 0xff00_00ff].to_vec()).unwrap();
        super::invert(&mut image, &wsk::filter::Params::resolve(&[], &[]));
        assert_eq!(image.pixels(), &[0x00ed_cba9, 0x00ff_ff00]);
    }
}
