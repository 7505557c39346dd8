//! Open, Save and Save as: the file chooser's requests and answers, PNG
//! in and out, and the unsaved-changes question. Part of `Paint`'s
//! methods; the state they use is declared in `lib.rs`.

use super::*;

impl Paint {
    /// Open: first, if there are unsaved changes, ask to lose them.
    pub(super) fn open_command(&mut self) {
        if self.dirty {
            self.ask(Discard::ThenOpen);
        } else {
            self.choose(Choosing::Open);
        }
    }

    /// Save: back into the file, when paint may write it; else Save As.
    pub(super) fn save_command(&mut self) {
        match self.file.as_ref() {
            Some(opened) if opened.writable => {
                let (file, name) = (opened.file, opened.name.clone());
                self.save_into(file, &name);
            }
            _ => self.save_as_command(),
        }
    }

    pub(super) fn save_as_command(&mut self) {
        self.choose(Choosing::SaveAs);
    }

    /// Asks the runtime's file chooser; its answer comes as an event.
    pub(super) fn choose(&mut self, what: Choosing) {
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

    pub(super) fn chosen(&mut self, file: File, name: &str) {
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

    pub(super) fn not_chosen(&mut self, code: i32, message: &str) {
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
    pub(super) fn open_file(&mut self, file: File, name: String) {
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
    pub(super) fn keep(&mut self, file: File, name: String, writable: bool) {
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
    pub(super) fn save_into(&mut self, file: File, name: &str) -> bool {
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
    pub(super) fn changed(&mut self) {
        if !self.dirty {
            self.dirty = true;
            self.show_title();
        }
    }

    /// "photo.png - paint", with a `*` while there are unsaved changes.
    pub(super) fn show_title(&mut self) {
        let mark = if self.dirty { "*" } else { "" };
        let title = match self.file.as_ref() {
            Some(opened) => format!("{}{} - paint", mark, opened.name),
            None => format!("{}paint", mark),
        };
        if let Err(error) = self.window.set_title(&title) {
            wsk::logf!("paint: set title failed: {}", error);
        }
    }

    pub(super) fn ask(&mut self, then: Discard) {
        self.question = Some(then);
        let text = match then {
            Discard::ThenOpen => "unsaved changes: discard them and open another file? y / n",
            Discard::ThenClose => "unsaved changes: close without saving? y / n",
        };
        self.set_status(String::from(text), true);
    }

    pub(super) fn discard(&mut self, then: Discard) {
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
    pub(super) fn open_png(&mut self, name: &str, bytes: &[u8]) -> bool {
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
    pub(super) fn png(&self) -> Result<Vec<u8>, wsk::image_file::ImageFileError> {
        self.document.to_png()
    }
}
