//! The parameters dialog: a filter's parameters, each with a slider, set by
//! keyboard or mouse before the filter is applied.
//!
//! ```text
//! +------------------------------------------------+
//! | Box blur                              1-2 of 3 | header, 24 px
//! | version 1.2.0, by Jane Doe                     | metadata, 18 px a line (at most 3)
//! | Averages each pixel with its neighbours        |
//! |------------------------------------------------|
//! | radius                  1 to 32, default 2     | a parameter, 44 px
//! | [-] ====|----------- [+] [      5] [Reset]     |
//! |------------------------------------------------|
//! | Enter applies, Esc cancels     [Apply][Cancel] | footer, 30 px
//! +------------------------------------------------+
//! ```
//!
//! The dialog sits at the canvas's top right, at most 440 px wide; in a
//! window too low for every parameter it shows as many as fit, the focused
//! one among them, and the wheel or the keys scroll the rest into view; the
//! metadata lines go first when even one parameter would not fit. It is
//! drawn into a picture of its own and copied onto the window, so nothing
//! is ever drawn outside the area it was given.
//!
//! Keys: Up/Down or Tab/Shift+Tab move between parameters; Left/Right step
//! the value by 1, with Shift or PageUp/PageDown by a tenth of the range;
//! Home/End go to the minimum/maximum; digits (and `-` first) type a value,
//! Backspace takes the last digit back; `d` puts the default back; Enter
//! applies, Escape cancels. Mouse: click or drag on a slider's track, the
//! `-`/`+` buttons, Reset, Apply, Cancel; the wheel scrolls.
//!
//! The dialog only keeps state and answers with an [`Action`]: the caller
//! previews, applies or closes. Everything from the plugin (its name,
//! metadata, parameter names) is shown as printable ASCII, cut to fit.

use crate::ui::{frame_rect, BAR, BUTTON, BUTTON_ON, EDGE, INK, MENU_BACK, MENU_HOT};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use wsk::font;
use wsk::protocol::MOD_SHIFT;
use wsk::{Canvas, Rect};

/// The widest the dialog gets.
pub const WIDTH: i32 = 440;
/// Its distance from the canvas's top and right edges, when there is room.
const MARGIN: i32 = 8;
const HEADER: i32 = 24;
const META_LINE: i32 = 18;
/// At most this many metadata lines (version and author, then the description).
const META_LINES: usize = 3;
const ROW: i32 = 44;
const FOOTER: i32 = 30;
const PAD: i32 = 8;
const STEP_W: i32 = 18;
const FIELD_W: i32 = 72;
const RESET_W: i32 = 52;
const APPLY_W: i32 = 56;
const CANCEL_W: i32 = 64;
/// The knob's width on a track.
const KNOB: i32 = 6;
/// The longest value typed: `-2147483648`.
const MAX_TYPED: usize = 11;

const ESCAPE: u32 = 0xff1b;
const RETURN: u32 = 0xff0d;
const KP_ENTER: u32 = 0xff8d;
const TAB: u32 = 0xff09;
const LEFT_TAB: u32 = 0xfe20;
const BACKSPACE: u32 = 0xff08;
const HOME: u32 = 0xff50;
const LEFT: u32 = 0xff51;
const UP: u32 = 0xff52;
const RIGHT: u32 = 0xff53;
const DOWN: u32 = 0xff54;
const PAGE_UP: u32 = 0xff55;
const PAGE_DOWN: u32 = 0xff56;
const END: u32 = 0xff57;

/// One parameter as the plugin described it: `min <= default <= max`.
pub use crate::plugins::ParamInfo as Param;

impl Param {
    /// `value` brought into the parameter's range.
    pub fn clamp(&self, value: i64) -> i32 {
        value.max(self.min as i64).min(self.max as i64) as i32
    }

    /// The step of Shift+arrows and PageUp/PageDown: a tenth of the range, at least 1.
    pub fn big_step(&self) -> i64 {
        ((self.max as i64 - self.min as i64) / 10).max(1)
    }
}

/// What a plugin says of itself besides its name (hostile text, any of it absent).
#[derive(Clone, Copy, Debug, Default)]
pub struct Meta<'a> {
    pub version: Option<&'a str>,
    pub author: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// What the caller should do after an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing changed.
    Nothing,
    /// Only the dialog's look changed (focus, scroll): draw it again.
    Redraw,
    /// A value changed: draw the dialog and preview these values.
    Changed(Vec<i32>),
    /// Apply the filter with these values, and close the dialog.
    Apply(Vec<i32>),
    /// Close the dialog, leaving the picture as it was.
    Cancel,
}

/// What a point of the dialog is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Track(usize),
    Minus(usize),
    Plus(usize),
    Reset(usize),
    Row(usize),
    Apply,
    Cancel,
    Inside,
    Outside,
}

/// Where the dialog and its parts are, in the dialog's own coordinates
/// (its top left is (0, 0)) but for `frame`, which is in the window's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Geometry {
    frame: Rect,
    meta_lines: usize,
    /// The first parameter shown, and how many are.
    first: usize,
    shown: usize,
}

impl Geometry {
    fn row_top(&self, k: usize) -> i32 {
        HEADER + META_LINE * self.meta_lines as i32 + ROW * k as i32
    }

    fn footer_top(&self) -> i32 {
        self.row_top(self.shown)
    }

    /// The controls of visible row `k`: minus, track, plus, value field, reset.
    fn controls(&self, k: usize) -> [Rect; 5] {
        let y = self.row_top(k) + 23;
        let w = self.frame.w;
        let reset = Rect::new(w - PAD - RESET_W, y - 1, RESET_W, 18);
        let field = Rect::new(reset.x - 6 - FIELD_W, y - 1, FIELD_W, 18);
        let plus = Rect::new(field.x - 6 - STEP_W, y - 1, STEP_W, 18);
        let minus = Rect::new(PAD, y - 1, STEP_W, 18);
        let track_x = minus.x + STEP_W + 6;
        let track = Rect::new(track_x, y, (plus.x - 6 - track_x).max(KNOB + 2), 16);
        [minus, track, plus, field, reset]
    }

    fn apply_button(&self) -> Rect {
        let cancel = self.cancel_button();
        Rect::new(cancel.x - 6 - APPLY_W, cancel.y, APPLY_W, cancel.h)
    }

    fn cancel_button(&self) -> Rect {
        Rect::new(self.frame.w - PAD - CANCEL_W, self.footer_top() + 5, CANCEL_W, 20)
    }
}

/// The dialog for one filter: its parameters and their values now.
pub struct Dialog {
    /// The filter's name, printable.
    title: String,
    /// The version and author line (may be empty), printable.
    credits: String,
    /// The description (may be empty), printable; wrapped when drawn.
    description: String,
    params: Vec<Param>,
    values: Vec<i32>,
    focus: usize,
    /// The first parameter shown when not all fit.
    first: usize,
    /// What was typed into the focused parameter's field, while typing.
    typed: Option<String>,
    /// The parameter whose track is being dragged.
    dragging: Option<usize>,
    /// The part of the window the dialog may cover.
    area: Rect,
}

impl Dialog {
    /// A dialog for the filter `name` with `params`, starting at `values`
    /// (brought into range; defaults where there are too few), placed over `area`.
    pub fn new(name: &str, meta: Meta<'_>, params: Vec<Param>, values: &[i32], area: Rect) -> Dialog {
        let values = start_values(&params, values);
        let credits = match (meta.version.map(drawable), meta.author.map(drawable)) {
            (Some(v), Some(a)) => format!("version {}, by {}", v, a),
            (Some(v), None) => format!("version {}", v),
            (None, Some(a)) => format!("by {}", a),
            (None, None) => String::new(),
        };
        let mut dialog = Dialog {
            title: drawable(name),
            credits,
            description: meta.description.map(drawable).unwrap_or_default(),
            params,
            values,
            focus: 0,
            first: 0,
            typed: None,
            dragging: None,
            area,
        };
        dialog.place(area);
        dialog
    }

    /// The parameters, as the plugin described them.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The values now, one per parameter.
    pub fn values(&self) -> &[i32] {
        &self.values
    }

    /// Where the dialog is in the window.
    pub fn frame(&self) -> Rect {
        self.geometry().frame
    }

    /// Moves the dialog over `area` (the window changed size).
    pub fn place(&mut self, area: Rect) {
        self.area = area;
        self.dragging = None;
        self.show_focus();
    }

    /// The metadata lines as drawn `width` pixels wide: credits, then the
    /// description wrapped, at most [`META_LINES`] in all.
    fn meta_lines(&self, width: i32) -> Vec<String> {
        let columns = ((width - 2 * PAD) / font::WIDTH as i32).max(4) as usize;
        let mut lines = Vec::new();
        if !self.credits.is_empty() {
            lines.push(cut(&self.credits, columns));
        }
        let room = META_LINES - lines.len();
        lines.extend(wrap(&self.description, columns, room));
        lines
    }

    fn geometry(&self) -> Geometry {
        let area = self.area;
        let w = area.w.min(WIDTH);
        let x = (area.x + area.w - w - MARGIN).max(area.x);
        let mut meta_lines = self.meta_lines(w).len();
        let n = self.params.len();
        let fixed = |meta: usize| HEADER + META_LINE * meta as i32 + FOOTER;
        let room = |meta: usize| (area.h - MARGIN - fixed(meta)) / ROW;
        // Too low to show even one parameter with the metadata: drop it.
        if room(meta_lines) < 1 && n > 0 {
            meta_lines = 0;
        }
        let shown = (room(meta_lines).max(1) as usize).min(n);
        let h = fixed(meta_lines) + ROW * shown as i32;
        let y = if area.h >= h + MARGIN { area.y + MARGIN } else { area.y };
        let first = self.first.min(n - shown);
        Geometry { frame: Rect::new(x, y, w, h.min(area.h)), meta_lines, first, shown }
    }

    /// Scrolls so that the focused parameter shows.
    fn show_focus(&mut self) {
        let shown = self.geometry().shown;
        if self.focus < self.first {
            self.first = self.focus;
        } else if shown > 0 && self.focus >= self.first + shown {
            self.first = self.focus + 1 - shown;
        }
        self.first = self.first.min(self.params.len() - shown);
    }

    // MARK: Input

    /// A key went down: `keysym` (printable keys: their ASCII code).
    pub fn key(&mut self, keysym: u32, modifiers: u32) -> Action {
        let shift = modifiers & MOD_SHIFT != 0;
        let count = self.params.len();
        match keysym {
            ESCAPE => Action::Cancel,
            RETURN | KP_ENTER => Action::Apply(self.values.clone()),
            _ if count == 0 => Action::Nothing,
            UP | LEFT_TAB => self.move_focus(count - 1),
            TAB if shift => self.move_focus(count - 1),
            DOWN | TAB => self.move_focus(1),
            LEFT | RIGHT => {
                let step = if shift { self.params[self.focus].big_step() } else { 1 };
                self.step(self.focus, if keysym == LEFT { -step } else { step })
            }
            PAGE_UP => self.step(self.focus, self.params[self.focus].big_step()),
            PAGE_DOWN => self.step(self.focus, -self.params[self.focus].big_step()),
            HOME => self.set(self.focus, i64::MIN),
            END => self.set(self.focus, i64::MAX),
            BACKSPACE => self.backspace(),
            0x30..=0x39 => self.type_char(keysym as u8 as char),
            0x2d => self.type_char('-'),
            0x64 | 0x44 => self.reset(self.focus),
            _ => Action::Nothing,
        }
    }

    /// The left button went down at window point (x, y).
    pub fn press(&mut self, x: i32, y: i32) -> Action {
        match self.part_at(x, y) {
            Part::Track(i) => {
                self.dragging = Some(i);
                let focus = self.focus_on(i);
                match self.slide(i, x) {
                    Action::Nothing => focus,
                    changed => changed,
                }
            }
            Part::Minus(i) => {
                self.focus_on(i);
                self.step(i, -1)
            }
            Part::Plus(i) => {
                self.focus_on(i);
                self.step(i, 1)
            }
            Part::Reset(i) => {
                self.focus_on(i);
                self.reset(i)
            }
            Part::Row(i) => self.focus_on(i),
            Part::Apply => Action::Apply(self.values.clone()),
            Part::Cancel => Action::Cancel,
            Part::Inside | Part::Outside => Action::Nothing,
        }
    }

    /// The pointer moved to (x, y) with the left button down.
    pub fn drag(&mut self, x: i32, _y: i32) -> Action {
        match self.dragging {
            Some(i) => self.slide(i, x),
            None => Action::Nothing,
        }
    }

    /// The left button went up.
    pub fn release(&mut self) {
        self.dragging = None;
    }

    /// The wheel turned by `dy` steps (positive: down).
    pub fn scroll(&mut self, dy: i32) -> Action {
        let g = self.geometry();
        if g.shown == 0 {
            return Action::Nothing;
        }
        let last_first = self.params.len() - g.shown;
        let first = (g.first as i64 + dy as i64).max(0).min(last_first as i64) as usize;
        if first == g.first {
            return Action::Nothing;
        }
        self.first = first;
        // The focus stays on a parameter in view.
        self.focus = self.focus.max(first).min(first + g.shown - 1);
        self.typed = None;
        Action::Redraw
    }

    /// Whether window point (x, y) is on the dialog.
    pub fn contains(&self, x: i32, y: i32) -> bool {
        self.frame().contains(x, y)
    }

    fn move_focus(&mut self, by: usize) -> Action {
        let focus = (self.focus + by) % self.params.len();
        self.focus_on(focus)
    }

    fn focus_on(&mut self, i: usize) -> Action {
        if i == self.focus {
            return Action::Nothing;
        }
        self.focus = i;
        self.typed = None;
        self.show_focus();
        Action::Redraw
    }

    fn step(&mut self, i: usize, by: i64) -> Action {
        self.set(i, self.values[i] as i64 + by)
    }

    fn reset(&mut self, i: usize) -> Action {
        self.set(i, self.params[i].default as i64)
    }

    /// Sets parameter `i` to `value` (clamped), ending any typing.
    fn set(&mut self, i: usize, value: i64) -> Action {
        let was_typing = self.typed.take().is_some();
        self.change(i, value, was_typing)
    }

    fn change(&mut self, i: usize, value: i64, redraw: bool) -> Action {
        let value = self.params[i].clamp(value);
        if value == self.values[i] {
            return if redraw { Action::Redraw } else { Action::Nothing };
        }
        self.values[i] = value;
        Action::Changed(self.values.clone())
    }

    /// The value under x on parameter `i`'s track.
    fn slide(&mut self, i: usize, x: i32) -> Action {
        let g = self.geometry();
        if i < g.first || i >= g.first + g.shown {
            return Action::Nothing;
        }
        let track = g.controls(i - g.first)[1];
        let value = value_at(&self.params[i], track, x - g.frame.x);
        self.set(i, value as i64)
    }

    fn type_char(&mut self, c: char) -> Action {
        let i = self.focus;
        let mut typed = self.typed.take().unwrap_or_default();
        if c == '-' && (!typed.is_empty() || self.params[i].min >= 0) {
            self.typed = Some(typed);
            return Action::Nothing;
        }
        if typed.len() < MAX_TYPED {
            typed.push(c);
        }
        self.entered(typed)
    }

    fn backspace(&mut self) -> Action {
        let mut typed = match self.typed.take() {
            Some(typed) => typed,
            // Backspace on a value not being typed edits its digits.
            None => format!("{}", self.values[self.focus]),
        };
        typed.pop();
        self.entered(typed)
    }

    /// `typed` is in the field now: the value follows it, clamped, once it is a number.
    fn entered(&mut self, typed: String) -> Action {
        let number = typed.parse::<i64>().ok();
        self.typed = Some(typed);
        match number {
            Some(value) => self.change(self.focus, value, true),
            None => Action::Redraw,
        }
    }

    fn part_at(&self, x: i32, y: i32) -> Part {
        let g = self.geometry();
        if !g.frame.contains(x, y) {
            return Part::Outside;
        }
        let (x, y) = (x - g.frame.x, y - g.frame.y);
        if g.apply_button().contains(x, y) {
            return Part::Apply;
        }
        if g.cancel_button().contains(x, y) {
            return Part::Cancel;
        }
        for k in 0..g.shown {
            let i = g.first + k;
            let row = Rect::new(0, g.row_top(k), g.frame.w, ROW);
            if !row.contains(x, y) {
                continue;
            }
            let [minus, track, plus, _, reset] = g.controls(k);
            // The track takes a few pixels more above and below: easier to hit.
            let grab = Rect::new(track.x - KNOB / 2, track.y - 4, track.w + KNOB, track.h + 8);
            return if minus.contains(x, y) {
                Part::Minus(i)
            } else if plus.contains(x, y) {
                Part::Plus(i)
            } else if reset.contains(x, y) {
                Part::Reset(i)
            } else if grab.contains(x, y) {
                Part::Track(i)
            } else {
                Part::Row(i)
            };
        }
        Part::Inside
    }

    // MARK: Drawing

    /// Draws the dialog onto `screen` (the window's picture); returns where.
    pub fn draw(&self, screen: &mut Canvas<'_>) -> Rect {
        let g = self.geometry();
        let frame = g.frame.intersect(screen.bounds());
        if frame.is_empty() {
            return Rect::EMPTY;
        }
        // Drawn at full size into a picture of its own, then copied clipped:
        // whatever the window's size, nothing lands outside the frame.
        let mut own = vec![MENU_BACK; g.frame.w as usize * g.frame.h.max(1) as usize];
        let mut canvas = match Canvas::new(&mut own, g.frame.w as u32, g.frame.h.max(1) as u32) {
            Some(canvas) => canvas,
            None => return Rect::EMPTY,
        };
        self.draw_into(&mut canvas, &g);
        screen.blit(g.frame.x, g.frame.y, &own, g.frame.w as u32, g.frame.h.max(1) as u32);
        frame
    }

    fn draw_into(&self, canvas: &mut Canvas<'_>, g: &Geometry) {
        let w = g.frame.w;
        let columns = |width: i32| (width / font::WIDTH as i32).max(0) as usize;
        // Header: the title, and which parameters show when not all do.
        canvas.fill_rect(Rect::new(0, 0, w, HEADER), BAR);
        let n = self.params.len();
        let mut title_room = w - 2 * PAD;
        if g.shown < n {
            let which = format!("{}-{} of {}", g.first + 1, g.first + g.shown, n);
            let which_w = font::text_width(&which) as i32;
            canvas.draw_text(w - PAD - which_w, 4, &which, INK);
            title_room -= which_w + PAD;
        }
        canvas.draw_text(PAD, 4, &cut(&self.title, columns(title_room)), INK);
        let mut y = HEADER;
        for line in self.meta_lines(w).iter().take(g.meta_lines) {
            canvas.draw_text(PAD, y + 1, line, EDGE);
            y += META_LINE;
        }
        if n == 0 {
            canvas.draw_text(PAD, y + 4, "(no parameters)", EDGE);
        }
        for k in 0..g.shown {
            self.draw_row(canvas, g, k);
        }
        // Footer: the keys, and the buttons.
        let top = g.footer_top();
        canvas.fill_rect(Rect::new(0, top, w, 1), EDGE);
        let apply = g.apply_button();
        let hint = "Enter applies, Esc cancels";
        if font::text_width(hint) as i32 + 2 * PAD <= apply.x {
            canvas.draw_text(PAD, top + 7, hint, EDGE);
        }
        draw_button(canvas, apply, "Apply", true);
        draw_button(canvas, g.cancel_button(), "Cancel", false);
        frame_rect(canvas, Rect::new(0, 0, w, g.frame.h), EDGE);
    }

    fn draw_row(&self, canvas: &mut Canvas<'_>, g: &Geometry, k: usize) {
        let i = g.first + k;
        let (param, value) = (&self.params[i], self.values[i]);
        let w = g.frame.w;
        let top = g.row_top(k);
        let focused = i == self.focus;
        canvas.fill_rect(Rect::new(0, top, w, 1), EDGE);
        if focused {
            canvas.fill_rect(Rect::new(1, top + 1, w - 2, ROW - 1), MENU_HOT);
        }
        // Line 1: the name, then the range and default at the right.
        let range = format!("{} to {}, default {}", param.min, param.max, param.default);
        let range_w = font::text_width(&range) as i32;
        let name_room = (w - 3 * PAD - range_w).max(w / 3);
        let name_columns = (name_room / font::WIDTH as i32).max(1) as usize;
        canvas.draw_text(PAD, top + 4, &cut(&drawable(&param.name), name_columns), INK);
        canvas.draw_text(w - PAD - range_w, top + 4, &range, EDGE);
        // Line 2: - track + field reset.
        let [minus, track, plus, field, reset] = g.controls(k);
        draw_button(canvas, minus, "-", false);
        draw_button(canvas, plus, "+", false);
        draw_button(canvas, reset, "Reset", false);
        canvas.fill_rect(Rect::new(track.x, track.y + 6, track.w, 4), BUTTON);
        let knob = knob_x(param, value, track);
        canvas.fill_rect(Rect::new(track.x, track.y + 6, knob - track.x, 4), BUTTON_ON);
        frame_rect(canvas, Rect::new(track.x, track.y + 5, track.w, 6), EDGE);
        canvas.fill_rect(Rect::new(knob - KNOB / 2, track.y, KNOB, track.h), INK);
        canvas.fill_rect(field, MENU_BACK);
        frame_rect(canvas, field, if focused { INK } else { EDGE });
        let text = match (&self.typed, focused) {
            (Some(typed), true) => format!("{}_", typed),
            _ => format!("{}", value),
        };
        let text = cut(&text, (FIELD_W as usize - 8) / font::WIDTH as usize);
        let text_w = font::text_width(&text) as i32;
        canvas.draw_text(field.x + field.w - 4 - text_w, field.y + 1, &text, INK);
    }
}

fn draw_button(canvas: &mut Canvas<'_>, r: Rect, label: &str, lit: bool) {
    canvas.fill_rect(r, if lit { BUTTON_ON } else { BUTTON });
    frame_rect(canvas, r, EDGE);
    let x = r.x + (r.w - font::text_width(label) as i32) / 2;
    canvas.draw_text(x, r.y + 1, label, INK);
}

/// The knob's centre for `value` on `track`: the minimum at its left end,
/// the maximum at its right.
fn knob_x(param: &Param, value: i32, track: Rect) -> i32 {
    let span = param.max as i64 - param.min as i64;
    let inner = (track.w - KNOB).max(1) as i64;
    let left = (track.x + KNOB / 2) as i64;
    if span == 0 {
        return left as i32;
    }
    (left + (value as i64 - param.min as i64) * inner / span) as i32
}

/// The value whose knob is nearest x on `track`.
fn value_at(param: &Param, track: Rect, x: i32) -> i32 {
    let span = param.max as i64 - param.min as i64;
    let inner = (track.w - KNOB).max(1) as i64;
    let along = (x as i64 - (track.x + KNOB / 2) as i64).max(0).min(inner);
    // Rounded to the nearest value.
    param.clamp(param.min as i64 + (along * span + inner / 2) / inner)
}

/// The values to start at: `values` where given, clamped into range;
/// defaults for the rest.
pub fn start_values(params: &[Param], values: &[i32]) -> Vec<i32> {
    params.iter().enumerate().map(|(i, p)| values.get(i).map_or(p.default, |&v| p.clamp(v as i64))).collect()
}

/// `text` with anything but printable ASCII (the font's) shown as `?`,
/// at most 200 characters.
fn drawable(text: &str) -> String {
    text.chars().take(200).map(|c| if (' '..='~').contains(&c) { c } else { '?' }).collect()
}

/// `text` cut to `columns` characters, ending in `...` when cut.
fn cut(text: &str, columns: usize) -> String {
    if text.chars().count() <= columns {
        return String::from(text);
    }
    let keep = columns.saturating_sub(3);
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(&"..."[..columns.min(3)]);
    out
}

/// `text` in lines of at most `columns` characters, broken at spaces where
/// it can be, at most `lines` of them (the last cut with `...` if need be).
fn wrap(text: &str, columns: usize, lines: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() && out.len() < lines && columns > 0 {
        if out.len() + 1 == lines || rest.chars().count() <= columns {
            out.push(cut(rest, columns));
            break;
        }
        let end = rest.char_indices().nth(columns).map_or(rest.len(), |(at, _)| at);
        let head = &rest[..end];
        let at = match head.rfind(' ') {
            Some(space) if space > 0 => space,
            _ => head.len(),
        };
        out.push(String::from(rest[..at].trim_end()));
        rest = rest[at..].trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: Rect = Rect { x: 0, y: 28, w: 640, h: 432 };

    fn param(name: &str, min: i32, max: i32, default: i32) -> Param {
        Param { name: String::from(name), min, max, default }
    }

    fn blur() -> Dialog {
        Dialog::new("Box blur", Meta::default(), vec![param("radius", 1, 32, 2), param("passes", 1, 4, 1)], &[], AREA)
    }

    fn key(dialog: &mut Dialog, keysym: u32) -> Action {
        dialog.key(keysym, 0)
    }

    /// The window point at the centre of `rect`, a rect in the dialog's coordinates.
    fn centre(dialog: &Dialog, rect: Rect) -> (i32, i32) {
        let frame = dialog.frame();
        (frame.x + rect.x + rect.w / 2, frame.y + rect.y + rect.h / 2)
    }

    #[test]
    fn starts_at_the_values_given_clamped_or_the_defaults() {
        let params = [param("a", 0, 10, 5), param("b", -3, 3, 0), param("c", 1, 2, 2)];
        assert_eq!(start_values(&params, &[]), vec![5, 0, 2]);
        assert_eq!(start_values(&params, &[11, -9]), vec![10, -3, 2]);
        assert_eq!(blur().values(), &[2, 1]);
    }

    #[test]
    fn keys_step_move_and_jump() {
        let mut d = blur();
        assert_eq!(key(&mut d, RIGHT), Action::Changed(vec![3, 1]));
        assert_eq!(d.key(RIGHT, MOD_SHIFT), Action::Changed(vec![6, 1]));
        assert_eq!(key(&mut d, PAGE_DOWN), Action::Changed(vec![3, 1]));
        assert_eq!(key(&mut d, END), Action::Changed(vec![32, 1]));
        assert_eq!(key(&mut d, RIGHT), Action::Nothing, "already at the maximum");
        assert_eq!(key(&mut d, HOME), Action::Changed(vec![1, 1]));
        assert_eq!(key(&mut d, LEFT), Action::Nothing, "already at the minimum");
        assert_eq!(key(&mut d, TAB), Action::Redraw);
        assert_eq!(key(&mut d, RIGHT), Action::Changed(vec![1, 2]));
        assert_eq!(key(&mut d, DOWN), Action::Redraw, "the focus wraps to the first");
        assert_eq!(key(&mut d, LEFT), Action::Nothing);
        assert_eq!(key(&mut d, UP), Action::Redraw, "and back to the last");
        assert_eq!(d.key(TAB, MOD_SHIFT), Action::Redraw);
        assert_eq!(key(&mut d, 'd' as u32), Action::Changed(vec![2, 2]));
        assert_eq!(key(&mut d, RETURN), Action::Apply(vec![2, 2]));
        assert_eq!(key(&mut d, ESCAPE), Action::Cancel);
    }

    #[test]
    fn typed_values_are_clamped_and_backspace_edits_them() {
        let mut d = blur();
        assert_eq!(key(&mut d, '1' as u32), Action::Changed(vec![1, 1]));
        assert_eq!(key(&mut d, '5' as u32), Action::Changed(vec![15, 1]));
        assert_eq!(key(&mut d, '0' as u32), Action::Changed(vec![32, 1]), "150 is past the maximum");
        assert_eq!(key(&mut d, BACKSPACE), Action::Changed(vec![15, 1]));
        assert_eq!(key(&mut d, '-' as u32), Action::Nothing, "no minus after digits");
        // Moving on ends the typing: the next digit starts afresh.
        key(&mut d, TAB);
        key(&mut d, TAB);
        assert_eq!(key(&mut d, '7' as u32), Action::Changed(vec![7, 1]));
        // Backspace on a value not being typed takes its last digit.
        key(&mut d, END);
        assert_eq!(key(&mut d, BACKSPACE), Action::Changed(vec![3, 1]));
        assert_eq!(key(&mut d, BACKSPACE), Action::Redraw, "an empty field keeps the value");
        assert_eq!(d.values(), &[3, 1]);

        let mut signed = Dialog::new("Brightness", Meta::default(), vec![param("amount", -255, 255, 40)], &[], AREA);
        assert_eq!(key(&mut signed, '-' as u32), Action::Redraw);
        assert_eq!(key(&mut signed, '9' as u32), Action::Changed(vec![-9]));
        for _ in 0..20 {
            key(&mut signed, '9' as u32);
        }
        assert_eq!(signed.values(), &[-255], "a long number saturates at the minimum");
    }

    #[test]
    fn the_mouse_slides_steps_and_resets() {
        let mut d = blur();
        let g = d.geometry();
        let [minus, track, plus, _, reset] = g.controls(0);
        let (_, y) = centre(&d, track);
        let left = d.frame().x + track.x;
        assert_eq!(d.press(left, y), Action::Changed(vec![1, 1]), "the track's left end is the minimum");
        assert_eq!(d.drag(left + track.w - 1, y), Action::Changed(vec![32, 1]), "its right end the maximum");
        assert_eq!(d.drag(left + track.w + 50, y), Action::Nothing, "past it, still the maximum");
        let (mx, _) = centre(&d, track);
        assert!(matches!(d.drag(mx, y), Action::Changed(v) if (16..=17).contains(&v[0])));
        d.release();
        assert_eq!(d.drag(left, y), Action::Nothing, "released: no more sliding");

        let (x, y) = centre(&d, minus);
        let before = d.values()[0];
        assert_eq!(d.press(x, y), Action::Changed(vec![before - 1, 1]));
        let (x, y) = centre(&d, reset);
        assert_eq!(d.press(x, y), Action::Changed(vec![2, 1]));
        // The second row's plus: the focus moves there too.
        let [_, _, plus2, _, _] = g.controls(1);
        let (x, y) = centre(&d, plus2);
        assert_eq!(d.press(x, y), Action::Changed(vec![2, 2]));
        assert_eq!(key(&mut d, RIGHT), Action::Changed(vec![2, 3]));
        let _ = plus;

        let (x, y) = centre(&d, g.apply_button());
        assert_eq!(d.press(x, y), Action::Apply(vec![2, 3]));
        let (x, y) = centre(&d, g.cancel_button());
        assert_eq!(d.press(x, y), Action::Cancel);
        assert_eq!(d.press(0, 100), Action::Nothing, "outside the dialog");
    }

    #[test]
    fn slider_positions_round_trip() {
        let track = Rect::new(30, 0, 200, 16);
        for p in [param("a", 1, 32, 2), param("b", -255, 255, 0), param("c", i32::MIN, i32::MAX, 0), param("d", 3, 3, 3)] {
            for v in [p.min, p.default, p.max] {
                assert_eq!(value_at(&p, track, knob_x(&p, v, track)), v, "{:?} at {}", p, v);
            }
            let x = knob_x(&p, p.max, track);
            assert!(x < track.x + track.w && x >= track.x);
        }
    }

    #[test]
    fn fits_a_small_window_and_scrolls_to_the_focus() {
        let params: Vec<Param> = (0..8).map(|i| param(&format!("p{}", i), 0, 9, i)).collect();
        let meta = Meta { description: Some("a filter with many parameters"), ..Meta::default() };
        let big = Dialog::new("Many", meta, params.clone(), &[], AREA);
        let g = big.geometry();
        assert_eq!((g.shown, g.meta_lines), (8, 1));
        assert!(AREA.intersect(g.frame) == g.frame);

        let low = Rect::new(0, 28, 200, 120);
        let mut d = Dialog::new("Many", meta, params, &[], low);
        let g = d.geometry();
        assert_eq!(g.frame, Rect::new(0, 36, 200, 98), "as wide as the area");
        assert_eq!((g.shown, g.meta_lines, g.first), (1, 0, 0), "one row; no room for the metadata");
        key(&mut d, UP);
        assert_eq!(d.geometry().first, 7, "the last parameter scrolled into view");
        assert_eq!(d.scroll(-3), Action::Redraw);
        assert_eq!((d.geometry().first, d.focus), (4, 4));
        assert_eq!(d.scroll(-30), Action::Redraw);
        assert_eq!(d.scroll(-1), Action::Nothing);

        // Drawn into a window smaller than the dialog: nothing outside it.
        let mut pixels = vec![0x0012_3456u32; 200 * 100];
        let mut screen = Canvas::new(&mut pixels, 200, 100).unwrap();
        let tiny = Rect::new(50, 28, 120, 50);
        d.place(tiny);
        let drawn = d.draw(&mut screen);
        assert_eq!(drawn, tiny.intersect(Rect::new(0, 0, 200, 100)));
        for y in 0..100 {
            for x in 0..200 {
                let inside = tiny.contains(x, y);
                assert_eq!(pixels[(y * 200 + x) as usize] != 0x0012_3456, inside, "pixel {}, {}", x, y);
            }
        }
    }

    #[test]
    fn hostile_text_is_printable_and_bounded() {
        let evil = "\u{1b}[2Jbad\nname\u{0}é";
        assert_eq!(drawable(evil), "?[2Jbad?name??");
        assert_eq!(drawable(&"x".repeat(5000)).len(), 200);
        let (author, description) = ("A".repeat(300), "word ".repeat(100));
        let meta = Meta { version: Some("1.0\r"), author: Some(&author), description: Some(&description) };
        let d = Dialog::new(evil, meta, vec![param("a", 0, 1, 0)], &[], AREA);
        let lines = d.meta_lines(WIDTH);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("version 1.0?, by AAA") && lines[0].ends_with("..."));
        let columns = ((WIDTH - 2 * PAD) / 8) as usize;
        assert!(lines.iter().all(|l| l.len() <= columns && l.chars().all(|c| (' '..='~').contains(&c))));
        assert!(lines[2].ends_with("..."));
    }

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("one two three", 8, 3), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4, 3), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("one two three four", 8, 2), vec!["one two", "three..."]);
        assert!(wrap("", 8, 2).is_empty());
    }
}
