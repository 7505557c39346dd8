//! The built-in 8x16 bitmap font, the same one the compositor draws window
//! titles with (`assets/font/wsk-8x16.txt`): printable ASCII, one fixed-width
//! cell per `char`, a box for any other character.
//!
//! ```
//! let mut pixels = [0u32; 64 * 16];
//! wsk::font::draw_text(&mut pixels, 64, 16, 0, 0, "hi", 0x00ff_ffff);
//! assert_eq!(wsk::font::text_width("hi"), 16);
//! ```

use crate::font_data::{FIRST, GLYPHS};

/// Cell width in pixels: every character advances this far.
pub const WIDTH: u32 = crate::font_data::WIDTH;
/// Cell height in pixels: rows per glyph.
pub const HEIGHT: u32 = crate::font_data::HEIGHT;

const ROWS: usize = HEIGHT as usize;
const COUNT: usize = GLYPHS.len() / ROWS;
/// The box: the last glyph.
const BOX: usize = COUNT - 1;

/// `GLYPHS` cut into one array per glyph, at compile time.
static TABLE: [[u8; ROWS]; COUNT] = split(GLYPHS);

const fn split(flat: [u8; COUNT * ROWS]) -> [[u8; ROWS]; COUNT] {
    let mut table = [[0u8; ROWS]; COUNT];
    let mut i = 0;
    while i < COUNT * ROWS {
        table[i / ROWS][i % ROWS] = flat[i];
        i += 1;
    }
    table
}

/// The 16 rows of `c`'s glyph, top first; bit 7 is the leftmost column.
/// Anything outside `' '..='~'` gets the box.
pub fn glyph(c: char) -> &'static [u8; 16] {
    let code = c as u32;
    let first = FIRST as u32;
    let index = if (first..first + BOX as u32).contains(&code) {
        (code - first) as usize
    } else {
        BOX
    };
    &TABLE[index]
}

/// Pixels `s` takes across: one cell per `char` (saturating at `u32::MAX`).
pub fn text_width(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX).saturating_mul(WIDTH)
}

/// Draws the ink pixels of `text` in `color` into `pixels`, `width` pixels a
/// row and `height` rows, with the top left cell corner at (`x`, `y`);
/// background pixels are left alone. Nothing outside the buffer is written,
/// wherever the text starts or however long it is; if `pixels` is shorter
/// than `width * height`, only its whole rows are drawn into.
pub fn draw_text(pixels: &mut [u32], width: u32, height: u32, x: i32, y: i32, text: &str, color: u32) {
    if width == 0 {
        return;
    }
    let (w, cell_w, cell_h) = (width as i64, WIDTH as i64, HEIGHT as i64);
    let h = (height as i64).min((pixels.len() / width as usize) as i64);
    let (x, y) = (x as i64, y as i64);
    if y >= h || y + cell_h <= 0 {
        return;
    }
    let (top, bottom) = (y.max(0), (y + cell_h).min(h));
    let mut pen = x;
    for c in text.chars() {
        if pen >= w {
            break;
        }
        if pen + cell_w > 0 {
            let (left, right) = (pen.max(0), (pen + cell_w).min(w));
            let rows = glyph(c);
            for py in top..bottom {
                let bits = rows[(py - y) as usize];
                if bits == 0 {
                    continue;
                }
                let line = (py * w) as usize;
                for px in left..right {
                    if bits & (0x80 >> (px - pen)) != 0 {
                        pixels[line + px as usize] = color;
                    }
                }
            }
        }
        pen += cell_w;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 20;
    const H: usize = 20;

    /// Where `c`'s glyph has ink at cell pixel (`cx`, `cy`).
    fn ink(c: char, cx: i64, cy: i64) -> bool {
        (0..8).contains(&cx) && (0..16).contains(&cy) && glyph(c)[cy as usize] & (0x80 >> cx) != 0
    }

    #[test]
    fn one_glyph() {
        // 'H': two 2-px stems in columns 0-1 and 5-6, crossbar on row 7.
        let h = glyph('H');
        assert_eq!(h[3], 0b1100_0110);
        assert_eq!(h[7], 0b1111_1110);
        assert_eq!(h[0], 0);
        assert_eq!(h[15], 0);
        assert_eq!(glyph('\u{7f}'), glyph('\u{e9}'));
        assert_eq!(glyph('\n'), glyph('\u{1F600}'));
        assert_ne!(glyph('~'), glyph('\u{e9}'));
        assert_eq!(text_width("ab\u{e9}"), 24);
        assert_eq!(text_width(""), 0);
    }

    #[test]
    fn draws_exactly_the_ink() {
        let mut pixels = [0u32; W * H];
        draw_text(&mut pixels, W as u32, H as u32, 2, 1, "Hi", 7);
        for py in 0..H as i64 {
            for px in 0..W as i64 {
                let want = if px < 10 { ink('H', px - 2, py - 1) } else { ink('i', px - 10, py - 1) };
                assert_eq!(pixels[py as usize * W + px as usize], if want { 7 } else { 0 }, "({}, {})", px, py);
            }
        }
    }

    #[test]
    fn clips_to_the_buffer() {
        // A guard band around a 20x20 buffer inside a bigger slice shows any stray write.
        let mut pixels = [0u32; W * H + 16];
        for &(x, y) in &[(-5, -7), (15, 10), (-3, 12), (i32::MIN, 0), (i32::MAX, 0), (0, i32::MIN), (0, i32::MAX)] {
            draw_text(&mut pixels[..W * H], W as u32, H as u32, x, y, "WMW@#", 9);
            for py in 0..H as i64 {
                for px in 0..W as i64 {
                    let (cx, cy) = (px - x as i64, py - y as i64);
                    let want = (0..40).contains(&cx) && ink("WMW@#".chars().nth((cx / 8) as usize).unwrap(), cx % 8, cy);
                    let got = pixels[py as usize * W + px as usize];
                    assert!(got == 9 || !want, "missing ink at ({}, {}) drawing at ({}, {})", px, py, x, y);
                    if !want {
                        assert_eq!(got, 0, "stray write at ({}, {}) drawing at ({}, {})", px, py, x, y);
                    }
                }
            }
            assert!(pixels[W * H..].iter().all(|&p| p == 0));
            pixels = [0u32; W * H + 16];
        }
        // A short slice draws only its whole rows; an empty buffer draws nothing.
        let mut short = [0u32; W * 5 + 3];
        draw_text(&mut short, W as u32, H as u32, 0, -3, "HH", 1);
        assert!(short[W * 5..].iter().all(|&p| p == 0));
        assert!(short[..W * 5].contains(&1));
        draw_text(&mut [], 0, 0, 0, 0, "H", 1);
    }
}
