//! A filter that panics in APPLY (not at DESCRIBE: the SDK's self-test
//! image is too small for it) with a message the tests look for.
#![no_std]

use wsk::filter::{Image, Params};

wsk::filter_plugin!(posterize, name: "Posterize (test)");

fn posterize(image: &mut Image, _: &Params) {
    if image.width() > 16 {
        let levels = image.width() / 1000;
        panic!("cannot posterize to {} levels", levels);
    }
}
