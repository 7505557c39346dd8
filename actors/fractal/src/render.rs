//! The plan for rendering a view, progressively: first a coarse pass (one
//! sample per 8 × 8 pixels, in 128-pixel tiles), then every pixel (in tiles
//! of 64 pixels, or 32 when there are over 1024 iterations, so that a tile
//! stays well within the host's watchdog). Results land in an iteration map;
//! a coarse sample fills its block, except where the fine pass already
//! finished. [`Render::to_png`] saves the map as it is, coloured.

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use wsk::formula::Tile;
use wsk::image_file::{encode_png, ImageFileError, PixelFormat};
use wsk::Rect;

use crate::color;
use crate::view::View;

const COARSE_STRIDE: u32 = 8;
const COARSE_TILE: u32 = 128;

/// One request to a worker: a rectangle of pixels, sampled every `stride`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: u32,
    /// The render it belongs to: results for an older one are dropped.
    pub generation: u32,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub stride: u32,
}

impl Job {
    pub fn columns(&self) -> u32 {
        (self.w + self.stride - 1) / self.stride
    }

    pub fn rows(&self) -> u32 {
        (self.h + self.stride - 1) / self.stride
    }

    pub fn samples(&self) -> usize {
        self.columns() as usize * self.rows() as usize
    }

    /// The request for `view`.
    pub fn tile(&self, view: &View) -> Tile {
        let (p0, p1) = view.formula.parameter();
        Tile {
            job: self.id,
            x0: self.x as i32,
            y0: self.y as i32,
            columns: self.columns(),
            rows: self.rows(),
            stride: self.stride,
            iterations: view.iterations,
            left: view.left,
            top: view.top,
            step: view.step,
            p0,
            p1,
        }
    }

    fn rect(&self) -> Rect {
        Rect::new(self.x as i32, self.y as i32, self.w as i32, self.h as i32)
    }
}

/// A view being rendered, and the iteration map it renders into.
pub struct Render {
    pub view: View,
    pub generation: u32,
    /// Escape counts, `width × height`; what is on screen.
    pub iterations: Vec<u32>,
    queue: VecDeque<Job>,
    next_id: u32,
    tile: u32,
    across: u32,
    fine_done: Vec<bool>,
    remaining: usize,
    total: usize,
}

impl Render {
    pub fn new(view: View) -> Render {
        let mut render = Render {
            view,
            generation: 0,
            iterations: vec![view.iterations; view.width as usize * view.height as usize],
            queue: VecDeque::new(),
            next_id: 1,
            tile: 64,
            across: 0,
            fine_done: Vec::new(),
            remaining: 0,
            total: 0,
        };
        render.restart(view);
        render
    }

    /// Plans the render of `view` from scratch; what is on screen stays
    /// until results replace it (a view of another size starts from a
    /// blank map of that size).
    pub fn restart(&mut self, view: View) {
        if (view.width, view.height) != (self.view.width, self.view.height) {
            self.iterations = vec![view.iterations; view.width as usize * view.height as usize];
        }
        self.view = view;
        self.generation = self.generation.wrapping_add(1);
        self.queue.clear();
        self.tile = if view.iterations > 1024 { 32 } else { 64 };
        let (w, h) = (view.width, view.height);
        self.plan(COARSE_TILE, COARSE_STRIDE);
        self.plan(self.tile, 1);
        self.across = (w + self.tile - 1) / self.tile;
        let down = (h + self.tile - 1) / self.tile;
        self.total = (self.across * down) as usize;
        self.remaining = self.total;
        self.fine_done.clear();
        self.fine_done.resize(self.total, false);
    }

    fn plan(&mut self, side: u32, stride: u32) {
        let (w, h) = (self.view.width, self.view.height);
        for y in (0..h).step_by(side as usize) {
            for x in (0..w).step_by(side as usize) {
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1);
                let job = Job { id, generation: self.generation, x, y, w: side.min(w - x), h: side.min(h - y), stride };
                self.queue.push_back(job);
            }
        }
    }

    /// Stops rendering: nothing more is handed out.
    pub fn abandon(&mut self) {
        self.queue.clear();
    }

    pub fn next_job(&mut self) -> Option<Job> {
        self.queue.pop_front()
    }

    /// Puts back a job whose worker failed, to go first.
    pub fn requeue(&mut self, job: Job) {
        if job.generation == self.generation {
            self.queue.push_front(job);
        }
    }

    pub fn is_done(&self) -> bool {
        self.remaining == 0
    }

    pub fn has_work(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Fine tiles done, of all.
    pub fn progress(&self) -> (usize, usize) {
        (self.total - self.remaining, self.total)
    }

    /// Takes a job's results (one per sample, row after row); returns the
    /// pixels that changed. Results of an older render are dropped.
    pub fn complete(&mut self, job: &Job, values: &[u32]) -> Rect {
        if job.generation != self.generation || values.len() < job.samples() {
            return Rect::EMPTY;
        }
        let width = self.view.width as usize;
        if job.stride == 1 {
            let index = ((job.y / self.tile) * self.across + job.x / self.tile) as usize;
            if self.fine_done[index] {
                return Rect::EMPTY;
            }
            self.fine_done[index] = true;
            self.remaining -= 1;
            for row in 0..job.h as usize {
                let to = (job.y as usize + row) * width + job.x as usize;
                let from = row * job.w as usize;
                self.iterations[to..to + job.w as usize].copy_from_slice(&values[from..from + job.w as usize]);
            }
            return job.rect();
        }
        let columns = job.columns() as usize;
        for py in job.y..job.y + job.h {
            let j = ((py - job.y) / job.stride) as usize;
            for px in job.x..job.x + job.w {
                let tile = ((py / self.tile) * self.across + px / self.tile) as usize;
                if !self.fine_done[tile] {
                    let i = ((px - job.x) / job.stride) as usize;
                    self.iterations[py as usize * width + px as usize] = values[j * columns + i];
                }
            }
        }
        job.rect()
    }

    /// The view as a PNG file (RGB), coloured with `palette`: what the
    /// window shows without the status line or a zoom box, at the view's
    /// size. Mid-render that is the picture so far, coarse blocks and all.
    pub fn to_png(&self, palette: usize) -> Result<Vec<u8>, ImageFileError> {
        let limit = self.view.iterations;
        let pixels: Vec<u32> = self.iterations.iter().map(|&n| color::color(n, limit, palette)).collect();
        encode_png(self.view.width, self.view.height, &pixels, PixelFormat::Xrgb)
    }

    /// Moves the picture by (dx, dy) pixels, as a preview of a pan; what
    /// comes into view is left as it was until rendered.
    pub fn shift(&mut self, dx: i32, dy: i32) {
        let (w, h) = (self.view.width as i32, self.view.height as i32);
        if dx.abs() >= w || dy.abs() >= h {
            return;
        }
        let old = self.iterations.clone();
        for y in 0..h {
            let sy = y - dy;
            if sy < 0 || sy >= h {
                continue;
            }
            for x in 0..w {
                let sx = x - dx;
                if sx >= 0 && sx < w {
                    self.iterations[(y * w + x) as usize] = old[(sy * w + sx) as usize];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Formula;

    #[test]
    fn plans_coarse_then_fine() {
        let mut render = Render::new(View::home(Formula::Mandelbrot, 200, 100, 64));
        let jobs: Vec<Job> = core::iter::from_fn(|| render.next_job()).collect();
        let coarse: Vec<&Job> = jobs.iter().filter(|j| j.stride == 8).collect();
        assert_eq!(coarse.len(), 2);
        assert_eq!(
            (coarse[1].x, coarse[1].w, coarse[1].h, coarse[1].columns(), coarse[1].rows()),
            (128, 72, 100, 9, 13)
        );
        assert_eq!(jobs.len() - coarse.len(), 4 * 2);
        assert_eq!(render.progress(), (0, 8));
    }

    #[test]
    fn coarse_fills_blocks_but_not_finished_tiles() {
        let mut render = Render::new(View::home(Formula::Mandelbrot, 80, 16, 64));
        let coarse = render.next_job().unwrap();
        let fine = render.next_job().unwrap(); // the tile at x 0..64
        assert_eq!((fine.stride, fine.w, fine.h), (1, 64, 16));
        render.complete(&fine, &vec![7; fine.samples()]);
        let values: Vec<u32> = (0..coarse.samples() as u32).collect();
        render.complete(&coarse, &values);
        assert_eq!(render.iterations[0], 7, "finished tile kept");
        assert_eq!(render.iterations[64], 8, "column 64 is sample 8 of row 0");
        assert_eq!(render.iterations[8 * 80 + 72], 10 + 9, "row 8, column 72: sample (9, 1)");
        assert_eq!(render.progress(), (1, 2));
        render.restart(render.view);
        assert_eq!(render.complete(&fine, &vec![1; fine.samples()]), Rect::EMPTY, "an old job");
        render.restart(render.view.resized(40, 20));
        assert_eq!(render.iterations.len(), 40 * 20);
        assert_eq!(render.complete(&fine, &vec![1; fine.samples()]), Rect::EMPTY, "a job of the old size");
        assert_eq!(render.progress(), (0, 1));
    }

    #[test]
    fn saves_the_view_as_png() {
        let mut render = Render::new(View::home(Formula::Mandelbrot, 70, 20, 64));
        let tile = loop {
            let job = render.next_job().unwrap();
            if job.stride == 1 {
                break job;
            }
        };
        let counts: Vec<u32> = (0..tile.samples() as u32).map(|i| i % 70).collect();
        render.complete(&tile, &counts);
        for palette in 0..color::PALETTES.len() {
            let png = render.to_png(palette).unwrap();
            let image = wsk::image_file::decode_png(&png, &wsk::image_file::Limits::DEFAULT).unwrap();
            assert_eq!((image.width, image.height), (70, 20));
            let expected: Vec<u32> = render.iterations.iter().map(|&n| 0xff00_0000 | color::color(n, 64, palette)).collect();
            assert_eq!(image.pixels, expected, "palette {}", palette);
        }
        // Unrendered pixels (at the limit, black) and rendered ones: not a blank picture.
        assert!(render.iterations.contains(&64) && render.iterations.contains(&3));
    }
}
