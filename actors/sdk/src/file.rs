//! Files and directories someone granted this actor: the user through the
//! file chooser or the command line, or the manifest. An actor never names a
//! path; it holds a [`File`] or a [`Directory`] and opens names inside a
//! directory one at a time. `sys_cap_mem_read`/`sys_cap_mem_write` on a file
//! cap, `sys_file_resize`, `sys_dir_open`, `sys_dir_list` (docs/ABI.md).

use crate::abi::{open_flags, sys, DIRECTORY_ENTRY_HEADER_SIZE};
use crate::caps::{info, Cap, Kind, Rights};
use crate::error::{check32, check64, len32, Error, Result};

/// The largest file size the ABI reaches (offsets are `i32`).
pub const MAX_FILE_SIZE: u64 = i32::MAX as u64;

/// A regular file: bytes at offsets. A thin typed handle, like
/// [`Buffer`](crate::Buffer): copying it copies no authority and nothing is
/// released when it goes out of scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct File(Cap);

impl File {
    /// Treats `cap` as a file cap (the host checks on every use).
    pub const fn from_cap(cap: Cap) -> File {
        File(cap)
    }

    /// The file's cap, to pass in a message, derive from or release.
    pub const fn cap(self) -> Cap {
        self.0
    }

    /// The file's size in bytes now. Errors: `InvalidHandle`, `WrongType`.
    pub fn size(self) -> Result<u64> {
        let info = info(self.0)?;
        if info.kind != Kind::File {
            return Err(Error::WrongType);
        }
        Ok(info.size)
    }

    /// The rights this cap carries (READ, WRITE, RESIZE, GRANT).
    pub fn rights(self) -> Result<Rights> {
        Ok(info(self.0)?.rights)
    }

    /// Reads bytes from `offset` into `out`; returns how many: fewer at the
    /// end of the file, 0 past it.
    ///
    /// Needs READ. Errors: `InvalidHandle`, `WrongType`, `NoRights`,
    /// `InvalidArgument`, `OutOfBounds` (past 2 GiB), `IoFailed`.
    pub fn read_at(self, offset: u64, out: &mut [u8]) -> Result<usize> {
        let offset = i32::try_from(offset).map_err(|_| Error::OutOfBounds)?;
        let len = len32(out.len())?;
        check32(unsafe { sys::sys_cap_mem_read(self.0 .0, offset, out.as_mut_ptr() as i32, len) }).map(|n| n as usize)
    }

    /// Writes all of `data` at `offset`; the file grows to reach its end.
    ///
    /// Needs WRITE. Errors: as [`File::read_at`].
    pub fn write_at(self, offset: u64, data: &[u8]) -> Result<()> {
        let offset = i32::try_from(offset).map_err(|_| Error::OutOfBounds)?;
        let len = len32(data.len())?;
        check32(unsafe { sys::sys_cap_mem_write(self.0 .0, offset, data.as_ptr() as i32, len) }).map(|_| ())
    }

    /// Sets the size: cuts the file, or grows it with zeros.
    ///
    /// Needs RESIZE. Errors: `InvalidHandle`, `WrongType`, `NoRights`,
    /// `OutOfBounds` (over [`MAX_FILE_SIZE`]), `IoFailed`.
    pub fn resize(self, size: u64) -> Result<()> {
        let size = i64::try_from(size).map_err(|_| Error::OutOfBounds)?;
        check32(unsafe { sys::sys_file_resize(self.0 .0, size) }).map(|_| ())
    }

    /// The whole file, if it has at most `limit` bytes; `OutOfBounds` if it
    /// is larger (say so to the user: the size is [`File::size`]).
    #[cfg(feature = "alloc")]
    pub fn read_all(self, limit: usize) -> Result<alloc::vec::Vec<u8>> {
        let size = self.size()?;
        if size > limit as u64 {
            return Err(Error::OutOfBounds);
        }
        let mut bytes = alloc::vec![0u8; size as usize];
        let mut done = 0;
        while done < bytes.len() {
            let n = self.read_at(done as u64, &mut bytes[done..])?;
            if n == 0 {
                break; // it shrank meanwhile
            }
            done += n;
        }
        bytes.truncate(done);
        Ok(bytes)
    }

    /// Makes the file hold exactly `data`: written from the start, then cut
    /// to its length. Needs WRITE and RESIZE.
    pub fn replace_contents(self, data: &[u8]) -> Result<()> {
        const CHUNK: usize = 1 << 20;
        let mut offset = 0;
        for chunk in data.chunks(CHUNK) {
            self.write_at(offset as u64, chunk)?;
            offset += chunk.len();
        }
        self.resize(data.len() as u64)
    }
}

/// How [`Directory::open`] opens a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct OpenFlags(u32);

impl OpenFlags {
    /// Open what exists.
    pub const NONE: OpenFlags = OpenFlags(0);
    /// Create the file if it does not exist (needs CREATE on the directory).
    pub const CREATE: OpenFlags = OpenFlags(open_flags::CREATE);
    /// Only create: an existing name is `AlreadyExists`.
    pub const EXCLUSIVE: OpenFlags = OpenFlags(open_flags::EXCLUSIVE);
    /// Empty the file as it is opened (needs WRITE and RESIZE asked for).
    pub const TRUNCATE: OpenFlags = OpenFlags(open_flags::TRUNCATE);

    /// The bits as the ABI passes them.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl core::ops::BitOr for OpenFlags {
    type Output = OpenFlags;
    fn bitor(self, other: OpenFlags) -> OpenFlags {
        OpenFlags(self.0 | other.0)
    }
}

/// What an entry of a directory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file: [`Directory::open`] opens it.
    File,
    /// A directory: [`Directory::open_directory`] opens it.
    Directory,
    /// A link, FIFO, socket or device: listed, never opened.
    Other,
}

/// One entry of a directory listing. The name is the file system's bytes
/// (usually, not always, UTF-8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The entry's name.
    pub name: &'a [u8],
    /// What it is.
    pub kind: EntryKind,
    /// Its size in bytes, for a file; 0 otherwise.
    pub size: u64,
}

/// A directory: list it, open what it holds by name. A thin typed handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Directory(Cap);

impl Directory {
    /// Treats `cap` as a directory cap (the host checks on every use).
    pub const fn from_cap(cap: Cap) -> Directory {
        Directory(cap)
    }

    /// The directory's cap.
    pub const fn cap(self) -> Cap {
        self.0
    }

    /// Opens the file `name` (one component: no `/`, not `.` or `..`) with
    /// `rights`, at most this cap's. The new cap goes when this one does.
    ///
    /// Needs OPEN (and CREATE to create). Errors: `InvalidHandle`,
    /// `WrongType` (a link, FIFO, device or directory), `NoRights`,
    /// `InvalidArgument` (a bad name or combination), `NotFound`,
    /// `AlreadyExists`, `NoSpace`, `NoMemory`, `LimitReached`, `IoFailed`.
    pub fn open(self, name: &[u8], flags: OpenFlags, rights: Rights) -> Result<File> {
        self.open_raw(name, flags.0, rights).map(File)
    }

    /// Opens the directory `name` inside this one with `rights` (among
    /// LIST, OPEN, CREATE, READ, WRITE, RESIZE, GRANT; at most this cap's).
    pub fn open_directory(self, name: &[u8], rights: Rights) -> Result<Directory> {
        self.open_raw(name, open_flags::DIRECTORY, rights).map(Directory)
    }

    fn open_raw(self, name: &[u8], flags: u32, rights: Rights) -> Result<Cap> {
        let len = len32(name.len())?;
        check64(unsafe { sys::sys_dir_open(self.0 .0, name.as_ptr() as i32, len, flags as i32, rights.bits() as i32) })
            .map(|raw| Cap(raw as i64))
    }

    /// Writes entries from the `start`th (in name order) into `buf` and
    /// returns how many; 0 past the last. Read them with [`entries`].
    ///
    /// Needs LIST. Errors: `InvalidHandle`, `WrongType`, `NoRights`,
    /// `BufferTooSmall` (not even one entry fits), `IoFailed`.
    pub fn list(self, start: u32, buf: &mut [u8]) -> Result<usize> {
        let start = i32::try_from(start).map_err(|_| Error::InvalidArgument)?;
        let len = len32(buf.len())?;
        check32(unsafe { sys::sys_dir_list(self.0 .0, start, buf.as_mut_ptr() as i32, len) }).map(|n| n as usize)
    }
}

/// The entries [`Directory::list`] wrote into `bytes` (its return value says
/// how many; this stops at the first incomplete one).
pub fn entries(bytes: &[u8]) -> Entries<'_> {
    Entries { rest: bytes }
}

/// An iterator over a listing's entries.
pub struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.rest.len() < DIRECTORY_ENTRY_HEADER_SIZE {
            return None;
        }
        let kind = match self.rest[0] {
            1 => EntryKind::File,
            2 => EntryKind::Directory,
            _ => EntryKind::Other,
        };
        let name_len = self.rest[1] as usize;
        let mut size = [0u8; 8];
        size.copy_from_slice(&self.rest[2..10]);
        let end = DIRECTORY_ENTRY_HEADER_SIZE + name_len;
        if name_len == 0 || self.rest.len() < end {
            return None;
        }
        let entry = Entry { name: &self.rest[DIRECTORY_ENTRY_HEADER_SIZE..end], kind, size: u64::from_le_bytes(size) };
        self.rest = &self.rest[end..];
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends an entry as the host writes it; returns the new length.
    fn put(out: &mut [u8], at: usize, kind: u8, size: u64, name: &[u8]) -> usize {
        out[at] = kind;
        out[at + 1] = name.len() as u8;
        out[at + 2..at + 10].copy_from_slice(&size.to_le_bytes());
        out[at + 10..at + 10 + name.len()].copy_from_slice(name);
        at + 10 + name.len()
    }

    #[test]
    fn listings_decode_entry_by_entry() {
        let mut bytes = [0u8; 128];
        let mut len = put(&mut bytes, 0, 1, 1234, b"photo.png");
        len = put(&mut bytes, len, 2, 0, b"holiday");
        len = put(&mut bytes, len, 0, 0, b"link");
        let mut all = entries(&bytes[..len]);
        assert_eq!(all.next(), Some(Entry { name: b"photo.png", kind: EntryKind::File, size: 1234 }));
        assert_eq!(all.next().map(|e| (e.name, e.kind)), Some((&b"holiday"[..], EntryKind::Directory)));
        assert_eq!(all.next(), Some(Entry { name: b"link", kind: EntryKind::Other, size: 0 }));
        assert_eq!(all.next(), None);
    }

    #[test]
    fn a_cut_listing_stops_at_the_last_whole_entry() {
        let mut bytes = [0u8; 64];
        let mut len = put(&mut bytes, 0, 1, 7, b"a.png");
        len = put(&mut bytes, len, 1, 9, b"b.png");
        assert_eq!(entries(&bytes[..len - 2]).count(), 1);
        assert_eq!(entries(&bytes[..5]).count(), 0);
        assert_eq!(entries(&bytes[..len]).count(), 2);
    }
}
