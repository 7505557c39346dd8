//! PNG files, decoded and encoded inside the actor (cargo feature
//! `image-file`), so that the host never parses a user's file.
//!
//! The codec is the `png` crate; this module puts a guard in front of it
//! and speaks in pixels the SDK uses (`u32`, `0xAARRGGBB`, row after row).
//! A file is untrusted, so [`decode_png`] first walks its chunks itself:
//! signature, lengths, checksums, the header's size against [`Limits`]
//! (before anything is allocated for pixels), image data present, end
//! marker present. Only a file that passes goes to the codec, with the
//! codec's own memory limit set too. Decoding stops after the last row the
//! header promises: compressed data past it is never inflated, so a small
//! file that would inflate hugely costs no more than its image.
//!
//! Every error says what was wrong and where, in words a user can act on
//! ([`ImageFileError`]'s `Display`); an app puts the file's name in front.
//! The words are ASCII (sizes as `640 x 480`): the SDK's font draws no more.
//!
//! ```
//! use wsk::image_file::{decode_png, encode_png, Limits, PixelFormat};
//! let pixels = [0x00ff_0000, 0x0000_ff00, 0x0000_00ff, 0x00ff_ffff];
//! let png = encode_png(2, 2, &pixels, PixelFormat::Xrgb).unwrap();
//! let image = decode_png(&png, &Limits::DEFAULT).unwrap();
//! assert_eq!((image.width, image.height), (2, 2));
//! assert_eq!(image.pixels[0], 0xffff_0000); // opaque red
//! assert_eq!(image.xrgb_over(0).pixels, pixels);
//! ```

// The codec reads and writes through `std::io` (std is linked on wasm32
// with `alloc`, see lib.rs; on the host it is there anyway).
extern crate std;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Every PNG file starts with these 8 bytes.
pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// How large an image a decoder accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest width, and the largest height, in pixels.
    pub max_side: u32,
    /// The most bytes the decoded pixels may take, 4 per pixel; also the
    /// codec's own allocation limit.
    pub max_bytes: usize,
}

impl Limits {
    /// 16384 pixels a side and 64 MiB of pixels (the kernel's largest
    /// buffer): 4096 × 4096, or 16384 × 1024, and so on.
    pub const DEFAULT: Limits = Limits { max_side: 16384, max_bytes: 64 << 20 };

    /// Whether a `width × height` image fits.
    pub fn allow(&self, width: u32, height: u32) -> bool {
        let bytes = (width as u64 * height as u64).saturating_mul(4);
        width <= self.max_side && height <= self.max_side && bytes <= self.max_bytes as u64
    }
}

/// A decoded image: `width × height` pixels, row after row, each
/// `0xAARRGGBB` (alpha 0xff where the file has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The pixels, `0xAARRGGBB`.
    pub pixels: Vec<u32>,
    /// Whether the file has transparency (an alpha channel or a `tRNS` chunk).
    pub has_alpha: bool,
}

impl DecodedImage {
    /// The image laid over a `background` colour (XRGB), as XRGB8888
    /// pixels (`0x00RRGGBB`): what an app without transparency shows.
    pub fn xrgb_over(mut self, background: u32) -> DecodedImage {
        for pixel in &mut self.pixels {
            *pixel = blend(*pixel, background);
        }
        self.has_alpha = false;
        self
    }
}

/// `pixel` (ARGB) over `background` (XRGB), as XRGB, rounded to nearest.
fn blend(pixel: u32, background: u32) -> u32 {
    let alpha = pixel >> 24;
    let mix = |shift: u32| {
        let (fg, bg) = ((pixel >> shift) & 0xff, (background >> shift) & 0xff);
        ((fg * alpha + bg * (255 - alpha) + 127) / 255) << shift
    };
    mix(16) | mix(8) | mix(0)
}

/// How [`encode_png`] reads the pixels it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// `0x00RRGGBB`, the top byte ignored: written as an RGB PNG.
    Xrgb,
    /// `0xAARRGGBB`: written as an RGBA PNG.
    Argb,
}

/// Why a file could not be decoded, or pixels not encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageFileError {
    /// The file has no bytes at all.
    Empty,
    /// The file does not start with the PNG signature; `start` holds its
    /// first bytes (up to 8).
    NotPng {
        /// The file's first bytes.
        start: Vec<u8>,
    },
    /// The file ends inside the chunk that starts at byte `at`, or (with
    /// `chunk` None) at byte `at` with no end marker (IEND) yet.
    Truncated {
        /// The chunk it ends in, if it ends inside one.
        chunk: Option<String>,
        /// Where that chunk starts, or where the file ends.
        at: usize,
    },
    /// The checksum (CRC) of the chunk at byte `at` does not match its contents.
    BadChecksum {
        /// The chunk's type, e.g. `IDAT`.
        chunk: String,
        /// Where it starts.
        at: usize,
    },
    /// The file has no image data (no IDAT chunk).
    NoImageData,
    /// The header says the image has no pixels (a side of 0).
    NoPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
    },
    /// The image is larger than the limits allow.
    TooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The limits it exceeds.
        limits: Limits,
    },
    /// Not enough memory for the decoded pixels.
    OutOfMemory {
        /// Bytes that were asked for.
        bytes: usize,
    },
    /// The file's structure or data is damaged in a way `detail` describes.
    Damaged {
        /// What is wrong, and where if known.
        detail: String,
    },
    /// [`encode_png`] was given a pixel slice that does not match the size.
    WrongPixelCount {
        /// The width asked for.
        width: u32,
        /// The height asked for.
        height: u32,
        /// The number of pixels given.
        given: usize,
    },
}

impl fmt::Display for ImageFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ImageFileError::*;
        match self {
            Empty => write!(f, "the file is empty"),
            NotPng { start } => {
                write!(f, "the file is not a PNG (it starts with")?;
                for byte in start {
                    write!(f, " {:02x}", byte)?;
                }
                let text: String = start.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
                write!(f, ", \"{}\")", text)
            }
            Truncated { chunk: Some(chunk), at } => {
                write!(f, "the PNG is cut short: it ends inside its {} chunk (which starts at byte {})", chunk, at)
            }
            Truncated { chunk: None, at } => {
                write!(f, "the PNG is cut short: it ends at byte {} without its end marker (IEND)", at)
            }
            BadChecksum { chunk, at } => {
                write!(f, "the PNG is damaged: checksum error in its {} chunk (at byte {})", chunk, at)
            }
            NoImageData => write!(f, "the PNG is damaged: it has no image data (IDAT chunk missing)"),
            NoPixels { width, height } => write!(f, "the PNG is damaged: its header says {} x {} pixels", width, height),
            TooLarge { width, height, limits } => write!(
                f,
                "the image is {} x {} pixels; images open up to {} pixels wide or high and {} MiB of pixels ({} pixels)",
                width,
                height,
                limits.max_side,
                limits.max_bytes >> 20,
                limits.max_bytes / 4
            ),
            OutOfMemory { bytes } => write!(f, "not enough memory for the image ({} MiB)", (bytes + (1 << 20) - 1) >> 20),
            Damaged { detail } => write!(f, "the PNG is damaged: {}", detail),
            WrongPixelCount { width, height, given } => {
                write!(f, "cannot encode {} pixels as a {} x {} image", given, width, height)
            }
        }
    }
}

/// Decodes a PNG file into `0xAARRGGBB` pixels: every colour type and bit
/// depth (palette, grey, RGB, with alpha or `tRNS`, 1 to 16 bits, interlaced
/// or not; 16-bit samples keep their high byte). An animated PNG gives its
/// default image.
pub fn decode_png(bytes: &[u8], limits: &Limits) -> Result<DecodedImage, ImageFileError> {
    let (width, height) = check_chunks(bytes, limits)?;
    let count = width as usize * height as usize;

    let mut decoder = png::Decoder::new_with_limits(bytes, png::Limits { bytes: limits.max_bytes });
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    decoder.set_ignore_text_chunk(true);
    let mut reader = decoder.read_info().map_err(codec_error)?;
    let (color, depth) = reader.output_color_type();
    let samples = color.samples();
    if depth != png::BitDepth::Eight || samples == 0 || samples > 4 {
        // EXPAND and STRIP_16 promise 8-bit grey, grey+alpha, RGB or RGBA.
        return Err(damaged(&format!("unexpected decoded format {:?} {:?}", color, depth)));
    }

    let mut pixels = Vec::new();
    if pixels.try_reserve_exact(count).is_err() {
        return Err(ImageFileError::OutOfMemory { bytes: count * 4 });
    }
    pixels.resize(count, 0u32);

    let w = width as usize;
    let mut places = row_places(width, height, reader.info().interlaced);
    while let Some(row) = reader.next_row().map_err(codec_error)? {
        let data = row.data();
        let place = match places.next() {
            Some(place) if data.len() >= place.count * samples => place,
            _ => return Err(damaged("its image data has rows that do not fit the image")),
        };
        let out = &mut pixels[place.y * w..(place.y + 1) * w];
        for (k, sample) in data.chunks_exact(samples).take(place.count).enumerate() {
            out[place.x0 + k * place.dx] = argb(sample);
        }
    }
    // An animation's first frame may claim less than the whole image.
    if places.next().is_some() {
        return Err(damaged("its image data ends before the image does"));
    }
    let has_alpha = matches!(color, png::ColorType::GrayscaleAlpha | png::ColorType::Rgba);
    Ok(DecodedImage { width, height, pixels, has_alpha })
}

/// Where a decoded row's pixels go: `count` pixels of row `y`, from
/// column `x0` every `dx` columns.
struct RowPlace {
    y: usize,
    x0: usize,
    dx: usize,
    count: usize,
}

/// The places of the rows the codec gives, in its order: every row once,
/// or for an interlaced image each Adam7 pass's rows in turn (passes with
/// no pixels skipped, as the codec skips them).
fn row_places(width: u32, height: u32, interlaced: bool) -> impl Iterator<Item = RowPlace> {
    // (first column, first row, column step, row step) of passes 1 to 7.
    const ADAM7: [(usize, usize, usize, usize); 7] =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
    const WHOLE: [(usize, usize, usize, usize); 1] = [(0, 0, 1, 1)];
    let passes: &'static [_] = if interlaced { &ADAM7 } else { &WHOLE };
    let (w, h) = (width as usize, height as usize);
    let steps = |size: usize, first: usize, step: usize| if size > first { (size - first + step - 1) / step } else { 0 };
    passes.iter().flat_map(move |&(x0, y0, dx, dy)| {
        let count = steps(w, x0, dx);
        let lines = if count == 0 { 0 } else { steps(h, y0, dy) };
        (0..lines).map(move |line| RowPlace { y: y0 + line * dy, x0, dx, count })
    })
}

/// One decoded pixel (8-bit grey, grey+alpha, RGB or RGBA) as `0xAARRGGBB`.
fn argb(sample: &[u8]) -> u32 {
    let (r, g, b, a) = match *sample {
        [v] => (v, v, v, 0xff),
        [v, a] => (v, v, v, a),
        [r, g, b] => (r, g, b, 0xff),
        [r, g, b, a, ..] => (r, g, b, a),
        [] => (0, 0, 0, 0),
    };
    u32::from_be_bytes([a, r, g, b])
}

fn damaged(detail: &str) -> ImageFileError {
    ImageFileError::Damaged { detail: String::from(detail) }
}

/// The codec's error, in this module's words.
fn codec_error(error: png::DecodingError) -> ImageFileError {
    match error {
        png::DecodingError::LimitsExceeded => damaged("decoding it would need more memory than images may take"),
        other => damaged(&other.to_string()),
    }
}

/// Walks the chunks of a PNG file: signature, then length, type, data and
/// CRC for each, up to IEND. Checks the header's size against `limits` as
/// soon as it is read. Gives the image's width and height.
fn check_chunks(bytes: &[u8], limits: &Limits) -> Result<(u32, u32), ImageFileError> {
    if bytes.is_empty() {
        return Err(ImageFileError::Empty);
    }
    if !bytes.starts_with(&SIGNATURE) {
        if SIGNATURE.starts_with(bytes) {
            return Err(ImageFileError::Truncated { chunk: None, at: bytes.len() });
        }
        return Err(ImageFileError::NotPng { start: bytes[..bytes.len().min(8)].to_vec() });
    }
    let mut at = SIGNATURE.len();
    let mut size = None;
    let mut image_data = false;
    loop {
        let rest = &bytes[at..];
        if rest.len() < 8 {
            return Err(ImageFileError::Truncated { chunk: None, at: bytes.len() });
        }
        let length = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let kind = &rest[4..8];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(ImageFileError::Damaged { detail: format!("the chunk at byte {} has no valid type", at) });
        }
        let name = String::from_utf8_lossy(kind).into_owned();
        // The spec caps a chunk at 2³¹ − 1 bytes; a larger length is damage.
        if length > i32::MAX as usize {
            return Err(ImageFileError::Damaged { detail: format!("its {} chunk (at byte {}) claims {} bytes", name, at, length) });
        }
        if rest.len() - 8 < length + 4 {
            return Err(ImageFileError::Truncated { chunk: Some(name), at });
        }
        let data = &rest[8..8 + length];
        let stored = &rest[8 + length..12 + length];
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        if crc.finalize().to_be_bytes() != stored {
            return Err(ImageFileError::BadChecksum { chunk: name, at });
        }
        match (kind, size) {
            (b"IHDR", None) if length == 13 => {
                let width = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                let height = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
                if width == 0 || height == 0 {
                    return Err(ImageFileError::NoPixels { width, height });
                }
                if !limits.allow(width, height) {
                    return Err(ImageFileError::TooLarge { width, height, limits: *limits });
                }
                size = Some((width, height));
            }
            (b"IHDR", None) => {
                return Err(ImageFileError::Damaged { detail: format!("its header (IHDR) has {} bytes, not 13", length) });
            }
            (_, None) => {
                return Err(ImageFileError::Damaged { detail: format!("it starts with a {} chunk, not its header (IHDR)", name) });
            }
            (b"IHDR", Some(_)) => {
                return Err(ImageFileError::Damaged { detail: format!("it has a second header (IHDR) at byte {}", at) });
            }
            (b"IDAT", Some(_)) => image_data = true,
            (b"IEND", Some(size)) if image_data => return Ok(size),
            (b"IEND", Some(_)) => return Err(ImageFileError::NoImageData),
            _ => {}
        }
        at += 12 + length;
    }
}

/// Encodes `width × height` pixels (row after row) as a PNG file: RGB for
/// [`PixelFormat::Xrgb`], RGBA for [`PixelFormat::Argb`], 8 bits a sample.
pub fn encode_png(width: u32, height: u32, pixels: &[u32], format: PixelFormat) -> Result<Vec<u8>, ImageFileError> {
    use std::io::Write;

    if width == 0 || height == 0 {
        return Err(ImageFileError::NoPixels { width, height });
    }
    let count = (width as usize).checked_mul(height as usize);
    if count != Some(pixels.len()) {
        return Err(ImageFileError::WrongPixelCount { width, height, given: pixels.len() });
    }
    let (color, samples) = match format {
        PixelFormat::Xrgb => (png::ColorType::Rgb, 3),
        PixelFormat::Argb => (png::ColorType::Rgba, 4),
    };
    let failed = |error: png::EncodingError| ImageFileError::Damaged { detail: format!("encoding failed: {}", error) };

    let mut file = Vec::new();
    let mut encoder = png::Encoder::new(&mut file, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(failed)?;
    {
        // Row by row: no second copy of the whole picture in memory.
        let mut stream = writer.stream_writer().map_err(failed)?;
        let mut row = Vec::with_capacity(width as usize * samples);
        for line in pixels.chunks_exact(width as usize) {
            row.clear();
            for &pixel in line {
                let [a, r, g, b] = pixel.to_be_bytes();
                row.extend_from_slice(&[r, g, b]);
                if samples == 4 {
                    row.push(a);
                }
            }
            stream.write_all(&row).map_err(|error| failed(error.into()))?;
        }
        stream.finish().map_err(failed)?;
    }
    writer.finish().map_err(failed)?;
    Ok(file)
}
