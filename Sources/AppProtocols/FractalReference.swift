/// The fractal viewer's arithmetic in plain Swift, restating
/// `actors/formulas/*` and `actors/fractal/src/{view,color}.rs` operation
/// for operation (f64, same order, no fused multiply-add), so its pictures
/// equal the app's bit for bit: the tests' reference, the benchmark's
/// native baseline.
public enum FractalFormula: String, Sendable, CaseIterable {
    case mandelbrot, julia
    case burningShip = "burning_ship"

    /// Centre and visible height of the home view.
    var home: (cx: Double, cy: Double, span: Double) {
        switch self {
        case .mandelbrot: (-0.5, 0.0, 3.0)
        case .julia: (0.0, 0.0, 3.0)
        case .burningShip: (-0.5, -0.5, 3.0)
        }
    }

    /// The parameter the app gives it (Julia's c).
    public var parameter: (Double, Double) { self == .julia ? (-0.8, 0.156) : (0, 0) }
}

/// What the fractal window shows (see `view.rs`).
public struct FractalView: Sendable, Equatable {
    public var formula: FractalFormula
    public var width: Int
    public var height: Int
    public var left: Double
    public var top: Double
    public var step: Double
    public var iterations: UInt32

    public static func home(_ formula: FractalFormula, width: Int, height: Int, iterations: UInt32) -> FractalView {
        let (cx, cy, span) = formula.home
        var view = FractalView(formula: formula, width: width, height: height, left: 0, top: 0, step: span / Double(height),
                               iterations: iterations)
        view.center(on: cx, cy)
        return view
    }

    mutating func center(on cx: Double, _ cy: Double) {
        left = cx - Double(width / 2) * step
        top = cy + Double(height / 2) * step
    }

    public mutating func zoom(atX px: Int, y py: Int, factor: Double) {
        let re = left + Double(px) * step
        let im = top - Double(py) * step
        step *= factor
        left = re - Double(px) * step
        top = im + Double(py) * step
    }

    public mutating func zoom(toX x0: Int, y y0: Int, width bw: Int, height bh: Int) {
        let re = left + (Double(x0) + Double(bw) / 2.0) * step
        let im = top - (Double(y0) + Double(bh) / 2.0) * step
        step *= max(Double(bw) / Double(width), Double(bh) / Double(height))
        center(on: re, im)
    }

    public mutating func pan(dx: Int, dy: Int) {
        left -= Double(dx) * step
        top += Double(dy) * step
    }
}

public enum FractalReference {
    /// Escape iterations of one point, as the formula plugins loop.
    @inline(__always)
    public static func escape(_ formula: FractalFormula, re: Double, im: Double, iterations: UInt32) -> UInt32 {
        switch formula {
        case .mandelbrot: return loop(0, 0, re, im, iterations, ship: false)
        case .julia:
            let (p0, p1) = formula.parameter
            return loop(re, im, p0, p1, iterations, ship: false)
        case .burningShip: return loop(0, 0, re, im, iterations, ship: true)
        }
    }

    @inline(__always)
    static func loop(_ x0: Double, _ y0: Double, _ cre: Double, _ cim: Double, _ limit: UInt32, ship: Bool) -> UInt32 {
        var (x, y) = (x0, y0)
        var n: UInt32 = 0
        while n < limit {
            let x2 = x * x
            let y2 = y * y
            if x2 + y2 > 4.0 { break }
            y = ship ? abs(2.0 * x * y) + cim : 2.0 * x * y + cim
            x = x2 - y2 + cre
            n += 1
        }
        return n
    }

    /// The iteration count of every pixel of `view`, row after row.
    public static func iterations(of view: FractalView) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: view.width * view.height)
        out.withUnsafeMutableBufferPointer { out in
            for py in 0..<view.height {
                let im = view.top - Double(py) * view.step
                for px in 0..<view.width {
                    out[py * view.width + px] = escape(view.formula, re: view.left + Double(px) * view.step, im: im,
                                                       iterations: view.iterations)
                }
            }
        }
        return out
    }

    /// The samples of one worker request.
    public static func render(_ tile: FormulaTile, formula: FractalFormula) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(tile.samples)
        for j in 0..<Int(tile.rows) {
            for i in 0..<Int(tile.columns) {
                let (re, im) = tile.point(i, j)
                out.append(escape(formula, re: re, im: im, iterations: tile.iterations))
            }
        }
        return out
    }

    /// The palettes of `color.rs`: stops and shades between them.
    public static let palettes: [(stops: [UInt32], steps: UInt32)] = [
        ([0x0000_0764, 0x0020_6bcb, 0x00ed_ffff, 0x00ff_aa00, 0x0000_0200], 16),
        ([0x0000_0000, 0x00ff_ffff], 32),
        ([0x00ff_0000, 0x00ff_ff00, 0x0000_ff00, 0x0000_ffff, 0x0000_00ff, 0x00ff_00ff], 12),
    ]

    /// The colour of `n` iterations out of `iterations` (black when it never escaped).
    public static func color(_ n: UInt32, iterations: UInt32, palette: Int) -> UInt32 {
        guard n < iterations else { return 0 }
        let (stops, steps) = palettes[palette % palettes.count]
        let position = n % (UInt32(stops.count) * steps)
        let (i, t) = (Int(position / steps), Int32(position % steps))
        let (a, b) = (stops[i], stops[(i + 1) % stops.count])
        var out: UInt32 = 0
        for shift: UInt32 in [16, 8, 0] {
            let (ca, cb) = (Int32((a >> shift) & 0xff), Int32((b >> shift) & 0xff))
            out |= UInt32(ca + (cb - ca) * t / Int32(steps)) << shift
        }
        return out
    }

    /// The picture of `view` in `palette`, as the window shows it once done.
    public static func image(of view: FractalView, palette: Int = 0) -> [UInt32] {
        iterations(of: view).map { color($0, iterations: view.iterations, palette: palette) }
    }
}
