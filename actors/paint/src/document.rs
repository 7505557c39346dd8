//! The picture being painted, the brush, and the undo history.
//!
//! Brush strokes are exact integer geometry, so a test can predict every
//! pixel (`Tests/AppTests/PaintReference.swift` does):
//!
//! - The brush of radius `r` covers the offsets `(dx, dy)` with
//!   `dx² + dy² <= r² + r` around its centre (radius 0: one pixel).
//! - A stroke stamps the brush at the press point, then, for each motion
//!   from (x0, y0) to (x1, y1), at every point of the line between them:
//!   with `da = max(|x1 - x0|, |y1 - y0|)` and `t` in `0..=da`, the major
//!   coordinate moves `t` steps and the minor one is
//!   `minor0 + floor((2·t·dminor + da) / (2·da))`. Neighbouring stamps
//!   touch, so a fast mouse leaves no gaps.
//!
//! A picture also comes from a PNG file and goes to one
//! ([`Document::open_png`], [`Document::to_png`]), decoded and encoded here
//! in the actor (`wsk::image_file`).

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use wsk::filter;
use wsk::image_file::{decode_png, encode_png, ImageFileError, Limits, PixelFormat};
use wsk::Rect;

/// The colour of an empty canvas, and of the eraser.
pub const PAPER: u32 = 0x00ff_ffff;
/// Undo steps kept; older ones are forgotten.
pub const HISTORY: usize = 32;
/// Bytes of pixels the undo steps may keep together: an opened photo can
/// be 64 MiB, and 32 whole-picture steps of it would not fit in an actor's
/// memory (512 MiB), which also holds the picture, its copy at a stroke's
/// start, and a filter's copy and result. Past this, the oldest steps are
/// forgotten first; the newest is always kept. A 640 × 480 picture's 32
/// whole-picture steps take 38 MiB, so small pictures keep all 32.
pub const HISTORY_BYTES: usize = 128 << 20;
/// The images paint opens: as large as its filters take (8192 pixels a
/// side, 64 MiB of pixels), so that every opened image can be filtered.
pub const OPEN_LIMITS: Limits = Limits { max_side: filter::MAX_SIDE, max_bytes: filter::MAX_PIXELS * 4 };

/// A `width × height` picture, row after row.
pub struct Document {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u32>,
}

impl Document {
    pub fn new(width: u32, height: u32) -> Document {
        Document { width, height, pixels: vec![PAPER; width as usize * height as usize] }
    }

    pub fn bounds(&self) -> Rect {
        Rect::of_size(self.width, self.height)
    }

    /// Stamps the brush of `radius` at (cx, cy); returns what it touched.
    pub fn stamp(&mut self, cx: i32, cy: i32, radius: i32, color: u32) -> Rect {
        let area = Rect::new(cx - radius, cy - radius, 2 * radius + 1, 2 * radius + 1).intersect(self.bounds());
        let reach = radius * radius + radius;
        let w = self.width as usize;
        for y in area.y..area.y + area.h {
            let dy = y - cy;
            for x in area.x..area.x + area.w {
                let dx = x - cx;
                if dx * dx + dy * dy <= reach {
                    self.pixels[y as usize * w + x as usize] = color;
                }
            }
        }
        area
    }

    /// Stamps the brush along the line from (x0, y0) to (x1, y1), both ends
    /// included; returns what it touched.
    pub fn line(&mut self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), radius: i32, color: u32) -> Rect {
        let mut touched = Rect::EMPTY;
        for (x, y) in line_points((x0, y0), (x1, y1)) {
            touched = touched.union(self.stamp(x, y, radius, color));
        }
        touched
    }

    /// Makes the picture `width × height`: what fits keeps its place from
    /// the top left, new parts are paper.
    pub fn resize(&mut self, width: u32, height: u32) {
        let mut resized = Document::new(width, height);
        let kept = self.bounds().intersect(resized.bounds());
        let (old_w, new_w, w) = (self.width as usize, width as usize, kept.w as usize);
        for y in 0..kept.h as usize {
            resized.pixels[y * new_w..y * new_w + w].copy_from_slice(&self.pixels[y * old_w..y * old_w + w]);
        }
        *self = resized;
    }

    /// Copies `rect` (inside the picture) out.
    pub fn crop(&self, rect: Rect) -> Vec<u32> {
        crop(&self.pixels, self.width, rect)
    }

    /// The picture in a PNG file, at the file's size (up to
    /// [`OPEN_LIMITS`]); transparent parts are laid over paper.
    pub fn open_png(bytes: &[u8]) -> Result<Document, ImageFileError> {
        let image = decode_png(bytes, &OPEN_LIMITS)?.xrgb_over(PAPER);
        Ok(Document { width: image.width, height: image.height, pixels: image.pixels })
    }

    /// Makes this the picture in a PNG file, with no undo steps (they
    /// belonged to the old picture). When the file cannot be decoded, the
    /// picture and its steps stay as they were.
    pub fn replace_with_png(&mut self, history: &mut History, bytes: &[u8]) -> Result<(), ImageFileError> {
        let opened = Document::open_png(bytes)?;
        *self = opened;
        *history = History::default();
        Ok(())
    }

    /// The picture as a PNG file (RGB, 8 bits a sample).
    pub fn to_png(&self) -> Result<Vec<u8>, ImageFileError> {
        encode_png(self.width, self.height, &self.pixels, PixelFormat::Xrgb)
    }
}

/// The points of the line from `a` to `b` (see the module docs).
pub fn line_points((x0, y0): (i32, i32), (x1, y1): (i32, i32)) -> impl Iterator<Item = (i32, i32)> {
    let (dx, dy) = (x1 as i64 - x0 as i64, y1 as i64 - y0 as i64);
    let steep = dy.abs() > dx.abs();
    let (da, major_step, dminor) = if steep { (dy.abs(), dy.signum(), dx) } else { (dx.abs(), dx.signum(), dy) };
    (0..=da).map(move |t| {
        let minor = if da == 0 { 0 } else { (2 * t * dminor + da).div_euclid(2 * da) };
        let major = t * major_step;
        if steep {
            ((x0 as i64 + minor) as i32, (y0 as i64 + major) as i32)
        } else {
            ((x0 as i64 + major) as i32, (y0 as i64 + minor) as i32)
        }
    })
}

fn crop(pixels: &[u32], width: u32, rect: Rect) -> Vec<u32> {
    let w = width as usize;
    let mut out = Vec::with_capacity(rect.w.max(0) as usize * rect.h.max(0) as usize);
    for y in rect.y..rect.y + rect.h {
        let start = y as usize * w + rect.x as usize;
        out.extend_from_slice(&pixels[start..start + rect.w as usize]);
    }
    out
}

/// A rectangle of the picture as it was (or will be): undoing swaps it with
/// the picture, which turns it into its own redo.
struct Patch {
    rect: Rect,
    pixels: Vec<u32>,
}

impl Patch {
    /// Swaps the patch's pixels with the picture's.
    fn swap(&mut self, document: &mut Document) {
        let w = document.width as usize;
        let rw = self.rect.w as usize;
        for (row, y) in (self.rect.y..self.rect.y + self.rect.h).enumerate() {
            let start = y as usize * w + self.rect.x as usize;
            document.pixels[start..start + rw].swap_with_slice(&mut self.pixels[row * rw..(row + 1) * rw]);
        }
    }
}

/// Undo and redo: at most [`HISTORY`] steps back, and [`HISTORY_BYTES`].
pub struct History {
    undo: VecDeque<Patch>,
    redo: Vec<Patch>,
    /// The whole picture at the start of the stroke in progress.
    before_stroke: Vec<u32>,
    /// Bytes of pixels the undo steps may keep.
    budget: usize,
}

impl Default for History {
    fn default() -> History {
        History::with_budget(HISTORY_BYTES)
    }
}

impl History {
    /// A history whose undo steps keep at most `budget` bytes of pixels.
    pub fn with_budget(budget: usize) -> History {
        History { undo: VecDeque::new(), redo: Vec::new(), before_stroke: Vec::new(), budget }
    }

    /// Remembers `rect` of the picture as it is now, before it changes.
    pub fn record(&mut self, document: &Document, rect: Rect) {
        self.push(Patch { rect, pixels: document.crop(rect) });
    }

    /// Remembers the whole picture, before a stroke whose extent is not yet known.
    pub fn begin_stroke(&mut self, document: &Document) {
        self.before_stroke.clear();
        self.before_stroke.extend_from_slice(&document.pixels);
    }

    /// Ends the stroke: keeps the part of the old picture it `touched`.
    pub fn end_stroke(&mut self, document: &Document, touched: Rect) {
        let rect = touched.intersect(document.bounds());
        if !rect.is_empty() && self.before_stroke.len() == document.pixels.len() {
            let pixels = crop(&self.before_stroke, document.width, rect);
            self.push(Patch { rect, pixels });
        }
    }

    fn push(&mut self, patch: Patch) {
        self.redo.clear();
        if self.undo.len() == HISTORY {
            self.undo.pop_front();
        }
        self.undo.push_back(patch);
        let bytes = |undo: &VecDeque<Patch>| undo.iter().map(|p| p.pixels.len() * 4).sum::<usize>();
        while self.undo.len() > 1 && bytes(&self.undo) > self.budget {
            self.undo.pop_front();
        }
    }

    /// Forgets the steps that reach outside `bounds` (the picture got
    /// smaller), and the stroke in progress.
    pub fn forget_outside(&mut self, bounds: Rect) {
        let fits = |patch: &Patch| patch.rect.intersect(bounds) == patch.rect;
        self.undo.retain(fits);
        self.redo.retain(fits);
        self.before_stroke.clear();
    }

    /// Undoes the last step; returns what changed.
    pub fn undo(&mut self, document: &mut Document) -> Option<Rect> {
        let mut patch = self.undo.pop_back()?;
        patch.swap(document);
        let rect = patch.rect;
        self.redo.push(patch);
        Some(rect)
    }

    /// Redoes the last undone step; returns what changed.
    pub fn redo(&mut self, document: &mut Document) -> Option<Rect> {
        let mut patch = self.redo.pop()?;
        patch.swap(document);
        let rect = patch.rect;
        self.undo.push_back(patch);
        Some(rect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn lines_have_no_gaps() {
        let points: Vec<_> = line_points((0, 0), (5, 2)).collect();
        assert_eq!(points, [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2), (5, 2)]);
        let back: Vec<_> = line_points((3, 10), (1, 4)).collect();
        assert_eq!(back, [(3, 10), (3, 9), (2, 8), (2, 7), (2, 6), (1, 5), (1, 4)]);
        assert_eq!(line_points((7, 7), (7, 7)).collect::<Vec<_>>(), [(7, 7)]);
        for (a, b) in line_points((-4, 9), (40, -30)).zip(line_points((-4, 9), (40, -30)).skip(1)) {
            assert!((a.0 - b.0).abs() <= 1 && (a.1 - b.1).abs() <= 1);
        }
    }

    #[test]
    fn brush_shapes() {
        let mut doc = Document::new(9, 9);
        assert_eq!(doc.stamp(4, 4, 0, 0), Rect::new(4, 4, 1, 1));
        let mut doc2 = Document::new(9, 9);
        doc2.stamp(4, 4, 2, 0);
        let row = |d: &Document, y: usize| d.pixels[y * 9..y * 9 + 9].iter().filter(|&&p| p == 0).count();
        // r² + r = 6: rows dy = ±2 reach |dx| <= 1, rows dy = ±1 and 0 |dx| <= 2.
        assert_eq!([row(&doc2, 1), row(&doc2, 2), row(&doc2, 3), row(&doc2, 4), row(&doc2, 6)], [0, 3, 5, 5, 3]);
        assert_eq!(row(&doc, 4), 1);
        // Clipped at the edges.
        assert_eq!(doc.stamp(0, 0, 3, 0), Rect::new(0, 0, 4, 4));
    }

    #[test]
    fn undo_and_redo_swap_patches() {
        let mut doc = Document::new(4, 3);
        let mut history = History::default();
        history.begin_stroke(&doc);
        let touched = doc.stamp(1, 1, 0, 7);
        history.end_stroke(&doc, touched);
        history.record(&doc, doc.bounds());
        doc.pixels.fill(9);
        assert_eq!(history.undo(&mut doc), Some(doc.bounds()));
        assert_eq!(doc.pixels[5], 7);
        assert_eq!(history.undo(&mut doc), Some(Rect::new(1, 1, 1, 1)));
        assert!(doc.pixels.iter().all(|&p| p == PAPER));
        assert_eq!(history.undo(&mut doc), None);
        history.redo(&mut doc);
        history.redo(&mut doc);
        assert!(doc.pixels.iter().all(|&p| p == 9));
        assert_eq!(history.redo(&mut doc), None);
    }

    #[test]
    fn resizing_keeps_the_top_left_and_the_steps_that_fit() {
        let mut doc = Document::new(4, 3);
        let mut history = History::default();
        history.record(&doc, Rect::new(0, 0, 2, 2));
        doc.pixels[0] = 1;
        history.record(&doc, Rect::new(3, 2, 1, 1));
        doc.pixels[2 * 4 + 3] = 2; // (3, 2)
        doc.resize(6, 2);
        assert_eq!((doc.width, doc.height, doc.pixels.len()), (6, 2, 12));
        assert_eq!(doc.pixels[0], 1);
        assert!(doc.pixels[4..6].iter().chain(&doc.pixels[10..12]).all(|&p| p == PAPER), "new columns are paper");
        history.forget_outside(doc.bounds());
        assert_eq!(history.undo(&mut doc), Some(Rect::new(0, 0, 2, 2)), "the step at (3, 2) no longer fits");
        assert_eq!(doc.pixels[0], PAPER);
        assert_eq!(history.undo(&mut doc), None);
    }

    #[test]
    fn keeps_at_most_history_bytes() {
        let mut doc = Document::new(10, 10); // 400 bytes a whole-picture step
        let mut history = History::with_budget(1000);
        for i in 0..5 {
            history.record(&doc, doc.bounds());
            doc.pixels.fill(i);
        }
        history.record(&doc, Rect::new(0, 0, 1, 1)); // 4 bytes
        doc.pixels[0] = 99;
        let mut steps = 0;
        while history.undo(&mut doc).is_some() {
            steps += 1;
        }
        assert_eq!(steps, 3, "400 + 400 + 4 bytes fit in 1000, a third 400 does not");
        assert_eq!(doc.pixels[1], 2);
        // One step larger than the budget is still kept.
        let mut small = History::with_budget(10);
        small.record(&doc, doc.bounds());
        doc.pixels.fill(7);
        assert_eq!(small.undo(&mut doc), Some(doc.bounds()));
    }

    /// A 3 × 2 picture with one pixel of each kind worth checking.
    fn sample_png() -> Vec<u8> {
        let pixels = [0x0000_0000, 0x00ff_ffff, 0x00e5_3935, 0x0000_acc1, 0x0012_3456, 0x00ab_cdef];
        encode_png(3, 2, &pixels, PixelFormat::Xrgb).unwrap()
    }

    #[test]
    fn saves_and_opens_png_at_the_files_size() {
        let mut doc = Document::new(40, 30);
        doc.line((0, 0), (39, 29), 2, 0x001e_88e5);
        let reopened = Document::open_png(&doc.to_png().unwrap()).unwrap();
        assert_eq!((reopened.width, reopened.height), (40, 30));
        assert!(reopened.pixels == doc.pixels, "the same pixels after a round trip");
        let small = Document::open_png(&sample_png()).unwrap();
        assert_eq!((small.width, small.height), (3, 2));
        assert_eq!(small.pixels, [0x0000_0000, 0x00ff_ffff, 0x00e5_3935, 0x0000_acc1, 0x0012_3456, 0x00ab_cdef]);
    }

    #[test]
    fn transparency_opens_over_paper() {
        let png = encode_png(2, 1, &[0x0000_0000, 0x80ff_0000], PixelFormat::Argb).unwrap();
        assert_eq!(Document::open_png(&png).unwrap().pixels, [PAPER, 0x00ff_7f7f]);
    }

    #[test]
    fn opening_replaces_the_picture_and_forgets_its_steps() {
        let mut doc = Document::new(8, 8);
        let mut history = History::default();
        history.record(&doc, doc.bounds());
        doc.pixels.fill(5);
        doc.replace_with_png(&mut history, &sample_png()).unwrap();
        assert_eq!((doc.width, doc.height, doc.pixels[5]), (3, 2, 0x00ab_cdef));
        assert_eq!(history.undo(&mut doc), None);
    }

    #[test]
    fn a_bad_file_leaves_the_picture_and_its_steps_alone() {
        let mut doc = Document::new(8, 8);
        let mut history = History::default();
        history.record(&doc, doc.bounds());
        doc.pixels.fill(5);
        let mut damaged = sample_png();
        damaged[33 + 8] ^= 0x40; // the first byte of the first IDAT's data
        let larger = {
            // The header of a 8193 × 1 image: one column over the limit.
            let mut png = sample_png();
            png[16..20].copy_from_slice(&8193u32.to_be_bytes());
            png[20..24].copy_from_slice(&1u32.to_be_bytes());
            let crc = crc32(&png[12..29]);
            png[29..33].copy_from_slice(&crc.to_be_bytes());
            png
        };
        for (bytes, message) in [
            (&b"GIF89a"[..], "the file is not a PNG (it starts with 47 49 46 38 39 61, \"GIF89a\")"),
            (&damaged[..], "the PNG is damaged: checksum error in its IDAT chunk (at byte 33)"),
            (&larger[..], "the image is 8193 x 1 pixels; images open up to 8192 pixels wide or high and 64 MiB of pixels (16777216 pixels)"),
            (&[][..], "the file is empty"),
        ] {
            let error = doc.replace_with_png(&mut history, bytes).unwrap_err();
            assert_eq!(error.to_string(), message);
            assert_eq!((doc.width, doc.height), (8, 8));
            assert!(doc.pixels.iter().all(|&p| p == 5));
        }
        assert_eq!(history.undo(&mut doc), Some(doc.bounds()), "the step is still there");
        assert!(doc.pixels.iter().all(|&p| p == PAPER));
    }

    /// CRC-32 as PNG uses it, bit by bit (for the test's hand-made header).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= byte as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn keeps_at_most_history_steps() {
        let mut doc = Document::new(2, 1);
        let mut history = History::default();
        for i in 0..HISTORY + 5 {
            history.record(&doc, doc.bounds());
            doc.pixels.fill(i as u32);
        }
        let mut steps = 0;
        while history.undo(&mut doc).is_some() {
            steps += 1;
        }
        assert_eq!(steps, HISTORY);
        assert_eq!(doc.pixels[0], 4);
    }
}
