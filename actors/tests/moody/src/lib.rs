//! A filter plugin with a parameter that decides whether it works: with
//! `trap` 0 it inverts the image, with 1 it scribbles over it and traps.
//! For paint's parameters dialog: a preview that fails.
#![no_std]

use wsk::filter::{Image, Params};

wsk::filter_plugin!(moody, name: "Moody (test)", params: [wsk::filter::Param::new("trap", 0, 1, 0)]);

fn moody(image: &mut Image, params: &Params) {
    if params.named("trap") == 0 {
        image.map(|pixel| !pixel & 0x00ff_ffff);
    } else {
        image.map(|_| 0x00ff_00ff);
        wsk::trap()
    }
}
