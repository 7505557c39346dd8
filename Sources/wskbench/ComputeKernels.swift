/// The compute kernels the tier benchmark runs three ways: as WAT actors on
/// the interpreter and compiled, and as native Swift. The three give the same
/// bits; the benchmark checks they do.
///
/// Both actors serve calls on handle 2 and hold their image buffer at handle 1.
enum ComputeKernels {
    // MARK: Mandelbrot, 640 × 480, at most 256 iterations

    static let width = 640
    static let height = 480
    static let iterations = 256

    /// A call with payload (first row u32, row step u32) renders those rows:
    /// one u32 escape count per pixel, each row written to the buffer with one
    /// host call, then an empty answer.
    static let mandelbrotWAT = """
        (module
          (import "env" "sys_cap_recv" (func $recv (param i64 i32 i32) (result i64)))
          (import "env" "sys_cap_send" (func $send (param i64 i32 i32 i32 i64) (result i32)))
          (import "env" "sys_cap_mem_write" (func $write (param i64 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func $escape (param $re f64) (param $im f64) (result i32)
            (local $x f64) (local $y f64) (local $x2 f64) (local $y2 f64) (local $n i32)
            (block $out (loop $iterate
              (br_if $out (i32.ge_u (local.get $n) (i32.const \(iterations))))
              (local.set $x2 (f64.mul (local.get $x) (local.get $x)))
              (local.set $y2 (f64.mul (local.get $y) (local.get $y)))
              (br_if $out (f64.gt (f64.add (local.get $x2) (local.get $y2)) (f64.const 4)))
              (local.set $y (f64.add (f64.mul (f64.mul (f64.const 2) (local.get $x)) (local.get $y)) (local.get $im)))
              (local.set $x (f64.add (f64.sub (local.get $x2) (local.get $y2)) (local.get $re)))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (br $iterate)))
            (local.get $n))
          (func (export "_start") (local $row i32) (local $step i32) (local $x i32) (local $im f64)
            (loop $serve
              (if (i64.lt_s (call $recv (i64.const 2) (i32.const 0) (i32.const 64)) (i64.const 0)) (then (return)))
              (local.set $row (i32.load (i32.const 24)))
              (local.set $step (i32.load (i32.const 28)))
              (block $rows (loop $rowLoop
                (br_if $rows (i32.ge_u (local.get $row) (i32.const \(height))))
                (local.set $im (f64.sub (f64.const 1.25) (f64.mul (f64.convert_i32_u (local.get $row)) (f64.const \(2.5 / Double(height))))))
                (local.set $x (i32.const 0))
                (block $pixels (loop $pixel
                  (br_if $pixels (i32.ge_u (local.get $x) (i32.const \(width))))
                  (i32.store (i32.add (i32.const 1024) (i32.shl (local.get $x) (i32.const 2)))
                    (call $escape
                      (f64.add (f64.const -2.5) (f64.mul (f64.convert_i32_u (local.get $x)) (f64.const \(3.5 / Double(width)))))
                      (local.get $im)))
                  (local.set $x (i32.add (local.get $x) (i32.const 1)))
                  (br $pixel)))
                (drop (call $write (i64.const 1) (i32.mul (local.get $row) (i32.const \(width * 4))) (i32.const 1024) (i32.const \(width * 4))))
                (local.set $row (i32.add (local.get $row) (local.get $step)))
                (br $rowLoop)))
              (drop (call $send (i64.load (i32.const 16)) (i32.const 2) (i32.const 0) (i32.const 0) (i64.const 0)))
              (br $serve))))
        """

    /// The same in Swift: the same operations in the same order.
    static func mandelbrot(into counts: inout [UInt32]) {
        let reStep = 3.5 / Double(width)
        let imStep = 2.5 / Double(height)
        for row in 0..<height {
            let im = 1.25 - Double(row) * imStep
            for column in 0..<width {
                let re = -2.5 + Double(column) * reStep
                var (x, y, n) = (0.0, 0.0, UInt32(0))
                while n < iterations {
                    let (x2, y2) = (x * x, y * y)
                    if x2 + y2 > 4 { break }
                    y = 2 * x * y + im
                    x = x2 - y2 + re
                    n += 1
                }
                counts[row * width + column] = n
            }
        }
    }

    // MARK: 3 × 3 box blur, 1920 × 1080 XRGB8888

    static let blurWidth = 1920
    static let blurHeight = 1080
    static var blurBytes: Int { blurWidth * blurHeight * 4 }

    /// A call (no payload) reads the image at handle 1, blurs it (each channel
    /// the rounded mean of its 3 × 3 neighbourhood, edges clamped) and writes
    /// it back, then answers with the nanoseconds the blur itself took (i64).
    static var blurWAT: String {
        let (w, h) = (blurWidth, blurHeight)
        let source = 65536
        let target = source + blurBytes
        // Adds pixel (row, column) to the red+blue and green sums.
        func add(_ row: String, _ column: String) -> String {
            """
            (local.set $p (i32.load (i32.add (local.get \(row)) (local.get \(column)))))
            (local.set $rb (i32.add (local.get $rb) (i32.and (local.get $p) (i32.const 0x00ff00ff))))
            (local.set $g (i32.add (local.get $g) (i32.and (local.get $p) (i32.const 0x0000ff00))))
            """
        }
        let sums = ["$r0", "$r1", "$r2"].flatMap { row in ["$c0", "$c1", "$c2"].map { add(row, $0) } }.joined(separator: "\n")
        return """
            (module
              (import "env" "sys_cap_recv" (func $recv (param i64 i32 i32) (result i64)))
              (import "env" "sys_cap_send" (func $send (param i64 i32 i32 i32 i64) (result i32)))
              (import "env" "sys_cap_mem_read" (func $read (param i64 i32 i32 i32) (result i32)))
              (import "env" "sys_cap_mem_write" (func $write (param i64 i32 i32 i32) (result i32)))
              (import "env" "sys_time_now" (func $now (result i64)))
              (memory (export "memory") \((target + blurBytes + 65535) / 65536))
              (func $blur (local $y i32) (local $x i32) (local $r0 i32) (local $r1 i32) (local $r2 i32)
                (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $rb i32) (local $g i32) (local $p i32) (local $out i32)
                (local.set $out (i32.const \(target)))
                (block $rows (loop $row
                  (br_if $rows (i32.ge_u (local.get $y) (i32.const \(h))))
                  (local.set $r1 (i32.add (i32.const \(source)) (i32.mul (local.get $y) (i32.const \(w * 4)))))
                  (local.set $r0 (select (i32.sub (local.get $r1) (i32.const \(w * 4))) (local.get $r1) (i32.gt_u (local.get $y) (i32.const 0))))
                  (local.set $r2 (select (i32.add (local.get $r1) (i32.const \(w * 4))) (local.get $r1) (i32.lt_u (local.get $y) (i32.const \(h - 1)))))
                  (local.set $x (i32.const 0))
                  (block $pixels (loop $pixel
                    (br_if $pixels (i32.ge_u (local.get $x) (i32.const \(w))))
                    (local.set $c1 (i32.shl (local.get $x) (i32.const 2)))
                    (local.set $c0 (select (i32.sub (local.get $c1) (i32.const 4)) (local.get $c1) (i32.gt_u (local.get $x) (i32.const 0))))
                    (local.set $c2 (select (i32.add (local.get $c1) (i32.const 4)) (local.get $c1) (i32.lt_u (local.get $x) (i32.const \(w - 1)))))
                    (local.set $rb (i32.const 0))
                    (local.set $g (i32.const 0))
                    \(sums)
                    (i32.store (local.get $out) (i32.or (i32.or
                      (i32.shl (i32.div_u (i32.add (i32.shr_u (local.get $rb) (i32.const 16)) (i32.const 4)) (i32.const 9)) (i32.const 16))
                      (i32.shl (i32.div_u (i32.add (i32.shr_u (local.get $g) (i32.const 8)) (i32.const 4)) (i32.const 9)) (i32.const 8)))
                      (i32.div_u (i32.add (i32.and (local.get $rb) (i32.const 0xffff)) (i32.const 4)) (i32.const 9))))
                    (local.set $out (i32.add (local.get $out) (i32.const 4)))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $pixel)))
                  (local.set $y (i32.add (local.get $y) (i32.const 1)))
                  (br $row))))
              (func (export "_start")
                (loop $serve
                  (if (i64.lt_s (call $recv (i64.const 2) (i32.const 0) (i32.const 64)) (i64.const 0)) (then (return)))
                  (drop (call $read (i64.const 1) (i32.const 0) (i32.const \(source)) (i32.const \(blurBytes))))
                  (i64.store (i32.const 64) (call $now))
                  (call $blur)
                  (i64.store (i32.const 64) (i64.sub (call $now) (i64.load (i32.const 64))))
                  (drop (call $write (i64.const 1) (i32.const 0) (i32.const \(target)) (i32.const \(blurBytes))))
                  (drop (call $send (i64.load (i32.const 16)) (i32.const 2) (i32.const 64) (i32.const 8) (i64.const 0)))
                  (br $serve))))
            """
    }

    /// The same in Swift.
    static func blur(_ source: [UInt32], into target: inout [UInt32]) {
        let (w, h) = (blurWidth, blurHeight)
        source.withUnsafeBufferPointer { src in
            target.withUnsafeMutableBufferPointer { out in
                for y in 0..<h {
                    let r1 = y * w
                    let r0 = y > 0 ? r1 - w : r1
                    let r2 = y < h - 1 ? r1 + w : r1
                    for x in 0..<w {
                        let c0 = x > 0 ? x - 1 : x
                        let c2 = x < w - 1 ? x + 1 : x
                        // Red and blue summed side by side (9 × 255 fits 16 bits), green apart.
                        @inline(__always) func sums(_ row: Int) -> (rb: UInt32, g: UInt32) {
                            let (p0, p1, p2) = (src[row &+ c0], src[row &+ x], src[row &+ c2])
                            return ((p0 & 0x00ff_00ff) &+ (p1 & 0x00ff_00ff) &+ (p2 & 0x00ff_00ff),
                                    (p0 & 0x0000_ff00) &+ (p1 & 0x0000_ff00) &+ (p2 & 0x0000_ff00))
                        }
                        let (top, middle, bottom) = (sums(r0), sums(r1), sums(r2))
                        let rb = top.rb &+ middle.rb &+ bottom.rb
                        let g = top.g &+ middle.g &+ bottom.g
                        out[r1 &+ x] = (((rb >> 16) + 4) / 9) << 16 | (((g >> 8) + 4) / 9) << 8 | ((rb & 0xffff) + 4) / 9
                    }
                }
            }
        }
    }

    /// A test picture: gradients and a pattern, so the blur has edges to soften.
    static func blurImage() -> [UInt32] {
        (0..<blurWidth * blurHeight).map { i in
            let (x, y) = (UInt32(i % blurWidth), UInt32(i / blurWidth))
            return (x &* 255 / 1919) << 16 | (y &* 255 / 1079) << 8 | ((x ^ y) & 0x20 == 0 ? 0xf0 : 0x10)
        }
    }
}
