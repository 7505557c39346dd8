//! The image a filter works on, in the plugin's own memory, and its pixels.

use alloc::vec::Vec;

use super::MAX_SIDE;

/// An XRGB8888 image in the plugin's own memory: `width × height` pixels
/// `0x00RRGGBB`, row after row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    width: u32,
    height: u32,
    pixels: Vec<u32>,
}

impl Image {
    /// A black image, or `None` if the size is 0, over [`MAX_SIDE`], or the
    /// memory cannot be had.
    pub fn new(width: u32, height: u32) -> Option<Image> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return None;
        }
        let count = width as usize * height as usize;
        let mut pixels = Vec::new();
        pixels.try_reserve_exact(count).ok()?;
        pixels.resize(count, 0);
        Some(Image { width, height, pixels })
    }

    /// Makes this image `width × height`, keeping its memory when that is
    /// large enough: the pixels are then whatever was there, zeros only
    /// where the image grew. False for a size [`Image::new`] refuses (the
    /// image unchanged), or when the memory cannot be had (the image left
    /// empty).
    pub(super) fn reuse_as(&mut self, width: u32, height: u32) -> bool {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return false;
        }
        let count = width as usize * height as usize;
        if count > self.pixels.capacity() {
            // Let the old memory go first: growing the Vec would copy it.
            *self = Image::empty();
            if self.pixels.try_reserve_exact(count).is_err() {
                return false;
            }
        }
        self.pixels.resize(count, 0);
        self.width = width;
        self.height = height;
        true
    }

    /// No pixels, no memory.
    pub(super) const fn empty() -> Image {
        Image { width: 0, height: 0, pixels: Vec::new() }
    }

    /// An image over `pixels` (`width × height` of them), or `None` if the
    /// count is wrong.
    pub fn from_pixels(width: u32, height: u32, pixels: Vec<u32>) -> Option<Image> {
        if pixels.len() != width as usize * height as usize {
            return None;
        }
        Some(Image { width, height, pixels })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// All pixels, row after row.
    pub fn pixels(&self) -> &[u32] {
        &self.pixels
    }

    /// Replaces each pixel `p` with `f(p)`: the loop of a filter that looks
    /// at one pixel at a time. Keeps the watchdog fed on large images, and
    /// tells the app how far it got ([`progress`](super::progress)).
    pub fn map<F: Fn(u32) -> u32>(&mut self, f: F) {
        let total = self.pixels.len();
        for (i, block) in self.pixels.chunks_mut(MAP_BLOCK).enumerate() {
            keep_alive();
            super::progress((i * MAP_BLOCK) as u32, total as u32);
            // Eight pixels a loop round: compiled code counts the watchdog's
            // instructions once a round, which costs as much as a short body.
            let mut rounds = block.chunks_exact_mut(8);
            for eight in &mut rounds {
                for pixel in eight {
                    *pixel = f(*pixel);
                }
            }
            for pixel in rounds.into_remainder() {
                *pixel = f(*pixel);
            }
        }
    }

    /// All pixels, to change in place.
    pub fn pixels_mut(&mut self) -> &mut [u32] {
        &mut self.pixels
    }

    /// The pixels, giving up the image.
    pub fn into_pixels(self) -> Vec<u32> {
        self.pixels
    }

    /// Row `y`. Panics, naming the caller's line, if there is no row `y`.
    #[track_caller]
    pub fn row(&self, y: u32) -> &[u32] {
        assert!(y < self.height, "no row {} in a {}x{} image", y, self.width, self.height);
        let w = self.width as usize;
        super::plugin::rows_seen(y, self.height);
        &self.pixels[y as usize * w..(y as usize + 1) * w]
    }

    /// Row `y`, to change in place. Panics, naming the caller's line, if
    /// there is no row `y`.
    #[track_caller]
    pub fn row_mut(&mut self, y: u32) -> &mut [u32] {
        assert!(y < self.height, "no row {} in a {}x{} image", y, self.width, self.height);
        let w = self.width as usize;
        super::plugin::rows_seen(y, self.height);
        &mut self.pixels[y as usize * w..(y as usize + 1) * w]
    }

    /// Pixel (x, y) with coordinates clamped to the image: edge pixels
    /// extend outwards, as convolution filters want. Panics, naming the
    /// caller's line, on an image without pixels.
    #[track_caller]
    pub fn clamped(&self, x: i32, y: i32) -> u32 {
        assert!(!self.pixels.is_empty(), "pixel ({}, {}) of an image without pixels", x, y);
        let x = x.max(0).min(self.width as i32 - 1) as usize;
        let y = y.max(0).min(self.height as i32 - 1) as usize;
        self.pixels[y * self.width as usize + x]
    }

    pub(super) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: u32 has no padding and u8 no alignment; the bytes are in
        // bounds and borrowed as long as the pixels. Little-endian (Wasm),
        // so they are XRGB8888 as the buffer holds it.
        unsafe { core::slice::from_raw_parts_mut(self.pixels.as_mut_ptr() as *mut u8, self.pixels.len() * 4) }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: as in `bytes_mut`.
        unsafe { core::slice::from_raw_parts(self.pixels.as_ptr() as *const u8, self.pixels.len() * 4) }
    }
}

/// Tells the host this plugin is still working: one cheap host call (the
/// clock), which restarts the watchdog's count of instructions (500 million
/// between host calls, about a second of interpreted code). Call it once a
/// row or so in filters that make several passes over large images; the
/// caller's time budget still bounds the whole request.
pub fn keep_alive() {
    // On the host (`cargo test`) there is no watchdog, and no host to call.
    #[cfg(target_arch = "wasm32")]
    let _ = crate::actor::now();
}

/// Nanoseconds on the host's clock; 0 in host unit tests.
pub(super) fn clock() -> u64 {
    #[cfg(target_arch = "wasm32")]
    return crate::actor::now();
    #[cfg(not(target_arch = "wasm32"))]
    return 0;
}

/// Pixels [`Image::map`] filters between two calls of [`keep_alive`].
const MAP_BLOCK: usize = 64 * 1024;

/// The red, green and blue of a pixel.
pub const fn channels(pixel: u32) -> (u32, u32, u32) {
    ((pixel >> 16) & 0xff, (pixel >> 8) & 0xff, pixel & 0xff)
}

/// The pixel of red, green and blue (each 0..=255).
pub const fn rgb(r: u32, g: u32, b: u32) -> u32 {
    (r << 16) | (g << 8) | b
}
