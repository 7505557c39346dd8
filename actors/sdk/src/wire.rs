//! Message payloads as the host lays them out: fixed-width fields,
//! little-endian, one after another; text, UTF-8, last (`docs/protocol.md`,
//! `docs/plugins.md`). The SDK reads every payload with [`Reader`] and
//! writes every one with [`Writer`], as the host does with
//! `Sources/Wire/Payload.swift`.

/// Reads little-endian fields from a payload. A field that is not all there
/// reads as `None` and consumes nothing: a short payload is the caller's to
/// refuse, never a panic.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// The next `u32`.
    pub fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    /// The next `i32`.
    pub fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_le_bytes)
    }

    /// The next `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }

    /// The next `f64`.
    pub fn f64(&mut self) -> Option<f64> {
        self.take().map(f64::from_le_bytes)
    }

    /// The rest as UTF-8, up to the first invalid byte.
    pub fn text(&mut self) -> &'a str {
        let rest = core::mem::take(&mut self.bytes);
        match core::str::from_utf8(rest) {
            Ok(text) => text,
            Err(e) => core::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or(""),
        }
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        if self.bytes.len() < N {
            return None;
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[..N]);
        self.bytes = &self.bytes[N..];
        Some(out)
    }
}

/// Writes little-endian fields into a buffer the caller owns, sized for the
/// longest payload it builds (so no allocator is needed). Writing past its
/// end is a bug in the caller, and panics.
pub struct Writer<'a> {
    bytes: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `bytes`.
    pub fn new(bytes: &'a mut [u8]) -> Writer<'a> {
        Writer { bytes, len: 0 }
    }

    /// Bytes written so far: the payload is `bytes[..len]`.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a `u32`.
    pub fn u32(&mut self, v: u32) {
        self.raw(&v.to_le_bytes());
    }

    /// Appends an `i32`.
    pub fn i32(&mut self, v: i32) {
        self.raw(&v.to_le_bytes());
    }

    /// Appends a `u64`.
    pub fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }

    /// Appends an `f64`.
    pub fn f64(&mut self, v: f64) {
        self.raw(&v.to_le_bytes());
    }

    /// Appends bytes as they are (text goes last, without a length).
    pub fn raw(&mut self, data: &[u8]) {
        self.bytes[self.len..self.len + data.len()].copy_from_slice(data);
        self.len += data.len();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `fields` then `text`, written as a payload (the event and request tests).
    pub(crate) fn payload(fields: &[u32], text: &[u8]) -> ([u8; 64], usize) {
        let mut out = [0u8; 64];
        let mut w = Writer::new(&mut out);
        for &f in fields {
            w.u32(f);
        }
        w.raw(text);
        let len = w.len();
        (out, len)
    }

    #[test]
    fn writes_little_endian() {
        let mut out = [0u8; 32];
        let mut w = Writer::new(&mut out);
        assert!(w.is_empty());
        w.u32(0x0403_0201);
        w.i32(-2);
        w.u64(0x0c0b_0a09_0807_0605);
        w.f64(1.0);
        w.raw(b"ok");
        let len = w.len();
        assert_eq!(len, 26);
        assert_eq!(&out[..4], &[1, 2, 3, 4]);
        assert_eq!(&out[4..8], &[0xfe, 0xff, 0xff, 0xff]);
        assert_eq!(&out[8..16], &[5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(&out[16..24], &[0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
        assert_eq!(&out[24..26], b"ok");
    }

    #[test]
    fn round_trips() {
        let mut out = [0u8; 32];
        let mut w = Writer::new(&mut out);
        w.u32(u32::MAX);
        w.i32(i32::MIN);
        w.u64(u64::MAX - 1);
        w.f64(-0.8);
        w.raw("héllo".as_bytes());
        let len = w.len();
        let mut r = Reader::new(&out[..len]);
        assert_eq!(r.u32(), Some(u32::MAX));
        assert_eq!(r.i32(), Some(i32::MIN));
        assert_eq!(r.u64(), Some(u64::MAX - 1));
        assert_eq!(r.f64(), Some(-0.8));
        assert_eq!(r.text(), "héllo");
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn short_payloads_read_as_none() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.u64(), None);
        assert_eq!(r.f64(), None);
        assert_eq!(r.remaining(), 7, "a failed read consumes nothing");
        assert_eq!(r.u32(), Some(0x0403_0201));
        assert_eq!((r.u32(), r.i32()), (None, None));
        assert_eq!(r.text(), "\u{5}\u{6}\u{7}");
        assert_eq!(r.text(), "");
        assert_eq!(Reader::new(b"size=1x1\xff\nx=2").text(), "size=1x1", "up to the first invalid byte");
    }

    #[test]
    #[should_panic]
    fn writing_past_the_buffer_panics() {
        let mut out = [0u8; 6];
        let mut w = Writer::new(&mut out);
        w.u32(1);
        w.u32(2);
    }
}
