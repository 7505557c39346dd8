//! Shared buffers and the framebuffer: `sys_buffer_create`,
//! `sys_cap_mem_read`, `sys_cap_mem_write`, `sys_fb_info`.

use crate::abi::sys;
use crate::caps::{info, Cap, Kind};
use crate::error::{check32, check64, len32, offset32, Error, Result};

/// Copies `data` into a shared buffer or the framebuffer at byte `offset`.
/// Returns the number of bytes written (all of `data`).
///
/// Needs WRITE. Errors: `InvalidHandle`, `WrongType`, `NoRights`,
/// `InvalidArgument` (offset or length past `i32::MAX`), `OutOfBounds`
/// (nothing written).
pub fn mem_write(cap: Cap, offset: u32, data: &[u8]) -> Result<usize> {
    let (offset, len) = (offset32(offset)?, len32(data.len())?);
    check32(unsafe { sys::sys_cap_mem_write(cap.0, offset, data.as_ptr() as i32, len) }).map(|n| n as usize)
}

/// Copies bytes of a shared buffer or the framebuffer, from byte `offset`,
/// into all of `out`. Returns the number of bytes read (`out.len()`).
///
/// Needs READ. Errors: as [`mem_write`].
pub fn mem_read(cap: Cap, offset: u32, out: &mut [u8]) -> Result<usize> {
    let (offset, len) = (offset32(offset)?, len32(out.len())?);
    check32(unsafe { sys::sys_cap_mem_read(cap.0, offset, out.as_mut_ptr() as i32, len) }).map(|n| n as usize)
}

/// The size `(width, height)` of the first framebuffer this actor holds, if any.
pub fn fb_info() -> Option<(u32, u32)> {
    let packed = unsafe { sys::sys_fb_info() };
    if packed == 0 {
        None
    } else {
        Some(((packed >> 32) as u32, packed as u32))
    }
}

/// A shared buffer: fixed-size bytes that several actors may hold caps to.
///
/// A thin typed handle: copying it copies no authority, and nothing is
/// released when it goes out of scope (releasing would also take away every
/// copy passed to other actors). Call [`Buffer::release`] when done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Buffer(Cap);

impl Buffer {
    /// Creates a zero-filled buffer of `size` bytes (at most 64 MiB), charged
    /// to this actor's memory limit. The cap has READ, WRITE and GRANT.
    ///
    /// Errors: `InvalidArgument` (too large), `NoMemory`, `NoSpace`.
    pub fn create(size: usize) -> Result<Buffer> {
        let size = len32(size)?;
        check64(unsafe { sys::sys_buffer_create(size) }).map(|raw| Buffer(Cap(raw as i64)))
    }

    /// Treats `cap` as a buffer cap (the host checks on every use).
    pub const fn from_cap(cap: Cap) -> Buffer {
        Buffer(cap)
    }

    /// The buffer's cap, to pass in a message or derive from.
    pub const fn cap(self) -> Cap {
        self.0
    }

    /// The buffer's size in bytes. Errors: `InvalidHandle`, `WrongType`.
    pub fn size(self) -> Result<u64> {
        let info = info(self.0)?;
        if info.kind != Kind::Buffer {
            return Err(Error::WrongType);
        }
        Ok(info.size)
    }

    /// Copies bytes from `offset` into all of `out`. See [`mem_read`].
    pub fn read(self, offset: u32, out: &mut [u8]) -> Result<()> {
        mem_read(self.0, offset, out).map(|_| ())
    }

    /// Copies all of `data` to `offset`. See [`mem_write`].
    pub fn write(self, offset: u32, data: &[u8]) -> Result<()> {
        mem_write(self.0, offset, data).map(|_| ())
    }

    /// Releases the cap (and every cap derived from it, in every actor).
    pub fn release(self) -> Result<()> {
        crate::caps::release(self.0)
    }
}

/// The screen: `width × height` pixels, XRGB8888, pixel (x, y) at byte
/// `(y * width + x) * 4`. What is written shows at the next frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Framebuffer {
    cap: Cap,
    width: u32,
    height: u32,
}

impl Framebuffer {
    /// The framebuffer behind `cap`, with its size from `sys_cap_info`.
    ///
    /// Errors: `InvalidHandle`, `WrongType` (not a framebuffer).
    pub fn open(cap: Cap) -> Result<Framebuffer> {
        let info = info(cap)?;
        if info.kind != Kind::Framebuffer {
            return Err(Error::WrongType);
        }
        Ok(Framebuffer { cap, width: (info.size >> 32) as u32, height: info.size as u32 })
    }

    /// The framebuffer's cap.
    pub const fn cap(&self) -> Cap {
        self.cap
    }

    /// Width in pixels.
    pub const fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub const fn height(&self) -> u32 {
        self.height
    }

    /// The byte offset of pixel (x, y), if it is on the screen and the offset
    /// fits the ABI.
    pub fn offset(&self, x: u32, y: u32) -> Option<u32> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let index = y as u64 * self.width as u64 + x as u64;
        let offset = index.checked_mul(4)?;
        if offset > i32::MAX as u64 {
            None
        } else {
            Some(offset as u32)
        }
    }

    /// Writes `pixels` (XRGB8888) from pixel (x, y) on, along the row and
    /// wrapping to the next rows as the byte layout does.
    ///
    /// Errors: `OutOfBounds` (off the screen; nothing written), and as [`mem_write`].
    pub fn write_pixels(&self, x: u32, y: u32, pixels: &[u32]) -> Result<()> {
        let offset = self.offset(x, y).ok_or(Error::OutOfBounds)?;
        // SAFETY: u32 has no padding and u8 no alignment: the same memory read
        // as bytes is initialized and in bounds. Wasm is little-endian, so the
        // bytes are XRGB8888 as the ABI lays it out.
        let bytes = unsafe { core::slice::from_raw_parts(pixels.as_ptr() as *const u8, pixels.len() * 4) };
        self.write(offset, bytes)
    }

    /// Copies all of `data` to byte `offset`. See [`mem_write`].
    pub fn write(&self, offset: u32, data: &[u8]) -> Result<()> {
        mem_write(self.cap, offset, data).map(|_| ())
    }

    /// Copies bytes from byte `offset` into all of `out`. See [`mem_read`].
    pub fn read(&self, offset: u32, out: &mut [u8]) -> Result<()> {
        mem_read(self.cap, offset, out).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_offsets() {
        let fb = Framebuffer { cap: Cap(1), width: 40, height: 30 };
        assert_eq!(fb.offset(0, 0), Some(0));
        assert_eq!(fb.offset(39, 29), Some((29 * 40 + 39) * 4));
        assert_eq!(fb.offset(40, 0), None);
        assert_eq!(fb.offset(0, 30), None);
        let huge = Framebuffer { cap: Cap(1), width: 1 << 20, height: 1 << 20 };
        assert_eq!(huge.offset(0, 1 << 19), None);
    }
}
