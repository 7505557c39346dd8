import Testing
import Wire

@Suite struct PayloadTests {
    /// Each field's bytes, least significant first, pinned by hand.
    @Test func writesLittleEndian() {
        var w = PayloadWriter()
        w.u8(0x01)
        w.u16(0x0302)
        w.u32(0x0706_0504)
        w.u64(0x0f0e_0d0c_0b0a_0908)
        #expect(w.bytes == Array(1...15))

        w = PayloadWriter()
        w.i32(-2)
        w.i64(-3)
        w.f64(1.0)  // 0x3FF0_0000_0000_0000
        #expect(w.bytes == [0xfe, 0xff, 0xff, 0xff] + [0xfd] + Array(repeating: 0xff, count: 7)
                    + [0, 0, 0, 0, 0, 0, 0xf0, 0x3f])
    }

    @Test func readsLittleEndian() {
        var r = PayloadReader(Array(1...15) + [0xfe, 0xff, 0xff, 0xff])
        #expect(r.u8() == 0x01)
        #expect(r.u16() == 0x0302)
        #expect(r.u32() == 0x0706_0504)
        #expect(r.u64() == 0x0f0e_0d0c_0b0a_0908)
        #expect(r.i32() == -2)
        #expect(r.remaining == 0 && r.offset == 19)
    }

    @Test func roundTrips() {
        var w = PayloadWriter()
        w.u8(.max)
        w.u16(0xbeef)
        w.u32(.max)
        w.u64(.max)
        w.i32(.min)
        w.i64(.min)
        w.f64(-0.8)
        w.f64(.infinity)
        w.raw([9, 8, 7])
        w.text("héllo")
        var r = PayloadReader(w.bytes)
        #expect(r.u8() == .max)
        #expect(r.u16() == 0xbeef)
        #expect(r.u32() == .max)
        #expect(r.u64() == .max)
        #expect(r.i32() == .min)
        #expect(r.i64() == .min)
        #expect(r.f64() == -0.8)
        #expect(r.f64() == .infinity)
        #expect(r.raw(3) == [9, 8, 7])
        #expect(r.text() == "héllo")
        #expect(r.remaining == 0)
    }

    /// A field that is not all there reads as nil and consumes nothing, so
    /// the bytes before it still read and a smaller field after it still can.
    @Test func shortPayloadsReadAsNil() {
        var r = PayloadReader([1, 2, 3])
        #expect(r.u32() == nil)
        #expect(r.i32() == nil)
        #expect(r.u64() == nil && r.i64() == nil && r.f64() == nil)
        #expect(r.raw(4) == nil)
        #expect(r.offset == 0)
        #expect(r.u16() == 0x0201)
        #expect(r.u16() == nil)
        #expect(r.u8() == 3)
        #expect(r.u8() == nil)
        #expect(r.text() == "")

        var empty = PayloadReader([])
        #expect(empty.u8() == nil && empty.raw(0) == [] && empty.raw(-1) == nil)

        // Four bytes of a u64 are a u32, not half a u64.
        var half = PayloadReader([0xff, 0, 0, 0])
        #expect(half.u64() == nil)
        #expect(half.u32() == 0xff)
    }

    @Test func textTakesTheRestUpToALimit() {
        var r = PayloadReader(Array("abcdef".utf8))
        #expect(r.u8() == UInt8(ascii: "a"))
        #expect(r.text(limit: 3) == "bcd")
        #expect(r.remaining == 0, "what is past the limit is consumed too")

        r = PayloadReader([0x61, 0xff, 0x62])
        #expect(r.text() == "a\u{FFFD}b", "invalid UTF-8 replaced")
        r = PayloadReader([0x61])
        #expect(r.text(limit: -5) == "")
    }
}
