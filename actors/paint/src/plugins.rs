//! Filter plugins, found at run time and applied as transactions.
//!
//! The desktop names the plugins in the boot configuration (`plugins=`);
//! paint starts each through its spawner cap (handle 2, over the plugins
//! directory) and asks it to describe itself. Applying one:
//!
//! 1. copy the canvas into a shared buffer (kept for the next filter);
//! 2. derive a cap to it (READ, WRITE and GRANT: the ABI needs GRANT to pass
//!    a cap in a message) and call the plugin with it, waiting at most the
//!    time budget;
//! 3. release the derived cap: the plugin's copy goes with it, so from here
//!    on nothing but paint can touch the buffer;
//! 4. only if the plugin answered DONE, read the buffer back as the new
//!    canvas. Anything else — a trap, no answer in time, an error, garbage —
//!    kills the plugin (a fresh one is started next time) and leaves the
//!    canvas exactly as it was.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use wsk::filter::{self, Description};
use wsk::{Buffer, Cap, Error, Rights, Timeout};

/// The longest a plugin may take to describe itself.
const DESCRIBE_BUDGET: Timeout = Timeout::millis(5_000);

/// One filter plugin.
pub struct Plugin {
    /// The module's name in the plugins directory.
    pub module: String,
    /// What the plugin calls itself (the module name until it says).
    pub name: String,
    /// The values paint sends: each parameter's default.
    params: Vec<i32>,
    /// The running instance, if any.
    actor: Option<Cap>,
}

/// The plugins paint knows, and how to start them.
pub struct Plugins {
    spawner: Cap,
    budget: Timeout,
    pub list: Vec<Plugin>,
    /// The buffer the canvas is copied into for a plugin, kept for the next
    /// filter of a canvas this size: a new 8 MB buffer costs more (its
    /// pages are zeroed and faulted in) than many filters do. Reusing it is
    /// safe: the plugin's cap to it is revoked before paint reads it, and
    /// the next filter overwrites all of it.
    copy: Option<Buffer>,
}

impl Plugins {
    /// No plugins yet; `spawner` starts them, `budget` bounds each filter.
    pub fn new(spawner: Cap, budget: Timeout) -> Plugins {
        Plugins { spawner, budget, list: Vec::new(), copy: None }
    }

    /// Starts and describes `module` (a module name in the plugins
    /// directory). A plugin that cannot be started or does not describe
    /// itself is left out, with a line in the log.
    pub fn load(&mut self, module: &str) {
        let mut plugin = Plugin { module: module.to_string(), name: module.to_string(), params: Vec::new(), actor: None };
        match self.describe(&mut plugin) {
            Ok(()) => self.list.push(plugin),
            Err(error) => wsk::logf!("paint: plugin {} left out: {}", module, error),
        }
    }

    fn describe(&self, plugin: &mut Plugin) -> Result<(), String> {
        let actor = instance(self.spawner, plugin)?;
        match filter::describe(actor, DESCRIBE_BUDGET) {
            Ok(Description { name, params }) => {
                plugin.name = name;
                plugin.params = params.iter().map(|p| p.3).collect();
                Ok(())
            }
            Err(error) => {
                stop(plugin);
                Err(why(error, DESCRIBE_BUDGET))
            }
        }
    }

    /// Runs plugin `index` over a copy of `pixels` (`width × height`).
    /// `Ok` holds the filtered picture; on `Err` (the words for the status
    /// line) `pixels` is all there is: nothing was changed.
    pub fn apply(&mut self, index: usize, pixels: &[u32], width: u32, height: u32) -> Result<Vec<u32>, String> {
        let budget = self.budget;
        let spawner = self.spawner;
        let plugin = self.list.get_mut(index).ok_or_else(|| String::from("no such filter"))?;
        let bytes = pixels.len() as u64 * 4;
        let copy = match self.copy {
            Some(copy) if copy.size() == Ok(bytes) => copy,
            old => {
                if let Some(old) = old {
                    let _ = old.release();
                }
                self.copy = None;
                let copy = Buffer::create(pixels.len() * 4).map_err(|e| format!("no room for a copy: {}", e))?;
                self.copy = Some(copy);
                copy
            }
        };
        transaction(spawner, plugin, copy, pixels, width, height, budget)
    }
}

/// The modules to load, each once, in name order (the menu's order).
pub fn in_order<'a>(modules: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut names: Vec<&str> = modules.collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Steps 1 to 4 of the module docs, with `copy` a buffer of the canvas's size.
fn transaction(
    spawner: Cap,
    plugin: &mut Plugin,
    copy: Buffer,
    pixels: &[u32],
    width: u32,
    height: u32,
    budget: Timeout,
) -> Result<Vec<u32>, String> {
    copy.write(0, as_bytes(pixels)).map_err(|e| format!("cannot copy the canvas: {}", e))?;
    let actor = instance(spawner, plugin)?;
    let lent = wsk::derive(copy.cap(), Rights::READ | Rights::WRITE | Rights::GRANT)
        .map_err(|e| format!("cannot lend the canvas: {}", e))?;
    let answer = filter::apply(actor, lent, width, height, &plugin.params, budget);
    // Take the plugin's access away before looking at the result.
    let _ = wsk::release(lent);
    if let Err(error) = answer {
        stop(plugin);
        return Err(why(error, budget));
    }
    let mut result = Vec::new();
    result.try_reserve_exact(pixels.len()).map_err(|_| String::from("no memory for the result"))?;
    result.resize(pixels.len(), 0);
    copy.read(0, as_bytes_mut(&mut result)).map_err(|e| format!("cannot read the result: {}", e))?;
    for pixel in &mut result {
        *pixel &= 0x00ff_ffff;
    }
    Ok(result)
}

/// The plugin's running instance, started if there is none.
fn instance(spawner: Cap, plugin: &mut Plugin) -> Result<Cap, String> {
    if let Some(actor) = plugin.actor {
        return Ok(actor);
    }
    let actor = wsk::spawn(spawner, &plugin.module, None).map_err(|e| format!("cannot start it: {}", e))?;
    plugin.actor = Some(actor);
    Ok(actor)
}

/// Ends the plugin's instance: it misbehaved, or could not be trusted to
/// stop touching what it was lent.
fn stop(plugin: &mut Plugin) {
    if let Some(actor) = plugin.actor.take() {
        let _ = wsk::kill(actor);
        let _ = wsk::release(actor);
    }
}

/// Words for what went wrong with a plugin call.
fn why(error: Error, budget: Timeout) -> String {
    match error {
        Error::TimedOut | Error::WouldBlock => match budget {
            Timeout::Nanos(ns) => format!("no answer within {} ms", ns / 1_000_000),
            _ => String::from("no answer in time"),
        },
        Error::PeerClosed => String::from("the plugin ended without answering"),
        Error::Protocol(code) => format!("it answered: {}", filter::error_name(code as u32)),
        other => format!("{}", other),
    }
}

fn as_bytes(pixels: &[u32]) -> &[u8] {
    // SAFETY: u32 has no padding and u8 no alignment; same memory, same
    // lifetime. Wasm is little-endian: XRGB8888 as buffers hold it.
    unsafe { core::slice::from_raw_parts(pixels.as_ptr() as *const u8, pixels.len() * 4) }
}

fn as_bytes_mut(pixels: &mut [u32]) -> &mut [u8] {
    // SAFETY: as in `as_bytes`; every byte pattern is a valid u32.
    unsafe { core::slice::from_raw_parts_mut(pixels.as_mut_ptr() as *mut u8, pixels.len() * 4) }
}
