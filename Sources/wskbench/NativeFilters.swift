import AppProtocols

/// The filter plugins of `actors/filters/*` in native Swift, each the same
/// algorithm written the same way as its crate (in place, rows kept aside,
/// channels spread in one integer, the same tables): the benchmarks'
/// baseline. `ReferenceFilters`, plain and obviously right, stays the
/// oracle; the benchmarks check these against it.
///
/// Arithmetic wraps (`&+`) where Rust's release build does not check it
/// either; `UnsafeMutableBufferPointer` is not bounds-checked in release
/// builds, where the Rust code keeps the checks its optimizer cannot remove.
enum NativeFilters {
    /// Filters the `width × height` image in `pixels` in place as `module`
    /// does with its default parameters; false for an unknown module.
    static func apply(module: String, _ pixels: UnsafeMutableBufferPointer<UInt32>, width: Int, height: Int) -> Bool {
        switch module {
        case "invert": map(pixels) { ~$0 & 0x00ff_ffff }
        case "grayscale": map(pixels, grayscale)
        case "sepia": map(pixels, sepia)
        case "template": brightness(pixels, amount: 40)
        case "blur": boxBlur(pixels, width: width, height: height, radius: 2)
        case "sharpen": sharpen(pixels, width: width, height: height)
        case "edges": edges(pixels, width: width, height: height)
        default: return false
        }
        return true
    }

    @inline(__always) static func rgb(_ r: UInt32, _ g: UInt32, _ b: UInt32) -> UInt32 { r << 16 | g << 8 | b }

    @inline(__always) static func map(_ pixels: UnsafeMutableBufferPointer<UInt32>, _ f: (UInt32) -> UInt32) {
        for i in pixels.indices { pixels[i] = f(pixels[i]) }
    }

    @inline(__always) static func luma(_ p: UInt32) -> UInt32 {
        (77 &* (p >> 16 & 0xff) &+ 150 &* (p >> 8 & 0xff) &+ 29 &* (p & 0xff) &+ 128) >> 8
    }

    @inline(__always) static func grayscale(_ p: UInt32) -> UInt32 {
        let y = luma(p)
        return rgb(y, y, y)
    }

    @inline(__always) static func sepia(_ p: UInt32) -> UInt32 {
        let (r, g, b) = (p >> 16 & 0xff, p >> 8 & 0xff, p & 0xff)
        @inline(__always) func tone(_ wr: UInt32, _ wg: UInt32, _ wb: UInt32) -> UInt32 {
            min((wr &* r &+ wg &* g &+ wb &* b) / 1000, 255)
        }
        return rgb(tone(393, 769, 189), tone(349, 686, 168), tone(272, 534, 131))
    }

    static func brightness(_ pixels: UnsafeMutableBufferPointer<UInt32>, amount: Int32) {
        @inline(__always) func shift(_ c: UInt32) -> UInt32 { UInt32(min(max(Int32(c) &+ amount, 0), 255)) }
        map(pixels) { p in rgb(shift(p >> 16 & 0xff), shift(p >> 8 & 0xff), shift(p & 0xff)) }
    }

    // MARK: Box blur (actors/filters/blur)

    /// Channels 21 bits apart, blue lowest.
    @inline(__always) static func spread21(_ pixel: UInt32) -> UInt64 {
        let p = UInt64(pixel)
        return (p & 0xff) | (p & 0xff00) << 13 | (p & 0xff_0000) << 26
    }

    static func boxBlur(_ image: UnsafeMutableBufferPointer<UInt32>, width w: Int, height h: Int, radius r: Int) {
        let side = 2 * r + 1
        let n = UInt64(side * side)
        let scale = (1 << 35) / n + 1  // x / n == x * scale >> 35 (see the crate)
        let half = n / 2 * spread21(0x0001_0101)
        let mask: UInt64 = (1 << 21) - 1
        @inline(__always) func rowStart(_ y: Int) -> Int { min(y, h - 1) * w }
        // The window's rows, spread, in a ring; the column sums, padded with r copies of the edge columns.
        var window = [UInt64](repeating: 0, count: side * w)
        var columns = [UInt64](repeating: 0, count: w + 2 * r)
        window.withUnsafeMutableBufferPointer { window in
            columns.withUnsafeMutableBufferPointer { columns in
                for dy in 0..<side {
                    let from = rowStart(max(dy - r, 0))
                    for x in 0..<w {
                        let value = spread21(image[from + x])
                        window[dy * w + x] = value
                        columns[r + x] &+= value
                    }
                }
                var top = 0
                for y in 0..<h {
                    for x in 0..<r {
                        columns[x] = columns[r]
                        columns[r + w + x] = columns[r + w - 1]
                    }
                    var sum = half
                    for x in 0..<2 * r { sum &+= columns[x] }
                    let out = y * w
                    for x in 0..<w {
                        sum &+= columns[x + 2 * r]
                        @inline(__always) func mean(_ shift: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ((sum >> shift & mask) &* scale) >> 35) }
                        image[out + x] = rgb(mean(42), mean(21), mean(0))
                        sum &-= columns[x]
                    }
                    if y + 1 < h {
                        let slot = top * w
                        let from = rowStart(y + r + 1)
                        for x in 0..<w {
                            let new = spread21(image[from + x])
                            columns[r + x] = columns[r + x] &- window[slot + x] &+ new
                            window[slot + x] = new
                        }
                        top = (top + 1) % side
                    }
                }
            }
        }
    }

    // MARK: Sharpen (actors/filters/sharpen)

    /// Channels 16 bits apart, blue lowest, into `out` with the edge pixels
    /// repeated once more on either side.
    @inline(__always) static func spreadRow(_ image: UnsafeMutableBufferPointer<UInt32>, from: Int, _ w: Int,
                                            into out: UnsafeMutableBufferPointer<UInt64>) {
        for x in 0..<w {
            let p = UInt64(image[from + x])
            out[x + 1] = (p & 0xff) | (p & 0xff00) << 8 | (p & 0xff_0000) << 16
        }
        out[0] = out[1]
        out[w + 1] = out[w]
    }

    static func sharpen(_ image: UnsafeMutableBufferPointer<UInt32>, width w: Int, height h: Int) {
        let bias: UInt64 = 1020 * (1 | 1 << 16 | 1 << 32)
        var clamped = [UInt8](repeating: 0, count: 4096)
        for f in clamped.indices { clamped[f] = UInt8(min(max(f - 1020, 0), 255)) }
        var rows = [UInt64](repeating: 0, count: 3 * (w + 2))
        clamped.withUnsafeBufferPointer { clamped in
            rows.withUnsafeMutableBufferPointer { rows in
                var (above, middle, below) = (0, w + 2, 2 * (w + 2))  // offsets into rows
                func row(_ start: Int) -> UnsafeMutableBufferPointer<UInt64> {
                    UnsafeMutableBufferPointer(rebasing: rows[start..<start + w + 2])
                }
                spreadRow(image, from: 0, w, into: row(middle))
                for x in 0..<w + 2 { rows[above + x] = rows[middle + x] }
                for y in 0..<h {
                    spreadRow(image, from: min(y + 1, h - 1) * w, w, into: row(below))
                    var (west, centre) = (rows[middle], rows[middle + 1])
                    let out = y * w
                    for x in 0..<w {
                        let east = rows[middle + x + 2]
                        let sum = 5 &* centre &+ bias &- rows[above + x + 1] &- rows[below + x + 1] &- east &- west
                        @inline(__always) func channel(_ shift: UInt64) -> UInt32 { UInt32(clamped[Int(sum >> shift & 0xfff)]) }
                        image[out + x] = rgb(channel(32), channel(16), channel(0))
                        (west, centre) = (centre, east)
                    }
                    (above, middle, below) = (middle, below, above)
                }
            }
        }
    }

    // MARK: Edge detect (actors/filters/edges)

    static func edges(_ image: UnsafeMutableBufferPointer<UInt32>, width w: Int, height h: Int) {
        var rows = [Int32](repeating: 0, count: 3 * (w + 2))
        rows.withUnsafeMutableBufferPointer { rows in
            var (above, middle, below) = (0, w + 2, 2 * (w + 2))  // offsets into rows
            func lumaRow(from: Int, into start: Int) {
                for x in 0..<w { rows[start + x + 1] = Int32(luma(image[from + x])) }
                rows[start] = rows[start + 1]
                rows[start + w + 1] = rows[start + w]
            }
            lumaRow(from: 0, into: middle)
            for x in 0..<w + 2 { rows[above + x] = rows[middle + x] }
            for y in 0..<h {
                lumaRow(from: min(y + 1, h - 1) * w, into: below)
                @inline(__always) func column(_ x: Int) -> (Int32, Int32) {
                    (rows[above + x] &+ 2 &* rows[middle + x] &+ rows[below + x], rows[below + x] &- rows[above + x])
                }
                var ((s0, d0), (s1, d1)) = (column(0), column(1))
                let out = y * w
                for x in 0..<w {
                    let (s2, d2) = column(x + 2)
                    let gx = s2 &- s0
                    let gy = d0 &+ 2 &* d1 &+ d2
                    let g = UInt32(min(abs(gx) &+ abs(gy), 255))
                    image[out + x] = rgb(g, g, g)
                    (s0, d0, s1, d1) = (s1, d1, s2, d2)
                }
                (above, middle, below) = (middle, below, above)
            }
        }
    }
}
