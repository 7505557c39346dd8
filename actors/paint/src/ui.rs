//! Paint's window: where things are, and how they are drawn.
//!
//! ```text
//! +--------------------------------------------------------------+
//! | [■]...[■]  Eraser Clear Undo Redo Filters File               | toolbar, 28 px
//! |                                                              |
//! |                         the canvas                           |
//! |                                                              |
//! | brush 5 px  black  ...                                       | status line, 20 px
//! +--------------------------------------------------------------+
//! ```
//!
//! The window may have any size (ui_server configures it; a kiosk's is the
//! screen's): the toolbar is the top 28 rows, the status line the bottom 20,
//! and the canvas everything between, to the window's right edge.
//!
//! Swatch `i` is at x = 4 + 24·i, y = 4, 20 × 20. The buttons follow from
//! x = 252, 4 px apart, each as wide as its label plus 12 px. The Filters
//! menu opens under its button, one 20 px row per plugin; the File menu
//! under its own: Open, Save, Save as. While paint asks
//! a question (discard unsaved changes?), the status line shows it.

use wsk::font;
use wsk::{Canvas, Rect, Window};

/// Height of the toolbar above the canvas.
pub const TOOLBAR: i32 = 28;
/// Height of the status line below it.
pub const STATUS: i32 = 20;
/// Height of a menu row.
pub const MENU_ROW: i32 = 20;

/// The colours, keys 1 to 9 and 0.
pub const PALETTE: [(u32, &str); 10] = [
    (0x0000_0000, "black"),
    (0x00ff_ffff, "white"),
    (0x00e5_3935, "red"),
    (0x00fb_8c00, "orange"),
    (0x00fd_d835, "yellow"),
    (0x0043_a047, "green"),
    (0x0000_acc1, "cyan"),
    (0x001e_88e5, "blue"),
    (0x008e_24aa, "purple"),
    (0x006d_4c41, "brown"),
];

const SWATCH: i32 = 20;
const SWATCH_STEP: i32 = 24;

pub const BAR: u32 = 0x00d8_d8d8;
pub const BUTTON: u32 = 0x00f4_f4f4;
pub const BUTTON_ON: u32 = 0x00a8_c8f0;
pub const EDGE: u32 = 0x0070_7070;
pub const INK: u32 = 0x0000_0000;
const STATUS_BACK: u32 = 0x0030_3030;
const STATUS_INK: u32 = 0x00e8_e8e8;
const ERROR_INK: u32 = 0x00ff_8a80;
pub const MENU_BACK: u32 = 0x00ff_ffff;
pub const MENU_HOT: u32 = 0x00cc_ddff;
/// The canvas where the picture does not reach (an opened image smaller than it).
pub const BACKDROP: u32 = 0x0080_8080;

/// The toolbar's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Button {
    Eraser,
    Clear,
    Undo,
    Redo,
    Filters,
    File,
}

const BUTTONS: [(Button, &str); 6] = [
    (Button::Eraser, "Eraser"),
    (Button::Clear, "Clear"),
    (Button::Undo, "Undo"),
    (Button::Redo, "Redo"),
    (Button::Filters, "Filters"),
    (Button::File, "File"),
];

/// The File menu's rows, in order, with their keys.
pub const FILE_MENU: [&str; 3] = ["Open...     Ctrl+O", "Save        Ctrl+S", "Save as...  Ctrl+Shift+S"];

/// What is under a point of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    Swatch(usize),
    Button(Button),
    Canvas,
    Nothing,
}

/// Where everything is in a `width × height` window.
pub struct Layout {
    pub width: i32,
    pub height: i32,
}

impl Layout {
    /// The layout of `window` at its size now.
    pub fn of(window: &Window) -> Layout {
        Layout { width: window.width() as i32, height: window.height() as i32 }
    }

    /// The canvas, in window coordinates: empty in a window too low for it.
    pub fn canvas(&self) -> Rect {
        Rect::new(0, TOOLBAR, self.width, (self.height - TOOLBAR - STATUS).max(0))
    }

    pub fn toolbar(&self) -> Rect {
        Rect::new(0, 0, self.width, TOOLBAR)
    }

    pub fn status(&self) -> Rect {
        Rect::new(0, self.height - STATUS, self.width, STATUS)
    }

    fn swatch(i: usize) -> Rect {
        Rect::new(4 + SWATCH_STEP * i as i32, 4, SWATCH, SWATCH)
    }

    fn buttons() -> impl Iterator<Item = (Button, &'static str, Rect)> {
        let mut x = 4 + SWATCH_STEP * PALETTE.len() as i32 + 8;
        BUTTONS.iter().map(move |&(button, label)| {
            let rect = Rect::new(x, 4, font::text_width(label) as i32 + 12, SWATCH);
            x += rect.w + 4;
            (button, label, rect)
        })
    }

    pub fn hit(&self, x: i32, y: i32) -> Hit {
        if self.canvas().contains(x, y) {
            return Hit::Canvas;
        }
        if let Some(i) = (0..PALETTE.len()).find(|&i| Layout::swatch(i).contains(x, y)) {
            return Hit::Swatch(i);
        }
        match Layout::buttons().find(|b| b.2.contains(x, y)) {
            Some((button, _, _)) => Hit::Button(button),
            None => Hit::Nothing,
        }
    }

    /// The menu under `button` with `rows` entries, the widest `widest` pixels of text.
    pub fn menu(&self, button: Button, rows: usize, widest: u32) -> Rect {
        let anchor = Layout::buttons().find(|b| b.0 == button).map(|b| b.2).unwrap_or(Rect::EMPTY);
        let w = (widest as i32 + 16).max(160);
        let x = anchor.x.min(self.width - w).max(0);
        Rect::new(x, TOOLBAR, w, MENU_ROW * rows.max(1) as i32)
    }
}

/// Draws the toolbar: swatches (the chosen one framed), buttons (Eraser lit when on).
pub fn draw_toolbar(canvas: &mut Canvas<'_>, layout: &Layout, chosen: usize, eraser: bool) {
    canvas.fill_rect(layout.toolbar(), BAR);
    for (i, &(color, _)) in PALETTE.iter().enumerate() {
        let r = Layout::swatch(i);
        let frame = if i == chosen && !eraser { INK } else { EDGE };
        frame_rect(canvas, Rect::new(r.x - 1, r.y - 1, r.w + 2, r.h + 2), frame);
        if i == chosen && !eraser {
            frame_rect(canvas, Rect::new(r.x - 2, r.y - 2, r.w + 4, r.h + 4), INK);
        }
        canvas.fill_rect(r, color);
    }
    for (button, label, r) in Layout::buttons() {
        let lit = button == Button::Eraser && eraser;
        canvas.fill_rect(r, if lit { BUTTON_ON } else { BUTTON });
        frame_rect(canvas, r, EDGE);
        canvas.draw_text(r.x + 6, r.y + 2, label, INK);
    }
}

/// Draws the status line: `text`, in red-ish when it reports an error.
pub fn draw_status(canvas: &mut Canvas<'_>, layout: &Layout, text: &str, error: bool) {
    let r = layout.status();
    canvas.fill_rect(r, STATUS_BACK);
    canvas.draw_text(4, r.y + 2, text, if error { ERROR_INK } else { STATUS_INK });
}

/// Draws the menu of `button` over the canvas; returns where it is.
pub fn draw_menu<'a>(
    canvas: &mut Canvas<'_>,
    layout: &Layout,
    button: Button,
    items: impl Iterator<Item = &'a str> + Clone,
) -> Rect {
    let count = items.clone().count();
    let widest = items.clone().map(font::text_width).max().unwrap_or(0);
    let menu = layout.menu(button, count, widest);
    canvas.fill_rect(menu, MENU_BACK);
    if count == 0 {
        canvas.draw_text(menu.x + 8, menu.y + 2, "(no plugins)", EDGE);
    }
    for (row, item) in items.enumerate() {
        let y = menu.y + MENU_ROW * row as i32;
        if row % 2 == 1 {
            canvas.fill_rect(Rect::new(menu.x, y, menu.w, MENU_ROW), MENU_HOT);
        }
        canvas.draw_text(menu.x + 8, y + 2, item, INK);
    }
    frame_rect(canvas, menu, EDGE);
    menu
}

/// A one-pixel frame just inside `r`.
pub fn frame_rect(canvas: &mut Canvas<'_>, r: Rect, color: u32) {
    canvas.fill_rect(Rect::new(r.x, r.y, r.w, 1), color);
    canvas.fill_rect(Rect::new(r.x, r.y + r.h - 1, r.w, 1), color);
    canvas.fill_rect(Rect::new(r.x, r.y, 1, r.h), color);
    canvas.fill_rect(Rect::new(r.x + r.w - 1, r.y, 1, r.h), color);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits() {
        let layout = Layout { width: 640, height: 480 };
        assert_eq!(layout.hit(5, 5), Hit::Swatch(0));
        assert_eq!(layout.hit(4 + 24 * 9 + 19, 23), Hit::Swatch(9));
        assert_eq!(layout.hit(4 + 24 * 9 + 21, 10), Hit::Nothing);
        assert_eq!(layout.hit(252, 4), Hit::Button(Button::Eraser));
        assert_eq!(layout.hit(468, 10), Hit::Button(Button::Filters));
        assert_eq!(layout.hit(560, 10), Hit::Button(Button::File));
        assert_eq!(layout.hit(590, 10), Hit::Nothing);
        assert_eq!(layout.hit(10, 28), Hit::Canvas);
        assert_eq!(layout.hit(10, 459), Hit::Canvas);
        assert_eq!(layout.hit(10, 460), Hit::Nothing);
        assert_eq!(layout.menu(Button::Filters, 3, 50), Rect::new(468, 28, 160, 60));
        // The File menu would cross the window's right edge: it moves left.
        assert_eq!(layout.menu(Button::File, 3, 200), Rect::new(640 - 216, 28, 216, 60));
        assert_eq!(layout.canvas(), Rect::new(0, 28, 640, 432));
    }

    #[test]
    fn the_canvas_fills_any_window() {
        let big = Layout { width: 1920, height: 1080 };
        assert_eq!(big.canvas(), Rect::new(0, 28, 1920, 1080 - 28 - 20));
        assert_eq!(big.status(), Rect::new(0, 1060, 1920, 20));
        assert_eq!(big.hit(1919, 1059), Hit::Canvas);
        assert_eq!(big.hit(5, 5), Hit::Swatch(0));
        assert!(Layout { width: 100, height: 40 }.canvas().is_empty());
    }
}
