import Compositor
import Foundation
import Kernel

/// Full-screen composition against a memcpy of the same frame, the cost of a
/// cursor-only frame, and frames per second with apps updating every frame.
enum CompositeBenchmark {
    static let width = 1920
    static let height = 1080

    static func run() throws {
        section("Composition (\(width)x\(height), headless)")
        let kernel = Kernel()
        let owner = kernel.createActor(name: "bench")
        let backend = HeadlessBackend(width: width, height: height)
        let compositor = Compositor(backend: backend)
        // Three overlapping windows that together cover the screen, plus the cursor.
        let specs = [(0, 0, 1200, 800), (500, 200, 1420, 880), (200, 500, 1000, 580)]
        for (i, (x, y, w, h)) in specs.enumerated() {
            let handle = try kernel.createBuffer(owner, size: w * h * 4)
            let window = Window(
                id: UInt32(i + 1), owner: owner, x: x, y: y, width: w, height: h, format: WindowProtocol.formatXRGB8888,
                title: "window \(i + 1)", decorated: false, surface: try kernel.mapBuffer(owner, handle))
            window.mapped = true
            compositor.add(window)
        }
        compositor.moveCursor(toX: 900, y: 500)
        try compositor.renderFrame()

        let frameBytes = width * height * 4
        let source = UnsafeMutableRawPointer.allocate(byteCount: frameBytes, alignment: 64)
        let target = UnsafeMutableRawPointer.allocate(byteCount: frameBytes, alignment: 64)
        defer {
            source.deallocate()
            target.deallocate()
        }
        source.initializeMemory(as: UInt8.self, repeating: 1, count: frameBytes)
        target.initializeMemory(as: UInt8.self, repeating: 0, count: frameBytes)
        let memcpy = sample(60) { target.copyMemory(from: source, byteCount: frameBytes) }
        let composite = sample(60) {
            compositor.damage(compositor.screen)
            try? compositor.renderFrame()
        }
        report("full-screen composite, 3 windows + cursor", composite.median, baseline: memcpy.median, baselineName: "memcpy of the frame")

        let cursor = sample(2000) {
            compositor.moveCursor(toX: 900 + Int.random(in: -300...300), y: 500 + Int.random(in: -200...200))
            try? compositor.renderFrame()
        }
        report("cursor-only frame (goal 20 µs)", cursor.median, baseline: 20_000, baselineName: "goal")

        // Two app windows updating every frame (their whole content).
        let frames = 120
        let elapsed = time {
            for _ in 0..<frames {
                compositor.contentChanged(2)
                compositor.contentChanged(3)
                try? compositor.renderFrame()
            }
        }
        let fps = Double(frames) / (elapsed / 1e9)
        print("  frames per second, two windows redrawn every frame: \(Int(fps)) (vs 60 Hz: \(format2(fps / 60))x)")

        let before = compositor.framesDrawn
        Thread.sleep(forTimeInterval: 1)
        try compositor.renderFrame()
        print("  idle desktop: \(compositor.framesDrawn - before) redraws in 1 s (goal 0)")
    }
}
