//! Running filters: applying one (its progress, Escape, the answer), the
//! parameters dialog with its live preview, and plugins changing on disk.
//! Part of `Paint`'s methods; the state they use is declared in `lib.rs`.

use super::*;

impl Paint {
    /// Starts filter `index` on the picture with its remembered values;
    /// its result comes through [`Paint::run_event`].
    pub(super) fn apply_filter(&mut self, index: usize) {
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
    pub(super) fn run_event(&mut self, run: RunId, event: RunEvent) {
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
    pub(super) fn cancel_filter(&mut self) {
        if let Some(applying) = self.applying.take() {
            self.plugins.cancel();
            wsk::logf!("paint: {} cancelled", applying.name);
            self.set_status(format!("{} cancelled; canvas unchanged", applying.name), false);
        }
    }

    /// A plugins folder changed (`+name`, `-name`, `~name` lines): the
    /// plugins concerned are loaded, removed or reloaded, and the menu
    /// follows. `since`: when paint heard of it.
    pub(super) fn plugins_changed(&mut self, changes: &str, since: u64) {
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

    /// Filter `index` was picked in the menu: applied at once when it has
    /// no parameters or `quick` (with the values remembered), else its
    /// parameters dialog opens, starting from them.
    pub(super) fn pick_filter(&mut self, index: usize, quick: bool) {
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
    pub(super) fn repeat_filter(&mut self) {
        let found = self.last_filter.as_ref().map(|module| self.plugins.find(module));
        match found {
            Some(Some(index)) => self.pick_filter(index, true),
            Some(None) => self.set_status(String::from("the filter last applied is gone"), true),
            None => self.set_status(String::from("no filter applied yet"), false),
        }
    }

    /// Does what the dialog asks.
    pub(super) fn act(&mut self, action: Action) {
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
    pub(super) fn cancel_preview(&mut self) {
        if let Some(editing) = self.editing.as_mut() {
            if let Some((run, _)) = editing.running.take() {
                if self.plugins.running().map(|r| r.0) == Some(run) {
                    self.plugins.cancel();
                }
            }
        }
    }

    /// Closes the dialog: the canvas shows the picture again.
    pub(super) fn close_dialog(&mut self) -> Option<Editing> {
        let editing = self.editing.take();
        self.show_area(self.layout.canvas());
        editing
    }

    /// Apply: the values are remembered, and the filter's result with them
    /// becomes the picture: the preview's if it has them, the preview run's
    /// if one runs with them, else a new run's.
    pub(super) fn apply_dialog(&mut self, values: Vec<i32>) {
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
    pub(super) fn preview_in(&self) -> Option<u64> {
        let due = self.editing.as_ref()?.due?;
        Some(due.saturating_sub(wsk::now()))
    }

    /// Starts the filter with the dialog's values once they have stood
    /// still long enough; the picture stays as it is ([`Paint::preview_event`]).
    pub(super) fn preview_if_due(&mut self) {
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
    pub(super) fn preview_event(&mut self, event: RunEvent) {
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
    pub(super) fn preview_failed(&mut self, name: &str, why: &str) {
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
    pub(super) fn dialog_after_reload(&mut self) {
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
    pub(super) fn draw_dialog(&mut self) {
        if let Some(editing) = self.editing.as_ref() {
            let drawn = editing.dialog.draw(&mut screen(&mut self.screen, &self.layout));
            self.damage = self.damage.union(drawn);
        }
    }

    /// Draws the dialog again if it is open and overlaps `area`, just drawn over.
    pub(super) fn draw_dialog_over(&mut self, area: Rect) {
        if self.editing.as_ref().map_or(false, |e| !e.dialog.frame().intersect(area).is_empty()) {
            self.draw_dialog();
        }
    }

    // MARK: Files
}
