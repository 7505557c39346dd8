//! The calling half of the ping-pong pair: 1000 synchronous round trips
//! through `sys_cap_call`, each answer checked.
//!
//! Boot: handle 1 is a cap (SEND) to pong's endpoint. Call i carries `i`
//! (u32, little-endian) as PING (opcode 1) and must come back as PONG
//! (opcode 2) carrying `i + 1`; a wrong or failed answer is logged and ends
//! this actor with code 1. Then it tells pong to STOP (opcode 3).
#![no_std]

use wsk::{Cap, Timeout};

wsk::actor_main!(main);

/// pong's endpoint, granted at spawn.
const PONG_ENDPOINT: Cap = Cap(1);

const PING: u32 = 1;
const PONG: u32 = 2;
const STOP: u32 = 3;

/// Round trips to make.
const ROUND_TRIPS: u32 = 1000;

fn main() {
    let mut buf = [0u8; 64];
    for i in 0..ROUND_TRIPS {
        let answer = match wsk::call(PONG_ENDPOINT, PING, &i.to_le_bytes(), None, &mut buf, Timeout::Forever) {
            Ok(answer) => answer,
            Err(error) => {
                wsk::logf!("ping: call {} failed: {}", i, error);
                wsk::exit(1)
            }
        };
        let expected = i + 1;
        if answer.opcode() != PONG || answer.payload() != expected.to_le_bytes() {
            wsk::logf!(
                "ping: call {} answered opcode {} payload {:?}, expected opcode {} payload {}",
                i,
                answer.opcode(),
                answer.payload(),
                PONG,
                expected
            );
            wsk::exit(1);
        }
    }
    if let Err(error) = wsk::send(PONG_ENDPOINT, STOP, &[], None) {
        wsk::logf!("ping: stop failed: {}", error);
        wsk::exit(1);
    }
    wsk::logf!("ping: {} round trips ok", ROUND_TRIPS);
}
