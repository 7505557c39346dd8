//! Which part of the picture the canvas shows.
//!
//! A new picture has the canvas's size and shows whole, as it always did.
//! An opened image keeps its own size: when it is larger than the canvas,
//! the canvas shows the part whose top left is the view's (x, y), moved
//! with the wheel (vertical, or horizontal with a sideways wheel) and the
//! arrow keys; when it is smaller, it sits at the canvas's top left on a
//! grey backdrop. Nothing is scaled, so a brush pixel is a screen pixel.

use wsk::Rect;

/// How far one wheel step or arrow key moves the view, in pixels.
pub const SCROLL_STEP: i32 = 48;

/// The picture point at the canvas's top left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub x: i32,
    pub y: i32,
}

impl View {
    /// The view moved by (dx, dy) pixels, kept over the picture: no further
    /// right or down than shows the picture's last column and row.
    pub fn scrolled(self, dx: i32, dy: i32, picture: Rect, canvas: Rect) -> View {
        let limit = |position: i32, picture: i32, canvas: i32| position.min(picture - canvas).max(0);
        View {
            x: limit(self.x.saturating_add(dx), picture.w, canvas.w),
            y: limit(self.y.saturating_add(dy), picture.h, canvas.h),
        }
    }

    /// The picture point under window point (x, y).
    pub fn to_picture(self, canvas: Rect, x: i32, y: i32) -> (i32, i32) {
        (x - canvas.x + self.x, y - canvas.y + self.y)
    }

    /// Where `rect` of the picture shows in the window, clipped to the canvas.
    pub fn to_window(self, canvas: Rect, rect: Rect) -> Rect {
        Rect::new(rect.x - self.x + canvas.x, rect.y - self.y + canvas.y, rect.w, rect.h).intersect(canvas)
    }

    /// The part of the picture under `area` of the window (clipped to the canvas).
    pub fn picture_under(self, canvas: Rect, area: Rect) -> Rect {
        let area = area.intersect(canvas);
        Rect::new(area.x - canvas.x + self.x, area.y - canvas.y + self.y, area.w, area.h)
    }

    /// Whether the picture covers the whole canvas (no backdrop shows).
    pub fn covers(self, picture: Rect, canvas: Rect) -> bool {
        picture.w - self.x >= canvas.w && picture.h - self.y >= canvas.h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANVAS: Rect = Rect { x: 0, y: 28, w: 640, h: 432 };

    #[test]
    fn a_picture_the_canvas_size_does_not_move() {
        let picture = Rect::of_size(640, 432);
        let view = View::default().scrolled(100, -50, picture, CANVAS);
        assert_eq!(view, View { x: 0, y: 0 });
        assert_eq!(view.to_picture(CANVAS, 10, 30), (10, 2));
        assert_eq!(view.to_window(CANVAS, Rect::new(5, 6, 7, 8)), Rect::new(5, 34, 7, 8));
        assert!(view.covers(picture, CANVAS));
    }

    #[test]
    fn a_large_picture_scrolls_to_its_edges_and_no_further() {
        let picture = Rect::of_size(2000, 1000);
        let view = View::default().scrolled(SCROLL_STEP, 3 * SCROLL_STEP, picture, CANVAS);
        assert_eq!(view, View { x: 48, y: 144 });
        assert_eq!(view.to_picture(CANVAS, 0, 28), (48, 144));
        let end = view.scrolled(i32::MAX, i32::MAX, picture, CANVAS);
        assert_eq!(end, View { x: 2000 - 640, y: 1000 - 432 });
        assert!(end.covers(picture, CANVAS));
        assert_eq!(end.scrolled(i32::MIN, -1, picture, CANVAS), View { x: 0, y: 1000 - 433 });
        // The picture's last pixel shows at the canvas's last pixel.
        assert_eq!(end.to_window(CANVAS, Rect::new(1999, 999, 1, 1)), Rect::new(639, 28 + 431, 1, 1));
        // What is scrolled out of sight is clipped away.
        assert_eq!(end.to_window(CANVAS, Rect::new(0, 0, 10, 10)), Rect::EMPTY);
    }

    #[test]
    fn a_small_picture_sits_top_left_on_the_backdrop() {
        let picture = Rect::of_size(100, 50);
        let view = View::default().scrolled(30, 30, picture, CANVAS);
        assert_eq!(view, View::default());
        assert!(!view.covers(picture, CANVAS));
        assert_eq!(view.picture_under(CANVAS, Rect::new(-5, 0, 50, 40)), Rect::new(0, 0, 45, 12));
    }

    #[test]
    fn a_window_resize_keeps_the_view_on_the_picture() {
        let picture = Rect::of_size(2000, 1000);
        let view = View { x: 1360, y: 568 };
        let wider = Rect::new(0, 28, 1000, 900);
        assert_eq!(view.scrolled(0, 0, picture, wider), View { x: 1000, y: 100 });
    }
}
