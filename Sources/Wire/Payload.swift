/// Message payloads as actors lay them out: fixed-width integers and
/// floats, little-endian, one after another; text, UTF-8, last. The one
/// codec of the host: the window protocol, input messages, the plugin
/// protocols and the tests all read and write payloads with these two. The
/// layouts themselves are in docs/protocol.md and docs/plugins.md.

/// Reads little-endian fields from a payload an actor sent. The bytes are
/// untrusted: every read checks that the field is all there and returns nil
/// (consuming nothing) when it is not, so a short payload is an answer the
/// caller handles, never a crash.
package struct PayloadReader {
    private let bytes: [UInt8]
    /// Bytes read so far.
    package private(set) var offset = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes not read yet.
    package var remaining: Int { bytes.count - offset }

    package mutating func u8() -> UInt8? { next() }
    package mutating func u16() -> UInt16? { next() }
    package mutating func u32() -> UInt32? { next() }
    package mutating func u64() -> UInt64? { next() }
    package mutating func i32() -> Int32? { u32().map { Int32(bitPattern: $0) } }
    package mutating func i64() -> Int64? { u64().map { Int64(bitPattern: $0) } }
    package mutating func f64() -> Double? { u64().map { Double(bitPattern: $0) } }

    /// The next `count` bytes as they are; nil when fewer remain.
    package mutating func raw(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// The rest as UTF-8 (invalid sequences replaced), at most `limit`
    /// bytes of it; the rest is consumed either way.
    package mutating func text(limit: Int = Int.max) -> String {
        let end = offset + min(remaining, max(0, limit))
        defer { offset = bytes.count }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// The next `T` from its little-endian bytes.
    private mutating func next<T: FixedWidthInteger & UnsignedInteger>() -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        defer { offset += size }
        var value: T = 0
        for i in 0..<size { value |= T(bytes[offset + i]) << (8 * i) }
        return value
    }
}

/// Builds a payload field by field, little-endian.
package struct PayloadWriter {
    package private(set) var bytes: [UInt8] = []

    package init() {}

    package mutating func u8(_ v: UInt8) { bytes.append(v) }
    package mutating func u16(_ v: UInt16) { append(v) }
    package mutating func u32(_ v: UInt32) { append(v) }
    package mutating func u64(_ v: UInt64) { append(v) }
    package mutating func i32(_ v: Int32) { append(v) }
    package mutating func i64(_ v: Int64) { append(v) }
    package mutating func f64(_ v: Double) { append(v.bitPattern) }

    /// Bytes as they are (a nested payload, a buffer's contents).
    package mutating func raw(_ more: [UInt8]) { bytes += more }

    /// `s` as UTF-8, without a length or terminator: text goes last.
    package mutating func text(_ s: String) { bytes += s.utf8 }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }
}
