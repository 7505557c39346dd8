/// The filters of `actors/filters/*` in plain Swift, pixel for pixel: the
/// tests' expected output, written to be obviously right rather than fast
/// (the benchmarks' native baseline, `NativeFilters` in wskbench, runs each
/// plugin's own algorithm and is checked against these). Images are
/// XRGB8888 (`0x00RRGGBB`), row after row; results have the top byte 0.
/// Each function's comment is the filter's definition, as its crate states it.
public enum ReferenceFilters {
    /// The filter a plugin module implements, with the plugin's parameter
    /// values (its defaults where `params` has none). Nil for an unknown module.
    public static func apply(module: String, _ pixels: [UInt32], width: Int, height: Int, params: [Int32] = [])
        -> [UInt32]?
    {
        func param(_ i: Int, _ range: ClosedRange<Int32>, default value: Int32) -> Int {
            Int(params.indices.contains(i) ? min(max(params[i], range.lowerBound), range.upperBound) : value)
        }
        switch module {
        case "invert": return map(pixels) { ~$0 & 0x00ff_ffff }
        case "grayscale": return map(pixels, grayscale)
        case "sepia": return map(pixels, sepia)
        case "template": return brightness(pixels, amount: param(0, -255...255, default: 40))
        case "blur": return boxBlur(pixels, width: width, height: height, radius: param(0, 1...32, default: 2))
        case "sharpen": return sharpen(pixels, width: width, height: height)
        case "edges": return edges(pixels, width: width, height: height)
        default: return nil
        }
    }

    /// The modules `apply` knows.
    public static let modules = ["blur", "edges", "grayscale", "invert", "sepia", "sharpen", "template"]

    @inline(__always) static func channels(_ p: UInt32) -> (UInt32, UInt32, UInt32) {
        ((p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff)
    }

    @inline(__always) static func rgb(_ r: UInt32, _ g: UInt32, _ b: UInt32) -> UInt32 { r << 16 | g << 8 | b }

    /// Luma: `(77 r + 150 g + 29 b + 128) >> 8`.
    @inline(__always) static func luma(_ p: UInt32) -> UInt32 {
        let (r, g, b) = channels(p)
        return (77 * r + 150 * g + 29 * b + 128) >> 8
    }

    static func map(_ pixels: [UInt32], _ f: (UInt32) -> UInt32) -> [UInt32] {
        var out = pixels
        out.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = f(p[i]) }
        }
        return out
    }

    /// Grayscale: luma in all three channels.
    static func grayscale(_ p: UInt32) -> UInt32 {
        let y = luma(p)
        return rgb(y, y, y)
    }

    /// Sepia: `(393 r + 769 g + 189 b) / 1000`, `(349 r + 686 g + 168 b) / 1000`,
    /// `(272 r + 534 g + 131 b) / 1000`, each cut at 255.
    static func sepia(_ p: UInt32) -> UInt32 {
        let (r, g, b) = channels(p)
        return rgb(min(255, (393 * r + 769 * g + 189 * b) / 1000), min(255, (349 * r + 686 * g + 168 * b) / 1000),
                   min(255, (272 * r + 534 * g + 131 * b) / 1000))
    }

    /// Brightness (the template): each channel plus `amount`, kept in 0...255.
    public static func brightness(_ pixels: [UInt32], amount: Int) -> [UInt32] {
        map(pixels) { p in
            let (r, g, b) = channels(p)
            let shift = { (c: UInt32) in UInt32(min(max(Int(c) + amount, 0), 255)) }
            return rgb(shift(r), shift(g), shift(b))
        }
    }

    /// Box blur: each channel the mean of the `(2 radius + 1)²` pixels
    /// around, edges extended, `(sum + n / 2) / n`. Two sliding-window passes.
    public static func boxBlur(_ pixels: [UInt32], width w: Int, height h: Int, radius r: Int) -> [UInt32] {
        let n = UInt32((2 * r + 1) * (2 * r + 1))
        var out = [UInt32](repeating: 0, count: w * h)
        var sums = [UInt32](repeating: 0, count: w * h)
        var column = [UInt32](repeating: 0, count: w)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { out in
                sums.withUnsafeMutableBufferPointer { sums in
                    column.withUnsafeMutableBufferPointer { column in
                        for shift: UInt32 in [16, 8, 0] {
                            for y in 0..<h {
                                let row = y * w
                                @inline(__always) func ch(_ x: Int) -> UInt32 { (src[row + min(max(x, 0), w - 1)] >> shift) & 0xff }
                                var sum: UInt32 = 0
                                for dx in -r...r { sum += ch(dx) }
                                for x in 0..<w {
                                    sums[row + x] = sum
                                    sum += ch(x + r + 1)
                                    sum -= ch(x - r)
                                }
                            }
                            @inline(__always) func at(_ y: Int) -> Int { min(max(y, 0), h - 1) * w }
                            for x in 0..<w { column[x] = 0 }
                            for dy in -r...r {
                                let row = at(dy)
                                for x in 0..<w { column[x] += sums[row + x] }
                            }
                            for y in 0..<h {
                                for x in 0..<w { out[y * w + x] |= ((column[x] + n / 2) / n) << shift }
                                let (add, sub) = (at(y + r + 1), at(y - r))
                                for x in 0..<w { column[x] = column[x] + sums[add + x] - sums[sub + x] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Sharpen: `[0 -1 0; -1 5 -1; 0 -1 0]` per channel, edges extended, kept in 0...255.
    public static func sharpen(_ pixels: [UInt32], width w: Int, height h: Int) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: w * h)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { out in
                for y in 0..<h {
                    let (up, down) = (max(y - 1, 0) * w, min(y + 1, h - 1) * w)
                    for x in 0..<w {
                        let (left, right) = (max(x - 1, 0), min(x + 1, w - 1))
                        let (c, n, s, e, west) = (src[y * w + x], src[up + x], src[down + x], src[y * w + right], src[y * w + left])
                        var pixel: UInt32 = 0
                        for shift: UInt32 in [16, 8, 0] {
                            @inline(__always) func ch(_ p: UInt32) -> Int { Int((p >> shift) & 0xff) }
                            let v = 5 * ch(c) - ch(n) - ch(s) - ch(e) - ch(west)
                            pixel |= UInt32(min(max(v, 0), 255)) << shift
                        }
                        out[y * w + x] = pixel
                    }
                }
            }
        }
        return out
    }

    /// Edge detect: Sobel on luma, edges extended, gray `min(255, |gx| + |gy|)`.
    public static func edges(_ pixels: [UInt32], width w: Int, height h: Int) -> [UInt32] {
        let l = pixels.map { Int(luma($0)) }
        var out = [UInt32](repeating: 0, count: w * h)
        l.withUnsafeBufferPointer { l in
            out.withUnsafeMutableBufferPointer { out in
                for y in 0..<h {
                    let rows = (max(y - 1, 0) * w, y * w, min(y + 1, h - 1) * w)
                    for x in 0..<w {
                        let (a, b) = (max(x - 1, 0), min(x + 1, w - 1))
                        let gx = (l[rows.0 + b] + 2 * l[rows.1 + b] + l[rows.2 + b]) - (l[rows.0 + a] + 2 * l[rows.1 + a] + l[rows.2 + a])
                        let gy = (l[rows.2 + a] + 2 * l[rows.2 + x] + l[rows.2 + b]) - (l[rows.0 + a] + 2 * l[rows.0 + x] + l[rows.0 + b])
                        let m = UInt32(min(abs(gx) + abs(gy), 255))
                        out[y * w + x] = rgb(m, m, m)
                    }
                }
            }
        }
        return out
    }
}
