/// paint's canvas as `actors/paint/src/document.rs` defines it, in Swift:
/// what a scripted session must leave on the screen, pixel for pixel.
struct PaintModel: Equatable {
    // The window layout of `actors/paint/src/ui.rs`.
    static let toolbar = 28
    static let status = 20
    static let paper: UInt32 = 0x00ff_ffff
    static let palette: [UInt32] = [
        0x0000_0000, 0x00ff_ffff, 0x00e5_3935, 0x00fb_8c00, 0x00fd_d835,
        0x0043_a047, 0x0000_acc1, 0x001e_88e5, 0x008e_24aa, 0x006d_4c41,
    ]
    /// The key that picks colour `i`: 1 to 9, then 0.
    static func key(forColour i: Int) -> String { i == 9 ? "0" : String(i + 1) }
    /// The centre of swatch `i`, in window coordinates.
    static func swatch(_ i: Int) -> (Int, Int) { (4 + 24 * i + 10, 14) }
    /// The centre of the Filters button, in window coordinates.
    static let filtersButton = (500, 14)
    /// The centre of Filters menu row `i`, in window coordinates.
    static func menuRow(_ i: Int) -> (Int, Int) { (480, toolbar + 20 * i + 10) }

    let width: Int
    let height: Int
    var pixels: [UInt32]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt32](repeating: Self.paper, count: width * height)
    }

    /// The brush of `radius` at (cx, cy): `dx² + dy² <= r² + r`.
    mutating func stamp(_ cx: Int, _ cy: Int, radius r: Int, color: UInt32) {
        for y in stride(from: max(cy - r, 0), to: min(cy + r + 1, height), by: 1) {
            for x in stride(from: max(cx - r, 0), to: min(cx + r + 1, width), by: 1)
            where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r + r {
                pixels[y * width + x] = color
            }
        }
    }

    /// A stroke through `points`: a stamp at the first, then along each segment.
    mutating func stroke(_ points: [(Int, Int)], radius: Int, color: UInt32) {
        stamp(points[0].0, points[0].1, radius: radius, color: color)
        for (a, b) in zip(points, points.dropFirst()) {
            for (x, y) in Self.line(from: a, to: b) { stamp(x, y, radius: radius, color: color) }
        }
    }

    /// The line's points: the major coordinate steps by one, the minor is
    /// `minor0 + floor((2·t·dminor + da) / (2·da))`.
    static func line(from a: (Int, Int), to b: (Int, Int)) -> [(Int, Int)] {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1)
        let steep = abs(dy) > abs(dx)
        let (da, step, dminor) = steep ? (abs(dy), dy.signum(), dx) : (abs(dx), dx.signum(), dy)
        return (0...da).map { t in
            let minor = da == 0 ? 0 : floorDiv(2 * t * dminor + da, 2 * da)
            return steep ? (a.0 + minor, a.1 + t * step) : (a.0 + t * step, a.1 + minor)
        }
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
