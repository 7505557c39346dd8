//! Filter plugins (cargo feature `alloc`): the protocol between an app
//! such as paint and an image filter, the plugin's side of it
//! ([`filter_plugin!`](crate::filter_plugin), [`serve`]) and the app's
//! ([`describe`], [`apply`]). `docs/plugins.md` walks through writing one.
//!
//! A plugin is an actor spawned from the plugins directory. Its boot
//! endpoint (handle 1) takes two calls:
//!
//! - [`DESCRIBE`], no payload: answered with [`DESCRIPTION`], UTF-8 text:
//!   the filter's name on the first line, then one line per parameter,
//!   `name min max default` (decimal `i32`s).
//! - [`APPLY`], with a buffer cap (READ, WRITE) holding the image,
//!   `width × height` pixels of XRGB8888 (`0x00RRGGBB`), row after row.
//!   Payload: width `u32`, height `u32`, then parameter values `i32`, in
//!   the order DESCRIPTION lists them (missing ones take their default,
//!   values are clamped to their range, extra ones are ignored). The
//!   plugin reads the image into its own memory, filters it, writes it
//!   back and answers [`DONE`] (payload: the filter's own time, `u64`
//!   nanoseconds, or nothing), or [`ERROR`]: code `u32` ([`error`]),
//!   message UTF-8.
//!
//! The caller decides what to trust: paint lends a copy of its canvas, waits
//! a bounded time, revokes the cap, and only then takes the result.
//!
//! These numbers restate nothing: this file is their definition;
//! `Sources/AppProtocols/FilterProtocol.swift` and `docs/plugins.md` restate
//! them, and the test `PluginProtocolAgreementTests` fails when they drift.

use alloc::string::String;
use alloc::vec::Vec;

use crate::wire::{Reader, Writer};

mod host;
mod image;
mod plugin;

pub use host::{apply, describe};
pub use image::{channels, keep_alive, rgb, Image};
pub use plugin::{description, serve};

/// Describe yourself: answered with [`DESCRIPTION`].
pub const DESCRIBE: u32 = 0x0600;
/// Filter the image in the passed buffer: answered with [`DONE`] or [`ERROR`].
pub const APPLY: u32 = 0x0601;
/// Answer to [`DESCRIBE`]: name line, then `name min max default` lines.
pub const DESCRIPTION: u32 = 0x0680;
/// Answer to [`APPLY`]: the buffer holds the filtered image. Payload: how
/// long the filter function took, `u64` nanoseconds by the plugin's clock
/// (`sys_time_now`; the copies in and out not included), or nothing. A
/// figure for benchmarks, which callers may ignore.
pub const DONE: u32 = 0x0681;
/// Answer to a request the plugin refused: code u32, message UTF-8.
pub const ERROR: u32 = 0x06FF;

/// The most parameters a filter has.
pub const MAX_PARAMS: usize = 8;
/// The largest width or height of an image.
pub const MAX_SIDE: u32 = 8192;
/// The largest image, in pixels (a 64 MiB buffer).
pub const MAX_PIXELS: usize = 16 * 1024 * 1024;

/// Codes in an [`ERROR`] answer.
pub mod error {
    /// Unknown opcode, or a payload too short for its fields.
    pub const MALFORMED: u32 = 1;
    /// Width or height 0 or too large, or no buffer cap, or a buffer
    /// smaller than `width × height × 4` bytes.
    pub const BAD_IMAGE: u32 = 2;
    /// The plugin could not allocate the image.
    pub const NO_MEMORY: u32 = 3;
    /// Reading or writing the buffer failed (no READ or WRITE right, or
    /// the cap was revoked meanwhile).
    pub const BUFFER_FAILED: u32 = 4;
}

/// One parameter of a filter: an `i32` in `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// Its name, one word (no spaces).
    pub name: &'static str,
    /// The smallest value.
    pub min: i32,
    /// The largest value.
    pub max: i32,
    /// The value when the caller sends none.
    pub default: i32,
}

impl Param {
    /// A parameter `name` in `min..=max`, `default` when not given.
    pub const fn new(name: &'static str, min: i32, max: i32, default: i32) -> Param {
        Param { name, min, max, default }
    }
}

/// What [`DESCRIBE`] answers: the filter's name and parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterInfo {
    /// The name shown in menus.
    pub name: &'static str,
    /// The parameters, in the order [`APPLY`] takes their values.
    pub params: &'static [Param],
}

/// The parameter values of one request: clamped, defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    values: [i32; MAX_PARAMS],
    names: &'static [Param],
}

impl Params {
    /// Resolves the values a caller sent against the declared parameters.
    pub fn resolve(declared: &'static [Param], sent: &[i32]) -> Params {
        let mut values = [0; MAX_PARAMS];
        for (i, param) in declared.iter().take(MAX_PARAMS).enumerate() {
            let value = sent.get(i).copied().unwrap_or(param.default);
            values[i] = value.max(param.min).min(param.max);
        }
        Params { values, names: declared }
    }

    /// The value of parameter `index` (0 if there is none).
    pub fn get(&self, index: usize) -> i32 {
        self.values.get(index).copied().unwrap_or(0)
    }

    /// The value of the parameter called `name` (0 if there is none).
    pub fn named(&self, name: &str) -> i32 {
        match self.names.iter().position(|p| p.name == name) {
            Some(index) => self.get(index),
            None => 0,
        }
    }
}

/// An [`APPLY`] payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplyRequest {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Parameter values; the first `count` were sent.
    pub params: [i32; MAX_PARAMS],
    /// How many values were sent (at most [`MAX_PARAMS`] are kept).
    pub count: usize,
}

impl ApplyRequest {
    /// Decodes a payload: `None` if it is shorter than 8 bytes.
    pub fn decode(payload: &[u8]) -> Option<ApplyRequest> {
        let mut r = Reader::new(payload);
        let width = r.u32()?;
        let height = r.u32()?;
        let mut params = [0; MAX_PARAMS];
        let mut count = 0;
        while count < MAX_PARAMS {
            match r.i32() {
                Some(value) => params[count] = value,
                None => break,
            }
            count += 1;
        }
        Some(ApplyRequest { width, height, params, count })
    }

    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = [0u8; 8 + 4 * MAX_PARAMS];
        let mut w = Writer::new(&mut out);
        w.u32(self.width);
        w.u32(self.height);
        for &value in &self.params[..self.count.min(MAX_PARAMS)] {
            w.i32(value);
        }
        let len = w.len();
        out[..len].to_vec()
    }
}

// MARK: the app's side

/// A filter as its plugin describes itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// The name to show.
    pub name: String,
    /// Parameters: (name, min, max, default).
    pub params: Vec<(String, i32, i32, i32)>,
}

impl Description {
    /// Parses a [`DESCRIPTION`] text: `None` if there is no name line or a
    /// parameter line is not `name min max default` with `min <= default <= max`.
    pub fn parse(text: &str) -> Option<Description> {
        let mut lines = text.lines();
        let name = lines.next()?.trim();
        if name.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let mut words = line.split_whitespace();
            let pname = words.next()?;
            let min: i32 = words.next()?.parse().ok()?;
            let max: i32 = words.next()?.parse().ok()?;
            let default: i32 = words.next()?.parse().ok()?;
            if words.next().is_some() || min > max || default < min || default > max || params.len() == MAX_PARAMS {
                return None;
            }
            params.push((String::from(pname), min, max, default));
        }
        Some(Description { name: String::from(name), params })
    }
}

/// The words of an [`error`] code.
pub const fn error_name(code: u32) -> &'static str {
    match code {
        error::MALFORMED => "malformed request or answer",
        error::BAD_IMAGE => "bad image",
        error::NO_MEMORY => "out of memory",
        error::BUFFER_FAILED => "buffer access failed",
        _ => "unknown error",
    }
}

/// Defines `_start` for a filter plugin around a function
/// `fn(&mut Image, &Params)`: the plugin answers [`DESCRIBE`] and [`APPLY`]
/// (see the [module](crate::filter) docs).
///
/// ```ignore
/// // No parameters; the menu shows the function's name.
/// wsk::filter_plugin!(invert);
///
/// // A name and parameters.
/// wsk::filter_plugin!(blur, name: "Box blur", params: [wsk::filter::Param::new("radius", 1, 32, 2)]);
/// ```
#[macro_export]
macro_rules! filter_plugin {
    ($filter:ident) => {
        $crate::filter_plugin!($filter, name: stringify!($filter), params: []);
    };
    ($filter:path, name: $name:expr $(,)?) => {
        $crate::filter_plugin!($filter, name: $name, params: []);
    };
    ($filter:path, name: $name:expr, params: [$($param:expr),* $(,)?] $(,)?) => {
        // Only in the Wasm build: a host `cargo test` binary has its own `_start`.
        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub extern "C" fn _start() {
            static PARAMS: &[$crate::filter::Param] = &[$($param),*];
            static INFO: $crate::filter::FilterInfo = $crate::filter::FilterInfo { name: $name, params: PARAMS };
            $crate::__runtime_init();
            $crate::filter::serve(&INFO, $filter);
        }
        #[cfg(not(target_arch = "wasm32"))]
        #[doc(hidden)]
        pub static __WSK_FILTER: fn(&mut $crate::filter::Image, &$crate::filter::Params) = $filter;
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    static BLUR: [Param; 2] = [Param::new("radius", 1, 32, 2), Param::new("passes", 1, 3, 1)];

    #[test]
    fn resolves_params() {
        let p = Params::resolve(&BLUR, &[]);
        assert_eq!((p.get(0), p.get(1), p.get(2)), (2, 1, 0));
        let p = Params::resolve(&BLUR, &[99, -4, 7]);
        assert_eq!((p.named("radius"), p.named("passes"), p.named("nope")), (32, 1, 0));
    }

    #[test]
    fn requests_round_trip() {
        let mut request = ApplyRequest { width: 640, height: 480, params: [0; MAX_PARAMS], count: 2 };
        request.params[0] = -3;
        request.params[1] = 9;
        assert_eq!(ApplyRequest::decode(&request.encode()), Some(request));
        assert_eq!(ApplyRequest::decode(&[1, 0, 0, 0, 2, 0, 0]), None);
        let bare = ApplyRequest::decode(&[1, 0, 0, 0, 2, 0, 0, 0, 5]).unwrap();
        assert_eq!((bare.width, bare.height, bare.count), (1, 2, 0), "a partial value is not a value");
    }

    #[test]
    fn descriptions_round_trip() {
        let info = FilterInfo { name: "Box blur", params: &BLUR };
        let text = description(&info);
        assert_eq!(text, "Box blur\nradius 1 32 2\npasses 1 3 1\n");
        let parsed = Description::parse(&text).unwrap();
        assert_eq!(parsed.name, "Box blur");
        assert_eq!(parsed.params[0], (String::from("radius"), 1, 32, 2));
        assert_eq!(Description::parse("x\nr 5 1 3\n"), None, "min above max");
        assert_eq!(Description::parse("x\nr 1 5\n"), None, "missing default");
        assert_eq!(Description::parse("\n"), None, "no name");
        assert_eq!(Description::parse("Invert").unwrap().params.len(), 0);
    }

    #[test]
    fn images() {
        let mut image = Image::new(3, 2).unwrap();
        image.pixels_mut().copy_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(image.row(1), &[4, 5, 6]);
        image.row_mut(0)[2] = 9;
        assert_eq!(image.row(0), &[1, 2, 9]);
        image.row_mut(0)[2] = 3;
        assert_eq!(image.clamped(-5, 9), 4);
        assert_eq!(image.clamped(7, -1), 3);
        assert_eq!(image.bytes()[4..8], [2, 0, 0, 0]);
        assert!(Image::new(0, 5).is_none() && Image::new(MAX_SIDE + 1, 1).is_none());
        assert!(Image::from_pixels(2, 2, alloc::vec![0; 3]).is_none());
        assert_eq!(channels(rgb(1, 2, 3)), (1, 2, 3));
    }

    #[test]
    fn images_are_reused() {
        let mut image = Image::empty();
        assert!(image.reuse_as(4, 2));
        image.pixels_mut().fill(7);
        let memory = image.pixels().as_ptr();
        assert!(image.reuse_as(2, 3));
        assert_eq!((image.width(), image.height(), image.pixels()), (2, 3, &[7; 6][..]), "old pixels, not cleared");
        assert!(image.reuse_as(1, 8));
        assert_eq!(image.pixels(), &[7, 7, 7, 7, 7, 7, 0, 0], "zeros where it grew");
        assert_eq!(image.pixels().as_ptr(), memory, "the same memory");
        assert!(image.reuse_as(3, 3));
        assert_eq!(image.pixels().len(), 9);
        assert!(!image.reuse_as(0, 3) && !image.reuse_as(MAX_SIDE + 1, 1));
    }
}
