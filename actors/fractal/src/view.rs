//! What the window shows: a formula, a part of the complex plane, an
//! iteration limit — and the arithmetic that moves it. All in f64, in the
//! order written here, so that `Tests/AppTests/FractalReference.swift`
//! reproduces every pixel.
//!
//! Pixel (px, py) of a `width × height` image stands for
//! `re = left + px·step`, `im = top − py·step` (see `wsk::formula::Tile::point`).
//!
//! - **Home view** of a formula with centre (cx, cy) and visible height
//!   `span`: `step = span / height`, `left = cx − (width / 2)·step`,
//!   `top = cy + (height / 2)·step` (`width / 2`, `height / 2` integer halves).
//! - **Zoom at a pixel** by `factor`: the point under (px, py) stays put:
//!   `re = left + px·step`, `im = top − py·step`, `step′ = step·factor`,
//!   `left′ = re − px·step′`, `top′ = im + py·step′`. A wheel step down
//!   is `factor` 2 (out), up ½ (in).
//! - **Zoom to a box** from corner (x0, y0), `bw × bh` pixels:
//!   `step′ = step·max(bw / width, bh / height)`, centre
//!   `re = left + (x0 + bw / 2)·step`, `im = top − (y0 + bh / 2)·step`
//!   (`bw / 2` in f64), then the home-view formulas around it.
//! - **Pan** by (dx, dy) pixels (the picture follows the pointer):
//!   `left′ = left − dx·step`, `top′ = top + dy·step`.
//! - **Resize** to a `width′ × height′` image: the centre
//!   `re = left + (width / 2)·step`, `im = top − (height / 2)·step` and the
//!   visible height stay, `step′ = step·height / height′`, then the
//!   home-view formulas around (re, im).

/// The calculation plugins, as named in the formulas directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Formula {
    Mandelbrot,
    Julia,
    BurningShip,
}

impl Formula {
    /// Its module in the formulas directory.
    pub fn module(self) -> &'static str {
        match self {
            Formula::Mandelbrot => "mandelbrot",
            Formula::Julia => "julia",
            Formula::BurningShip => "burning_ship",
        }
    }

    pub fn from_module(name: &str) -> Option<Formula> {
        [Formula::Mandelbrot, Formula::Julia, Formula::BurningShip].iter().copied().find(|f| f.module() == name)
    }

    /// Centre and visible height of the home view.
    fn home(self) -> (f64, f64, f64) {
        match self {
            Formula::Mandelbrot => (-0.5, 0.0, 3.0),
            Formula::Julia => (0.0, 0.0, 3.0),
            Formula::BurningShip => (-0.5, -0.5, 3.0),
        }
    }

    /// The parameter it is given (Julia's c).
    pub fn parameter(self) -> (f64, f64) {
        match self {
            Formula::Julia => (-0.8, 0.156),
            _ => (0.0, 0.0),
        }
    }
}

/// The fewest and most iterations the `+` and `-` keys reach.
pub const MIN_ITERATIONS: u32 = 16;
pub const MAX_ITERATIONS: u32 = 8192;

/// A view of the plane on a `width × height` image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub formula: Formula,
    pub width: u32,
    pub height: u32,
    pub left: f64,
    pub top: f64,
    pub step: f64,
    pub iterations: u32,
}

impl View {
    /// The home view of `formula`.
    pub fn home(formula: Formula, width: u32, height: u32, iterations: u32) -> View {
        let (cx, cy, span) = formula.home();
        let mut view = View { formula, width, height, left: 0.0, top: 0.0, step: span / height as f64, iterations };
        view.center_on(cx, cy);
        view
    }

    fn center_on(&mut self, cx: f64, cy: f64) {
        self.left = cx - (self.width / 2) as f64 * self.step;
        self.top = cy + (self.height / 2) as f64 * self.step;
    }

    pub fn zoom_at(&mut self, px: i32, py: i32, factor: f64) {
        let re = self.left + px as f64 * self.step;
        let im = self.top - py as f64 * self.step;
        self.step *= factor;
        self.left = re - px as f64 * self.step;
        self.top = im + py as f64 * self.step;
    }

    pub fn zoom_to(&mut self, x0: i32, y0: i32, bw: i32, bh: i32) {
        let re = self.left + (x0 as f64 + bw as f64 / 2.0) * self.step;
        let im = self.top - (y0 as f64 + bh as f64 / 2.0) * self.step;
        let scale = (bw as f64 / self.width as f64).max(bh as f64 / self.height as f64);
        self.step *= scale;
        self.center_on(re, im);
    }

    /// The same centre and visible height on a `width × height` image.
    pub fn resized(&self, width: u32, height: u32) -> View {
        let re = self.left + (self.width / 2) as f64 * self.step;
        let im = self.top - (self.height / 2) as f64 * self.step;
        let step = self.step * self.height as f64 / height as f64;
        let mut view = View { width, height, step, ..*self };
        view.center_on(re, im);
        view
    }

    pub fn pan(&mut self, dx: i32, dy: i32) {
        self.left -= dx as f64 * self.step;
        self.top += dy as f64 * self.step;
    }

    /// Iterations doubled (`more`) or halved, within the limits.
    pub fn change_iterations(&mut self, more: bool) {
        let n = if more { self.iterations.saturating_mul(2) } else { self.iterations / 2 };
        self.iterations = n.clamp(MIN_ITERATIONS, MAX_ITERATIONS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_and_moves() {
        let mut v = View::home(Formula::Mandelbrot, 200, 100, 64);
        assert_eq!(v.step, 0.03);
        assert_eq!(v.left, -0.5 - 100.0 * 0.03);
        assert_eq!(v.top, 50.0 * 0.03);
        let before = (v.left + 30.0 * v.step, v.top - 40.0 * v.step);
        v.zoom_at(30, 40, 0.5);
        let after = (v.left + 30.0 * v.step, v.top - 40.0 * v.step);
        assert!((before.0 - after.0).abs() < 1e-12 && (before.1 - after.1).abs() < 1e-12);
        let step = v.step;
        v.pan(10, -4);
        assert_eq!(v.step, step);
        v.zoom_to(0, 0, 100, 10);
        assert_eq!(v.step, step * 0.5);
        v.change_iterations(false);
        v.change_iterations(false);
        assert_eq!(v.iterations, 16);
        assert_eq!(Formula::from_module("burning_ship"), Some(Formula::BurningShip));
    }

    #[test]
    fn a_resized_home_view_is_the_home_view_of_the_new_size() {
        let home = View::home(Formula::Julia, 560, 420, 64);
        let big = View::home(Formula::Julia, 1280, 780, 64);
        let resized = home.resized(1280, 780);
        assert_eq!((resized.width, resized.height, resized.iterations), (1280, 780, 64));
        for (a, b) in [(resized.left, big.left), (resized.top, big.top), (resized.step, big.step)] {
            assert!((a - b).abs() < 1e-12, "{} vs {}", a, b);
        }
    }
}
