//! Worker actors: calculation plugins started from the formulas directory
//! (a spawner cap), one tile each at a time, in parallel.
//!
//! Each worker gets, as its handle 2, a send-only cap to fractal's results
//! endpoint. A tile goes to it as a `RENDER` send carrying a cap to the
//! worker's own result buffer (WRITE; GRANT because a passed cap needs it),
//! which is released when the answer comes. A worker that traps, answers
//! garbage or takes too long is killed and replaced by a fresh instance,
//! and its tile goes back to the front of the queue: it loses only its own
//! work. A worker's death is noticed by a `PING` send failing, tried when
//! no answer has come for a while.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use wsk::formula::{self, MAX_TILE_SAMPLES};
use wsk::{Buffer, Cap, Error, Rect, Rights, Timeout};

use crate::render::{Job, Render};
use crate::view::Formula;

/// A tile may take this long before its worker is taken for stuck.
const DEADLINE_NS: u64 = 10_000_000_000;
/// How often a busy, silent worker is checked for life.
const PROBE_NS: u64 = 100_000_000;

struct Busy {
    job: Job,
    lent: Cap,
    since: u64,
    probed: u64,
}

struct Worker {
    /// The running instance (its actor cap) and its actor id.
    actor: Option<(Cap, u32)>,
    buffer: Buffer,
    busy: Option<Busy>,
}

/// The workers, all running one formula.
pub struct Pool {
    spawner: Cap,
    results: Cap,
    /// What workers get as handle 2: SEND (and GRANT, to pass it at spawn).
    results_for_workers: Cap,
    formula: Formula,
    workers: Vec<Worker>,
    scratch: Vec<u32>,
    /// Failures since the last tile that came back: past a limit, give up.
    pub failures: u32,
    /// Why the last worker could not be started, until one is.
    pub trouble: Option<Error>,
}

impl Pool {
    /// `count` workers of `formula`, started from `spawner`.
    pub fn new(spawner: Cap, count: usize, formula: Formula) -> wsk::Result<Pool> {
        let results = wsk::endpoint_create(0)?;
        let results_for_workers = wsk::derive(results, Rights::SEND | Rights::GRANT)?;
        let mut workers = Vec::new();
        for _ in 0..count.max(1) {
            let buffer = Buffer::create(MAX_TILE_SAMPLES * 4)?;
            workers.push(Worker { actor: None, buffer, busy: None });
        }
        let mut pool = Pool {
            spawner,
            results,
            results_for_workers,
            formula,
            workers,
            scratch: vec![0; MAX_TILE_SAMPLES],
            failures: 0,
            trouble: None,
        };
        for i in 0..pool.workers.len() {
            pool.start(i);
        }
        Ok(pool)
    }

    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// True when some worker has a tile.
    pub fn is_busy(&self) -> bool {
        self.workers.iter().any(|w| w.busy.is_some())
    }

    /// Replaces every worker with one of `formula`.
    pub fn switch(&mut self, formula: Formula, render: &mut Render) {
        self.formula = formula;
        for i in 0..self.workers.len() {
            self.stop(i, render);
            self.start(i);
        }
    }

    fn start(&mut self, i: usize) {
        let worker = &mut self.workers[i];
        if worker.actor.is_some() {
            return;
        }
        match wsk::spawn(self.spawner, self.formula.module(), Some(self.results_for_workers)) {
            Ok(actor) => {
                let id = wsk::info(actor).map(|info| info.size as u32).unwrap_or(0);
                worker.actor = Some((actor, id));
                self.trouble = None;
            }
            Err(error) => {
                if self.trouble != Some(error) {
                    wsk::logf!("fractal: cannot start a {} worker: {}", self.formula.module(), error);
                }
                self.trouble = Some(error);
            }
        }
    }

    /// Ends worker `i`'s instance; its tile, if any, goes back to `render`.
    fn stop(&mut self, i: usize, render: &mut Render) {
        let worker = &mut self.workers[i];
        if let Some(busy) = worker.busy.take() {
            let _ = wsk::release(busy.lent);
            render.requeue(busy.job);
        }
        if let Some((actor, _)) = worker.actor.take() {
            let _ = wsk::kill(actor);
            let _ = wsk::release(actor);
        }
    }

    /// A worker misbehaved: a fresh one takes its place and its tile.
    fn fail(&mut self, i: usize, render: &mut Render, why: &str) {
        wsk::logf!("fractal: worker {} failed ({}); a fresh one renders its tile", i, why);
        self.failures += 1;
        self.stop(i, render);
        self.start(i);
    }

    /// Gives each idle worker a job.
    pub fn dispatch(&mut self, render: &mut Render) {
        for i in 0..self.workers.len() {
            if self.workers[i].busy.is_some() {
                continue;
            }
            self.start(i);
            let (actor, buffer) = match (&self.workers[i].actor, self.workers[i].buffer) {
                (Some((actor, _)), buffer) => (*actor, buffer),
                (None, _) => continue,
            };
            let job = match render.next_job() {
                Some(job) => job,
                None => return,
            };
            let lent = match wsk::derive(buffer.cap(), Rights::WRITE | Rights::GRANT) {
                Ok(lent) => lent,
                Err(_) => {
                    render.requeue(job);
                    return;
                }
            };
            let now = wsk::now();
            match wsk::send(actor, formula::RENDER, &job.tile(&render.view).encode(), Some(lent)) {
                Ok(()) => self.workers[i].busy = Some(Busy { job, lent, since: now, probed: now }),
                Err(error) => {
                    let _ = wsk::release(lent);
                    render.requeue(job);
                    if error != Error::QueueFull {
                        self.fail(i, render, "cannot send to it");
                    }
                }
            }
        }
    }

    /// Waits up to `timeout` for one answer and takes it; returns the
    /// pixels that changed.
    pub fn receive(&mut self, timeout: Timeout, render: &mut Render) -> Rect {
        let mut buf = [0u8; wsk::abi::MESSAGE_HEADER_SIZE + 128];
        let (sender, opcode, job) = match wsk::recv_timeout(self.results, &mut buf, timeout) {
            Ok(message) => {
                if let Some(cap) = message.cap() {
                    let _ = wsk::release(cap);
                }
                (message.sender().0, message.opcode(), message.payload_u32())
            }
            Err(Error::BufferTooSmall { .. }) => {
                // No answer is that long: take it out of the queue and forget it.
                let mut big = vec![0u8; wsk::abi::MESSAGE_HEADER_SIZE + wsk::abi::MAX_PAYLOAD];
                let _ = wsk::recv(self.results, &mut big);
                return Rect::EMPTY;
            }
            Err(_) => return Rect::EMPTY,
        };
        let i = match self.workers.iter().position(|w| matches!(w.actor, Some((_, id)) if id == sender)) {
            Some(i) => i,
            None => return Rect::EMPTY, // a worker already replaced
        };
        let expected = self.workers[i].busy.as_ref().map(|b| b.job.id);
        if opcode != formula::TILE_DONE || job.is_none() || job != expected {
            let why = format!("answered opcode {:#x} for job {:?}", opcode, job);
            self.fail(i, render, &why);
            return Rect::EMPTY;
        }
        let busy = self.workers[i].busy.take().expect("checked above");
        // Take the worker's access away before reading what it wrote.
        let _ = wsk::release(busy.lent);
        let values = &mut self.scratch[..busy.job.samples()];
        if self.workers[i].buffer.read(0, as_bytes_mut(values)).is_err() {
            render.requeue(busy.job);
            return Rect::EMPTY;
        }
        self.failures = 0;
        render.complete(&busy.job, values)
    }

    /// Replaces workers that died or are stuck.
    pub fn check(&mut self, render: &mut Render) {
        let now = wsk::now();
        for i in 0..self.workers.len() {
            let (actor, overdue, probe) = match (&self.workers[i].actor, &self.workers[i].busy) {
                (Some((actor, _)), Some(busy)) => {
                    (*actor, now - busy.since > DEADLINE_NS, now - busy.probed > PROBE_NS)
                }
                _ => continue,
            };
            if overdue {
                self.fail(i, render, "too slow");
            } else if probe {
                if let Some(busy) = self.workers[i].busy.as_mut() {
                    busy.probed = now;
                }
                match wsk::send(actor, formula::PING, &[], None) {
                    Ok(()) | Err(Error::QueueFull) => {}
                    Err(_) => self.fail(i, render, "it died"),
                }
            }
        }
    }

    /// Words on what the workers are, for the status line.
    pub fn describe(&self) -> String {
        format!("{} x {}", self.workers.len(), self.formula.module())
    }
}

fn as_bytes_mut(values: &mut [u32]) -> &mut [u8] {
    // SAFETY: u32 has no padding and every byte pattern is a valid u32; the
    // same memory for the same lifetime. Little-endian, as workers write it.
    unsafe { core::slice::from_raw_parts_mut(values.as_mut_ptr() as *mut u8, values.len() * 4) }
}
