//! The smallest std Rust program as a wskdesk actor: WASI preview 1
//! (docs/ABI.md "WASI preview 1"). Its arguments and environment come from
//! its manifest entry (`args`, `env`), what it prints goes to the actor's
//! log line by line, and its exit code is how the actor ends.
//!
//! Run it with `wskdesk --manifest` and an entry such as
//!
//! ```toml
//! [[actor]]
//! name = "hello_std"
//! grants = ["folder:/home/ann/Pictures"]
//! args = ["/home/ann/Pictures/photo.png"]
//! env = { GREETING = "hi" }
//! ```

use std::io::Read;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("hello from std Rust: {} arguments", args.len());
    for (i, arg) in args.iter().enumerate() {
        println!("argument {}: {}", i, arg);
    }
    for (name, value) in std::env::vars() {
        println!("{}={}", name, value);
    }

    let since = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    println!("seconds since 1970: {}", since);
    // std's sleep is WASI's poll_oneoff on the monotonic clock.
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(10));
    println!("slept at least 10 ms: {}", start.elapsed() >= Duration::from_millis(10));

    // stdin is empty; there is no file system but the files granted.
    let mut input = Vec::new();
    println!("stdin: {} bytes", std::io::stdin().read_to_end(&mut input).unwrap_or(0));
    println!("no file system: {}", std::fs::read("/etc/passwd").is_err());
    // The files it is given, by path beneath a folder its manifest grants
    // (`grants = ["folder:/home/ann/Pictures"]`, a WASI preopen): those it
    // reads; a path out of the folder it cannot.
    for path in args.iter().skip(1) {
        match std::fs::read(path) {
            Ok(bytes) => println!("read {}: {} bytes", path, bytes.len()),
            Err(error) => println!("cannot read {}: {:?}", path, error.kind()),
        }
    }

    eprintln!("exiting with 3");
    std::process::exit(3);
}
