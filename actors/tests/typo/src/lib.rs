//! A filter that asks for a parameter it did not declare: the SDK's
//! self-test makes that fail at DESCRIBE.
#![no_std]

use wsk::filter::{Image, Params};

wsk::filter_plugin!(typo, name: "Typo (test)", params: [wsk::filter::Param::new("radius", 1, 8, 2)]);

fn typo(_: &mut Image, params: &Params) {
    let _ = params.named("raduis");
}
