//! The app's side: asking a plugin to describe itself and to filter an image.

use super::{error, ApplyRequest, Description, APPLY, DESCRIBE, DESCRIPTION, DONE, ERROR, MAX_PARAMS};
use crate::abi::MESSAGE_HEADER_SIZE;
use crate::caps::{release, Cap};
use crate::error::{Error, Result};
use crate::ipc::{call, Message, Timeout};

/// Asks the plugin behind `plugin` (an actor cap) to describe itself,
/// waiting at most `timeout`.
///
/// Errors: from the call (`TimedOut`, `PeerClosed`, ...);
/// `Protocol(code)` when the plugin refused, `Protocol(MALFORMED)` when its
/// answer is not a valid [`DESCRIPTION`].
pub fn describe(plugin: Cap, timeout: Timeout) -> Result<Description> {
    let mut buf = [0u8; MESSAGE_HEADER_SIZE + 1024];
    let answer = answer_of(call(plugin, DESCRIBE, &[], None, &mut buf, timeout))?;
    if answer.opcode() != DESCRIPTION {
        return Err(refusal(&answer));
    }
    let text = core::str::from_utf8(answer.payload()).map_err(|_| Error::Protocol(error::MALFORMED as i32))?;
    Description::parse(text).ok_or(Error::Protocol(error::MALFORMED as i32))
}

/// Asks the plugin to filter the `width × height` image in `image` (a cap
/// the plugin may read and write: it is passed along), waiting at most
/// `timeout`. On `Ok` the buffer holds the plugin's result — unless the
/// plugin still holds its cap: revoke it before trusting the bytes.
///
/// Errors: as [`describe`].
pub fn apply(plugin: Cap, image: Cap, width: u32, height: u32, params: &[i32], timeout: Timeout) -> Result<()> {
    let mut request = ApplyRequest { width, height, params: [0; MAX_PARAMS], count: params.len().min(MAX_PARAMS) };
    request.params[..request.count].copy_from_slice(&params[..request.count]);
    let mut buf = [0u8; MESSAGE_HEADER_SIZE + 256];
    let answer = answer_of(call(plugin, APPLY, &request.encode(), Some(image), &mut buf, timeout))?;
    if answer.opcode() == DONE {
        Ok(())
    } else {
        Err(refusal(&answer))
    }
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

/// The error for an answer that is not the expected one: the plugin's
/// [`ERROR`] code, or MALFORMED for anything else.
fn refusal(answer: &Message<'_>) -> Error {
    match (answer.opcode(), answer.payload_u32()) {
        (ERROR, Some(code)) if code != 0 && code <= i32::MAX as u32 => Error::Protocol(code as i32),
        _ => Error::Protocol(error::MALFORMED as i32),
    }
}
