//! Messages: send, receive, call and reply on endpoint, actor and reply caps
//! (`sys_cap_send`, `sys_cap_recv`, `sys_cap_recv_timeout`, `sys_cap_call`,
//! `sys_endpoint_create`).
//!
//! A message is received into a buffer the caller owns: a 24-byte header
//! (`abi::MESSAGE_HEADER_SIZE`) and then the payload, so a buffer of
//! `24 + n` bytes receives payloads of up to `n` bytes. [`Message`] borrows
//! that buffer.

use crate::abi::{errno, sys, HEADER_CAP_OFFSET, HEADER_OPCODE_OFFSET, HEADER_PAYLOAD_LENGTH_OFFSET};
use crate::abi::{HEADER_REPLY_OFFSET, MAX_PAYLOAD, MESSAGE_HEADER_SIZE};
use crate::actor::ActorId;
use crate::caps::Cap;
use crate::error::{check32, check64, len32, Error, Result};
use crate::wire::Reader;

/// How long a receive or call may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timeout {
    /// Wait until a message comes (or the peer is gone).
    Forever,
    /// Do not wait: `WouldBlock` if nothing is there.
    Poll,
    /// Wait at most this many nanoseconds, then `TimedOut`.
    /// `Nanos(0)` is the same as `Poll`.
    Nanos(u64),
}

impl Timeout {
    /// A timeout of `ms` milliseconds.
    pub const fn millis(ms: u64) -> Timeout {
        Timeout::Nanos(ms.saturating_mul(1_000_000))
    }

    /// The ABI's encoding: negative waits forever, 0 polls, positive is nanoseconds.
    pub const fn as_abi(self) -> i64 {
        match self {
            Timeout::Forever => -1,
            Timeout::Poll => 0,
            Timeout::Nanos(ns) => {
                if ns > i64::MAX as u64 {
                    i64::MAX
                } else {
                    ns as i64
                }
            }
        }
    }
}

/// A received message; it borrows the buffer it was received into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    sender: ActorId,
    opcode: u32,
    cap: Option<Cap>,
    reply: Option<Cap>,
    payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// The actor that sent the message (for a call: the one that answered).
    pub fn sender(&self) -> ActorId {
        self.sender
    }

    /// The message's opcode.
    pub fn opcode(&self) -> u32 {
        self.opcode
    }

    /// The payload bytes (inside the receive buffer, after the header).
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The cap passed with the message, now in this actor's space. It is
    /// this actor's to keep or [`release`](crate::release).
    pub fn cap(&self) -> Option<Cap> {
        self.cap
    }

    /// The reply cap, when the sender used [`call`] and waits for an answer.
    /// Answer with [`reply`] (which consumes it), or release it to tell the
    /// caller no answer is coming (`PeerClosed`).
    pub fn reply(&self) -> Option<Cap> {
        self.reply
    }

    /// The first 4 payload bytes as a little-endian `u32`, if there are 4.
    pub fn payload_u32(&self) -> Option<u32> {
        Reader::new(self.payload).u32()
    }

    /// Decodes the message the host wrote into `buf` for a successful receive.
    /// The payload length is read once and clamped to what `buf` holds.
    fn decode(sender: ActorId, buf: &'a [u8]) -> Message<'a> {
        let length = read_u32(buf, HEADER_PAYLOAD_LENGTH_OFFSET) as usize;
        let start = MESSAGE_HEADER_SIZE.min(buf.len());
        let end = start + length.min(buf.len() - start);
        Message {
            sender,
            opcode: read_u32(buf, HEADER_OPCODE_OFFSET),
            cap: Cap::non_null(read_i64(buf, HEADER_CAP_OFFSET)),
            reply: Cap::non_null(read_i64(buf, HEADER_REPLY_OFFSET)),
            payload: &buf[start..end],
        }
    }
}

/// A little-endian `u32` at `offset`, or 0 if `buf` is too short.
fn read_u32(buf: &[u8], offset: usize) -> u32 {
    match buf.get(offset..offset + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

/// A little-endian `i64` at `offset`, or 0 if `buf` is too short.
fn read_i64(buf: &[u8], offset: usize) -> i64 {
    match buf.get(offset..offset + 8) {
        Some(b) => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        None => 0,
    }
}

/// The length of a receive buffer for the host: buffers past `i32::MAX`
/// bytes are offered as `i32::MAX` bytes.
fn buf_len(buf: &[u8]) -> i32 {
    len32(buf.len()).unwrap_or(i32::MAX)
}

/// The length of a payload, checked against `MAX_PAYLOAD`.
fn payload_len(payload: &[u8]) -> Result<i32> {
    if payload.len() > MAX_PAYLOAD {
        return Err(Error::InvalidArgument);
    }
    len32(payload.len())
}

/// The size `BUFFER_TOO_SMALL` asks for: header + the payload length the host
/// wrote at offset 4, which it does when the buffer has 8 bytes.
fn needed_size(buf: &[u8]) -> Option<usize> {
    if buf.len() >= 8 {
        Some(MESSAGE_HEADER_SIZE + read_u32(buf, HEADER_PAYLOAD_LENGTH_OFFSET) as usize)
    } else {
        None
    }
}

/// Turns a receive's result into the message in `buf` or the error.
fn received(result: i64, buf: &[u8]) -> Result<Message<'_>> {
    if result == errno::BUFFER_TOO_SMALL as i64 {
        return Err(Error::BufferTooSmall { needed: needed_size(buf) });
    }
    let sender = check64(result)?;
    Ok(Message::decode(ActorId(sender as u32), buf))
}

/// Sends a message on an endpoint, actor or reply cap, passing `transfer`
/// along (the receiver gets a cap derived from it; this actor keeps its own).
/// Never blocks.
///
/// Needs SEND on `cap`, GRANT on `transfer`. Errors: `InvalidHandle`,
/// `WrongType`, `NoRights`, `InvalidArgument` (payload over `MAX_PAYLOAD`),
/// `QueueFull` (nothing sent; try again later), `PeerClosed`.
pub fn send(cap: Cap, opcode: u32, payload: &[u8], transfer: Option<Cap>) -> Result<()> {
    let len = payload_len(payload)?;
    let result = unsafe {
        sys::sys_cap_send(cap.0, opcode as i32, payload.as_ptr() as i32, len, Cap::raw_or_null(transfer))
    };
    check32(result).map(|_| ())
}

/// Answers a call: sends on the reply cap of a received message
/// ([`Message::reply`]). The reply cap is used up by the answer.
///
/// Errors: as [`send`]; `PeerClosed` when the caller stopped waiting.
pub fn reply(reply_cap: Cap, opcode: u32, payload: &[u8], transfer: Option<Cap>) -> Result<()> {
    send(reply_cap, opcode, payload, transfer)
}

/// Waits for a message on an endpoint (or a parked answer, see
/// [`Error::AnswerParked`]) and receives it into `buf`.
///
/// Needs RECEIVE. Errors: `BufferTooSmall { needed }` (the message stays
/// queued: receive again with a `needed`-byte buffer), `NoSpace` (no room for
/// the message's caps; it stays queued), `PeerClosed`, `InvalidHandle`,
/// `WrongType`, `NoRights`, `Shutdown`.
pub fn recv(cap: Cap, buf: &mut [u8]) -> Result<Message<'_>> {
    let result = unsafe { sys::sys_cap_recv(cap.0, buf.as_mut_ptr() as i32, buf_len(buf)) };
    received(result, buf)
}

/// As [`recv`], waiting at most `timeout`: `WouldBlock` when a poll finds
/// nothing, `TimedOut` when the deadline passes.
pub fn recv_timeout(cap: Cap, buf: &mut [u8], timeout: Timeout) -> Result<Message<'_>> {
    if timeout == Timeout::Forever {
        return recv(cap, buf);
    }
    let result = unsafe { sys::sys_cap_recv_timeout(cap.0, buf.as_mut_ptr() as i32, buf_len(buf), timeout.as_abi()) };
    received(result, buf)
}

/// As [`recv`] without waiting: `WouldBlock` when no message is queued.
pub fn try_recv(cap: Cap, buf: &mut [u8]) -> Result<Message<'_>> {
    recv_timeout(cap, buf, Timeout::Poll)
}

/// Sends a request with a fresh reply cap on an endpoint or actor cap and
/// waits up to `timeout` for the answer, which is received into `buf`
/// (at least 24 bytes).
///
/// Needs SEND on `cap`, GRANT on `transfer`. Errors: as [`send`] and
/// [`recv`]; `InvalidArgument` when `buf` is shorter than 24 bytes;
/// `TimedOut`/`WouldBlock` (a later answer is refused); `PeerClosed` (the
/// callee dropped the reply cap or died); and [`Error::AnswerParked`] when the
/// answer did not fit `buf`.
pub fn call<'a>(
    cap: Cap,
    opcode: u32,
    payload: &[u8],
    transfer: Option<Cap>,
    buf: &'a mut [u8],
    timeout: Timeout,
) -> Result<Message<'a>> {
    let len = payload_len(payload)?;
    if buf.len() < MESSAGE_HEADER_SIZE {
        return Err(Error::InvalidArgument);
    }
    // A parked answer is only recognised by the reply handle the host writes.
    buf[..MESSAGE_HEADER_SIZE].fill(0);
    let result = unsafe {
        sys::sys_cap_call(
            cap.0,
            opcode as i32,
            payload.as_ptr() as i32,
            len,
            Cap::raw_or_null(transfer),
            buf.as_mut_ptr() as i32,
            buf_len(buf),
            timeout.as_abi(),
        )
    };
    if result == errno::BUFFER_TOO_SMALL as i64 {
        let needed = needed_size(buf).unwrap_or(MESSAGE_HEADER_SIZE);
        return match Cap::non_null(read_i64(buf, HEADER_REPLY_OFFSET)) {
            Some(reply) => Err(Error::AnswerParked { reply, needed }),
            None => Err(Error::BufferTooSmall { needed: Some(needed) }),
        };
    }
    received(result, buf)
}

/// Creates an endpoint queueing at most `capacity` messages (0: the
/// default, 64; at most 1024). The cap has SEND, RECEIVE and GRANT.
///
/// Errors: `InvalidArgument` (capacity out of range), `NoMemory`, `NoSpace`.
pub fn endpoint_create(capacity: u32) -> Result<Cap> {
    let capacity = i32::try_from(capacity).map_err(|_| Error::InvalidArgument)?;
    check64(unsafe { sys::sys_endpoint_create(capacity) }).map(|raw| Cap(raw as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(opcode: u32, length: u32, cap: i64, reply: i64) -> [u8; 24] {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&opcode.to_le_bytes());
        h[4..8].copy_from_slice(&length.to_le_bytes());
        h[8..16].copy_from_slice(&cap.to_le_bytes());
        h[16..24].copy_from_slice(&reply.to_le_bytes());
        h
    }

    #[test]
    fn decodes_a_message() {
        let mut buf = [0xAAu8; 40];
        buf[..24].copy_from_slice(&header(7, 4, 3, 1 << 32 | 5));
        buf[24..28].copy_from_slice(&41u32.to_le_bytes());
        let msg = Message::decode(ActorId(2), &buf);
        assert_eq!(msg.sender(), ActorId(2));
        assert_eq!(msg.opcode(), 7);
        assert_eq!(msg.payload(), &41u32.to_le_bytes());
        assert_eq!(msg.payload_u32(), Some(41));
        assert_eq!(msg.cap(), Some(Cap(3)));
        assert_eq!(msg.reply(), Some(Cap(1 << 32 | 5)));
    }

    #[test]
    fn clamps_a_lying_length() {
        let mut buf = [0u8; 30];
        buf[..24].copy_from_slice(&header(1, 1000, 0, 0));
        let msg = Message::decode(ActorId(1), &buf);
        assert_eq!(msg.payload().len(), 6);
        assert_eq!(msg.cap(), None);
        assert_eq!(msg.reply(), None);
        assert_eq!(msg.payload_u32(), Some(0));
        let short = [0u8; 3];
        assert_eq!(Message::decode(ActorId(1), &short).payload().len(), 0);
    }

    #[test]
    fn reports_the_size_needed() {
        let buf = header(9, 100, 0, 0);
        assert_eq!(received(errno::BUFFER_TOO_SMALL as i64, &buf), Err(Error::BufferTooSmall { needed: Some(124) }));
        assert_eq!(received(errno::BUFFER_TOO_SMALL as i64, &buf[..7]), Err(Error::BufferTooSmall { needed: None }));
        assert_eq!(received(errno::PEER_CLOSED as i64, &buf), Err(Error::PeerClosed));
    }

    #[test]
    fn encodes_timeouts() {
        assert_eq!(Timeout::Forever.as_abi(), -1);
        assert_eq!(Timeout::Poll.as_abi(), 0);
        assert_eq!(Timeout::Nanos(5).as_abi(), 5);
        assert_eq!(Timeout::Nanos(u64::MAX).as_abi(), i64::MAX);
        assert_eq!(Timeout::millis(3), Timeout::Nanos(3_000_000));
        assert_eq!(Timeout::millis(u64::MAX).as_abi(), i64::MAX);
    }

    #[test]
    fn refuses_oversized_payloads() {
        static BIG: [u8; MAX_PAYLOAD + 1] = [0; MAX_PAYLOAD + 1];
        assert_eq!(payload_len(&BIG), Err(Error::InvalidArgument));
        assert_eq!(payload_len(&BIG[..MAX_PAYLOAD]), Ok(MAX_PAYLOAD as i32));
    }
}
