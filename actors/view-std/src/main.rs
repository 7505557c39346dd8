//! An image viewer as a std Rust program (WASI preview 1) that opens the
//! file it is given: the file through std (`std::fs::read`, beneath the
//! folder its manifest grants, a WASI preopen), the window and the PNG
//! decoder through the SDK (feature `std`). The file is decoded here, in
//! the sandbox; the host never parses it.
//!
//! Run it with `wskdesk --manifest` and an entry such as
//!
//! ```toml
//! [[actor]]
//! name = "view_std"
//! grants = ["ui", "folder:/home/ann/Pictures"]
//! args = ["/home/ann/Pictures/photo.png"]
//! ```
//!
//! `ui` comes first, so handle 1 is the ui_server endpoint; the folder is
//! the preopen `/home/ann/Pictures`, and std finds the file beneath it by
//! its full path. A file it cannot read or decode is a message in the
//! window (and the log), which stays until it is closed.

use std::path::Path;

use wsk::image_file::{decode_png, Limits};
use wsk::{font, Canvas, Cap, Event, Rect, Timeout, Window};

/// The ui_server endpoint: the first cap granted (`grants = ["ui", ...]`).
const UI: Cap = Cap(1);

/// A larger image is shown scaled down to fit this.
const MAX_WIDTH: u32 = 1024;
const MAX_HEIGHT: u32 = 768;

/// Around a scaled image, and under a transparent one.
const BACKGROUND: u32 = 0x0030_3030;
/// A message's window: this wide, its text in this colour, this far from the edges.
const MESSAGE_WIDTH: u32 = 640;
const TEXT_COLOR: u32 = 0x00ff_ffff;
const MARGIN: u32 = 16;

/// What the window shows.
enum Content {
    /// `0x00RRGGBB` pixels, `width × height`.
    Image { width: u32, height: u32, pixels: Vec<u32> },
    /// Why there is no image.
    Message(String),
}

fn main() {
    let path = std::env::args().nth(1);
    let content = match &path {
        Some(path) => open(path),
        None => Err("view-std: no image: give its path as the first argument (the manifest's args)".to_string()),
    };
    let name = path.as_deref().map(file_name).unwrap_or("view-std");
    let content = match content {
        Ok(content) => content,
        Err(message) => {
            eprintln!("{}", message);
            Content::Message(message)
        }
    };

    let (width, height) = match &content {
        Content::Image { width, height, .. } => fit(*width, *height, MAX_WIDTH, MAX_HEIGHT),
        Content::Message(message) => (MESSAGE_WIDTH, message_height(message, MESSAGE_WIDTH)),
    };
    let window = match Window::create(UI, width, height, name, 0) {
        Ok(window) => window,
        Err(error) => {
            eprintln!("view-std: no window: {}", error);
            std::process::exit(1);
        }
    };
    if let Content::Image { width: w, height: h, .. } = &content {
        if (width, height) == (*w, *h) {
            println!("view-std: showing {}, {} x {}", name, w, h);
        } else {
            println!("view-std: showing {}, {} x {} scaled to {} x {}", name, w, h, width, height);
        }
    }
    show(window, &content);
}

/// The file at `path`, decoded; or the message that says why not.
fn open(path: &str) -> Result<Content, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot open {}: {}", path, error))?;
    let image = decode_png(&bytes, &Limits::DEFAULT).map_err(|error| format!("cannot open {}: {}", path, error))?;
    let image = image.xrgb_over(BACKGROUND);
    Ok(Content::Image { width: image.width, height: image.height, pixels: image.pixels })
}

/// The last component of `path`, for the title and the log.
fn file_name(path: &str) -> &str {
    Path::new(path).file_name().and_then(|name| name.to_str()).unwrap_or(path)
}

/// Draws `content` into the window and follows its events until it is
/// closed (or gone), drawing again when ui_server gives it another size.
fn show(mut window: Window, content: &Content) {
    let mut size = (window.width(), window.height());
    let mut pixels = picture(content, size);
    // `damage`: drawn but not yet presented; `waiting`: a commit's FrameDone is due.
    let mut damage = window.bounds();
    let mut waiting = false;
    let mut buf = [0u8; wsk::window::EVENT_BUFFER_BYTES];
    loop {
        if !waiting && !damage.is_empty() {
            let canvas = Canvas::new(&mut pixels, size.0, size.1).expect("the picture has the window's size");
            match window.present(&canvas, &[damage]) {
                Ok(()) => {
                    damage = Rect::EMPTY;
                    waiting = true;
                }
                // ui_server's queue is full: keep the damage, try again soon.
                Err(error) => eprintln!("view-std: present failed: {}", error),
            }
        }
        let timeout = if !waiting && !damage.is_empty() { Timeout::millis(10) } else { Timeout::Forever };
        let event = match window.next_event(&mut buf, timeout) {
            Ok(event) => event,
            Err(error) if error.is_timeout() => continue,
            Err(error) => {
                eprintln!("view-std: no more events: {}", error);
                return;
            }
        };
        match event {
            Event::FrameDone { .. } => waiting = false,
            // A new size (the surface has it already): the picture again.
            Event::Configure { width, height } if (width, height) != size => {
                size = (width, height);
                pixels = picture(content, size);
                damage = window.bounds();
            }
            Event::CloseRequest => {
                if let Err(error) = window.destroy() {
                    eprintln!("view-std: cannot remove the window: {}", error);
                }
                return;
            }
            Event::Error { code, message } => eprintln!("view-std: ui_server error {}: {}", code, message),
            _ => {}
        }
    }
}

/// The picture of `content` at `width × height`: the image scaled down to
/// fit (never up) and centred, or the message's lines.
fn picture(content: &Content, (width, height): (u32, u32)) -> Vec<u32> {
    let mut pixels = vec![BACKGROUND; width as usize * height as usize];
    match content {
        Content::Image { width: iw, height: ih, pixels: image } => {
            let (fw, fh) = fit(*iw, *ih, width, height);
            let (left, top) = ((width - fw) / 2, (height - fh) / 2);
            // Nearest neighbour: at 1:1 every pixel is the file's own.
            for y in 0..fh {
                let source = (y as u64 * *ih as u64 / fh as u64) as usize * *iw as usize;
                let row = (top + y) as usize * width as usize + left as usize;
                for x in 0..fw {
                    let sx = (x as u64 * *iw as u64 / fw as u64) as usize;
                    pixels[row + x as usize] = image[source + sx];
                }
            }
        }
        Content::Message(message) => {
            if let Some(mut canvas) = Canvas::new(&mut pixels, width, height) {
                for (i, line) in wrap(message, columns(width)).iter().enumerate() {
                    canvas.draw_text(MARGIN as i32, (MARGIN + i as u32 * font::HEIGHT) as i32, line, TEXT_COLOR);
                }
            }
        }
    }
    pixels
}

/// `width × height` scaled down, keeping its proportions, to fit
/// `max_width × max_height`; unchanged if it fits. Never below 1 × 1.
fn fit(width: u32, height: u32, max_width: u32, max_height: u32) -> (u32, u32) {
    if width <= max_width && height <= max_height {
        return (width.max(1), height.max(1));
    }
    let (w, h, mw, mh) = (width as u64, height as u64, max_width as u64, max_height as u64);
    let (w, h) = if w * mh > h * mw { (mw, h * mw / w) } else { (w * mh / h, mh) };
    ((w as u32).max(1), (h as u32).max(1))
}

/// Characters a line of a `width`-pixel message window holds.
fn columns(width: u32) -> usize {
    (width.saturating_sub(2 * MARGIN) / font::WIDTH).max(1) as usize
}

/// The height of a message window `width` pixels wide.
fn message_height(message: &str, width: u32) -> u32 {
    wrap(message, columns(width)).len() as u32 * font::HEIGHT + 2 * MARGIN
}

/// `text` in lines of at most `columns` characters, broken at spaces
/// where it can be and inside a word (a long path) where it must.
fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let fits = line.is_empty() || line.chars().count() + 1 + word.chars().count() <= columns;
        if !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        for c in word.chars() {
            if line.chars().count() == columns {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_large_images_keeping_proportions() {
        assert_eq!(fit(640, 480, 1024, 768), (640, 480));
        assert_eq!(fit(2048, 1536, 1024, 768), (1024, 768));
        assert_eq!(fit(4000, 1000, 1024, 768), (1024, 256));
        assert_eq!(fit(1000, 4000, 1024, 768), (192, 768));
        assert_eq!(fit(100000, 1, 1024, 768), (1024, 1));
    }

    #[test]
    fn scales_down_to_the_nearest_pixels_and_centres() {
        let image = Content::Image { width: 4, height: 2, pixels: vec![1, 2, 3, 4, 5, 6, 7, 8] };
        // Exactly its size: every pixel.
        assert_eq!(picture(&image, (4, 2)), [1, 2, 3, 4, 5, 6, 7, 8]);
        // Half its size: every other pixel of every other row.
        assert_eq!(picture(&image, (2, 1)), [1, 3]);
        // A wider window: centred, the background beside it.
        let b = BACKGROUND;
        assert_eq!(picture(&image, (6, 2)), [b, 1, 2, 3, 4, b, b, 5, 6, 7, 8, b]);
    }

    #[test]
    fn wraps_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("cannot open a.png: no", 12), ["cannot open", "a.png: no"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }
}
