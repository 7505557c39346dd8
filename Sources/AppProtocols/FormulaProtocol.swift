import Wire

/// The protocol between the fractal viewer and its workers (calculation
/// plugins), restating `actors/sdk/src/formula.rs`, its definition.
public enum FormulaProtocol {
    /// Cap: the result buffer (write). Payload: a `FormulaTile`. Answer, on
    /// the reply cap of a call or else the worker's handle 2: `tileDone` or `error`.
    public static let render: UInt32 = 0x0700
    /// Ignored by the worker: a send that fails tells it is dead.
    public static let ping: UInt32 = 0x0701
    /// Payload: job u32. The buffer holds one u32 per sample.
    public static let tileDone: UInt32 = 0x0780
    /// Payload: job u32, code u32 (`FormulaError`), message UTF-8.
    public static let error: UInt32 = 0x07FF

    /// The most samples in a tile.
    public static let maxTileSamples = 4096
    /// Bytes of a `render` payload.
    public static let tileBytes = 68

    public static let allOpcodes: [(name: String, value: UInt32)] = [
        ("RENDER", render), ("PING", ping), ("TILE_DONE", tileDone), ("ERROR", error),
    ]
}

/// Codes in a worker's `error` answer.
public enum FormulaError: UInt32, Sendable, CaseIterable {
    case malformed = 1
    case badTile = 2
    case bufferFailed = 3
}

/// A `render` request: `columns × rows` samples, sample (i, j) at pixel
/// (x0 + i·stride, y0 + j·stride) of a view with the given left, top and step.
public struct FormulaTile: Sendable, Equatable {
    public var job: UInt32
    public var x0: Int32
    public var y0: Int32
    public var columns: UInt32
    public var rows: UInt32
    public var stride: UInt32
    public var iterations: UInt32
    public var left: Double
    public var top: Double
    public var step: Double
    public var p0: Double
    public var p1: Double

    public init(job: UInt32, x0: Int32, y0: Int32, columns: UInt32, rows: UInt32, stride: UInt32, iterations: UInt32,
                left: Double, top: Double, step: Double, p0: Double = 0, p1: Double = 0) {
        self.job = job
        self.x0 = x0
        self.y0 = y0
        self.columns = columns
        self.rows = rows
        self.stride = stride
        self.iterations = iterations
        self.left = left
        self.top = top
        self.step = step
        self.p0 = p0
        self.p1 = p1
    }

    public var samples: Int { Int(columns) * Int(rows) }

    /// The point of sample (i, j), as the SDK computes it:
    /// `re = left + Double(px) * step`, `im = top - Double(py) * step`.
    public func point(_ i: Int, _ j: Int) -> (re: Double, im: Double) {
        let px = Int64(x0) + Int64(i) * Int64(stride)
        let py = Int64(y0) + Int64(j) * Int64(stride)
        return (left + Double(px) * step, top - Double(py) * step)
    }

    public var payload: [UInt8] {
        var w = PayloadWriter()
        w.u32(job)
        w.i32(x0)
        w.i32(y0)
        for v in [columns, rows, stride, iterations] { w.u32(v) }
        for v in [left, top, step, p0, p1] { w.f64(v) }
        return w.bytes
    }

    public init?(payload: [UInt8]) {
        var r = PayloadReader(payload)
        guard let job = r.u32(), let x0 = r.i32(), let y0 = r.i32(), let columns = r.u32(), let rows = r.u32(),
            let stride = r.u32(), let iterations = r.u32(), let left = r.f64(), let top = r.f64(), let step = r.f64(),
            let p0 = r.f64(), let p1 = r.f64()
        else { return nil }
        self.init(job: job, x0: x0, y0: y0, columns: columns, rows: rows, stride: stride, iterations: iterations,
                  left: left, top: top, step: step, p0: p0, p1: p1)
    }
}
