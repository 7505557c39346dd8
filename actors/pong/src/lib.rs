//! The answering half of the ping-pong pair: the smallest server.
//!
//! Boot: handle 1 is an endpoint it receives on. Each PING (opcode 1) carrying
//! a little-endian `u32` is answered on the message's reply cap with PONG
//! (opcode 2) carrying that number plus one. STOP (opcode 3) ends it. It logs
//! nothing per message, so a round trip measures only the IPC path.
#![no_std]

use wsk::abi::MAX_PAYLOAD;
use wsk::{Cap, Error};

wsk::actor_main!(main);

/// The endpoint granted at spawn.
const REQUESTS: Cap = Cap(1);

const PING: u32 = 1;
const PONG: u32 = 2;
const STOP: u32 = 3;

fn main() {
    // Header (24 bytes) and room for a small payload; larger messages go to `drain`.
    let mut buf = [0u8; 64];
    loop {
        let msg = match wsk::recv(REQUESTS, &mut buf) {
            Ok(msg) => msg,
            Err(Error::BufferTooSmall { .. }) => {
                drain();
                continue;
            }
            Err(error) => {
                wsk::logf!("pong: receive failed: {}", error);
                wsk::exit(1)
            }
        };
        match (msg.opcode(), msg.payload_u32(), msg.reply()) {
            (PING, Some(n), Some(reply)) => {
                // A caller that stopped waiting refuses the answer: its loss.
                let _ = wsk::reply(reply, PONG, &n.wrapping_add(1).to_le_bytes(), None);
            }
            (STOP, _, _) => {
                wsk::log("pong stopping");
                return;
            }
            // Not a request we answer: let go of what it brought, so a caller
            // learns at once (PeerClosed) that no answer is coming.
            _ => forget(msg.cap(), msg.reply()),
        }
    }
}

/// Takes a message too large for the usual buffer off the queue and drops it.
#[cold]
fn drain() {
    let mut big = [0u8; 24 + MAX_PAYLOAD];
    if let Ok(msg) = wsk::try_recv(REQUESTS, &mut big) {
        forget(msg.cap(), msg.reply());
    }
}

fn forget(cap: Option<Cap>, reply: Option<Cap>) {
    for cap in [cap, reply].iter().flatten() {
        let _ = wsk::release(*cap);
    }
}
