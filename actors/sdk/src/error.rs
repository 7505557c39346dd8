//! Errors of host calls: the negative codes of `abi::errno` as a Rust enum,
//! plus [`Error::Protocol`] for a server's refusal (e.g. ui_server's `ERROR`).

use core::fmt;

use crate::abi::errno;
use crate::caps::Cap;

/// Why a host call failed. Each variant is one code of `abi::errno`
/// (see `docs/ABI.md`, "Error codes"); [`Error::code`] gives it back.
/// [`Error::Protocol`] is the one exception: a server said no.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// `INVALID_HANDLE`: the handle is null, out of range, released, revoked,
    /// stale or forged.
    InvalidHandle,
    /// `WRONG_TYPE`: the object behind the handle does not support this call.
    WrongType,
    /// `NO_RIGHTS`: the cap lacks a right the call needs.
    NoRights,
    /// `OUT_OF_BOUNDS`: a pointer/length pair lies outside linear memory or the object.
    OutOfBounds,
    /// `INVALID_ARGUMENT`: an argument is out of its documented range.
    InvalidArgument,
    /// `QUEUE_FULL`: the endpoint's queue is full; nothing was sent.
    QueueFull,
    /// `WOULD_BLOCK`: a non-blocking receive found no message.
    WouldBlock,
    /// `TIMED_OUT`: no message or answer came before the deadline.
    TimedOut,
    /// `BUFFER_TOO_SMALL` from a receive: the message stays queued. `needed` is
    /// the whole message size (header + payload) to receive it with, known when
    /// the buffer had at least 8 bytes for the host to write the length into.
    BufferTooSmall {
        /// Bytes a buffer needs to hold the message, if the host could say.
        needed: Option<usize>,
    },
    /// `BUFFER_TOO_SMALL` from [`call`](crate::call): the answer did not fit and
    /// is parked behind `reply`, a receive-only cap now in this actor's space.
    /// Fetch it with [`recv`](crate::recv)`(reply, ..)` and a buffer of `needed`
    /// bytes (which consumes `reply`), or [`release`](crate::release) `reply`.
    AnswerParked {
        /// The receive-only reply cap holding the answer.
        reply: Cap,
        /// Bytes a buffer needs to hold the answer (header + payload).
        needed: usize,
    },
    /// `PEER_CLOSED`: the other side is gone (endpoint closed, callee died,
    /// reply cap dropped, or the caller stopped waiting).
    PeerClosed,
    /// `NO_SPACE`: this actor's capability space is full.
    NoSpace,
    /// `NO_MEMORY`: this actor's memory limit, or the global budget of all
    /// actors, would be exceeded.
    NoMemory,
    /// `NOT_FOUND`: the spawner has no module of that name, or the directory
    /// no entry of that name.
    NotFound,
    /// `LOAD_FAILED`: the module exists but could not be loaded.
    LoadFailed,
    /// `SHUTDOWN`: the kernel is shutting down, or this actor has been ended.
    Shutdown,
    /// `LIMIT_REACHED`: a limit on actors is reached (this actor's live
    /// children, actors in all, or threads); try again after one has ended.
    LimitReached,
    /// `IO_FAILED`: the file system refused (no permission on the file
    /// itself, disk full, an I/O error).
    IoFailed,
    /// `ALREADY_EXISTS`: the name is taken (an exclusive create).
    AlreadyExists,
    /// A negative code this SDK does not know (a newer host).
    Unknown(i32),
    /// Not a host-call error: a server refused a request with a positive
    /// protocol error code, e.g. ui_server's [`protocol::error`](crate::protocol::error)
    /// codes in a window protocol `ERROR` answer.
    Protocol(i32),
}

/// The result of a host call wrapper.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// The error for a negative host-call result. `BUFFER_TOO_SMALL` becomes
    /// `BufferTooSmall { needed: None }`; codes outside the table (including
    /// zero or positive ones, which are not errors) become `Unknown`.
    pub const fn from_code(code: i32) -> Error {
        match code {
            errno::INVALID_HANDLE => Error::InvalidHandle,
            errno::WRONG_TYPE => Error::WrongType,
            errno::NO_RIGHTS => Error::NoRights,
            errno::OUT_OF_BOUNDS => Error::OutOfBounds,
            errno::INVALID_ARGUMENT => Error::InvalidArgument,
            errno::QUEUE_FULL => Error::QueueFull,
            errno::WOULD_BLOCK => Error::WouldBlock,
            errno::TIMED_OUT => Error::TimedOut,
            errno::BUFFER_TOO_SMALL => Error::BufferTooSmall { needed: None },
            errno::PEER_CLOSED => Error::PeerClosed,
            errno::NO_SPACE => Error::NoSpace,
            errno::NO_MEMORY => Error::NoMemory,
            errno::NOT_FOUND => Error::NotFound,
            errno::LOAD_FAILED => Error::LoadFailed,
            errno::SHUTDOWN => Error::Shutdown,
            errno::LIMIT_REACHED => Error::LimitReached,
            errno::IO_FAILED => Error::IoFailed,
            errno::ALREADY_EXISTS => Error::AlreadyExists,
            other => Error::Unknown(other),
        }
    }

    /// The ABI code (negative) this error stands for; for
    /// [`Error::Protocol`], the protocol's (positive) code.
    pub const fn code(self) -> i32 {
        match self {
            Error::InvalidHandle => errno::INVALID_HANDLE,
            Error::WrongType => errno::WRONG_TYPE,
            Error::NoRights => errno::NO_RIGHTS,
            Error::OutOfBounds => errno::OUT_OF_BOUNDS,
            Error::InvalidArgument => errno::INVALID_ARGUMENT,
            Error::QueueFull => errno::QUEUE_FULL,
            Error::WouldBlock => errno::WOULD_BLOCK,
            Error::TimedOut => errno::TIMED_OUT,
            Error::BufferTooSmall { .. } | Error::AnswerParked { .. } => errno::BUFFER_TOO_SMALL,
            Error::PeerClosed => errno::PEER_CLOSED,
            Error::NoSpace => errno::NO_SPACE,
            Error::NoMemory => errno::NO_MEMORY,
            Error::NotFound => errno::NOT_FOUND,
            Error::LoadFailed => errno::LOAD_FAILED,
            Error::Shutdown => errno::SHUTDOWN,
            Error::LimitReached => errno::LIMIT_REACHED,
            Error::IoFailed => errno::IO_FAILED,
            Error::AlreadyExists => errno::ALREADY_EXISTS,
            Error::Unknown(code) | Error::Protocol(code) => code,
        }
    }

    /// True for both `BUFFER_TOO_SMALL` variants.
    pub const fn is_buffer_too_small(self) -> bool {
        matches!(self, Error::BufferTooSmall { .. } | Error::AnswerParked { .. })
    }

    /// True when a timed or non-blocking wait ended without a message
    /// (`WOULD_BLOCK` or `TIMED_OUT`): nothing went wrong, nothing came.
    pub const fn is_timeout(self) -> bool {
        matches!(self, Error::WouldBlock | Error::TimedOut)
    }

    /// The buffer size to retry with, for a `BUFFER_TOO_SMALL` that says.
    pub const fn needed(self) -> Option<usize> {
        match self {
            Error::BufferTooSmall { needed } => needed,
            Error::AnswerParked { needed, .. } => Some(needed),
            _ => None,
        }
    }

    /// A short lowercase description, as the Swift host words it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::InvalidHandle => "invalid handle",
            Error::WrongType => "wrong object type",
            Error::NoRights => "missing right",
            Error::OutOfBounds => "out of bounds",
            Error::InvalidArgument => "invalid argument",
            Error::QueueFull => "queue full",
            Error::WouldBlock => "would block",
            Error::TimedOut => "timed out",
            Error::BufferTooSmall { .. } => "buffer too small",
            Error::AnswerParked { .. } => "buffer too small (answer parked)",
            Error::PeerClosed => "peer closed",
            Error::NoSpace => "capability space full",
            Error::NoMemory => "memory limit reached",
            Error::NotFound => "not found",
            Error::LoadFailed => "load failed",
            Error::Shutdown => "kernel shutting down",
            Error::LimitReached => "limit reached",
            Error::IoFailed => "the file system refused",
            Error::AlreadyExists => "already exists",
            Error::Unknown(_) => "unknown error",
            Error::Protocol(_) => "refused by the server",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        match *self {
            Error::BufferTooSmall { needed: Some(needed) } | Error::AnswerParked { needed, .. } => {
                write!(f, ", {} bytes needed", needed)
            }
            Error::Unknown(code) => write!(f, " {}", code),
            Error::Protocol(code) => write!(f, ": {} ({})", crate::protocol::error::name(code), code),
            _ => Ok(()),
        }
    }
}

/// Turns an `i32` host-call result into `Ok(value)` or the error it codes.
pub(crate) fn check32(code: i32) -> Result<u32> {
    if code < 0 {
        Err(Error::from_code(code))
    } else {
        Ok(code as u32)
    }
}

/// Turns an `i64` host-call result into `Ok(value)` or the error it codes.
pub(crate) fn check64(code: i64) -> Result<u64> {
    if code < 0 {
        // Every defined code fits in i32; anything else is unknown.
        Err(Error::from_code(i32::try_from(code).unwrap_or(i32::MIN)))
    } else {
        Ok(code as u64)
    }
}

/// A length for a host call: the ABI's lengths are `i32`, so a longer slice
/// is `InvalidArgument` (the host's answer for a negative length) before any
/// call is made.
pub(crate) fn len32(len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| Error::InvalidArgument)
}

/// An offset for a host call; as `len32`.
pub(crate) fn offset32(offset: u32) -> Result<i32> {
    i32::try_from(offset).map_err(|_| Error::InvalidArgument)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in -15..=-1 {
            let error = Error::from_code(code);
            assert_eq!(error.code(), code);
            assert!(!matches!(error, Error::Unknown(_)), "{}", code);
        }
        assert_eq!(Error::from_code(-99), Error::Unknown(-99));
        assert_eq!(Error::Unknown(-99).code(), -99);
        assert_eq!(Error::from_code(errno::BUFFER_TOO_SMALL), Error::BufferTooSmall { needed: None });
    }

    #[test]
    fn buffer_too_small_helpers() {
        let parked = Error::AnswerParked { reply: Cap(3), needed: 124 };
        assert!(parked.is_buffer_too_small());
        assert_eq!(parked.needed(), Some(124));
        assert_eq!(parked.code(), errno::BUFFER_TOO_SMALL);
        assert_eq!(Error::BufferTooSmall { needed: Some(30) }.needed(), Some(30));
        assert_eq!(Error::QueueFull.needed(), None);
        assert!(Error::TimedOut.is_timeout() && Error::WouldBlock.is_timeout());
        assert!(!Error::PeerClosed.is_timeout());
    }

    #[test]
    fn protocol_errors() {
        let error = Error::Protocol(crate::protocol::error::BAD_SIZE);
        assert_eq!(error.code(), 3);
        assert_eq!(error.needed(), None);
        let mut line = crate::log::LogLine::new();
        core::fmt::Write::write_fmt(&mut line, format_args!("{}", error)).unwrap();
        assert_eq!(line.as_str(), "refused by the server: BAD_SIZE (3)");
    }

    #[test]
    fn checks() {
        assert_eq!(check32(5), Ok(5));
        assert_eq!(check32(-6), Err(Error::QueueFull));
        assert_eq!(check64(1 << 40), Ok(1 << 40));
        assert_eq!(check64(-10), Err(Error::PeerClosed));
        assert_eq!(check64(-(1 << 40)), Err(Error::Unknown(i32::MIN)));
        assert_eq!(len32(usize::MAX), Err(Error::InvalidArgument));
        assert_eq!(offset32(u32::MAX), Err(Error::InvalidArgument));
        assert_eq!(offset32(7), Ok(7));
    }
}
