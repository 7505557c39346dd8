//! The filter to copy: a whole plugin in one file (see docs/plugins.md).
//!
//! Brightness adds `amount` to each channel and keeps the result in 0..=255.
//! `filter_plugin!` does the rest: it answers paint's DESCRIBE with the
//! name and parameters below, and for APPLY reads the image into `image`,
//! calls `brightness`, and writes the image back.
#![no_std]

use wsk::filter::{channels, rgb, Image, Param, Params};

wsk::filter_plugin!(
    brightness,
    name: "Brightness (template)",
    // Optional metadata, shown by apps (each field may be left out).
    version: "0.1.0",
    author: "wskdesk",
    description: "Adds an amount to each channel",
    // name, min, max, default: paint sends the default unless told otherwise.
    // Names are 1 to 32 letters, digits, `_` or `-`; `params.named` with a
    // name not declared here panics when the plugin is loaded.
    params: [Param::new("amount", -255, 255, 40)],
);

fn brightness(image: &mut Image, params: &Params) {
    let amount = params.named("amount");
    let shift = |c: u32| (c as i32 + amount).clamp(0, 255) as u32;
    // A tight loop over the plugin's own memory: no host call per pixel.
    image.map(|pixel| {
        let (r, g, b) = channels(pixel);
        rgb(shift(r), shift(g), shift(b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brightens_and_clamps() {
        static PARAMS: [Param; 1] = [Param::new("amount", -255, 255, 40)];
        let mut image = Image::from_pixels(2, 1, [0x0010_2030, 0x00f0_fff0].to_vec()).unwrap();
        brightness(&mut image, &Params::resolve(&PARAMS, &[]));
        assert_eq!(image.pixels(), &[0x0038_4858, 0x00ff_ffff]);
    }
}
