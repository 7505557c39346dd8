//! Capabilities: handles, rights, and the calls that manage them
//! (`sys_cap_release`, `sys_cap_derive`, `sys_cap_revoke`, `sys_cap_info`).

use core::fmt;
use core::ops::{BitAnd, BitOr, BitOrAssign};

use crate::abi::{kind, rights, sys};
use crate::error::{check32, check64, Result};

/// A capability handle in this actor's own capability space
/// (`generation << 32 | slot`, see `docs/ABI.md`).
///
/// A handle is only a number: copying it copies no authority, and the kernel
/// refuses a null, stale or forged one with `InvalidHandle`. The caps granted
/// at spawn are `Cap(1)`, `Cap(2)`, ... in grant order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cap(pub i64);

impl Cap {
    /// The null cap: "no cap" wherever a host call takes an optional one.
    pub const NULL: Cap = Cap(0);

    /// The handle as the ABI passes it.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// True for [`Cap::NULL`].
    pub const fn is_null(self) -> bool {
        self.0 == 0
    }

    /// `Some(cap)` unless the handle is null.
    pub const fn non_null(raw: i64) -> Option<Cap> {
        if raw == 0 {
            None
        } else {
            Some(Cap(raw))
        }
    }

    /// The raw handle of an optional cap (0 = none).
    pub(crate) fn raw_or_null(cap: Option<Cap>) -> i64 {
        match cap {
            Some(cap) => cap.0,
            None => 0,
        }
    }
}

impl fmt::Debug for Cap {
    /// `#slot`, or `#slot g generation` for a reused slot, as the host prints handles.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = self.0 as u32;
        let generation = (self.0 >> 32) as u32;
        if generation == 0 {
            write!(f, "#{}", slot)
        } else {
            write!(f, "#{}g{}", slot, generation)
        }
    }
}

/// Rights on a capability: a set of bits from `abi::rights`.
/// Combine them with `|`: `Rights::READ | Rights::GRANT`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rights(u32);

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// Copy bytes out of a buffer or framebuffer; query its size.
    pub const READ: Rights = Rights(rights::READ);
    /// Copy bytes into a buffer or framebuffer.
    pub const WRITE: Rights = Rights(rights::WRITE);
    /// Send on an endpoint, reply cap or actor cap.
    pub const SEND: Rights = Rights(rights::SEND);
    /// Receive from an endpoint (or a parked reply).
    pub const RECEIVE: Rights = Rights(rights::RECEIVE);
    /// Pass the cap to another actor in a message, or derive from it.
    pub const GRANT: Rights = Rights(rights::GRANT);
    /// Start modules through a spawner cap.
    pub const SPAWN: Rights = Rights(rights::SPAWN);
    /// End the actor an actor cap names.
    pub const KILL: Rights = Rights(rights::KILL);
    /// Set a file's size, or empty it as it is opened.
    pub const RESIZE: Rights = Rights(rights::RESIZE);
    /// List a directory.
    pub const LIST: Rights = Rights(rights::LIST);
    /// Open what a directory holds, by name.
    pub const OPEN: Rights = Rights(rights::OPEN);
    /// Create files in a directory.
    pub const CREATE: Rights = Rights(rights::CREATE);
    /// Every right the ABI defines.
    pub const ALL: Rights = Rights(rights::ALL);

    /// The bits as the ABI passes them.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The rights for `bits`, or `None` if a bit is not a defined right.
    pub const fn from_bits(bits: u32) -> Option<Rights> {
        if bits & !rights::ALL == 0 {
            Some(Rights(bits))
        } else {
            None
        }
    }

    /// The rights for `bits`, dropping undefined bits.
    pub const fn from_bits_truncate(bits: u32) -> Rights {
        Rights(bits & rights::ALL)
    }

    /// Both sets together (`self | other`, usable in `const`).
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// True if every right in `other` is also in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// True for no rights.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Rights {
    type Output = Rights;
    fn bitor(self, other: Rights) -> Rights {
        self.union(other)
    }
}

impl BitOrAssign for Rights {
    fn bitor_assign(&mut self, other: Rights) {
        self.0 |= other.0;
    }
}

impl BitAnd for Rights {
    type Output = Rights;
    fn bitand(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }
}

impl fmt::Debug for Rights {
    /// `read|grant`, `none`, as the host prints rights.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Rights, &str); 11] = [
            (Rights::READ, "read"),
            (Rights::WRITE, "write"),
            (Rights::SEND, "send"),
            (Rights::RECEIVE, "receive"),
            (Rights::GRANT, "grant"),
            (Rights::SPAWN, "spawn"),
            (Rights::KILL, "kill"),
            (Rights::RESIZE, "resize"),
            (Rights::LIST, "list"),
            (Rights::OPEN, "open"),
            (Rights::CREATE, "create"),
        ];
        let mut first = true;
        for (right, name) in NAMES.iter() {
            if self.contains(*right) {
                f.write_str(if first { "" } else { "|" })?;
                f.write_str(name)?;
                first = false;
            }
        }
        let unknown = self.0 & !rights::ALL;
        if unknown != 0 {
            write!(f, "{}{:#x}", if first { "" } else { "|" }, unknown)?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// The kind of object behind a cap, as `sys_cap_info` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A bounded message queue.
    Endpoint,
    /// A fixed-size shared byte buffer.
    Buffer,
    /// The screen.
    Framebuffer,
    /// A one-shot answer slot of a call.
    Reply,
    /// Starts modules from one directory.
    Spawner,
    /// A running actor started by `sys_spawn`.
    Actor,
    /// A regular file someone granted.
    File,
    /// A directory someone granted.
    Directory,
    /// A kind this SDK does not know (a newer host).
    Unknown(u32),
}

impl Kind {
    /// The kind for a value of `abi::kind`.
    pub const fn from_code(code: u32) -> Kind {
        match code {
            kind::ENDPOINT => Kind::Endpoint,
            kind::BUFFER => Kind::Buffer,
            kind::FRAMEBUFFER => Kind::Framebuffer,
            kind::REPLY => Kind::Reply,
            kind::SPAWNER => Kind::Spawner,
            kind::ACTOR => Kind::Actor,
            kind::FILE => Kind::File,
            kind::DIRECTORY => Kind::Directory,
            other => Kind::Unknown(other),
        }
    }

    /// The value of `abi::kind` for this kind.
    pub const fn code(self) -> u32 {
        match self {
            Kind::Endpoint => kind::ENDPOINT,
            Kind::Buffer => kind::BUFFER,
            Kind::Framebuffer => kind::FRAMEBUFFER,
            Kind::Reply => kind::REPLY,
            Kind::Spawner => kind::SPAWNER,
            Kind::Actor => kind::ACTOR,
            Kind::File => kind::FILE,
            Kind::Directory => kind::DIRECTORY,
            Kind::Unknown(code) => code,
        }
    }
}

/// What `sys_cap_info` says about a cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CapInfo {
    /// The kind of object.
    pub kind: Kind,
    /// The rights this cap carries.
    pub rights: Rights,
    /// Buffer and file: bytes. Framebuffer: `width << 32 | height`. Endpoint:
    /// queue capacity. Actor: its id. Otherwise 0.
    pub size: u64,
}

impl CapInfo {
    /// Decodes the 16 bytes `sys_cap_info` writes: kind u32, rights u32, size u64 (LE).
    pub(crate) fn decode(bytes: &[u8; 16]) -> CapInfo {
        let mut kind = [0u8; 4];
        let mut rights = [0u8; 4];
        let mut size = [0u8; 8];
        kind.copy_from_slice(&bytes[0..4]);
        rights.copy_from_slice(&bytes[4..8]);
        size.copy_from_slice(&bytes[8..16]);
        CapInfo {
            kind: Kind::from_code(u32::from_le_bytes(kind)),
            rights: Rights(u32::from_le_bytes(rights)),
            size: u64::from_le_bytes(size),
        }
    }
}

/// Removes `cap` from this actor's space, and everything derived from it in
/// every actor. An object whose last cap goes is destroyed.
///
/// Errors: `InvalidHandle`.
pub fn release(cap: Cap) -> Result<()> {
    check32(unsafe { sys::sys_cap_release(cap.0) }).map(|_| ())
}

/// A new cap to the same object as `cap` with `rights` (a subset of `cap`'s),
/// derived from it: releasing or revoking `cap` removes the new one too.
///
/// Needs GRANT on `cap`. Errors: `InvalidHandle`, `NoRights` (no GRANT, or
/// more rights than `cap`), `InvalidArgument` (undefined bits), `NoSpace`.
pub fn derive(cap: Cap, rights: Rights) -> Result<Cap> {
    check64(unsafe { sys::sys_cap_derive(cap.0, rights.0 as i32) }).map(|raw| Cap(raw as i64))
}

/// Removes everything derived from `cap`, in every actor; `cap` itself stays.
///
/// Errors: `InvalidHandle`.
pub fn revoke(cap: Cap) -> Result<()> {
    check32(unsafe { sys::sys_cap_revoke(cap.0) }).map(|_| ())
}

/// The kind, rights and size of the object behind `cap`.
///
/// Errors: `InvalidHandle`.
pub fn info(cap: Cap) -> Result<CapInfo> {
    let mut bytes = [0u8; 16];
    check32(unsafe { sys::sys_cap_info(cap.0, bytes.as_mut_ptr() as i32) })?;
    Ok(CapInfo::decode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_combine() {
        let r = Rights::READ | Rights::GRANT;
        assert_eq!(r.bits(), 0x11);
        assert!(r.contains(Rights::READ) && !r.contains(Rights::WRITE));
        assert_eq!(r & Rights::GRANT, Rights::GRANT);
        let mut all = Rights::NONE;
        for right in [
            Rights::READ,
            Rights::WRITE,
            Rights::SEND,
            Rights::RECEIVE,
            Rights::GRANT,
            Rights::SPAWN,
            Rights::KILL,
            Rights::RESIZE,
            Rights::LIST,
            Rights::OPEN,
            Rights::CREATE,
        ] {
            all |= right;
        }
        assert_eq!(all, Rights::ALL);
        assert_eq!(Rights::from_bits(0x800), None);
        assert_eq!(Rights::from_bits_truncate(0x804), Rights::SEND);
    }

    #[test]
    fn kinds_round_trip() {
        for code in 1..=8 {
            assert_eq!(Kind::from_code(code).code(), code);
            assert!(!matches!(Kind::from_code(code), Kind::Unknown(_)));
        }
        assert_eq!(Kind::from_code(9), Kind::Unknown(9));
    }

    #[test]
    fn info_decodes() {
        let mut bytes = [0u8; 16];
        bytes[0] = 3;
        bytes[4] = 0x13;
        bytes[8..16].copy_from_slice(&(640u64 << 32 | 480).to_le_bytes());
        let info = CapInfo::decode(&bytes);
        assert_eq!(info.kind, Kind::Framebuffer);
        assert_eq!(info.rights, Rights::READ | Rights::WRITE | Rights::GRANT);
        assert_eq!(info.size, 640 << 32 | 480);
    }

    #[test]
    fn cap_basics() {
        assert!(Cap::NULL.is_null());
        assert_eq!(Cap::non_null(0), None);
        assert_eq!(Cap::non_null(4), Some(Cap(4)));
        assert_eq!(Cap::raw_or_null(None), 0);
    }
}
