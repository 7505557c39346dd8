//! paint: a canvas to draw on with the mouse, and filter plugins found at
//! run time.
//!
//! Boot caps: handle 1 the ui_server endpoint (as for every app); handle 2
//! a spawner over the plugins directory; handle 3 an endpoint holding the
//! boot configuration (`wsk::boot`), whose keys are:
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `plugins` | module names in the plugins directory, comma-separated | none |
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
//! with them. A filter runs while
//! paint goes on drawing its window: the status line shows its progress,
//! Escape cancels it (the canvas untouched), and a plugin silent for the
//! budget is ended (`plugins.rs`). A plugin folder that changes while paint
//! runs (a PLUGINS_CHANGED event) reloads the plugins concerned. The File menu: Open
//! (Ctrl+O) asks the runtime's file chooser for a PNG, Save (Ctrl+S) writes it back,
//! Save As (Ctrl+Shift+S) asks for a new file; the title bar shows the
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
//! `document.rs`; filters as transactions: `plugins.rs`.
#![no_std]

extern crate alloc;

mod document;
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

    /// Starts filter `index` on the picture with its remembered values;
    /// its result comes through [`Paint::run_event`].
    fn apply_filter(&mut self, index: usize) {
        if index >= self.plugins.len() {
            return;
        }
        let name = String::from(self.plugins.name(index));
        self.end_stroke();
        self.last_filter = Some(String::from(self.plugins.module(index)));
        let (w, h) = (self.document.width, self.document.height);
        let values = self.plugins.values(index).to_vec();
        match self.plugins.start(index, &self.document.pixels, w, h, &values) {
            Ok(run) => {
                self.applying = Some(Applying { run, name: name.clone(), size: (w, h), shown: None });
                self.set_status(format!("{}... Esc cancels", name), false);
            }
            Err(why) => {
                wsk::logf!("paint: {} failed: {}", name, why);
                self.set_status(format!("{} failed: {}; canvas unchanged", name, why), true);
            }
        }
    }

    /// News of a filter run: progress in the status line, the result on
    /// the canvas, or why there is none.
    fn run_event(&mut self, run: RunId, event: RunEvent) {
        if self.editing.as_ref().and_then(|e| e.running.as_ref()).map_or(false, |r| r.0 == run) {
            return self.preview_event(event);
        }
        let applying = match self.applying.as_mut() {
            Some(applying) if applying.run == run => applying,
            _ => return, // not the canvas's run
        };
        match event {
            RunEvent::Progress { done, total } => {
                let percent = (done as u64 * 100 / total.max(1) as u64) as u32;
                if applying.shown != Some(percent) {
                    applying.shown = Some(percent);
                    let text = format!("{} {}%... Esc cancels", applying.name, percent);
                    self.set_status(text, false);
                }
            }
            RunEvent::Done { pixels, ms, engine, .. } => {
                let applying = self.applying.take().expect("checked above");
                let name = applying.name;
                if applying.size != (self.document.width, self.document.height) || pixels.len() != self.document.pixels.len() {
                    wsk::logf!("paint: {} dropped: the picture changed size meanwhile", name);
                    self.set_status(format!("{} dropped: the picture changed size meanwhile", name), true);
                    return;
                }
                let all = self.document.bounds();
                self.history.record(&self.document, all);
                self.document.pixels = pixels;
                self.show_canvas(all);
                self.changed();
                wsk::logf!("paint: {} applied in {} ms{}", name, ms, tier(engine));
                self.set_status(format!("{} applied ({} ms); u undoes it", name, ms), false);
            }
            RunEvent::Failed(why) => {
                let name = self.applying.take().expect("checked above").name;
                wsk::logf!("paint: {} failed: {}", name, why);
                self.set_status(format!("{} failed: {}; canvas unchanged", name, why), true);
            }
        }
    }

    /// Escape while a filter runs: it ends, the canvas untouched.
    fn cancel_filter(&mut self) {
        if let Some(applying) = self.applying.take() {
            self.plugins.cancel();
            wsk::logf!("paint: {} cancelled", applying.name);
            self.set_status(format!("{} cancelled; canvas unchanged", applying.name), false);
        }
    }

    /// A plugins folder changed (`+name`, `-name`, `~name` lines): the
    /// plugins concerned are loaded, removed or reloaded, and the menu
    /// follows. `since`: when paint heard of it.
    fn plugins_changed(&mut self, changes: &str, since: u64) {
        let reloaded = self.plugins.reload(wsk::plugin_changes(changes), since);
        // A run of a plugin replaced or removed was cancelled by the reload.
        let still_running = self.plugins.running().map(|(run, _)| run);
        if let Some(applying) = self.applying.take() {
            if still_running == Some(applying.run) {
                self.applying = Some(applying);
            } else {
                wsk::logf!("paint: {} cancelled: the plugin changed", applying.name);
            }
        }
        if matches!(self.menu, Some((Button::Filters, _))) {
            self.close_menu();
        }
        if !reloaded.is_empty() {
            let text = reloaded.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("; ");
            self.set_status(text, reloaded.iter().any(|r| r.error));
        }
        self.dialog_after_reload();
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

    /// Filter `index` was picked in the menu: applied at once when it has
    /// no parameters or `quick` (with the values remembered), else its
    /// parameters dialog opens, starting from them.
    fn pick_filter(&mut self, index: usize, quick: bool) {
        if index >= self.plugins.len() {
            return;
        }
        if self.plugins.params(index).is_empty() || quick {
            return self.apply_filter(index);
        }
        self.end_stroke();
        let p = &self.plugins;
        let meta = Meta { version: p.version(index), author: p.author(index), description: p.description(index) };
        let dialog = Dialog::new(p.name(index), meta, p.params(index).to_vec(), p.values(index), self.layout.canvas());
        let module = String::from(p.module(index));
        let name = String::from(p.name(index));
        // The values it starts with are previewed at once.
        self.editing = Some(Editing { index, module, dialog, due: Some(wsk::now()), running: None, preview: None });
        self.draw_dialog();
        self.set_status(format!("{}: Enter applies, Escape cancels", name), false);
    }

    /// Ctrl+F: the filter last applied, again, with the values it had.
    fn repeat_filter(&mut self) {
        let found = self.last_filter.as_ref().map(|module| self.plugins.find(module));
        match found {
            Some(Some(index)) => self.pick_filter(index, true),
            Some(None) => self.set_status(String::from("the filter last applied is gone"), true),
            None => self.set_status(String::from("no filter applied yet"), false),
        }
    }

    /// Does what the dialog asks.
    fn act(&mut self, action: Action) {
        match action {
            Action::Nothing => {}
            Action::Redraw => self.draw_dialog(),
            Action::Changed(_) => {
                self.cancel_preview();
                if let Some(editing) = self.editing.as_mut() {
                    editing.due = Some(wsk::now() + PREVIEW_DELAY_NS);
                }
                self.draw_dialog();
            }
            Action::Apply(values) => self.apply_dialog(values),
            Action::Cancel => {
                self.cancel_preview();
                if let Some(editing) = self.close_dialog() {
                    let name = String::from(self.plugins.name(editing.index));
                    self.set_status(format!("{} cancelled; canvas unchanged", name), false);
                }
            }
        }
    }

    /// Ends the preview run in flight, if any: a newer value came.
    fn cancel_preview(&mut self) {
        if let Some(editing) = self.editing.as_mut() {
            if let Some((run, _)) = editing.running.take() {
                if self.plugins.running().map(|r| r.0) == Some(run) {
                    self.plugins.cancel();
                }
            }
        }
    }

    /// Closes the dialog: the canvas shows the picture again.
    fn close_dialog(&mut self) -> Option<Editing> {
        let editing = self.editing.take();
        self.show_area(self.layout.canvas());
        editing
    }

    /// Apply: the values are remembered, and the filter's result with them
    /// becomes the picture: the preview's if it has them, the preview run's
    /// if one runs with them, else a new run's.
    fn apply_dialog(&mut self, values: Vec<i32>) {
        let editing = match self.close_dialog() {
            Some(editing) => editing,
            None => return,
        };
        let index = editing.index;
        self.plugins.remember(index, &values);
        self.last_filter = Some(editing.module);
        let name = String::from(self.plugins.name(index));
        if let Some(preview) = editing.preview.filter(|p| p.values == values) {
            if let Some((run, _)) = editing.running {
                // Another value's run: not wanted any more.
                if self.plugins.running().map(|r| r.0) == Some(run) {
                    self.plugins.cancel();
                }
            }
            let all = self.document.bounds();
            self.history.record(&self.document, all);
            self.document.pixels = preview.pixels;
            self.show_canvas(all);
            self.changed();
            wsk::logf!("paint: {} applied in {} ms{}, as previewed", name, preview.ms, tier(preview.engine));
            return self.set_status(format!("{} applied ({} ms); u undoes it", name, preview.ms), false);
        }
        match editing.running {
            // The preview run has these values: its result is applied when it comes.
            Some((run, ref running)) if *running == values && self.plugins.running().map(|r| r.0) == Some(run) => {
                let size = (self.document.width, self.document.height);
                self.applying = Some(Applying { run, name: name.clone(), size, shown: None });
                self.set_status(format!("{}... Esc cancels", name), false);
            }
            _ => self.apply_filter(index),
        }
    }

    /// Nanoseconds until the preview is due, if one is.
    fn preview_in(&self) -> Option<u64> {
        let due = self.editing.as_ref()?.due?;
        Some(due.saturating_sub(wsk::now()))
    }

    /// Starts the filter with the dialog's values once they have stood
    /// still long enough; the picture stays as it is ([`Paint::preview_event`]).
    fn preview_if_due(&mut self) {
        if self.preview_in() != Some(0) {
            return;
        }
        let editing = match self.editing.as_mut() {
            Some(editing) => editing,
            None => return,
        };
        editing.due = None;
        let values = editing.dialog.values().to_vec();
        if editing.preview.as_ref().map_or(false, |p| p.values == values) {
            return;
        }
        let index = editing.index;
        let (w, h) = (self.document.width, self.document.height);
        let name = String::from(self.plugins.name(index));
        match self.plugins.start(index, &self.document.pixels, w, h, &values) {
            Ok(run) => {
                editing.running = Some((run, values));
                self.set_status(format!("previewing {}...", name), false);
            }
            Err(why) => self.preview_failed(&name, &why),
        }
    }

    /// News of the preview run: its progress, its result on the canvas, or
    /// why there is none.
    fn preview_event(&mut self, event: RunEvent) {
        let editing = match self.editing.as_mut() {
            Some(editing) => editing,
            None => return,
        };
        let name = String::from(self.plugins.name(editing.index));
        match event {
            RunEvent::Progress { done, total } => {
                let percent = done as u64 * 100 / total.max(1) as u64;
                self.set_status(format!("previewing {} {}%...", name, percent), false);
            }
            RunEvent::Done { pixels, ms, engine, .. } => {
                let values = match editing.running.take() {
                    Some((_, values)) => values,
                    None => return,
                };
                if pixels.len() != self.document.pixels.len() {
                    // The picture changed size meanwhile: again.
                    editing.due = Some(wsk::now());
                    return;
                }
                editing.preview = Some(Preview { values, pixels, ms, engine });
                self.show_area(self.layout.canvas());
                self.set_status(format!("{} preview ({} ms): Enter applies, Escape cancels", name, ms), false);
            }
            RunEvent::Failed(why) => {
                editing.running = None;
                self.preview_failed(&name, &why);
            }
        }
    }

    /// The preview could not be made: the canvas shows the picture, and the
    /// status line says why.
    fn preview_failed(&mut self, name: &str, why: &str) {
        if let Some(editing) = self.editing.as_mut() {
            editing.preview = None;
        }
        wsk::logf!("paint: {} preview failed: {}", name, why);
        self.show_area(self.layout.canvas());
        self.set_status(format!("{} failed on the preview: {}; canvas unchanged", name, why), true);
    }

    /// The plugins were reloaded while the dialog is open: it follows its
    /// plugin (a new index, new parameters) and previews the new version,
    /// or closes if the plugin is gone.
    fn dialog_after_reload(&mut self) {
        let module = match self.editing.as_ref() {
            Some(editing) => editing.module.clone(),
            None => return,
        };
        let index = match self.plugins.find(&module) {
            Some(index) => index,
            None => {
                self.close_dialog();
                return self.set_status(format!("{} is gone", plugins::printable(&module)), true);
            }
        };
        let still_running = self.plugins.running().map(|r| r.0);
        let canvas = self.layout.canvas();
        let p = &self.plugins;
        if let Some(editing) = self.editing.as_mut() {
            editing.index = index;
            if editing.running.as_ref().map(|r| r.0) != still_running {
                editing.running = None;
            }
            if editing.dialog.params() != p.params(index) {
                let meta = Meta { version: p.version(index), author: p.author(index), description: p.description(index) };
                let values = editing.dialog.values().to_vec();
                editing.dialog = Dialog::new(p.name(index), meta, p.params(index).to_vec(), &values, canvas);
            }
            // The preview was the previous version's.
            editing.preview = None;
            editing.due = Some(wsk::now());
        }
        self.show_area(canvas);
    }

    /// Draws the dialog over the canvas, if it is open.
    fn draw_dialog(&mut self) {
        if let Some(editing) = self.editing.as_ref() {
            let drawn = editing.dialog.draw(&mut screen(&mut self.screen, &self.layout));
            self.damage = self.damage.union(drawn);
        }
    }

    /// Draws the dialog again if it is open and overlaps `area`, just drawn over.
    fn draw_dialog_over(&mut self, area: Rect) {
        if self.editing.as_ref().map_or(false, |e| !e.dialog.frame().intersect(area).is_empty()) {
            self.draw_dialog();
        }
    }

    // MARK: Files

    /// Open: first, if there are unsaved changes, ask to lose them.
    fn open_command(&mut self) {
        if self.dirty {
            self.ask(Discard::ThenOpen);
        } else {
            self.choose(Choosing::Open);
        }
    }

    /// Save: back into the file, when paint may write it; else Save As.
    fn save_command(&mut self) {
        match self.file.as_ref() {
            Some(opened) if opened.writable => {
                let (file, name) = (opened.file, opened.name.clone());
                self.save_into(file, &name);
            }
            _ => self.save_as_command(),
        }
    }

    fn save_as_command(&mut self) {
        self.choose(Choosing::SaveAs);
    }

    /// Asks the runtime's file chooser; its answer comes as an event.
    fn choose(&mut self, what: Choosing) {
        if self.choosing.is_some() {
            return self.set_status(String::from("the file chooser is open"), false);
        }
        self.end_stroke();
        let suggested = self.file.as_ref().map(|f| f.name.as_str()).unwrap_or("drawing.png");
        let request = match what {
            Choosing::Open => ChooseFile::Edit { types: "png" },
            Choosing::SaveAs => ChooseFile::Save { suggested, types: "png" },
        };
        match self.window.choose_file(request) {
            Ok(()) => {
                self.choosing = Some(what);
                let doing = if what == Choosing::Open { "open" } else { "save" };
                self.set_status(format!("choose a file to {} (Escape cancels)", doing), false);
            }
            Err(error) => self.set_status(format!("no file chooser: {}", error), true),
        }
    }

    fn chosen(&mut self, file: File, name: &str) {
        let name = String::from(name);
        match self.choosing.take() {
            Some(Choosing::Open) => self.open_file(file, name),
            Some(Choosing::SaveAs) => {
                if self.save_into(file, &name) {
                    self.keep(file, name, true);
                } else {
                    let _ = wsk::release(file.cap());
                }
            }
            // Nothing asked for: not ours to keep.
            None => {
                let _ = wsk::release(file.cap());
            }
        }
    }

    fn not_chosen(&mut self, code: i32, message: &str) {
        let what = match self.choosing.take() {
            Some(Choosing::Open) => "nothing opened",
            _ => "not saved",
        };
        if code == CANCELLED {
            self.set_status(String::from(what), false);
        } else {
            wsk::logf!("paint: {}: {}", what, message);
            self.set_status(format!("{}: {}", what, message), true);
        }
    }

    /// Reads `file` and opens it in place of the picture; keeps it as the
    /// picture's file when that worked, else lets it go.
    fn open_file(&mut self, file: File, name: String) {
        let writable = file.rights().map(|r| r.contains(Rights::WRITE | Rights::RESIZE)).unwrap_or(false);
        let opened = match file.read_all(MAX_FILE_BYTES) {
            Ok(bytes) => self.open_png(&name, &bytes),
            Err(wsk::Error::OutOfBounds) => {
                let mb = file.size().unwrap_or(0) >> 20;
                self.set_status(format!("{} is {} MB; paint opens files up to {} MB", name, mb, MAX_FILE_BYTES >> 20), true);
                false
            }
            Err(error) => {
                wsk::logf!("paint: cannot read {}: {}", name, error);
                self.set_status(format!("cannot read {}: {}", name, error), true);
                false
            }
        };
        if opened {
            self.keep(file, name, writable);
        } else {
            let _ = wsk::release(file.cap());
        }
    }

    /// Makes `file` the picture's file, unchanged since: the old one goes.
    fn keep(&mut self, file: File, name: String, writable: bool) {
        if let Some(old) = self.file.take() {
            if old.file != file {
                let _ = wsk::release(old.file.cap());
            }
        }
        self.file = Some(Opened { file, name, writable });
        self.dirty = false;
        self.show_title();
    }

    /// Writes the picture into `file` as PNG. True when it is saved.
    fn save_into(&mut self, file: File, name: &str) -> bool {
        self.end_stroke();
        let bytes = match self.png() {
            Ok(bytes) => bytes,
            Err(error) => {
                self.set_status(format!("cannot save {}: {}", name, error), true);
                return false;
            }
        };
        if let Err(error) = file.replace_contents(&bytes) {
            wsk::logf!("paint: cannot save {}: {}", name, error);
            self.set_status(format!("cannot save {}: {}; the picture is still here", name, error), true);
            return false;
        }
        wsk::logf!("paint: saved {} ({} bytes)", name, bytes.len());
        self.set_status(format!("saved {} ({} KB)", name, (bytes.len() + 1023) / 1024), false);
        self.dirty = false;
        self.show_title();
        true
    }

    /// The picture changed: it has unsaved changes now.
    fn changed(&mut self) {
        if !self.dirty {
            self.dirty = true;
            self.show_title();
        }
    }

    /// "photo.png - paint", with a `*` while there are unsaved changes.
    fn show_title(&mut self) {
        let mark = if self.dirty { "*" } else { "" };
        let title = match self.file.as_ref() {
            Some(opened) => format!("{}{} - paint", mark, opened.name),
            None => format!("{}paint", mark),
        };
        if let Err(error) = self.window.set_title(&title) {
            wsk::logf!("paint: set title failed: {}", error);
        }
    }

    fn ask(&mut self, then: Discard) {
        self.question = Some(then);
        let text = match then {
            Discard::ThenOpen => "unsaved changes: discard them and open another file? y / n",
            Discard::ThenClose => "unsaved changes: close without saving? y / n",
        };
        self.set_status(String::from(text), true);
    }

    fn discard(&mut self, then: Discard) {
        match then {
            Discard::ThenOpen => {
                self.show_help();
                self.choose(Choosing::Open);
            }
            Discard::ThenClose => self.closing = true,
        }
    }

    /// Opens the PNG file `bytes` (named `name`) in place of the picture:
    /// at the image's size, with no undo steps. When it cannot be decoded,
    /// the status line says why and the picture stays as it was. False then.
    fn open_png(&mut self, name: &str, bytes: &[u8]) -> bool {
        self.end_stroke();
        if let Err(error) = self.document.replace_with_png(&mut self.history, bytes) {
            wsk::logf!("paint: cannot open {}: {}", name, error);
            self.set_status(format!("{}: {}; canvas unchanged", name, error), true);
            return false;
        }
        self.fit_window = false;
        self.view = View::default();
        self.menu = None;
        self.draw_all();
        let (w, h) = (self.document.width, self.document.height);
        wsk::logf!("paint: opened {}, {} x {}", name, w, h);
        let canvas = self.layout.canvas();
        let hint = if w as i32 > canvas.w || h as i32 > canvas.h {
            "; the wheel and arrow keys scroll"
        } else {
            ""
        };
        self.set_status(format!("opened {}, {} x {}{}", name, w, h, hint), false);
        true
    }

    /// The picture as a PNG file, for Save and Save As.
    fn png(&self) -> Result<Vec<u8>, wsk::image_file::ImageFileError> {
        self.document.to_png()
    }

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
