//! Rectangles in pixels, as windows and canvases use them.

/// A rectangle in pixels: top-left corner and size. Empty when `w` or `h`
/// is zero or negative. Arithmetic is done in `i64`, so no value overflows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl Rect {
    /// The empty rectangle at the origin.
    pub const EMPTY: Rect = Rect { x: 0, y: 0, w: 0, h: 0 };

    /// The rectangle at (`x`, `y`), `w` wide and `h` high.
    pub const fn new(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect { x, y, w, h }
    }

    /// The rectangle (0, 0, `width`, `height`), e.g. a whole surface.
    pub fn of_size(width: u32, height: u32) -> Rect {
        Rect::new(0, 0, clamp32(width as i64), clamp32(height as i64))
    }

    /// True when it holds no pixel.
    pub const fn is_empty(self) -> bool {
        self.w <= 0 || self.h <= 0
    }

    /// One past the right edge.
    pub const fn right(self) -> i64 {
        self.x as i64 + self.w as i64
    }

    /// One past the bottom edge.
    pub const fn bottom(self) -> i64 {
        self.y as i64 + self.h as i64
    }

    /// True when pixel (`x`, `y`) is inside.
    pub const fn contains(self, x: i32, y: i32) -> bool {
        x >= self.x && (x as i64) < self.right() && y >= self.y && (y as i64) < self.bottom()
    }

    /// The pixels in both, or [`Rect::EMPTY`].
    pub fn intersect(self, other: Rect) -> Rect {
        let (x0, y0) = (self.x.max(other.x), self.y.max(other.y));
        let (x1, y1) = (self.right().min(other.right()), self.bottom().min(other.bottom()));
        if x1 <= x0 as i64 || y1 <= y0 as i64 {
            return Rect::EMPTY;
        }
        Rect::new(x0, y0, clamp32(x1 - x0 as i64), clamp32(y1 - y0 as i64))
    }

    /// The smallest rectangle holding both (an empty one adds nothing):
    /// handy for collecting damage.
    pub fn union(self, other: Rect) -> Rect {
        if self.is_empty() {
            return other;
        }
        if other.is_empty() {
            return self;
        }
        let (x0, y0) = (self.x.min(other.x), self.y.min(other.y));
        let (x1, y1) = (self.right().max(other.right()), self.bottom().max(other.bottom()));
        Rect::new(x0, y0, clamp32(x1 - x0 as i64), clamp32(y1 - y0 as i64))
    }
}

/// `v` clamped into `i32`.
pub(crate) fn clamp32(v: i64) -> i32 {
    v.max(i32::MIN as i64).min(i32::MAX as i64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rects() {
        let a = Rect::new(0, 0, 10, 10);
        assert_eq!(a.intersect(Rect::new(5, -5, 10, 10)), Rect::new(5, 0, 5, 5));
        assert_eq!(a.intersect(Rect::new(10, 0, 5, 5)), Rect::EMPTY);
        assert_eq!(a.union(Rect::new(20, 20, 1, 1)), Rect::new(0, 0, 21, 21));
        assert_eq!(Rect::EMPTY.union(a), a);
        assert_eq!(a.union(Rect::new(50, 50, 0, 3)), a);
        assert!(a.contains(9, 9) && !a.contains(10, 9) && !a.contains(-1, 0));
        assert!(Rect::new(3, 3, -1, 4).is_empty());
        // No overflow at the extremes.
        let huge = Rect::new(i32::MAX - 1, i32::MIN, i32::MAX, i32::MAX);
        assert_eq!(huge.intersect(a), Rect::EMPTY);
        let wide = Rect::new(i32::MIN, 0, 1, 1).union(Rect::new(i32::MAX - 1, 0, 1, 1));
        assert_eq!(wide, Rect::new(i32::MIN, 0, i32::MAX, 1));
        assert_eq!(Rect::of_size(u32::MAX, 3), Rect::new(0, 0, i32::MAX, 3));
    }
}
