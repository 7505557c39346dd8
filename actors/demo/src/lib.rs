//! demo: the smallest windowed app, and the one to read first (wskdesk's
//! tinywl). It opens a 320x200 window, draws a picture, then paints a red dot
//! wherever the window is clicked, logs the keys typed into it, and closes
//! when its close button is pressed. It takes whatever size ui_server
//! configures (a kiosk's is the whole screen) and draws its picture again.
//!
//! Boot: handle 1 is the ui_server endpoint (SEND), as for every app. The
//! window protocol is described in docs/protocol.md; `wsk::window` speaks it.
//!
//! Drawing follows the pattern every app should: draw into pixels of your
//! own (a `Canvas`), and show them with `Window::present` (upload the changed
//! part into the window's surface buffer, then commit it). Present at most
//! once per frame: after a commit, wait for `Event::FrameDone` — ui_server
//! sends it when that frame is on screen — and meanwhile only collect damage.
//!
//! Size: the first event is `Event::Configure`. When it names another size
//! than the window was created with, `Window::next_event` has already given
//! the window a new surface of that size; the app's part is to lay itself
//! out for it and draw everything again.
#![no_std]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use wsk::{Canvas, Cap, Event, Rect, Timeout, Window};

wsk::actor_main!(main);

/// The ui_server endpoint, granted at spawn.
const UI: Cap = Cap(1);

const WIDTH: u32 = 320;
const HEIGHT: u32 = 200;

/// The picture: a background, a yellow box, white text; red dots on clicks.
const BACKGROUND: u32 = 0x0033_6699;
const BOX: Rect = Rect::new(20, 30, 100, 50);
const BOX_COLOR: u32 = 0x00ff_cc00;
const TEXT_COLOR: u32 = 0x00ff_ffff;
const DOT_COLOR: u32 = 0x00ff_0000;

fn main() {
    let mut window = match Window::create(UI, WIDTH, HEIGHT, "demo", 0) {
        Ok(window) => window,
        Err(error) => {
            wsk::logf!("demo: no window: {}", error);
            return;
        }
    };
    let (x, y) = window.position();
    wsk::logf!("demo: window {} at {},{}", window.id(), x, y);

    // The app's copy of the picture, the window's size. Everything is
    // drawn here first.
    let mut size = (WIDTH, HEIGHT);
    let mut pixels = picture(size);

    // `damage`: drawn into `pixels` but not yet presented.
    // `waiting`: a commit is out and its FrameDone has not come yet.
    let mut damage = window.bounds();
    let mut waiting = false;
    let mut buf = [0u8; wsk::window::EVENT_BUFFER_BYTES];
    loop {
        if !waiting && !damage.is_empty() {
            match window.present(&canvas(&mut pixels, &window), &[damage]) {
                Ok(()) => {
                    damage = Rect::EMPTY;
                    waiting = true;
                }
                // ui_server's queue is full: keep the damage, try again soon.
                Err(error) => wsk::logf!("demo: present failed: {}", error),
            }
        }
        // Wait for the next event; if a present is overdue, not for long.
        let timeout = if !waiting && !damage.is_empty() { Timeout::millis(10) } else { Timeout::Forever };
        let event = match window.next_event(&mut buf, timeout) {
            Ok(event) => event,
            Err(error) if error.is_timeout() => continue,
            Err(error) => {
                // The window is gone (ui_server removed it) or the buffer is wrong.
                wsk::logf!("demo: no more events: {}", error);
                return;
            }
        };
        match event {
            Event::FrameDone { .. } => waiting = false,
            // A new size (the surface already has it): the picture again, at that size.
            Event::Configure { width, height } if (width, height) != size => {
                size = (width, height);
                pixels = picture(size);
                damage = window.bounds();
            }
            Event::PointerButton { x, y, pressed: true, .. } => {
                let mut canvas = canvas(&mut pixels, &window);
                let dot = Rect::new(x - 2, y - 2, 5, 5).intersect(canvas.bounds());
                canvas.fill_rect(dot, DOT_COLOR);
                damage = damage.union(dot);
            }
            Event::Key { state, text, .. } if state.is_down() && !text.is_empty() => {
                wsk::logf!("key {}", text);
            }
            Event::CloseRequest => {
                wsk::log("demo: close requested");
                if let Err(error) = window.destroy() {
                    wsk::logf!("demo: destroy failed: {}", error);
                }
                return;
            }
            Event::Error { code, message } => wsk::logf!("demo: ui_server error {}: {}", code, message),
            _ => {}
        }
    }
}

/// The picture, `width × height`: background, box, text.
fn picture((width, height): (u32, u32)) -> Vec<u32> {
    let mut pixels = vec![0u32; width as usize * height as usize];
    if let Some(mut canvas) = Canvas::new(&mut pixels, width, height) {
        canvas.clear(BACKGROUND);
        canvas.fill_rect(BOX, BOX_COLOR);
        canvas.draw_text(20, 100, "hello", TEXT_COLOR);
    }
    pixels
}

/// A canvas over `pixels`, which have the window's size.
fn canvas<'a>(pixels: &'a mut [u32], window: &Window) -> Canvas<'a> {
    Canvas::new(pixels, window.width(), window.height()).expect("the picture has the window's size")
}
