//! This actor and the ones it starts: `sys_spawn`, `sys_actor_kill`,
//! `sys_exit`, `sys_time_now`, `sys_yield`, `sys_engine`.

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

/// Which engine runs an actor. The same module may run on either, actor by
/// actor: its results are the same, its speed is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The host's interpreter: starts at once, runs slower.
    Interpreter,
    /// The module translated to native code.
    Compiled,
    /// A number this SDK does not know (a newer host's engine).
    Other(u32),
}

impl Engine {
    /// The number `sys_engine` answers for it (`abi::ENGINE_*`): what a
    /// protocol carries, such as the filter's DONE.
    pub fn code(self) -> u32 {
        match self {
            Engine::Interpreter => crate::abi::ENGINE_INTERPRETER,
            Engine::Compiled => crate::abi::ENGINE_COMPILED,
            Engine::Other(code) => code,
        }
    }

    /// The engine a `sys_engine` number names.
    pub fn from_code(code: u32) -> Engine {
        match code {
            crate::abi::ENGINE_INTERPRETER => Engine::Interpreter,
            crate::abi::ENGINE_COMPILED => Engine::Compiled,
            other => Engine::Other(other),
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Engine::Interpreter => f.write_str("interpreter"),
            Engine::Compiled => f.write_str("compiled"),
            Engine::Other(code) => write!(f, "engine {}", code),
        }
    }
}

/// Which engine runs this actor (`sys_engine`).
pub fn engine() -> Engine {
    Engine::from_code(unsafe { sys::sys_engine() } as u32)
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
