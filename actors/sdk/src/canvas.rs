//! Drawing without an allocator: a [`Canvas`] over pixels the app owns (a
//! static or stack array), and uploading parts of it into a shared buffer
//! such as a window's surface with few host calls.
//!
//! Pixels are `u32` XRGB8888 (`0x00RRGGBB`), row after row. Every drawing
//! call clips to the canvas: nothing outside it is written, whatever the
//! coordinates.

use crate::buffer::Buffer;
use crate::error::{Error, Result};
use crate::font;
use crate::geometry::{clamp32, Rect};

/// A `width × height` picture in a pixel slice the app owns.
///
/// ```
/// use wsk::{Canvas, Rect};
/// let mut pixels = [0u32; 8 * 4];
/// let mut canvas = Canvas::new(&mut pixels, 8, 4).unwrap();
/// canvas.fill_rect(Rect::new(6, 2, 10, 10), 0x00ff_0000); // clipped to 2x2
/// assert_eq!(canvas.get(7, 3), Some(0x00ff_0000));
/// assert_eq!(canvas.get(5, 3), Some(0));
/// ```
pub struct Canvas<'a> {
    pixels: &'a mut [u32],
    width: u32,
    height: u32,
}

impl<'a> Canvas<'a> {
    /// A canvas over the first `width × height` of `pixels`, or `None` if
    /// `pixels` is shorter than that.
    pub fn new(pixels: &'a mut [u32], width: u32, height: u32) -> Option<Canvas<'a>> {
        let count = (width as usize).checked_mul(height as usize)?;
        if pixels.len() < count || width > i32::MAX as u32 || height > i32::MAX as u32 {
            return None;
        }
        Some(Canvas { pixels: &mut pixels[..count], width, height })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The whole canvas, (0, 0, width, height).
    pub fn bounds(&self) -> Rect {
        Rect::of_size(self.width, self.height)
    }

    /// The pixels, `width × height` of them, row after row.
    pub fn pixels(&self) -> &[u32] {
        self.pixels
    }

    /// The pixels, to draw into directly.
    pub fn pixels_mut(&mut self) -> &mut [u32] {
        self.pixels
    }

    /// The index of pixel (x, y), if it is on the canvas.
    fn index(&self, x: i32, y: i32) -> Option<usize> {
        if x < 0 || y < 0 || x as u32 >= self.width || y as u32 >= self.height {
            return None;
        }
        Some(y as usize * self.width as usize + x as usize)
    }

    /// Pixel (x, y), if it is on the canvas.
    pub fn get(&self, x: i32, y: i32) -> Option<u32> {
        self.index(x, y).map(|i| self.pixels[i])
    }

    /// Sets pixel (x, y); off the canvas, nothing happens.
    pub fn set(&mut self, x: i32, y: i32, color: u32) {
        if let Some(i) = self.index(x, y) {
            self.pixels[i] = color;
        }
    }

    /// Fills the whole canvas.
    pub fn clear(&mut self, color: u32) {
        self.pixels.fill(color);
    }

    /// Fills the part of `rect` that is on the canvas.
    pub fn fill_rect(&mut self, rect: Rect, color: u32) {
        let r = rect.intersect(self.bounds());
        if r.is_empty() {
            return;
        }
        let w = self.width as usize;
        for y in r.y as usize..r.bottom() as usize {
            self.pixels[y * w + r.x as usize..y * w + r.right() as usize].fill(color);
        }
    }

    /// Draws a one-pixel line from (x0, y0) to (x1, y1), both ends included:
    /// in each column (or row, for a steep line) the pixel nearest the ideal
    /// line. Only the part on the canvas costs time, however long the line.
    pub fn draw_line(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, color: u32) {
        let (dx, dy) = ((x1 as i64 - x0 as i64).abs(), (y1 as i64 - y0 as i64).abs());
        if dx >= dy {
            let (w, h) = (self.width as i64, self.height as i64);
            line(x0, y0, x1, y1, w, h, |x, y| self.set(x, y, color));
        } else {
            // Steep: step along y, with the roles of x and y swapped.
            let (w, h) = (self.height as i64, self.width as i64);
            line(y0, x0, y1, x1, w, h, |y, x| self.set(x, y, color));
        }
    }

    /// Copies a `src_width × src_height` picture (row after row in `src`)
    /// with its top left at (x, y), clipped to the canvas. If `src` is
    /// shorter than `src_width × src_height`, only its whole rows are used.
    pub fn blit(&mut self, x: i32, y: i32, src: &[u32], src_width: u32, src_height: u32) {
        if src_width == 0 {
            return;
        }
        let rows = (src_height as usize).min(src.len() / src_width as usize);
        let placed = Rect::new(x, y, clamp32(src_width as i64), clamp32(rows as i64));
        let r = placed.intersect(self.bounds());
        if r.is_empty() {
            return;
        }
        let (w, sw) = (self.width as usize, src_width as usize);
        let sx = (r.x as i64 - x as i64) as usize;
        for row in 0..r.h as usize {
            let (ty, sy) = (r.y as usize + row, (r.y as i64 - y as i64) as usize + row);
            let to = ty * w + r.x as usize;
            let from = sy * sw + sx;
            self.pixels[to..to + r.w as usize].copy_from_slice(&src[from..from + r.w as usize]);
        }
    }

    /// Draws `text` in the built-in 8x16 font ([`font`]) with its first
    /// cell's top left at (x, y); only the glyphs' ink is drawn.
    pub fn draw_text(&mut self, x: i32, y: i32, text: &str, color: u32) {
        font::draw_text(self.pixels, self.width, self.height, x, y, text, color);
    }

    /// Copies `rect` of the canvas (clipped to the canvas and to the
    /// `surface_width × surface_height` surface) into `surface` at the same
    /// coordinates: one `sys_cap_mem_write` per row, or one for all of them
    /// when the rows are whole and the widths agree (contiguous bytes).
    ///
    /// Needs WRITE on the buffer. Errors: as [`Buffer::write`]; `OutOfBounds`
    /// when the buffer is smaller than the surface size says.
    pub fn upload(&self, surface: Buffer, surface_width: u32, surface_height: u32, rect: Rect) -> Result<()> {
        self.upload_with(surface_width, surface_height, rect, |offset, bytes| surface.write(offset, bytes))
    }

    /// [`Canvas::upload`]'s plan: `write(byte offset, bytes)` per span.
    fn upload_with<F>(&self, surface_width: u32, surface_height: u32, rect: Rect, mut write: F) -> Result<()>
    where
        F: FnMut(u32, &[u8]) -> Result<()>,
    {
        let r = rect.intersect(self.bounds()).intersect(Rect::of_size(surface_width, surface_height));
        if r.is_empty() {
            return Ok(());
        }
        let (cw, sw) = (self.width as usize, surface_width as usize);
        let (x, w) = (r.x as usize, r.w as usize);
        let offset = |y: usize| -> Result<u32> {
            let bytes = (y as u64 * sw as u64 + x as u64) * 4;
            u32::try_from(bytes).map_err(|_| Error::OutOfBounds)
        };
        if w == cw && w == sw {
            // Whole rows, same stride: the block is contiguous on both sides.
            let rows = &self.pixels[r.y as usize * cw..r.bottom() as usize * cw];
            return write(offset(r.y as usize)?, as_bytes(rows));
        }
        for y in r.y as usize..r.bottom() as usize {
            write(offset(y)?, as_bytes(&self.pixels[y * cw + x..y * cw + x + w]))?;
        }
        Ok(())
    }
}

/// Calls `plot(a, b)` for the pixels of the line (a0, b0)–(a1, b1) whose
/// major coordinate `a` is in `0..a_limit` and minor `b` in `0..b_limit`,
/// where |a1 − a0| ≥ |b1 − b0|. In each step of `a`, `b` is the ideal
/// line's value rounded half up.
fn line(a0: i32, b0: i32, a1: i32, b1: i32, a_limit: i64, b_limit: i64, mut plot: impl FnMut(i32, i32)) {
    // Walk from the smaller a to the larger.
    let (a0, b0, a1, b1) = if a0 <= a1 { (a0 as i64, b0 as i64, a1 as i64, b1 as i64) } else { (a1 as i64, b1 as i64, a0 as i64, b0 as i64) };
    let (da, db) = (a1 - a0, b1 - b0);
    let (first, last) = (a0.max(0), a1.min(a_limit - 1));
    if first > last {
        return;
    }
    if da == 0 {
        if (0..b_limit).contains(&b0) {
            plot(a0 as i32, b0 as i32);
        }
        return;
    }
    // b(a) = b0 + floor((2·t·db + da) / (2·da)), t = a − a0. Start at `first`
    // (exact, in i128: t·db may pass i64), then step with the remainder.
    let two_da = 2 * da as i128;
    let n = 2 * (first - a0) as i128 * db as i128 + da as i128;
    let mut q = n.div_euclid(two_da) as i64;
    let mut rem = n.rem_euclid(two_da) as i64;
    let two_da = 2 * da;
    for a in first..=last {
        let b = b0 + q;
        if (0..b_limit).contains(&b) {
            plot(a as i32, b as i32);
        }
        rem += 2 * db;
        // |db| ≤ da: one correction at most.
        if rem >= two_da {
            rem -= two_da;
            q += 1;
        } else if rem < 0 {
            rem += two_da;
            q -= 1;
        }
    }
}

/// The bytes of `pixels`, as the ABI lays XRGB8888 out.
fn as_bytes(pixels: &[u32]) -> &[u8] {
    // SAFETY: u32 has no padding and u8 no alignment: the same memory read as
    // bytes is initialized and in bounds, and borrowed as long as `pixels`.
    // Wasm is little-endian, so the bytes are XRGB8888 as the ABI lays it out.
    unsafe { core::slice::from_raw_parts(pixels.as_ptr() as *const u8, pixels.len() * 4) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 12;
    const H: u32 = 8;

    /// The canvas as rows of characters: '.' for 0, '#' otherwise.
    fn picture(canvas: &Canvas<'_>) -> [[u8; W as usize]; H as usize] {
        let mut out = [[b'.'; W as usize]; H as usize];
        for y in 0..H as i32 {
            for x in 0..W as i32 {
                if canvas.get(x, y) != Some(0) {
                    out[y as usize][x as usize] = b'#';
                }
            }
        }
        out
    }

    fn rows(lines: [&str; H as usize]) -> [[u8; W as usize]; H as usize] {
        let mut out = [[0u8; W as usize]; H as usize];
        for (row, line) in out.iter_mut().zip(lines.iter()) {
            row.copy_from_slice(line.as_bytes());
        }
        out
    }

    #[test]
    fn new_checks_the_slice() {
        let mut pixels = [0u32; 10];
        assert!(Canvas::new(&mut pixels, 5, 2).is_some());
        assert!(Canvas::new(&mut pixels, 5, 3).is_none());
        assert!(Canvas::new(&mut pixels, u32::MAX, u32::MAX).is_none());
        let canvas = Canvas::new(&mut pixels, 3, 3).unwrap();
        assert_eq!(canvas.pixels().len(), 9);
    }

    #[test]
    fn fills_and_clips() {
        let mut pixels = [0u32; (W * H) as usize];
        let mut canvas = Canvas::new(&mut pixels, W, H).unwrap();
        canvas.fill_rect(Rect::new(-2, -2, 4, 3), 1);
        canvas.fill_rect(Rect::new(9, 6, 100, 100), 1);
        canvas.fill_rect(Rect::new(i32::MIN, 4, i32::MAX, 1), 1); // ends left of 0
        canvas.fill_rect(Rect::new(5, 3, 2, 2), 1);
        canvas.set(-1, 0, 1);
        canvas.set(0, 7, 1);
        #[rustfmt::skip]
        let want = rows([
            "##..........",
            "............",
            "............",
            ".....##.....",
            ".....##.....",
            "............",
            ".........###",
            "#........###",
        ]);
        assert_eq!(picture(&canvas), want);
        canvas.clear(0);
        assert!(canvas.pixels().iter().all(|&p| p == 0));
    }

    #[test]
    fn draws_lines() {
        let mut pixels = [0u32; (W * H) as usize];
        let mut canvas = Canvas::new(&mut pixels, W, H).unwrap();
        canvas.draw_line(0, 0, 6, 3, 1); // shallow
        canvas.draw_line(11, 0, 9, 7, 1); // steep, drawn bottom-up internally
        canvas.draw_line(3, 6, 3, 6, 1); // a point
        #[rustfmt::skip]
        let want = rows([
            "#..........#",
            ".##........#",
            "...##.....#.",
            ".....##...#.",
            "..........#.",
            "..........#.",
            "...#.....#..",
            ".........#..",
        ]);
        assert_eq!(picture(&canvas), want);
        // Either direction draws the same pixels.
        let mut other = [0u32; (W * H) as usize];
        let mut reverse = Canvas::new(&mut other, W, H).unwrap();
        reverse.draw_line(6, 3, 0, 0, 1);
        reverse.draw_line(9, 7, 11, 0, 1);
        reverse.draw_line(3, 6, 3, 6, 1);
        assert_eq!(picture(&reverse), want);
    }

    #[test]
    fn clips_lines_cheaply() {
        let mut pixels = [0u32; (W * H) as usize];
        let mut canvas = Canvas::new(&mut pixels, W, H).unwrap();
        // A line across the whole i32 range: only its on-canvas part is walked.
        canvas.draw_line(i32::MIN, i32::MIN, i32::MAX, i32::MAX, 1);
        for i in 0..H as i32 {
            assert_eq!(canvas.get(i, i), Some(1));
        }
        assert_eq!(canvas.pixels().iter().filter(|&&p| p == 1).count(), H as usize);
        canvas.clear(0);
        canvas.draw_line(i32::MIN, 3, i32::MAX, 3, 1); // horizontal
        canvas.draw_line(-5, -5, -1, 100, 1); // entirely off to the left
        canvas.draw_line(2, i32::MAX, 2, i32::MIN, 1); // vertical
        assert_eq!(canvas.pixels().iter().filter(|&&p| p == 1).count(), (W + H - 1) as usize);
    }

    #[test]
    fn blits() {
        let mut pixels = [0u32; (W * H) as usize];
        let mut canvas = Canvas::new(&mut pixels, W, H).unwrap();
        let src = [1u32, 2, 3, 4, 5, 6]; // 3x2
        canvas.blit(-1, -1, &src, 3, 2);
        assert_eq!(&canvas.pixels()[..3], &[5, 6, 0]);
        canvas.blit(10, 7, &src, 3, 2);
        assert_eq!(canvas.get(10, 7), Some(1));
        assert_eq!(canvas.get(11, 7), Some(2));
        canvas.blit(4, 4, &src[..5], 3, 2); // one whole row only
        assert_eq!((canvas.get(4, 4), canvas.get(4, 5)), (Some(1), Some(0)));
        canvas.blit(i32::MAX, i32::MIN, &src, 3, 2);
        canvas.blit(0, 0, &src, 0, 2);
    }

    #[test]
    fn draws_text() {
        let mut pixels = [0u32; 20 * 16];
        let mut canvas = Canvas::new(&mut pixels, 20, 16).unwrap();
        canvas.draw_text(0, 0, "H", 7);
        let h = font::glyph('H');
        for y in 0..16 {
            for x in 0..8 {
                let ink = h[y as usize] & (0x80 >> x) != 0;
                assert_eq!(canvas.get(x, y), Some(if ink { 7 } else { 0 }));
            }
        }
    }

    /// Runs an upload plan and records each write as (offset, pixel count, first pixel).
    fn plan(canvas: &Canvas<'_>, sw: u32, sh: u32, rect: Rect) -> ([(u32, usize, u32); 16], usize) {
        let mut out = [(0, 0, 0); 16];
        let mut n = 0;
        canvas
            .upload_with(sw, sh, rect, |offset, bytes| {
                let first = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                out[n] = (offset, bytes.len() / 4, first);
                n += 1;
                Ok(())
            })
            .unwrap();
        (out, n)
    }

    #[test]
    fn uploads_with_few_writes() {
        let mut pixels = [0u32; (W * H) as usize];
        for (i, p) in pixels.iter_mut().enumerate() {
            *p = i as u32;
        }
        let canvas = Canvas::new(&mut pixels, W, H).unwrap();
        // Whole rows of a same-size surface: one write.
        let (writes, n) = plan(&canvas, W, H, Rect::new(0, 2, W as i32, 3));
        assert_eq!(&writes[..n], &[(2 * W * 4, 3 * W as usize, 2 * W)]);
        let (writes, n) = plan(&canvas, W, H, Rect::new(-10, -10, 100, 100));
        assert_eq!(&writes[..n], &[(0, (W * H) as usize, 0)]);
        // A part of rows: one write per row.
        let (writes, n) = plan(&canvas, W, H, Rect::new(3, 5, 4, 2));
        assert_eq!(&writes[..n], &[((5 * W + 3) * 4, 4, 5 * W + 3), ((6 * W + 3) * 4, 4, 6 * W + 3)]);
        // A wider surface: rows land at its stride, clipped to the canvas.
        let (writes, n) = plan(&canvas, 20, 4, Rect::new(0, 2, 30, 30));
        assert_eq!(&writes[..n], &[(2 * 20 * 4, W as usize, 2 * W), (3 * 20 * 4, W as usize, 3 * W)]);
        // Nothing on both: no write.
        let (_, n) = plan(&canvas, W, H, Rect::new(W as i32, 0, 5, 5));
        assert_eq!(n, 0);
    }
}
