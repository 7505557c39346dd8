//! Filter plugins, found at run time and applied as transactions that do
//! not block paint.
//!
//! The desktop names the plugins in the boot configuration (`plugins=`);
//! paint starts each through its spawner cap (handle 2, over the plugins
//! folders), granting it a SEND cap to an answer endpoint of its own (the
//! plugin's handle 2), and asks it to describe itself. Applying one:
//!
//! 1. copy the canvas into a shared buffer (kept for the next filter);
//! 2. derive a cap to it (READ, WRITE and GRANT: the ABI needs GRANT to pass
//!    a cap in a message) and send the plugin APPLY with it, without a
//!    reply cap: the plugin answers on the answer endpoint, with progress
//!    notes first;
//! 3. paint goes on handling its window while it waits ([`Plugins::poll`]
//!    with a short timeout); Escape cancels ([`Plugins::cancel`]);
//! 4. once the plugin answered, or was cancelled, or failed, release the
//!    derived cap: the plugin's copy goes with it, so from here on nothing
//!    but paint can touch the buffer;
//! 5. only if the plugin answered DONE, read the buffer back as the new
//!    canvas. Anything else — a panic, a trap, no progress or answer for the
//!    time budget, an error, garbage — kills the plugin (a fresh one is
//!    started next time) and leaves the canvas exactly as it was.
//!
//! The time budget (`budget-ms`, 5 s by default) bounds the silence, not
//! the whole filter: a plugin that reports progress (the SDK does for
//! row-wise filters) may run as long as it makes some; one silent for the
//! budget is killed. Escape ends any run at once.
//!
//! A plugin's answer endpoint cannot tell paint that the plugin died (paint
//! holds a SEND cap to it too). So while a plugin is silent paint sends it a
//! PING now and then, which plugins ignore: sending to a dead actor fails.
//!
//! Reload ([`Plugins::reload`]): a changed module is started and described
//! again; the previous instance stays as a fallback until the new one has
//! served [`TRIAL_REQUESTS`] requests, and comes back if the new one fails
//! to describe itself or fails one of them.
//!
//! Everything a plugin says is hostile: names, metadata and messages are
//! bounded and escaped ([`printable`]) before paint draws or logs them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use wsk::filter::{self, error, Answer, Description, Failure};
use wsk::{Buffer, Cap, Error, PluginChange as Change, Rights, Timeout};

mod reload;

/// The longest a plugin may take to describe itself.
const DESCRIBE_BUDGET: Timeout = Timeout::millis(5_000);
/// Messages an answer endpoint queues: progress notes come at most 20 a
/// second and paint reads them every few milliseconds.
const ANSWER_QUEUE: u32 = 16;
/// How long a plugin may be silent before paint checks it is still alive
/// (with a PING), and between two checks.
const PROBE_AFTER_NS: u64 = 100_000_000;
/// Requests a new version serves before the previous one is let go.
pub const TRIAL_REQUESTS: u32 = 3;
/// The longest text from a plugin paint shows or logs, in characters.
const MAX_SHOWN_CHARS: usize = 160;

/// One parameter of a filter, as its plugin declared it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// 1 to 32 of `[A-Za-z0-9_-]` (the SDK's parser made sure).
    pub name: String,
    pub min: i32,
    pub max: i32,
    pub default: i32,
}

/// A running instance of a plugin, and the endpoint it answers on.
struct Instance {
    actor: Cap,
    /// paint's cap to the answer endpoint (SEND, RECEIVE, GRANT).
    answers: Cap,
    /// Requests it answered DONE.
    served: u32,
}

impl Instance {
    /// Ends the instance and lets its caps go: the plugin's handle 2 is
    /// derived from `answers`, so it goes too.
    fn stop(self) {
        let _ = wsk::kill(self.actor);
        let _ = wsk::release(self.actor);
        let _ = wsk::release(self.answers);
    }
}

/// What a plugin said of itself.
#[derive(Clone, Debug, Default)]
struct Described {
    name: String,
    version: Option<String>,
    author: Option<String>,
    description: Option<String>,
    params: Vec<ParamInfo>,
}

impl Described {
    fn of(description: Description) -> Described {
        let meta = |value: Option<String>| value.map(|v| printable(&v));
        Described {
            name: printable(&description.name),
            version: meta(description.version),
            author: meta(description.author),
            description: meta(description.description),
            params: description
                .params
                .into_iter()
                .map(|(name, min, max, default)| ParamInfo { name, min, max, default })
                .collect(),
        }
    }
}

/// The previous version of a reloaded plugin, kept until the new one
/// proves itself.
struct Fallback {
    instance: Instance,
    described: Described,
}

/// One filter plugin.
pub struct Plugin {
    /// The module's name in the plugins folders.
    pub module: String,
    described: Described,
    /// The values paint sends, one per parameter (the defaults until
    /// someone remembers others: [`Plugins::remember`]).
    values: Vec<i32>,
    /// The running instance, if any.
    instance: Option<Instance>,
    fallback: Option<Fallback>,
}

impl Plugin {
    /// What the plugin calls itself (escaped).
    pub fn name(&self) -> &str {
        &self.described.name
    }
}

/// Identifies one run of a filter ([`Plugins::start`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunId(pub u32);

/// What came of a run ([`Plugins::poll`]).
#[derive(Debug)]
pub enum RunEvent {
    /// The plugin got this far: `done` of `total`, in its units.
    Progress { done: u32, total: u32 },
    /// The filtered picture. `ms`: paint's time from start to answer;
    /// `engine`: 0 interpreter, 1 compiled, when the plugin said.
    Done { pixels: Vec<u32>, ms: u64, engine: Option<u32> },
    /// Words for the status line and the log (escaped); the canvas is
    /// untouched, the instance gone.
    Failed(String),
}

/// A filter in flight.
struct Run {
    id: RunId,
    index: usize,
    /// The derived cap the plugin holds a copy of.
    lent: Cap,
    pixels: usize,
    started: u64,
    /// Last time the plugin was heard of: started, progress, probe sent.
    heard: u64,
    probed: u64,
    done: u32,
}

/// What a reload did, for the status line and the log.
#[derive(Debug, PartialEq, Eq)]
pub struct Reloaded {
    pub text: String,
    pub error: bool,
}

/// The plugins paint knows, and how to start them.
pub struct Plugins {
    spawner: Cap,
    /// How long a running filter may stay silent.
    budget: Timeout,
    pub list: Vec<Plugin>,
    /// The buffer the canvas is copied into for a plugin, kept for the next
    /// filter of a canvas this size: a new 8 MB buffer costs more (its
    /// pages are zeroed and faulted in) than many filters do. Reusing it is
    /// safe: the plugin's cap to it is revoked before paint reads it, and
    /// the next filter overwrites all of it.
    copy: Option<Buffer>,
    run: Option<Run>,
    runs: u32,
}

impl Plugins {
    /// No plugins yet; `spawner` starts them, `budget` bounds a filter's silence.
    pub fn new(spawner: Cap, budget: Timeout) -> Plugins {
        Plugins { spawner, budget, list: Vec::new(), copy: None, run: None, runs: 0 }
    }

    // MARK: What the plugins are

    /// How many plugins are in the menu.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The name of plugin `index` (escaped), or "".
    pub fn name(&self, index: usize) -> &str {
        self.list.get(index).map_or("", |p| p.name())
    }

    /// The module of plugin `index`, or "".
    pub fn module(&self, index: usize) -> &str {
        self.list.get(index).map_or("", |p| p.module.as_str())
    }

    /// Its version, author and description, when it said (escaped).
    pub fn version(&self, index: usize) -> Option<&str> {
        self.list.get(index)?.described.version.as_deref()
    }

    pub fn author(&self, index: usize) -> Option<&str> {
        self.list.get(index)?.described.author.as_deref()
    }

    pub fn description(&self, index: usize) -> Option<&str> {
        self.list.get(index)?.described.description.as_deref()
    }

    /// Its parameters, in the order APPLY takes their values.
    pub fn params(&self, index: usize) -> &[ParamInfo] {
        self.list.get(index).map_or(&[], |p| p.described.params.as_slice())
    }

    /// The values paint sends it: the remembered ones, else the defaults.
    pub fn values(&self, index: usize) -> &[i32] {
        self.list.get(index).map_or(&[], |p| p.values.as_slice())
    }

    /// Remembers `values` for plugin `index` (clamped to the ranges; extra
    /// ones ignored, missing ones keep theirs). Kept across reloads for
    /// the parameters that still exist.
    pub fn remember(&mut self, index: usize, values: &[i32]) {
        if let Some(plugin) = self.list.get_mut(index) {
            for ((value, param), &new) in plugin.values.iter_mut().zip(&plugin.described.params).zip(values) {
                *value = new.clamp(param.min, param.max);
            }
        }
    }

    /// The index of `module`'s plugin.
    pub fn find(&self, module: &str) -> Option<usize> {
        self.list.iter().position(|p| p.module == module)
    }

    // MARK: Loading

    /// Starts and describes `module` (a module name in the plugins
    /// folders), and adds it to the list in module order. A plugin that
    /// cannot be started or does not describe itself is left out; the
    /// words say why.
    pub fn load(&mut self, module: &str) -> Result<usize, String> {
        let (instance, described) = self.start_described(module)?;
        let values = described.params.iter().map(|p| p.default).collect();
        let plugin = Plugin { module: module.to_string(), described, values, instance: Some(instance), fallback: None };
        let at = self.list.iter().position(|p| p.module.as_str() > module).unwrap_or(self.list.len());
        if let Some(run) = self.run.as_mut() {
            if run.index >= at {
                run.index += 1;
            }
        }
        self.list.insert(at, plugin);
        Ok(at)
    }

    /// A new instance of `module`, described.
    fn start_described(&self, module: &str) -> Result<(Instance, Described), String> {
        let instance = spawn(self.spawner, module)?;
        match filter::describe_plugin(instance.actor, DESCRIBE_BUDGET) {
            Ok(description) => Ok((instance, Described::of(description))),
            Err(failure) => {
                instance.stop();
                Err(words(&failure, DESCRIBE_BUDGET))
            }
        }
    }

    // MARK: Running

    /// Starts plugin `index` on a copy of `pixels` (`width × height`) with
    /// `values` (one per parameter; missing ones take their default). A
    /// run already in flight is cancelled first. Its events come from
    /// [`Plugins::poll`]. `Err`: words for the status line; nothing runs.
    pub fn start(&mut self, index: usize, pixels: &[u32], width: u32, height: u32, values: &[i32]) -> Result<RunId, String> {
        self.cancel();
        if index >= self.list.len() {
            return Err(String::from("no such filter"));
        }
        let copy = self.copy_of(pixels)?;
        let spawner = self.spawner;
        let plugin = &mut self.list[index];
        if plugin.instance.is_none() {
            plugin.instance = Some(spawn(spawner, &plugin.module)?);
        }
        let actor = plugin.instance.as_ref().map(|i| i.actor).unwrap_or(Cap::NULL);
        let lent = wsk::derive(copy.cap(), Rights::READ | Rights::WRITE | Rights::GRANT)
            .map_err(|e| format!("cannot lend the canvas: {}", e))?;
        if let Err(error) = filter::start_apply(actor, lent, width, height, values) {
            let _ = wsk::release(lent);
            let why = words(&Failure::Call(error), self.budget);
            self.failed(index, &why);
            return Err(why);
        }
        self.runs += 1;
        let now = wsk::now();
        let id = RunId(self.runs);
        self.run = Some(Run { id, index, lent, pixels: pixels.len(), started: now, heard: now, probed: now, done: 0 });
        Ok(id)
    }

    /// The run in flight, and its plugin's index.
    pub fn running(&self) -> Option<(RunId, usize)> {
        self.run.as_ref().map(|r| (r.id, r.index))
    }

    /// Waits at most `timeout` for news of the run in flight: `None` when
    /// there is none (at once when nothing runs). A run that ends (done or
    /// failed) is over when this returns.
    pub fn poll(&mut self, timeout: Timeout) -> Option<(RunId, RunEvent)> {
        let (id, index, answers) = {
            let run = self.run.as_ref()?;
            let instance = self.list.get(run.index)?.instance.as_ref()?;
            (run.id, run.index, instance.answers)
        };
        match filter::next_answer(answers, timeout) {
            Ok(Answer::Progress { done, total }) => {
                let run = self.run.as_mut()?;
                // Only news counts: a flood of the same note keeps nothing alive.
                if total == 0 || done > total || done <= run.done {
                    return None;
                }
                run.done = done;
                run.heard = wsk::now();
                Some((id, RunEvent::Progress { done, total }))
            }
            Ok(Answer::Done { engine, .. }) => Some((id, self.finish(index, engine))),
            Ok(Answer::Failed(failure)) => Some((id, self.fail(index, words(&failure, self.budget)))),
            Err(error) if error.is_timeout() => self.check_silence(index, answers).map(|event| (id, event)),
            Err(error) => Some((id, self.fail(index, format!("{}", error)))),
        }
    }

    /// Ends the run in flight, if any: the plugin's cap to the canvas copy
    /// is revoked and its instance ended (a fresh one starts next time).
    pub fn cancel(&mut self) -> Option<RunId> {
        let run = self.run.take()?;
        let _ = wsk::release(run.lent);
        if let Some(plugin) = self.list.get_mut(run.index) {
            if let Some(instance) = plugin.instance.take() {
                instance.stop();
            }
        }
        Some(run.id)
    }

    /// Nothing came: too long silent, or dead?
    fn check_silence(&mut self, index: usize, answers: Cap) -> Option<RunEvent> {
        let now = wsk::now();
        let run = self.run.as_mut()?;
        if now.saturating_sub(run.heard) >= budget_ns(self.budget) {
            return Some(self.fail(index, format!("no progress or answer for {} ms", budget_ns(self.budget) / 1_000_000)));
        }
        if now.saturating_sub(run.heard) < PROBE_AFTER_NS || now.saturating_sub(run.probed) < PROBE_AFTER_NS {
            return None;
        }
        run.probed = now;
        let actor = self.list.get(index)?.instance.as_ref()?.actor;
        if wsk::send(actor, filter::PING, &[], None) != Err(Error::PeerClosed) {
            return None;
        }
        // Dead. A panicking plugin answers before it ends: take that answer.
        match filter::next_answer(answers, Timeout::Poll) {
            Ok(Answer::Failed(failure)) => Some(self.fail(index, words(&failure, self.budget))),
            Ok(Answer::Done { engine, .. }) => Some(self.finish(index, engine)),
            _ => Some(self.fail(index, String::from("the plugin stopped (see the log)"))),
        }
    }

    /// The plugin answered DONE: take its access away, then read the result.
    fn finish(&mut self, index: usize, engine: Option<u32>) -> RunEvent {
        let run = match self.run.take() {
            Some(run) => run,
            None => return RunEvent::Failed(String::from("no filter was running")),
        };
        let _ = wsk::release(run.lent);
        let ms = wsk::now().saturating_sub(run.started) / 1_000_000;
        let result = self.read_result(run.pixels);
        if let Some(plugin) = self.list.get_mut(index) {
            if let Some(instance) = plugin.instance.as_mut() {
                instance.served += 1;
                if instance.served >= TRIAL_REQUESTS {
                    // The new version proved itself: the previous one goes.
                    if let Some(old) = plugin.fallback.take() {
                        old.instance.stop();
                    }
                }
            }
        }
        match result {
            Ok(pixels) => RunEvent::Done { pixels, ms, engine },
            Err(why) => RunEvent::Failed(why),
        }
    }

    /// The run failed: revoke, end the instance, and bring a reloaded
    /// plugin's previous version back if the new one was on trial.
    fn fail(&mut self, index: usize, why: String) -> RunEvent {
        if let Some(run) = self.run.take() {
            let _ = wsk::release(run.lent);
        }
        RunEvent::Failed(self.failed(index, &why))
    }

    /// Ends plugin `index`'s instance after a failure `why`; the words to show.
    fn failed(&mut self, index: usize, why: &str) -> String {
        let plugin = match self.list.get_mut(index) {
            Some(plugin) => plugin,
            None => return why.to_string(),
        };
        if let Some(instance) = plugin.instance.take() {
            instance.stop();
        }
        match plugin.fallback.take() {
            Some(old) => {
                plugin.instance = Some(old.instance);
                adopt(plugin, old.described);
                let text = format!("the new version failed ({}); the previous one is back", why);
                wsk::logf!("paint: {}: {}", plugin.module, text);
                text
            }
            None => why.to_string(),
        }
    }

    fn read_result(&self, count: usize) -> Result<Vec<u32>, String> {
        let copy = self.copy.ok_or_else(|| String::from("the copy is gone"))?;
        let mut result = Vec::new();
        result.try_reserve_exact(count).map_err(|_| String::from("no memory for the result"))?;
        result.resize(count, 0);
        copy.read(0, as_bytes_mut(&mut result)).map_err(|e| format!("cannot read the result: {}", e))?;
        for pixel in &mut result {
            *pixel &= 0x00ff_ffff;
        }
        Ok(result)
    }

    /// The shared buffer, holding a copy of `pixels`.
    fn copy_of(&mut self, pixels: &[u32]) -> Result<Buffer, String> {
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
        copy.write(0, as_bytes(pixels)).map_err(|e| format!("cannot copy the canvas: {}", e))?;
        Ok(copy)
    }
}

/// Makes `described` the plugin's description, keeping the remembered
/// values of the parameters that still exist (by name), clamped.
fn adopt(plugin: &mut Plugin, described: Described) {
    let old = &plugin.described.params;
    plugin.values = described
        .params
        .iter()
        .map(|p| match old.iter().position(|o| o.name == p.name) {
            Some(i) => plugin.values.get(i).copied().unwrap_or(p.default).clamp(p.min, p.max),
            None => p.default,
        })
        .collect();
    plugin.described = described;
}

/// The modules to load, each once, in name order (the menu's order).
pub fn in_order<'a>(modules: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut names: Vec<&str> = modules.collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// A new instance of `module`, with its own answer endpoint.
fn spawn(spawner: Cap, module: &str) -> Result<Instance, String> {
    let answers = wsk::endpoint_create(ANSWER_QUEUE).map_err(|e| format!("no answer endpoint: {}", e))?;
    // The plugin may send there, nothing more (GRANT: spawn passes it on).
    let grant = match wsk::derive(answers, Rights::SEND | Rights::GRANT) {
        Ok(grant) => grant,
        Err(error) => {
            let _ = wsk::release(answers);
            return Err(format!("no answer endpoint: {}", error));
        }
    };
    match wsk::spawn(spawner, module, Some(grant)) {
        // `grant` stays: the plugin's handle 2 is derived from it. Releasing
        // `answers` (Instance::stop) takes both.
        Ok(actor) => Ok(Instance { actor, answers, served: 0 }),
        Err(error) => {
            let _ = wsk::release(answers);
            Err(format!("cannot start it: {}", error))
        }
    }
}

/// Words for what went wrong with a plugin, escaped.
fn words(failure: &Failure, budget: Timeout) -> String {
    match failure {
        Failure::Call(Error::TimedOut) | Failure::Call(Error::WouldBlock) => {
            format!("no answer within {} ms", budget_ns(budget) / 1_000_000)
        }
        Failure::Call(Error::PeerClosed) => String::from("the plugin stopped (see the log)"),
        Failure::Call(other) => format!("{}", other),
        // The SDK's panic answer: "panicked at src/lib.rs:12:9: ...".
        Failure::Refused { code: error::PANICKED, message } if !message.is_empty() => printable(message),
        Failure::Refused { code, message } if !message.is_empty() => {
            format!("it answered: {} ({})", filter::error_name(*code), printable(message))
        }
        Failure::Refused { code, .. } => format!("it answered: {}", filter::error_name(*code)),
        Failure::Malformed => format!("it answered: {}", filter::error_name(error::MALFORMED)),
    }
}

/// Text from a plugin made safe to draw and log: control characters as
/// `?`, at most [`MAX_SHOWN_CHARS`] characters (`...` when cut).
pub fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX_SHOWN_CHARS {
            out.push_str("...");
            break;
        }
        out.push(if c.is_control() { '?' } else { c });
    }
    out
}

fn budget_ns(budget: Timeout) -> u64 {
    match budget {
        Timeout::Nanos(ns) => ns,
        _ => 5_000_000_000,
    }
}

fn ms_since(since: u64) -> u64 {
    wsk::now().saturating_sub(since) / 1_000_000
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_plugins_say() {
        assert_eq!(printable("a\u{1b}[2Jb\nc"), "a?[2Jb?c");
        let long = printable(&"x".repeat(1000));
        assert_eq!(long.len(), MAX_SHOWN_CHARS + 3);
        assert!(long.ends_with("..."));
    }

    #[test]
    fn keeps_remembered_values_by_name() {
        let param = |name: &str, min, max, default| ParamInfo { name: name.to_string(), min, max, default };
        let mut plugin = Plugin {
            module: "blur".to_string(),
            described: Described { params: alloc::vec![param("radius", 1, 32, 2), param("passes", 1, 3, 1)], ..Described::default() },
            values: alloc::vec![9, 3],
            instance: None,
            fallback: None,
        };
        let new = Described {
            name: "Blur 2".to_string(),
            params: alloc::vec![param("passes", 1, 2, 1), param("radius", 1, 8, 2), param("mode", 0, 4, 4)],
            ..Described::default()
        };
        adopt(&mut plugin, new);
        assert_eq!(plugin.values, [2, 8, 4], "by name, clamped to the new ranges; a new one at its default");
        assert_eq!(plugin.name(), "Blur 2");
    }
}
