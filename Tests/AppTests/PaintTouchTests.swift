import Foundation
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// paint knows only the pointer; a finger draws in it all the same, through
/// ui_server's pointer emulation (docs/protocol.md, "Touch"). Unchanged
/// paint, the real Wasm app, its canvas read back from the screen.
@Suite(.serialized) struct PaintTouchTests {
    /// Touch messages as the input source sends them, for one touchscreen
    /// mapped to the harness's one output.
    struct Finger {
        let desk: DesktopHarness

        /// The panel fraction of the centre of screen pixel (x, y).
        func fraction(_ x: Int, _ y: Int) -> (Double, Double) {
            ((Double(x) + 0.5) / Double(desk.backend.width), (Double(y) + 0.5) / Double(desk.backend.height))
        }

        func down(_ slot: UInt32, _ x: Int, _ y: Int) throws {
            var p = PayloadWriter()
            p.u32(1)
            p.u32(slot)
            let (u, v) = fraction(x, y)
            p.f64(u)
            p.f64(v)
            p.u32(0)
            p.u32(0)
            try send(WindowProtocol.inputTouchDown, p.bytes)
        }

        func move(_ slot: UInt32, _ x: Int, _ y: Int) throws {
            var p = PayloadWriter()
            p.u32(1)
            p.u32(slot)
            let (u, v) = fraction(x, y)
            p.f64(u)
            p.f64(v)
            try send(WindowProtocol.inputTouchMotion, p.bytes)
        }

        func up(_ slot: UInt32) throws {
            var p = PayloadWriter()
            p.u32(1)
            p.u32(slot)
            try send(WindowProtocol.inputTouchUp, p.bytes)
            try frame()
        }

        func frame() throws {
            var p = PayloadWriter()
            p.u32(1)
            try send(WindowProtocol.inputTouchFrame, p.bytes)
        }

        private func send(_ opcode: UInt32, _ payload: [UInt8]) throws {
            for _ in 0..<1000 {
                do {
                    return try desk.kernel.send(desk.input, to: desk.inputHandle, opcode: opcode, payload: payload)
                } catch SysError.queueFull {
                    Thread.sleep(forTimeInterval: 0.001)
                }
            }
            throw HarnessError("ui_server's queue stayed full")
        }
    }

    @Test func aFingerDrawsAStrokeInPaint() throws {
        let s = try PaintSessionTests.Session(plugins: [:])
        defer { s.stop() }
        let finger = Finger(desk: s.desk)
        let black = PaintModel.palette[0]
        // Canvas points, through the screen: big jumps, as a quick finger makes.
        let stroke = [(30, 30), (150, 60), (320, 40), (330, 180)]
        let screen = stroke.map { (s.window.x + $0.0, s.canvas.y + $0.1) }
        try finger.down(0, screen[0].0, screen[0].1)
        try finger.frame()
        for point in screen.dropFirst() {
            try finger.move(0, point.0, point.1)
            try finger.frame()
        }
        try finger.up(0)
        s.model.stroke(stroke, radius: 2, color: black)
        try s.expectCanvas("a finger's stroke")

        // Two fingers: the second draws nothing while the first does.
        try s.desk.type("3")  // red
        let second = [(60, 200), (400, 150)]
        try finger.down(0, s.window.x + second[0].0, s.canvas.y + second[0].1)
        try finger.down(1, s.window.x + 500, s.canvas.y + 20)
        try finger.frame()
        try finger.move(1, s.window.x + 520, s.canvas.y + 200)
        try finger.move(0, s.window.x + second[1].0, s.canvas.y + second[1].1)
        try finger.frame()
        try finger.up(1)
        try finger.up(0)
        s.model.stroke(second, radius: 2, color: PaintModel.palette[2])
        try s.expectCanvas("the first finger's stroke only")
    }
}
