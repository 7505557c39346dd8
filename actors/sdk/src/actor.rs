//! This actor and the ones it starts: `sys_spawn`, `sys_actor_kill`,
//! `sys_exit`, `sys_time_now`, `sys_yield`.

use core::fmt;

use crate::abi::sys;
use crate::caps::Cap;
use crate::error::{check32, check64, Error, Result};

/// An actor's id, unique for the life of the kernel. A receive reports the
/// sender's; it is a name, not a capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorId(pub u32);

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "actor {}", self.0)
    }
}

/// The longest module name `spawn` accepts, in bytes.
pub const MAX_MODULE_NAME: usize = 64;

/// Starts module `name` (letters, digits, `_`, `-`) from the spawner's
/// directory. The new actor holds its boot endpoint as handle 1 and, if
/// `grant` is given, a cap derived from it as handle 2. Returns an actor cap
/// (SEND, KILL, GRANT): sending on it reaches the new actor's handle 1.
///
/// Needs SPAWN on `spawner`, GRANT on `grant`. Errors: `InvalidHandle`,
/// `WrongType`, `NoRights`, `InvalidArgument` (bad name), `NotFound`,
/// `LoadFailed`, `NoSpace`, `NoMemory`, `LimitReached` (too many live
/// children or actors, or no thread for it).
pub fn spawn(spawner: Cap, name: &str, grant: Option<Cap>) -> Result<Cap> {
    if name.len() > MAX_MODULE_NAME {
        return Err(Error::InvalidArgument);
    }
    let result =
        unsafe { sys::sys_spawn(spawner.0, name.as_ptr() as i32, name.len() as i32, Cap::raw_or_null(grant)) };
    check64(result).map(|raw| Cap(raw as i64))
}

/// Ends the actor `actor` names (an actor cap from [`spawn`]); its caps are
/// released.
///
/// Needs KILL. Errors: `InvalidHandle`, `WrongType`, `NoRights`.
pub fn kill(actor: Cap) -> Result<()> {
    check32(unsafe { sys::sys_actor_kill(actor.0) }).map(|_| ())
}

/// Ends this actor with `code` (0 = success). The kernel releases its caps.
pub fn exit(code: i32) -> ! {
    unsafe { sys::sys_exit(code) }
}

/// Monotonic time in nanoseconds, from an arbitrary start.
pub fn now() -> u64 {
    unsafe { sys::sys_time_now() as u64 }
}

/// Gives up the CPU to other threads for a moment.
pub fn yield_now() {
    unsafe { sys::sys_yield() }
}

/// Traps at once (Wasm's `unreachable`): the actor ends as on any fault,
/// without the panic path's log line. For testing how others survive a
/// faulting actor.
pub fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::unreachable()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        panic!("trap")
    }
}
