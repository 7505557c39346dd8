//! fractal: Mandelbrot, Julia and burning-ship sets, rendered progressively
//! by calculation plugins running in parallel.
//!
//! Boot caps: handle 1 the ui_server endpoint; handle 2 a spawner over the
//! formulas directory (`mandelbrot`, `julia`, `burning_ship`: see
//! `wsk::formula`); handle 3 an endpoint holding the boot configuration:
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `size` | image size, `WIDTHxHEIGHT` (a 20-pixel status line goes below) | `560x420` |
//! | `workers` | worker actors, 1 to 16 (the desktop passes the core count) | `2` |
//! | `iterations` | the iteration limit to start with | `256` |
//! | `formula` | the formula to start with | `mandelbrot` |
//!
//! Input: the wheel zooms at the pointer; dragging with the left button
//! draws a box to zoom into; dragging with the right button, or the arrow
//! keys, pans; `+` and `-` double and halve the iterations; `p` changes the
//! palette; `m`, `j` and `b` pick the formula; `r` goes home; `s` saves the
//! view as a PNG file the user picks in the runtime's file chooser. The window
//! keeps answering while workers compute: a coarse picture comes first,
//! then the full one tile by tile. Logs `fractal: view complete in N ms`
//! when a view is done. The window takes the size ui_server configures (the
//! whole screen in a kiosk): the view fills it but for the status line,
//! around the same centre at the same zoom. The arithmetic is in `view.rs`
//! and `color.rs`; `Render::to_png` saves the view as a PNG file.
#![no_std]

extern crate alloc;

mod color;
mod render;
mod view;
mod workers;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use render::Render;
use view::{Formula, View};
use workers::Pool;
use wsk::boot::{BootConfig, BOOT_BUFFER_BYTES};
use wsk::protocol::{error::CANCELLED, BUTTON_LEFT, BUTTON_RIGHT};
use wsk::{Canvas, Cap, ChooseFile, Event, File, Rect, Timeout, Window};

wsk::actor_main!(main);

const UI: Cap = Cap(1);
const FORMULAS: Cap = Cap(2);
const BOOT: Cap = Cap(3);

const STATUS: u32 = 20;
const MAX_WORKERS: u32 = 16;
/// How long to wait for a worker's answer before looking at input again.
const RESULT_WAIT: Timeout = Timeout::millis(8);

const LEFT: u32 = 0xff51;
const UP: u32 = 0xff52;
const RIGHT: u32 = 0xff53;
const DOWN: u32 = 0xff54;
const HOME: u32 = 0xff50;
const KP_ADD: u32 = 0xffab;
const KP_SUBTRACT: u32 = 0xffad;

fn main() {
    let mut boot = [0u8; BOOT_BUFFER_BYTES];
    let config = BootConfig::receive(BOOT, &mut boot);
    let (width, height) = config.size("size").unwrap_or((560, 420));
    let workers = config.number("workers").unwrap_or(2).clamp(1, MAX_WORKERS) as usize;
    let iterations = config.number("iterations").unwrap_or(256).clamp(view::MIN_ITERATIONS, view::MAX_ITERATIONS);
    let formula = config.get("formula").and_then(Formula::from_module).unwrap_or(Formula::Mandelbrot);
    let window = match Window::create(UI, width, height.saturating_add(STATUS), "fractal", 0) {
        Ok(window) => window,
        Err(error) => {
            wsk::logf!("fractal: no window: {}", error);
            return;
        }
    };
    let pool = match Pool::new(FORMULAS, workers, formula) {
        Ok(pool) => pool,
        Err(error) => {
            wsk::logf!("fractal: no workers: {}", error);
            return;
        }
    };
    let mut app = Fractal::new(window, View::home(formula, width, height, iterations), pool);
    app.run();
    if let Err(error) = app.window.destroy() {
        wsk::logf!("fractal: destroy failed: {}", error);
    }
}

/// A drag in progress.
enum Drag {
    /// Left button: a box to zoom into, from one corner to the other.
    Box { from: (i32, i32), to: (i32, i32) },
    /// Right button: panning; where the pointer was last.
    Pan { last: (i32, i32) },
}

struct Fractal {
    window: Window,
    width: u32,
    height: u32,
    /// The window's picture: the image, then the status line.
    screen: Vec<u32>,
    render: Render,
    pool: Pool,
    palette: usize,
    drag: Option<Drag>,
    started: u64,
    reported: bool,
    gave_up: bool,
    /// The worker trouble the status line shows.
    trouble_shown: Option<wsk::Error>,
    damage: Rect,
    waiting: bool,
    /// A save asked of the file chooser and not answered yet.
    saving: bool,
    /// What the last save did, shown in the status line until the view changes.
    note: Option<String>,
}

impl Fractal {
    fn new(window: Window, view: View, pool: Pool) -> Fractal {
        let mut app = Fractal {
            width: view.width,
            height: view.height,
            screen: vec![0; window.width() as usize * window.height() as usize],
            render: Render::new(view),
            pool,
            palette: 0,
            drag: None,
            started: wsk::now(),
            reported: false,
            gave_up: false,
            trouble_shown: None,
            damage: Rect::EMPTY,
            waiting: false,
            saving: false,
            note: None,
            window,
        };
        app.recolor(app.image());
        app.draw_status();
        app
    }

    fn image(&self) -> Rect {
        Rect::of_size(self.width, self.height)
    }

    /// The view as a PNG file.
    fn png(&self) -> Result<Vec<u8>, wsk::image_file::ImageFileError> {
        self.render.to_png(self.palette)
    }

    /// `s`: asks the user where to save the view.
    fn save_command(&mut self) {
        if self.saving {
            return;
        }
        match self.window.choose_file(ChooseFile::Save { suggested: "fractal.png", types: "png" }) {
            Ok(()) => {
                self.saving = true;
                self.tell(String::from("choose where to save the view (Escape cancels)"));
            }
            Err(error) => self.tell(format!("no file chooser: {}", error)),
        }
    }

    /// Writes the view, as it is now, into the file the user chose.
    fn save_into(&mut self, file: File, name: &str) {
        self.saving = false;
        let result = match self.png() {
            Ok(bytes) => file.replace_contents(&bytes).map(|_| bytes.len()).map_err(|e| format!("{}", e)),
            Err(error) => Err(format!("{}", error)),
        };
        let _ = wsk::release(file.cap());
        match result {
            Ok(bytes) => {
                wsk::logf!("fractal: saved the view as {} ({} bytes)", name, bytes);
                self.tell(format!("saved {}", name));
            }
            Err(why) => {
                wsk::logf!("fractal: cannot save {}: {}", name, why);
                self.tell(format!("cannot save {}: {}", name, why));
            }
        }
    }

    fn not_saved(&mut self, code: i32, message: &str) {
        self.saving = false;
        if code == CANCELLED {
            self.tell(String::from("not saved"));
        } else {
            self.tell(format!("not saved: {}", message));
        }
    }

    fn tell(&mut self, note: String) {
        self.note = Some(note);
        self.draw_status();
    }

    /// Works and answers input until the window is closed or gone.
    fn run(&mut self) {
        let mut buf = [0u8; wsk::window::EVENT_BUFFER_BYTES];
        loop {
            if !self.gave_up && self.render.has_work() {
                self.pool.dispatch(&mut self.render);
                if self.pool.trouble != self.trouble_shown {
                    self.draw_status();
                }
            }
            self.present();
            if self.pool.is_busy() {
                self.take_results();
                // Then whatever input came meanwhile, without waiting.
                loop {
                    match self.window.next_event(&mut buf, Timeout::Poll) {
                        Ok(Event::CloseRequest) => return,
                        Ok(event) => self.handle(event),
                        Err(error) if error.is_timeout() => break,
                        Err(_) => return,
                    }
                }
            } else {
                let overdue = !self.waiting && !self.damage.is_empty();
                match self.window.next_event(&mut buf, if overdue { Timeout::millis(10) } else { Timeout::Forever }) {
                    Ok(Event::CloseRequest) => return,
                    Ok(event) => self.handle(event),
                    Err(error) if error.is_timeout() => {}
                    Err(error) => {
                        wsk::logf!("fractal: no more events: {}", error);
                        return;
                    }
                }
            }
        }
    }

    fn take_results(&mut self) {
        let changed = self.pool.receive(RESULT_WAIT, &mut self.render);
        self.recolor(changed);
        self.pool.check(&mut self.render);
        if self.pool.failures > 4 * self.pool.len() as u32 + 8 && !self.gave_up {
            wsk::logf!("fractal: workers keep failing; rendering stopped");
            self.gave_up = true;
            self.render.abandon();
        }
        if self.render.is_done() && !self.reported {
            self.reported = true;
            let v = &self.render.view;
            let ms = (wsk::now() - self.started) / 1_000_000;
            wsk::logf!(
                "fractal: view complete in {} ms ({}x{}, {} iterations, {})",
                ms,
                v.width,
                v.height,
                v.iterations,
                self.pool.describe()
            );
        }
        if !changed.is_empty() || self.gave_up {
            self.draw_status();
        }
    }

    fn handle(&mut self, event: Event<'_>) {
        match event {
            Event::FrameDone { .. } => self.waiting = false,
            Event::Configure { width, height } => self.configure(width, height),
            Event::PointerButton { x, y, button, pressed: true } if self.drag.is_none() => {
                if button == BUTTON_LEFT {
                    self.drag = Some(Drag::Box { from: (x, y), to: (x, y) });
                } else if button == BUTTON_RIGHT {
                    self.drag = Some(Drag::Pan { last: (x, y) });
                }
            }
            Event::PointerButton { pressed: false, .. } => self.end_drag(),
            Event::PointerMotion { x, y, .. } => self.drag_to(x, y),
            Event::PointerScroll { x, y, dy, .. } if dy != 0 => {
                let mut view = self.render.view;
                for _ in 0..dy.unsigned_abs().min(8) {
                    view.zoom_at(x, y, if dy > 0 { 2.0 } else { 0.5 });
                }
                self.show(view);
            }
            Event::Key { keysym, state, .. } if state.is_down() => self.key(keysym),
            Event::FileChosen { file, name } if self.saving => self.save_into(file, name),
            Event::FileChosen { file, .. } => {
                let _ = wsk::release(file.cap()); // nothing asked for
            }
            Event::FileNotChosen { code, message } => self.not_saved(code, message),
            _ => {}
        }
    }

    fn key(&mut self, keysym: u32) {
        self.note = None; // what the last save did is old news
        let mut view = self.render.view;
        let (step_x, step_y) = ((self.width / 8).max(1) as i32, (self.height / 8).max(1) as i32);
        match keysym {
            LEFT => view.pan(step_x, 0),
            RIGHT => view.pan(-step_x, 0),
            UP => view.pan(0, step_y),
            DOWN => view.pan(0, -step_y),
            0x2b | 0x3d | KP_ADD => view.change_iterations(true),
            0x2d | KP_SUBTRACT => view.change_iterations(false),
            0x70 => {
                self.palette = (self.palette + 1) % color::PALETTES.len();
                self.recolor(self.image());
                self.draw_status();
                return;
            }
            0x72 | HOME => view = View::home(view.formula, self.width, self.height, view.iterations),
            0x6d => return self.switch(Formula::Mandelbrot),
            0x6a => return self.switch(Formula::Julia),
            0x62 => return self.switch(Formula::BurningShip),
            0x73 => return self.save_command(),
            _ => return,
        }
        self.show(view);
    }

    fn drag_to(&mut self, x: i32, y: i32) {
        match self.drag {
            Some(Drag::Box { from, to }) => {
                self.recolor(band(from, to));
                self.drag = Some(Drag::Box { from, to: (x, y) });
                self.draw_band(from, (x, y));
            }
            Some(Drag::Pan { last }) => {
                let (dx, dy) = (x - last.0, y - last.1);
                self.drag = Some(Drag::Pan { last: (x, y) });
                let mut view = self.render.view;
                view.pan(dx, dy);
                self.render.shift(dx, dy);
                self.recolor(self.image());
                self.show(view);
            }
            None => {}
        }
    }

    fn end_drag(&mut self) {
        if let Some(Drag::Box { from, to }) = self.drag.take() {
            self.recolor(band(from, to));
            let (bw, bh) = ((to.0 - from.0).abs(), (to.1 - from.1).abs());
            if bw >= 4 || bh >= 4 {
                let mut view = self.render.view;
                view.zoom_to(from.0.min(to.0), from.1.min(to.1), bw.max(1), bh.max(1));
                self.show(view);
            }
        }
    }

    fn switch(&mut self, formula: Formula) {
        let view = View::home(formula, self.width, self.height, self.render.view.iterations);
        self.show(view);
        self.pool.switch(formula, &mut self.render);
    }

    /// Starts rendering `view`.
    fn show(&mut self, view: View) {
        self.note = None;
        self.render.restart(view);
        self.started = wsk::now();
        self.reported = false;
        self.gave_up = false;
        self.pool.failures = 0;
        self.draw_status();
    }

    /// Lays the window out again for `width × height`, the size ui_server
    /// configured (the SDK has given the window a surface that size): the
    /// view fills it above the status line and is rendered again.
    fn configure(&mut self, width: u32, height: u32) {
        let image_height = height.saturating_sub(STATUS);
        if (width, image_height) == (self.width, self.height) {
            return;
        }
        self.width = width;
        self.height = image_height;
        self.screen = vec![0; width as usize * height as usize];
        self.drag = None;
        let view = self.render.view.resized(width, image_height);
        self.show(view);
        self.recolor(self.image());
    }

    // MARK: Drawing

    /// Colours `rect` of the image from the iteration map.
    fn recolor(&mut self, rect: Rect) {
        let r = rect.intersect(self.image());
        if r.is_empty() {
            return;
        }
        let (w, n, palette) = (self.width as usize, self.render.view.iterations, self.palette);
        for y in r.y as usize..(r.y + r.h) as usize {
            let row = y * w + r.x as usize..y * w + (r.x + r.w) as usize;
            for (pixel, &count) in self.screen[row.clone()].iter_mut().zip(&self.render.iterations[row]) {
                *pixel = color::color(count, n, palette);
            }
        }
        self.damage = self.damage.union(r);
    }

    fn draw_band(&mut self, from: (i32, i32), to: (i32, i32)) {
        let r = band(from, to);
        let mut canvas = Canvas::new(&mut self.screen, self.width, self.height).expect("the image fits the screen");
        for (edge, color) in [(r, 0x00ff_ffff), (Rect::new(r.x + 1, r.y + 1, r.w - 2, r.h - 2), 0)] {
            canvas.fill_rect(Rect::new(edge.x, edge.y, edge.w, 1), color);
            canvas.fill_rect(Rect::new(edge.x, edge.y + edge.h - 1, edge.w, 1), color);
            canvas.fill_rect(Rect::new(edge.x, edge.y, 1, edge.h), color);
            canvas.fill_rect(Rect::new(edge.x + edge.w - 1, edge.y, 1, edge.h), color);
        }
        self.damage = self.damage.union(r.intersect(self.image()));
    }

    fn draw_status(&mut self) {
        let v = &self.render.view;
        let (done, total) = self.render.progress();
        self.trouble_shown = self.pool.trouble;
        let state = if let Some(error) = self.pool.trouble {
            format!("cannot start workers: {}", error)
        } else if self.gave_up {
            String::from("workers keep failing")
        } else if done == total {
            String::from("done")
        } else {
            format!("{}%", done * 100 / total.max(1))
        };
        let text = match self.note.as_ref() {
            Some(note) => note.clone(),
            None => format!(
                "{} {} it  zoom {:.1e}  {}  |  keys + - p m j b r s",
                v.formula.module(),
                v.iterations,
                3.0 / (v.step * self.height as f64),
                state
            ),
        };
        let (w, h) = (self.window.width(), self.window.height());
        let mut canvas = Canvas::new(&mut self.screen, w, h).expect("the screen has the window's size");
        let bar = Rect::new(0, self.height as i32, w as i32, STATUS as i32);
        canvas.fill_rect(bar, 0x0030_3030);
        canvas.draw_text(4, bar.y + 2, &text, 0x00e8_e8e8);
        self.damage = self.damage.union(bar);
    }

    /// Shows what changed, at most once per frame (see `docs/protocol.md`).
    fn present(&mut self) {
        if self.waiting || self.damage.is_empty() {
            return;
        }
        let (w, h) = (self.window.width(), self.window.height());
        let canvas = Canvas::new(&mut self.screen, w, h).expect("the screen has the window's size");
        match self.window.present(&canvas, &[self.damage]) {
            Ok(()) => {
                self.damage = Rect::EMPTY;
                self.waiting = true;
            }
            Err(error) => wsk::logf!("fractal: present failed: {}", error),
        }
    }
}

/// The rectangle with corners `a` and `b`, both included.
fn band(a: (i32, i32), b: (i32, i32)) -> Rect {
    let (x0, y0) = (a.0.min(b.0), a.1.min(b.1));
    Rect::new(x0, y0, (a.0 - b.0).abs() + 1, (a.1 - b.1).abs() + 1)
}
