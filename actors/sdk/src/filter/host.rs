//! The app's side: asking a plugin to describe itself and to filter an
//! image, waiting for the answer ([`describe`], [`apply`]) or not
//! ([`start_apply`], then [`next_answer`] on the answer endpoint).

use alloc::string::String;
use core::fmt;

use super::{error, error_name, ApplyRequest, Description, APPLY, DESCRIBE, DESCRIPTION, DONE, ERROR, MAX_PARAMS, PROGRESS};
use crate::abi::MESSAGE_HEADER_SIZE;
use crate::caps::{release, Cap};
use crate::error::{Error, Result};
use crate::ipc::{call, recv_timeout, send, Message, Timeout};

/// The longest message text of an [`ERROR`] answer that is kept; the
/// SDK's panic answer holds at most 512 bytes.
const MAX_MESSAGE_BYTES: usize = 512;
/// Room for any answer a plugin may give: a longer one is malformed.
const ANSWER_BYTES: usize = MESSAGE_HEADER_SIZE + 4 + MAX_MESSAGE_BYTES;

/// Why a plugin did not do what it was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The call failed: `TimedOut`, `PeerClosed` (the plugin ended without
    /// answering), ...
    Call(Error),
    /// The plugin answered [`ERROR`].
    Refused {
        /// Its [`error`] code.
        code: u32,
        /// Its message: valid UTF-8 up to 512 bytes, else empty. Still the
        /// plugin's words: escape them before showing them.
        message: String,
    },
    /// The answer was none the protocol has: another opcode, too short,
    /// too long, or an invalid description.
    Malformed,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Call(error) => write!(f, "{}", error),
            Failure::Refused { code, message } if message.is_empty() => f.write_str(error_name(*code)),
            Failure::Refused { code, message } => write!(f, "{}: {}", error_name(*code), message),
            Failure::Malformed => f.write_str(error_name(error::MALFORMED)),
        }
    }
}

impl Failure {
    /// As an SDK [`Error`]: `Protocol(code)` for a refusal or malformed answer.
    pub fn to_error(&self) -> Error {
        match self {
            Failure::Call(error) => *error,
            Failure::Refused { code, .. } if *code != 0 && *code <= i32::MAX as u32 => Error::Protocol(*code as i32),
            _ => Error::Protocol(error::MALFORMED as i32),
        }
    }
}

/// Asks the plugin behind `plugin` (an actor cap) to describe itself,
/// waiting at most `timeout`.
///
/// Errors: from the call (`TimedOut`, `PeerClosed`, ...);
/// `Protocol(code)` when the plugin refused, `Protocol(MALFORMED)` when its
/// answer is not a valid [`DESCRIPTION`]. [`describe_plugin`] says more.
pub fn describe(plugin: Cap, timeout: Timeout) -> Result<Description> {
    describe_plugin(plugin, timeout).map_err(|failure| failure.to_error())
}

/// As [`describe`], with the plugin's own words when it refused (a panic's
/// text, for one: the SDK runs the filter once while answering).
pub fn describe_plugin(plugin: Cap, timeout: Timeout) -> core::result::Result<Description, Failure> {
    let mut buf = [0u8; MESSAGE_HEADER_SIZE + 1024];
    let answer = answer_of(call(plugin, DESCRIBE, &[], None, &mut buf, timeout)).map_err(Failure::Call)?;
    if answer.opcode() != DESCRIPTION {
        return Err(refusal(&answer));
    }
    let text = core::str::from_utf8(answer.payload()).map_err(|_| Failure::Malformed)?;
    Description::parse(text).ok_or(Failure::Malformed)
}

/// Asks the plugin to filter the `width × height` image in `image` (a cap
/// the plugin may read and write: it is passed along), waiting at most
/// `timeout`. On `Ok` the buffer holds the plugin's result — unless the
/// plugin still holds its cap: revoke it before trusting the bytes.
///
/// Errors: as [`describe`].
pub fn apply(plugin: Cap, image: Cap, width: u32, height: u32, params: &[i32], timeout: Timeout) -> Result<()> {
    let mut buf = [0u8; ANSWER_BYTES];
    let answer = answer_of(call(plugin, APPLY, &payload(width, height, params), Some(image), &mut buf, timeout))?;
    if answer.opcode() == DONE {
        Ok(())
    } else {
        Err(refusal(&answer).to_error())
    }
}

/// Starts a filter without waiting: sends APPLY (as [`apply`]) without a
/// reply cap, so the plugin answers on its handle 2, the SEND cap to an
/// answer endpoint the app granted when it spawned it. Read the answers
/// with [`next_answer`].
///
/// Errors: as [`send`] (`QueueFull`: the plugin is busy; `PeerClosed`: it
/// has ended).
pub fn start_apply(plugin: Cap, image: Cap, width: u32, height: u32, params: &[i32]) -> Result<()> {
    send(plugin, APPLY, &payload(width, height, params), Some(image))
}

/// What came on an answer endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A [`PROGRESS`] note: `done` of `total`.
    Progress {
        /// Work done, in the plugin's units.
        done: u32,
        /// All the work, in the same units.
        total: u32,
    },
    /// [`DONE`]: the buffer holds the result (revoke the plugin's cap
    /// first). The filter's own time in nanoseconds and the engine that
    /// ran it (0 interpreter, 1 compiled), when the plugin said.
    Done {
        /// The filter's own time, nanoseconds.
        nanos: Option<u64>,
        /// 0 interpreter, 1 compiled.
        engine: Option<u32>,
    },
    /// [`ERROR`], or an answer of no protocol ([`Failure::Malformed`]).
    /// An answer too large to be one stays queued: end the run.
    Failed(Failure),
}

/// Takes the next message on the answer endpoint `answers`, waiting at
/// most `timeout`. Any cap it carried is released.
///
/// Errors: from the receive (`WouldBlock`, `TimedOut`, ...).
pub fn next_answer(answers: Cap, timeout: Timeout) -> Result<Answer> {
    let mut buf = [0u8; ANSWER_BYTES];
    let message = match recv_timeout(answers, &mut buf, timeout) {
        Ok(message) => message,
        Err(Error::BufferTooSmall { .. }) => return Ok(Answer::Failed(Failure::Malformed)),
        Err(error) => return Err(error),
    };
    if let Some(cap) = message.cap() {
        let _ = release(cap);
    }
    if let Some(reply) = message.reply() {
        let _ = release(reply);
    }
    let payload = message.payload();
    Ok(match message.opcode() {
        PROGRESS if payload.len() == 8 => Answer::Progress { done: u32_at(payload, 0), total: u32_at(payload, 4) },
        DONE => {
            let nanos = if payload.len() >= 8 { Some(u64_at(payload, 0)) } else { None };
            let engine = if payload.len() >= 12 { Some(u32_at(payload, 8)) } else { None };
            Answer::Done { nanos, engine }
        }
        _ => Answer::Failed(refusal(&message)),
    })
}

fn payload(width: u32, height: u32, params: &[i32]) -> alloc::vec::Vec<u8> {
    let mut request = ApplyRequest { width, height, params: [0; MAX_PARAMS], count: params.len().min(MAX_PARAMS) };
    request.params[..request.count].copy_from_slice(&params[..request.count]);
    request.encode()
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// The answer of a call, with any cap it carried released (no answer here
/// carries one) and a parked (oversized, so malformed) answer dropped.
fn answer_of(result: Result<Message<'_>>) -> Result<Message<'_>> {
    match result {
        Ok(answer) => {
            if let Some(cap) = answer.cap() {
                let _ = release(cap);
            }
            Ok(answer)
        }
        Err(Error::AnswerParked { reply, .. }) => {
            let _ = release(reply);
            Err(Error::Protocol(error::MALFORMED as i32))
        }
        Err(error) => Err(error),
    }
}

/// The failure an answer that is not the expected one says: the plugin's
/// [`ERROR`] code and message, or malformed for anything else.
fn refusal(answer: &Message<'_>) -> Failure {
    let payload = answer.payload();
    match (answer.opcode(), answer.payload_u32()) {
        (ERROR, Some(code)) if code != 0 => {
            let text = &payload[4..];
            let message = match core::str::from_utf8(text) {
                Ok(text) if text.len() <= MAX_MESSAGE_BYTES => String::from(text),
                _ => String::new(),
            };
            Failure::Refused { code, message }
        }
        _ => Failure::Malformed,
    }
}
