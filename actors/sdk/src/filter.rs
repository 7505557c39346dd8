//! Filter plugins (cargo feature `alloc`): the protocol between an app
//! such as paint and an image filter, the plugin's side of it
//! ([`filter_plugin!`](crate::filter_plugin), [`serve`]) and the app's
//! ([`describe`], [`apply`]). `docs/plugins.md` walks through writing one.
//!
//! A plugin is an actor spawned from the plugins directory. Its boot
//! endpoint (handle 1) takes two calls:
//!
//! - [`DESCRIBE`], no payload: answered with [`DESCRIPTION`], UTF-8 text:
//!   the filter's name on the first line, then optional metadata lines
//!   `key: value` (keys `version`, `author`, `description`; a line whose
//!   first word ends in `:` is metadata, unknown keys are ignored), then one
//!   line per parameter, `name min max default` (decimal `i32`s; names of
//!   1 to 32 letters, digits, `_` or `-`). Before answering, the SDK runs
//!   the filter once on a tiny image with the default values, so that a
//!   mistake such as [`Params::named`] with an undeclared name fails here.
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
//! An APPLY sent with a call is answered on its reply cap. An app may also
//! start a plugin with a grant (its handle 2): a SEND cap to an endpoint of
//! the app's, the *answer endpoint*. APPLY sent there without a reply cap
//! (a plain send) is answered on handle 2, and while it runs the plugin
//! sends [`PROGRESS`] notes there (the SDK does it for filters that walk
//! the image with [`Image::map`], [`Image::row`] or [`Image::row_mut`], and
//! [`progress`] reports it by hand), so the app need not block. A plugin
//! that panics while serving a request answers it with [`ERROR`]
//! [`error::PANICKED`] and the panic's text before it ends.
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

pub use host::{apply, describe, describe_plugin, next_answer, start_apply, Answer, Failure};
pub use image::{channels, keep_alive, rgb, Image};
pub use plugin::{description, progress, serve};

/// Describe yourself: answered with [`DESCRIPTION`].
pub const DESCRIBE: u32 = 0x0600;
/// Filter the image in the passed buffer: answered with [`DONE`] or [`ERROR`].
pub const APPLY: u32 = 0x0601;
/// No payload, no answer: an app sends it to learn whether the plugin still
/// lives (the send fails with `PeerClosed` if not); the plugin ignores it.
pub const PING: u32 = 0x0602;
/// Answer to [`DESCRIBE`]: name line, metadata lines, then `name min max default` lines.
pub const DESCRIPTION: u32 = 0x0680;
/// Answer to [`APPLY`]: the buffer holds the filtered image. Payload: how
/// long the filter function took, `u64` nanoseconds by the plugin's clock
/// (`sys_time_now`; the copies in and out not included), or nothing. A
/// figure for benchmarks, which callers may ignore.
pub const DONE: u32 = 0x0681;
/// A note on handle 2 while an APPLY runs: done `u32`, total `u32` (work
/// units of the plugin's choosing: rows, pixels). At most about 20 a
/// second; none is sent when the app's queue is full.
pub const PROGRESS: u32 = 0x0682;
/// Answer to a request the plugin refused: code u32, message UTF-8.
pub const ERROR: u32 = 0x06FF;

/// The most parameters a filter has.
pub const MAX_PARAMS: usize = 8;
/// The largest width or height of an image.
pub const MAX_SIDE: u32 = 8192;
/// The largest image, in pixels (a 64 MiB buffer).
pub const MAX_PIXELS: usize = 16 * 1024 * 1024;
/// The longest name or metadata value in a DESCRIPTION, in bytes: longer
/// ones are cut (the SDK) or refused (parsers).
pub const MAX_META_BYTES: usize = 200;
/// The longest parameter name, in bytes.
pub const MAX_PARAM_NAME: usize = 32;

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
    /// The filter panicked; the message is the panic's text (one line, at
    /// most 512 bytes), e.g. `panicked at src/lib.rs:12:9: attempt to
    /// divide by zero`. The plugin ends after answering.
    pub const PANICKED: u32 = 5;
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

/// What [`DESCRIBE`] answers: the filter's name, metadata and parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterInfo {
    /// The name shown in menus.
    pub name: &'static str,
    /// The filter's version, e.g. `1.2.0`; empty: none said.
    pub version: &'static str,
    /// Who wrote it; empty: none said.
    pub author: &'static str,
    /// One sentence on what it does; empty: none said.
    pub description: &'static str,
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

    /// The value of the parameter called `name`.
    ///
    /// Panics, at the caller's line, when the filter declared no such
    /// parameter: `no parameter called "typo"; this filter has: radius,
    /// passes`. The SDK runs the filter once while answering DESCRIBE, so
    /// the mistake shows when the plugin is loaded, not as a silent 0.
    #[track_caller]
    pub fn named(&self, name: &str) -> i32 {
        match self.names.iter().take(MAX_PARAMS).position(|p| p.name == name) {
            Some(index) => self.get(index),
            None => undeclared(name, self.names),
        }
    }
}

/// The panic of [`Params::named`] for a name not in `declared`.
#[track_caller]
#[cold]
fn undeclared(name: &str, declared: &[Param]) -> ! {
    struct Names<'a>(&'a [Param]);
    impl core::fmt::Display for Names<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            if self.0.is_empty() {
                return f.write_str("no parameters");
            }
            for (i, p) in self.0.iter().take(MAX_PARAMS).enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(p.name)?;
            }
            Ok(())
        }
    }
    panic!("no parameter called {:?}; this filter has: {}", name, Names(declared))
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Description {
    /// The name to show.
    pub name: String,
    /// The filter's version, if it said.
    pub version: Option<String>,
    /// Its author, if it said.
    pub author: Option<String>,
    /// What it does, if it said.
    pub description: Option<String>,
    /// Parameters: (name, min, max, default).
    pub params: Vec<(String, i32, i32, i32)>,
}

impl Description {
    /// Parses a [`DESCRIPTION`] text, old (name and parameter lines) or
    /// with metadata lines. Strict, since the text comes from a plugin:
    /// `None` if there is no name line, the name or a metadata value is
    /// longer than [`MAX_META_BYTES`] or holds a control character, a
    /// parameter name is not 1 to [`MAX_PARAM_NAME`] of `[A-Za-z0-9_-]`,
    /// a parameter line is not `name min max default` with
    /// `min <= default <= max`, or there are more than [`MAX_PARAMS`].
    /// Metadata with an unknown key is skipped (forward compatible).
    pub fn parse(text: &str) -> Option<Description> {
        let mut lines = text.lines();
        let name = lines.next()?.trim();
        if name.is_empty() || !printable(name) {
            return None;
        }
        let mut out = Description { name: String::from(name), ..Description::default() };
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let first = line.split_whitespace().next()?;
            if let Some(key) = first.strip_suffix(':') {
                let value = line.trim_start()[first.len()..].trim();
                if !printable(value) {
                    return None;
                }
                let slot = match key {
                    "version" => &mut out.version,
                    "author" => &mut out.author,
                    "description" => &mut out.description,
                    _ => continue,
                };
                *slot = Some(String::from(value));
                continue;
            }
            let mut words = line.split_whitespace();
            let pname = words.next()?;
            let min: i32 = words.next()?.parse().ok()?;
            let max: i32 = words.next()?.parse().ok()?;
            let default: i32 = words.next()?.parse().ok()?;
            if words.next().is_some() || min > max || default < min || default > max || out.params.len() == MAX_PARAMS {
                return None;
            }
            if !param_name(pname) {
                return None;
            }
            out.params.push((String::from(pname), min, max, default));
        }
        Some(out)
    }
}

/// A name or metadata value a description may hold: at most
/// [`MAX_META_BYTES`], no control characters.
fn printable(text: &str) -> bool {
    text.len() <= MAX_META_BYTES && !text.chars().any(char::is_control)
}

/// A parameter name: 1 to [`MAX_PARAM_NAME`] bytes of `[A-Za-z0-9_-]`.
pub fn param_name(name: &str) -> bool {
    (1..=MAX_PARAM_NAME).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The words of an [`error`] code.
pub const fn error_name(code: u32) -> &'static str {
    match code {
        error::MALFORMED => "malformed request or answer",
        error::BAD_IMAGE => "bad image",
        error::NO_MEMORY => "out of memory",
        error::BUFFER_FAILED => "buffer access failed",
        error::PANICKED => "the filter panicked",
        _ => "unknown error",
    }
}

/// Defines `_start` for a filter plugin around a function
/// `fn(&mut Image, &Params)`: the plugin answers [`DESCRIBE`] and [`APPLY`]
/// (see the [module](crate::filter) docs).
///
/// Everything but the function is optional; the fields that are given come
/// in this order: `name` (default: the function's name), `version`,
/// `author`, `description` (each a `&'static str`, sent as metadata), and
/// `params`.
///
/// ```ignore
/// // No parameters; the menu shows the function's name.
/// wsk::filter_plugin!(invert);
///
/// // A name, metadata and parameters.
/// wsk::filter_plugin!(
///     blur,
///     name: "Box blur",
///     version: "1.2.0",
///     author: "Jane Doe",
///     description: "Averages each pixel with its neighbours",
///     params: [wsk::filter::Param::new("radius", 1, 32, 2)],
/// );
/// ```
#[macro_export]
macro_rules! filter_plugin {
    (
        $filter:path
        $(, name: $name:expr)?
        $(, version: $version:expr)?
        $(, author: $author:expr)?
        $(, description: $description:expr)?
        $(, params: [$($param:expr),* $(,)?])?
        $(,)?
    ) => {
        // Only in the Wasm build: a host `cargo test` binary has its own `_start`.
        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub extern "C" fn _start() {
            static PARAMS: &[$crate::filter::Param] = &[$($($param),*)?];
            static INFO: $crate::filter::FilterInfo = $crate::filter::FilterInfo {
                name: $crate::__first!($($name,)? stringify!($filter)),
                version: $crate::__first!($($version,)? ""),
                author: $crate::__first!($($author,)? ""),
                description: $crate::__first!($($description,)? ""),
                params: PARAMS,
            };
            $crate::__runtime_init();
            $crate::filter::serve(&INFO, $filter);
        }
        #[cfg(not(target_arch = "wasm32"))]
        #[doc(hidden)]
        pub static __WSK_FILTER: fn(&mut $crate::filter::Image, &$crate::filter::Params) = $filter;
    };
}

/// The first of its arguments: a given field, or the default after it.
#[doc(hidden)]
#[macro_export]
macro_rules! __first {
    ($first:expr $(, $rest:expr)* $(,)?) => {
        $first
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
        assert_eq!((p.named("radius"), p.named("passes")), (32, 1));
    }

    #[test]
    fn an_undeclared_name_panics_with_the_declared_ones() {
        extern crate std;
        let p = Params::resolve(&BLUR, &[]);
        let caught = std::panic::catch_unwind(|| p.named("raduis")).unwrap_err();
        let text = caught.downcast_ref::<String>().map(String::as_str).unwrap_or("(not a string)");
        assert_eq!(text, "no parameter called \"raduis\"; this filter has: radius, passes");
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
        let info = FilterInfo { name: "Box blur", version: "", author: "", description: "", params: &BLUR };
        let text = description(&info);
        assert_eq!(text, "Box blur\nradius 1 32 2\npasses 1 3 1\n");
        let parsed = Description::parse(&text).unwrap();
        assert_eq!(parsed.name, "Box blur");
        assert_eq!(parsed.version, None);
        assert_eq!(parsed.params[0], (String::from("radius"), 1, 32, 2));
        assert_eq!(Description::parse("x\nr 5 1 3\n"), None, "min above max");
        assert_eq!(Description::parse("x\nr 1 5\n"), None, "missing default");
        assert_eq!(Description::parse("\n"), None, "no name");
        assert_eq!(Description::parse("Invert").unwrap().params.len(), 0);
    }

    #[test]
    fn descriptions_carry_metadata() {
        let info = FilterInfo {
            name: "Box blur",
            version: "1.2.0",
            author: "Jane\tDoe\n",
            description: "Averages: each pixel",
            params: &BLUR,
        };
        let text = description(&info);
        assert_eq!(
            text,
            "Box blur\nversion: 1.2.0\nauthor: Jane Doe\ndescription: Averages: each pixel\nradius 1 32 2\npasses 1 3 1\n",
            "control characters become spaces, trailing ones go"
        );
        let parsed = Description::parse(&text).unwrap();
        assert_eq!(parsed.version.as_deref(), Some("1.2.0"));
        assert_eq!(parsed.author.as_deref(), Some("Jane Doe"));
        assert_eq!(parsed.description.as_deref(), Some("Averages: each pixel"));
        assert_eq!(parsed.params.len(), 2);

        let long: &'static str = alloc::boxed::Box::leak("é".repeat(150).into_boxed_str());
        let info = FilterInfo { name: "X", version: "", author: "", description: long, params: &[] };
        let cut = Description::parse(&description(&info)).unwrap().description.unwrap();
        assert_eq!(cut.len(), MAX_META_BYTES, "cut at a character boundary");

        // Unknown keys are skipped; bad values, names and counts refused.
        let parsed = Description::parse("X\nlicense: MIT\nhomepage:\nr 1 2 1\n").unwrap();
        assert_eq!((parsed.version, parsed.params.len()), (None, 1));
        assert_eq!(Description::parse("X\nauthor: a\u{7}b\n"), None, "a control character");
        let value = "a".repeat(MAX_META_BYTES + 1);
        assert_eq!(Description::parse(&alloc::format!("X\nversion: {}\n", value)), None, "too long");
        assert_eq!(Description::parse(&alloc::format!("{}\n", value)), None, "a name too long");
        assert_eq!(Description::parse("X\nr\u{1b}[2J 1 2 1\n"), None, "an escape in a parameter name");
        assert_eq!(Description::parse("X\nrädius 1 2 1\n"), None, "not [A-Za-z0-9_-]");
        assert_eq!(Description::parse(&alloc::format!("X\n{} 1 2 1\n", "r".repeat(33))), None, "a name too long");
        let nine: String = (0..9).map(|i| alloc::format!("p{} 0 1 0\n", i)).collect();
        assert_eq!(Description::parse(&alloc::format!("X\n{}", nine)), None, "nine parameters");
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
