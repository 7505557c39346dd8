//! paint: a canvas to draw on with the mouse, and filter plugins found at
//! run time.
//!
//! Boot caps: handle 1 the ui_server endpoint (as for every app); handle 2
//! a spawner over the plugin folders; handle 3 an endpoint holding the
//! boot configuration (`wsk::boot`), whose keys are:
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `plugins` | module names in the plugin folders, comma-separated | none |
//! | `size` | window size, `WIDTHxHEIGHT` | `640x480` |
//! | `budget-ms` | how long a filter may go without progress or answer | `5000` |
//!
//! Input: drag with the left button to paint; click a swatch or press 1–9, 0
//! for a colour; `[` and `]` change the brush size; `e` toggles the eraser,
//! `c` clears; `u` or Ctrl+Z undoes, `r` or Ctrl+Y redoes (32 steps);
//! `f` or the Filters button opens the menu of plugins, where a click or
//! the row's number picks one and Escape closes it. A filter without
//! parameters applies at once; one with parameters opens the parameters
//! dialog (`params.rs`) over the canvas, and the canvas previews the filter
//! with the values set (100 ms after the last change, a newer value
//! cancelling a run in flight; the picture itself is untouched) until
//! Apply (Enter) makes it one undo step or Cancel (Escape) puts the view
//! back. The values applied are remembered per plugin for the session: the
//! dialog starts from them, Ctrl with the row's number in the menu applies
//! the filter with them at once, and Ctrl+F applies the last filter again
//! with them. A filter runs while paint goes on drawing its window: the
//! status line shows its progress, Escape cancels it (the canvas
//! untouched), and a plugin silent for the budget is ended (`plugins.rs`).
//! A plugin folder that changes while paint runs (a PLUGINS_CHANGED event)
//! reloads the plugins concerned. The File menu: Open (Ctrl+O) asks the
//! runtime's file chooser for a PNG, Save (Ctrl+S) writes it back, Save As (Ctrl+Shift+S) asks for a new file; the title bar shows the
//! file's name, with `*` while there are unsaved changes, and paint asks
//! before it discards them (opening another file, closing). A file handed
//! over at boot (`wskdesk --app paint --open photo.png`) opens at once.
//! PNG is decoded and encoded here, inside the sandbox. Logs
//! `paint: ready, N filters` once the plugins are loaded, and a line per
//! filter applied or failed. The window takes the size ui_server configures
//! (the whole screen in a kiosk): the toolbar stays at the top left, the
//! canvas fills the rest but for the status line, and a picture already
//! painted keeps its top-left part. An image opened from a PNG file
//! ([`Paint::open_png`]) keeps its own size instead: larger than the canvas,
//! it scrolls with the wheel and the arrow keys; smaller, it sits on a grey
//! backdrop (`view.rs`). Layout: `ui.rs`; strokes, undo and PNG files:
//! `document.rs`; plugins and their runs: `plugins.rs`; paint's side of
//! running filters, the dialog and its preview: `filtering.rs`; Open and
//! Save: `files.rs`.
#![no_std]

extern crate alloc;

mod document;
mod files;
mod filtering;
mod params;
mod plugins;
mod ui;
mod view;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use document::{Document, History, PAPER};
use params::{Action, Dialog, Meta};
use plugins::{Plugins, RunEvent, RunId};
use ui::{Button, Hit, Layout, PALETTE};
use view::{View, SCROLL_STEP};
use wsk::boot::{opened_file, BootConfig, BOOT_BUFFER_BYTES};
use wsk::protocol::{error::CANCELLED, BUTTON_LEFT, MOD_CTRL, MOD_SHIFT};
use wsk::{Canvas, Cap, ChooseFile, Event, File, Rect, Rights, Timeout, Window};

wsk::actor_main!(main);

const UI: Cap = Cap(1);
const PLUGINS: Cap = Cap(2);
const BOOT: Cap = Cap(3);

const ESCAPE: u32 = 0xff1b;
const LEFT: u32 = 0xff51;
const UP: u32 = 0xff52;
const RIGHT: u32 = 0xff53;
const DOWN: u32 = 0xff54;
const MAX_RADIUS: i32 = 31;
/// How long after the last change of a value its preview starts: a slider
/// dragged or a key held does not start a filter run per step.
const PREVIEW_DELAY_NS: u64 = 100_000_000;
/// How long paint waits for a running filter's answer before it looks at
/// its window again: short enough that a frame or Escape is not kept waiting.
const RUN_POLL: Timeout = Timeout::millis(15);
/// The largest file paint reads (a PNG this big holds far more pixels than
/// paint opens; the decoder says so for smaller ones).
const MAX_FILE_BYTES: usize = 128 << 20;

fn main() {
    let mut boot = [0u8; BOOT_BUFFER_BYTES];
    let config = BootConfig::receive(BOOT, &mut boot);
    let (width, height) = config.size("size").unwrap_or((640, 480));
    let height = height.max((ui::TOOLBAR + ui::STATUS + 1) as u32);
    let budget = Timeout::millis(config.number("budget-ms").unwrap_or(5000) as u64);
    let window = match Window::create(UI, width, height, "paint", 0) {
        Ok(window) => window,
        Err(error) => {
            wsk::logf!("paint: no window: {}", error);
            return;
        }
    };
    let mut paint = Paint::new(window, Plugins::new(PLUGINS, budget));
    paint.set_status(String::from("loading filters..."), false);
    paint.present();
    if paint.load_plugins(config.list("plugins")) {
        wsk::logf!("paint: ready, {} filters", paint.plugins.list.len());
        paint.show_help();
        let mut buf = [0u8; BOOT_BUFFER_BYTES];
        if let Some((file, name)) = opened_file(BOOT, &mut buf) {
            let name = String::from(name);
            paint.open_file(file, name);
        }
        paint.run();
    }
    if let Err(error) = paint.window.destroy() {
        wsk::logf!("paint: destroy failed: {}", error);
    }
}

/// What came of [`Paint::step`].
enum Next {
    /// An event was handled.
    Handled,
    /// None came.
    Nothing,
    /// The window was closed, or is gone.
    Closed,
}

/// The file the picture came from or was last saved to.
struct Opened {
    file: File,
    name: String,
    /// Save may write it back (it was opened to edit, or saved as).
    writable: bool,
}

/// What the file chooser, when it answers, was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choosing {
    Open,
    SaveAs,
}

/// What paint does once the user agrees to lose the unsaved changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Discard {
    ThenOpen,
    ThenClose,
}

/// A stroke in progress, in canvas coordinates.
struct Stroke {
    last: (i32, i32),
    touched: Rect,
}

struct Paint {
    window: Window,
    layout: Layout,
    /// The window's picture: toolbar, canvas, status line, menu.
    screen: Vec<u32>,
    document: Document,
    history: History,
    /// The picture point at the canvas's top left.
    view: View,
    /// The picture follows the window's size (a new picture does; an
    /// opened image keeps its own).
    fit_window: bool,
    plugins: Plugins,
    color: usize,
    eraser: bool,
    radius: i32,
    stroke: Option<Stroke>,
    /// The menu that is open (Filters or File), and where.
    menu: Option<(Button, Rect)>,
    status: String,
    status_is_error: bool,
    /// Drawn into `screen` but not yet presented.
    damage: Rect,
    /// A commit is waiting for its FrameDone.
    waiting: bool,
    file: Option<Opened>,
    /// Changed since opened or saved (a new picture: since it was empty).
    dirty: bool,
    /// A request to the file chooser not answered yet.
    choosing: Option<Choosing>,
    /// The question the status line asks: lose the unsaved changes?
    question: Option<Discard>,
    /// The user agreed to close.
    closing: bool,
    /// The filter being applied to the canvas.
    applying: Option<Applying>,
    /// The parameters dialog, while it is open.
    editing: Option<Editing>,
    /// The module of the filter last applied, for Ctrl+F.
    last_filter: Option<String>,
}

/// The parameters dialog open for a filter, and its preview.
struct Editing {
    /// The filter's index in the plugin list, and its module.
    index: usize,
    module: String,
    dialog: Dialog,
    /// When the preview of the values now is due (`wsk::now()` ns).
    due: Option<u64>,
    /// The preview run in flight, and the values it runs with.
    running: Option<(RunId, Vec<i32>)>,
    /// What the canvas shows instead of the picture.
    preview: Option<Preview>,
}

/// A filter's result with some values, not applied.
struct Preview {
    values: Vec<i32>,
    pixels: Vec<u32>,
    ms: u64,
    engine: Option<u32>,
}

/// A filter run whose result replaces the canvas.
struct Applying {
    run: RunId,
    name: String,
    /// The picture's size when it started: a result for another is dropped.
    size: (u32, u32),
    /// The percentage shown.
    shown: Option<u32>,
}

/// Which tier ran a filter, for the log: " (interpreter)", " (compiled)" or "".
fn tier(engine: Option<u32>) -> &'static str {
    match engine {
        Some(0) => " (interpreter)",
        Some(1) => " (compiled)",
        _ => "",
    }
}

/// A canvas over the window's pixels.
fn screen<'a>(pixels: &'a mut [u32], layout: &Layout) -> Canvas<'a> {
    Canvas::new(pixels, layout.width as u32, layout.height as u32).expect("the screen has the window's size")
}

impl Paint {
    fn new(window: Window, plugins: Plugins) -> Paint {
        let layout = Layout::of(&window);
        let canvas = layout.canvas();
        let mut paint = Paint {
            screen: vec![0; window.width() as usize * window.height() as usize],
            document: Document::new(canvas.w as u32, canvas.h as u32),
            history: History::default(),
            view: View::default(),
            fit_window: true,
            plugins,
            color: 0,
            eraser: false,
            radius: 2,
            stroke: None,
            menu: None,
            status: String::new(),
            status_is_error: false,
            damage: Rect::EMPTY,
            waiting: false,
            file: None,
            dirty: false,
            choosing: None,
            question: None,
            closing: false,
            applying: None,
            editing: None,
            last_filter: None,
            window,
            layout,
        };
        paint.draw_all();
        paint
    }

    /// Loads the plugins one by one, taking the events that came in
    /// between (a kiosk restarts an app that leaves them unread for long,
    /// and the window follows its configure meanwhile). False when the
    /// window was closed or is gone.
    fn load_plugins<'a>(&mut self, modules: impl Iterator<Item = &'a str>) -> bool {
        let mut buf = [0u8; wsk::window::EVENT_BUFFER_BYTES];
        for module in plugins::in_order(modules) {
            if let Err(why) = self.plugins.load(module) {
                wsk::logf!("paint: plugin {} left out: {}", module, why);
            }
            loop {
                match self.step(&mut buf, false) {
                    Next::Handled => {}
                    Next::Nothing => break,
                    Next::Closed => return false,
                }
            }
        }
        true
    }

    /// Handles events until the window is closed or gone. While a filter
    /// runs, waits on its answers a little at a time and takes the window's
    /// events in between, so that paint keeps drawing and Escape cancels.
    fn run(&mut self) {
        let mut buf = [0u8; wsk::window::EVENT_BUFFER_BYTES];
        while !self.closing {
            if self.plugins.running().is_none() {
                if matches!(self.step(&mut buf, true), Next::Closed) {
                    return;
                }
                continue;
            }
            if let Some((run, event)) = self.plugins.poll(RUN_POLL) {
                self.run_event(run, event);
            }
            loop {
                match self.step(&mut buf, false) {
                    Next::Handled => {}
                    Next::Nothing => break,
                    Next::Closed => return,
                }
            }
        }
    }

    /// Presents what changed, then takes one event: waiting for it when
    /// `wait` (not long when a present is overdue), else only one already queued.
    fn step(&mut self, buf: &mut [u8], wait: bool) -> Next {
        self.preview_if_due();
        self.present();
        let overdue = !self.waiting && !self.damage.is_empty();
        let timeout = match (wait, overdue) {
            (false, _) => Timeout::Poll,
            (true, true) => Timeout::millis(10),
            (true, false) => Timeout::Forever,
        };
        // A preview due wakes paint up.
        let timeout = match (timeout, self.preview_in()) {
            (Timeout::Poll, _) | (_, None) => timeout,
            (Timeout::Nanos(ns), Some(due)) => Timeout::Nanos(ns.min(due).max(1)),
            (Timeout::Forever, Some(due)) => Timeout::Nanos(due.max(1)),
        };
        match self.window.next_event(buf, timeout) {
            Ok(Event::CloseRequest) if !self.dirty => {
                self.cancel_filter();
                Next::Closed
            }
            Ok(Event::CloseRequest) => {
                self.ask(Discard::ThenClose);
                Next::Handled
            }
            Ok(Event::Key { keysym: ESCAPE, state, .. }) if self.applying.is_some() && state.is_down() => {
                self.cancel_filter();
                Next::Handled
            }
            Ok(event) if self.busy(&event) => Next::Handled,
            Ok(event) => {
                self.handle(event);
                Next::Handled
            }
            Err(error) if error.is_timeout() => Next::Nothing,
            Err(error) => {
                wsk::logf!("paint: no more events: {}", error);
                Next::Closed
            }
        }
    }

    fn handle(&mut self, event: Event<'_>) {
        match event {
            Event::FrameDone { .. } => self.waiting = false,
            Event::Configure { width, height } => self.configure(width, height),
            Event::PointerButton { x, y, button: BUTTON_LEFT, pressed: true } => self.press(x, y),
            Event::PointerButton { button: BUTTON_LEFT, pressed: false, .. } => self.release(),
            Event::PointerMotion { x, y, buttons } if buttons & 1 != 0 => self.drag(x, y),
            Event::PointerScroll { x, y, dx, dy } => self.wheel(x, y, dx, dy),
            Event::Key { keysym, modifiers, state, text, .. } if state.is_down() => self.key(keysym, modifiers, text),
            Event::FileChosen { file, name } => self.chosen(file, name),
            Event::FileNotChosen { code, message } => self.not_chosen(code, message),
            Event::PluginsChanged { changes } => self.plugins_changed(changes, wsk::now()),
            _ => {}
        }
    }

    /// Input while a filter runs: Escape cancels it, scrolling and the
    /// window's own events go on; what would change the picture waits.
    fn busy(&self, event: &Event<'_>) -> bool {
        if self.applying.is_none() {
            return false;
        }
        matches!(
            event,
            Event::PointerButton { .. } | Event::PointerMotion { .. } | Event::Key { .. } | Event::FileChosen { .. }
        )
    }

    // MARK: Input

    fn press(&mut self, x: i32, y: i32) {
        if self.question.take().is_some() {
            self.show_help(); // a click elsewhere is a no
            return;
        }
        if let Some(editing) = self.editing.as_mut() {
            // The dialog is modal: the rest of the window waits.
            let action = editing.dialog.press(x, y);
            return self.act(action);
        }
        if let Some((button, menu)) = self.menu {
            self.close_menu();
            if menu.contains(x, y) {
                self.choose_row(button, ((y - menu.y) / ui::MENU_ROW) as usize, false);
            }
            return;
        }
        match self.layout.hit(x, y) {
            Hit::Canvas => self.begin_stroke(x, y),
            Hit::Swatch(i) => self.pick(i),
            Hit::Button(Button::Eraser) => self.toggle_eraser(),
            Hit::Button(Button::Clear) => self.clear(),
            Hit::Button(Button::Undo) => self.undo(),
            Hit::Button(Button::Redo) => self.redo(),
            Hit::Button(Button::Filters) => self.open_menu(Button::Filters),
            Hit::Button(Button::File) => self.open_menu(Button::File),
            Hit::Nothing => {}
        }
    }

    fn key(&mut self, keysym: u32, modifiers: u32, text: &str) {
        // Printable keys' keysyms are their ASCII codes; Ctrl+Z's text is "\u{1a}".
        let ch = match keysym {
            0x20..=0x7e => (keysym as u8 as char).to_ascii_lowercase(),
            _ => text.chars().next().unwrap_or('\0'),
        };
        if let Some(then) = self.question.take() {
            match ch {
                'y' => self.discard(then),
                _ => self.show_help(),
            }
            return;
        }
        let ctrl = modifiers & MOD_CTRL != 0;
        let shift = modifiers & MOD_SHIFT != 0;
        if let Some(editing) = self.editing.as_mut() {
            let action = editing.dialog.key(keysym, modifiers);
            return self.act(action);
        }
        if let Some((button, _)) = self.menu {
            self.close_menu();
            if let Some(row) = ch.to_digit(10).filter(|&d| d >= 1) {
                self.choose_row(button, row as usize - 1, ctrl);
            }
            return;
        }
        match keysym {
            LEFT => return self.scroll(-SCROLL_STEP, 0),
            RIGHT => return self.scroll(SCROLL_STEP, 0),
            UP => return self.scroll(0, -SCROLL_STEP),
            DOWN => return self.scroll(0, SCROLL_STEP),
            _ => {}
        }
        match ch {
            'z' if ctrl => self.undo(),
            'y' if ctrl => self.redo(),
            'o' if ctrl => self.open_command(),
            's' if ctrl && shift => self.save_as_command(),
            's' if ctrl => self.save_command(),
            'f' if ctrl => self.repeat_filter(),
            '\u{1a}' => self.undo(),
            '\u{19}' => self.redo(),
            '\u{0f}' => self.open_command(),
            '\u{13}' if shift => self.save_as_command(),
            '\u{13}' => self.save_command(),
            '\u{06}' => self.repeat_filter(),
            _ if ctrl || keysym == ESCAPE => {}
            'u' => self.undo(),
            'r' => self.redo(),
            '[' => self.resize_brush(-1),
            ']' => self.resize_brush(1),
            'e' => self.toggle_eraser(),
            'c' => self.clear(),
            'f' => self.open_menu(Button::Filters),
            '0' => self.pick(9),
            '1'..='9' => self.pick(ch as usize - '1' as usize),
            _ => {}
        }
    }

    // MARK: Strokes

    fn ink(&self) -> u32 {
        if self.eraser {
            PAPER
        } else {
            PALETTE[self.color].0
        }
    }

    fn begin_stroke(&mut self, x: i32, y: i32) {
        let at = self.view.to_picture(self.layout.canvas(), x, y);
        self.history.begin_stroke(&self.document);
        let touched = self.document.stamp(at.0, at.1, self.radius, self.ink());
        self.show_canvas(touched);
        self.stroke = Some(Stroke { last: at, touched });
    }

    fn drag(&mut self, x: i32, y: i32) {
        if let Some(editing) = self.editing.as_mut() {
            let action = editing.dialog.drag(x, y);
            return self.act(action);
        }
        let at = self.view.to_picture(self.layout.canvas(), x, y);
        let (radius, ink) = (self.radius, self.ink());
        if let Some(stroke) = self.stroke.as_mut() {
            let touched = self.document.line(stroke.last, at, radius, ink);
            stroke.last = at;
            stroke.touched = stroke.touched.union(touched);
            self.show_canvas(touched);
        }
    }

    fn release(&mut self) {
        if let Some(editing) = self.editing.as_mut() {
            editing.dialog.release();
        }
        self.end_stroke();
    }

    /// The wheel: over the dialog it scrolls its parameters, elsewhere the view.
    fn wheel(&mut self, x: i32, y: i32, dx: i32, dy: i32) {
        if let Some(editing) = self.editing.as_mut() {
            if editing.dialog.contains(x, y) {
                let action = editing.dialog.scroll(dy);
                return self.act(action);
            }
        }
        self.scroll(dx.saturating_mul(SCROLL_STEP), dy.saturating_mul(SCROLL_STEP));
    }

    fn end_stroke(&mut self) {
        if let Some(stroke) = self.stroke.take() {
            self.history.end_stroke(&self.document, stroke.touched);
            self.changed();
        }
    }

    // MARK: Commands

    fn pick(&mut self, color: usize) {
        self.color = color;
        self.eraser = false;
        self.draw_toolbar();
        self.show_help();
    }

    fn toggle_eraser(&mut self) {
        self.eraser = !self.eraser;
        self.draw_toolbar();
        self.show_help();
    }

    fn resize_brush(&mut self, by: i32) {
        self.radius = (self.radius + by).clamp(0, MAX_RADIUS);
        self.show_help();
    }

    fn clear(&mut self) {
        self.end_stroke();
        let all = self.document.bounds();
        self.history.record(&self.document, all);
        self.document.pixels.fill(PAPER);
        self.show_canvas(all);
        self.changed();
    }

    fn undo(&mut self) {
        self.end_stroke();
        if let Some(changed) = self.history.undo(&mut self.document) {
            self.show_canvas(changed);
            self.changed();
        }
    }

    fn redo(&mut self) {
        self.end_stroke();
        if let Some(changed) = self.history.redo(&mut self.document) {
            self.show_canvas(changed);
            self.changed();
        }
    }

    /// Opens the menu under `button`: the filters, or File.
    fn open_menu(&mut self, button: Button) {
        let mut canvas = screen(&mut self.screen, &self.layout);
        let menu = if button == Button::File {
            ui::draw_menu(&mut canvas, &self.layout, button, ui::FILE_MENU.iter().copied())
        } else {
            ui::draw_menu(&mut canvas, &self.layout, button, self.plugins.list.iter().map(|p| p.name()))
        };
        self.menu = Some((button, menu));
        self.damage = self.damage.union(menu);
    }

    fn close_menu(&mut self) {
        if let Some((_, menu)) = self.menu.take() {
            self.show_area(menu);
        }
    }

    /// Row `row` of the menu under `button` was picked (with Ctrl: `quick`).
    fn choose_row(&mut self, button: Button, row: usize, quick: bool) {
        match (button, row) {
            (Button::File, 0) => self.open_command(),
            (Button::File, 1) => self.save_command(),
            (Button::File, 2) => self.save_as_command(),
            (Button::File, _) => {}
            _ => self.pick_filter(row, quick),
        }
    }

    // MARK: Parameters dialog

    /// Moves the view over a picture larger than the canvas.
    fn scroll(&mut self, dx: i32, dy: i32) {
        let moved = self.view.scrolled(dx, dy, self.document.bounds(), self.layout.canvas());
        if moved != self.view {
            self.view = moved;
            self.show_area(self.layout.canvas());
        }
    }

    // MARK: Size

    /// Lays the window out again for `width × height`, the size ui_server
    /// configured (the SDK has given the window a surface that size). The
    /// picture keeps its top-left part, and the undo steps that still fit.
    fn configure(&mut self, width: u32, height: u32) {
        if (width as i32, height as i32) == (self.layout.width, self.layout.height) {
            return;
        }
        self.end_stroke();
        self.menu = None;
        self.layout = Layout::of(&self.window);
        self.screen = vec![0; self.window.width() as usize * self.window.height() as usize];
        let canvas = self.layout.canvas();
        if self.fit_window {
            self.document.resize(canvas.w as u32, canvas.h as u32);
            self.history.forget_outside(self.document.bounds());
        }
        self.view = self.view.scrolled(0, 0, self.document.bounds(), canvas);
        if let Some(editing) = self.editing.as_mut() {
            editing.dialog.place(canvas);
            // A preview of another size is no use: make one anew.
            if editing.preview.as_ref().map_or(false, |p| p.pixels.len() != self.document.pixels.len()) {
                editing.preview = None;
                editing.due = Some(wsk::now());
            }
        }
        self.draw_all();
    }

    // MARK: Drawing

    /// Draws the whole window: toolbar, canvas, status line.
    fn draw_all(&mut self) {
        self.draw_toolbar();
        self.show_area(self.layout.canvas());
        self.draw_status();
    }

    /// Draws `area` of the window's canvas afresh: the picture under it,
    /// and the backdrop where the picture does not reach.
    fn show_area(&mut self, area: Rect) {
        let canvas = self.layout.canvas();
        if !self.view.covers(self.document.bounds(), canvas) {
            screen(&mut self.screen, &self.layout).fill_rect(area.intersect(canvas), ui::BACKDROP);
            self.damage = self.damage.union(area.intersect(canvas));
        }
        self.copy_picture(self.view.picture_under(canvas, area));
        self.draw_dialog_over(area);
    }

    /// Copies `rect` of the picture (picture coordinates) into the window,
    /// where the view shows it, under the dialog if it is open.
    fn show_canvas(&mut self, rect: Rect) {
        let shown = self.copy_picture(rect);
        self.draw_dialog_over(shown);
    }

    /// Copies `rect` of the picture into the window; returns where it went.
    /// While the dialog previews a filter, its result stands for the picture.
    fn copy_picture(&mut self, rect: Rect) -> Rect {
        let canvas = self.layout.canvas();
        let shown = self.view.to_window(canvas, rect.intersect(self.document.bounds()));
        if shown.is_empty() {
            return shown;
        }
        let r = self.view.picture_under(canvas, shown);
        let (w, sw) = (self.document.width as usize, self.layout.width as usize);
        let source = match self.editing.as_ref().and_then(|e| e.preview.as_ref()) {
            Some(preview) if preview.pixels.len() == self.document.pixels.len() => &preview.pixels,
            _ => &self.document.pixels,
        };
        for row in 0..r.h as usize {
            let from = (r.y as usize + row) * w + r.x as usize;
            let to = (shown.y as usize + row) * sw + shown.x as usize;
            self.screen[to..to + r.w as usize].copy_from_slice(&source[from..from + r.w as usize]);
        }
        self.damage = self.damage.union(shown);
        shown
    }

    fn draw_toolbar(&mut self) {
        ui::draw_toolbar(&mut screen(&mut self.screen, &self.layout), &self.layout, self.color, self.eraser);
        self.damage = self.damage.union(self.layout.toolbar());
    }

    fn set_status(&mut self, text: String, error: bool) {
        self.status = text;
        self.status_is_error = error;
        self.draw_status();
    }

    fn draw_status(&mut self) {
        ui::draw_status(&mut screen(&mut self.screen, &self.layout), &self.layout, &self.status, self.status_is_error);
        self.damage = self.damage.union(self.layout.status());
    }

    fn show_help(&mut self) {
        let ink = if self.eraser { "eraser" } else { PALETTE[self.color].1 };
        let text = format!(
            "brush {} px  {}  |  [ ] size  e eraser  c clear  u/r undo/redo  f filters",
            2 * self.radius + 1,
            ink
        );
        self.set_status(text, false);
    }

    /// Shows what changed, at most once per frame (see `docs/protocol.md`).
    fn present(&mut self) {
        if self.waiting || self.damage.is_empty() {
            return;
        }
        let canvas = screen(&mut self.screen, &self.layout);
        match self.window.present(&canvas, &[self.damage]) {
            Ok(()) => {
                self.damage = Rect::EMPTY;
                self.waiting = true;
            }
            // ui_server is busy: keep the damage and try again soon.
            Err(error) => wsk::logf!("paint: present failed: {}", error),
        }
    }
}
