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
        // A monitor turned 90 degrees showing the same desktop: drawn upright,
        // then turned in the final copy.
        let turnedPanel = HeadlessBackend(width: height, height: width, name: "turned")
        let turned = Compositor(heads: [(
            OutputPlacement(name: "turned", x: 0, y: 0, panelWidth: height, panelHeight: width, rotation: .degrees90, primary: true),
            turnedPanel
        )])
        // Three overlapping windows that together cover the screen, plus the cursor.
        let specs = [(0, 0, 1200, 800), (500, 200, 1420, 880), (200, 500, 1000, 580)]
        for (i, (x, y, w, h)) in specs.enumerated() {
            let handle = try kernel.createBuffer(owner, size: w * h * 4)
            for target in [compositor, turned] {
                target.add(Window(
                    id: UInt32(i + 1), owner: owner, x: x, y: y, width: w, height: h, format: WindowProtocol.formatXRGB8888,
                    title: "window \(i + 1)", decorated: false, surface: try kernel.mapBuffer(owner, handle), mapped: true))
            }
        }
        for target in [compositor, turned] {
            target.moveCursor(toX: 900, y: 500)
            try target.renderFrame()
        }

        // Two baselines. A memcpy of the frame into one fixed buffer: 16 MB
        // that a large L3 cache keeps from one run to the next. The compositor
        // draws into whichever of the backend's two buffers is not shown, as a
        // double-buffered output must; the second baseline copies the same way.
        let frameBytes = width * height * 4
        let source = UnsafeMutableRawPointer.allocate(byteCount: frameBytes, alignment: 64)
        let targets = (0..<2).map { _ in UnsafeMutableRawPointer.allocate(byteCount: frameBytes, alignment: 64) }
        defer {
            source.deallocate()
            targets.forEach { $0.deallocate() }
        }
        source.initializeMemory(as: UInt8.self, repeating: 1, count: frameBytes)
        targets.forEach { $0.initializeMemory(as: UInt8.self, repeating: 0, count: frameBytes) }
        let memcpy = sample(60) { targets[0].copyMemory(from: source, byteCount: frameBytes) }
        var next = 0
        let memcpyInTurn = sample(60) {
            targets[next].copyMemory(from: source, byteCount: frameBytes)
            next = 1 - next
        }
        let composite = try sample(60) { () throws(DisplayError) in
            compositor.damage(compositor.screen)
            try compositor.renderFrame()
        }
        report("full-screen composite, 3 windows + cursor", composite.median, baseline: memcpy.median, baselineName: "memcpy of the frame")
        report("  the same frames", composite.median, baseline: memcpyInTurn.median, baselineName: "memcpy into 2 buffers in turn")
        let turnedComposite = try sample(60) { () throws(DisplayError) in
            turned.damage(turned.desktop)
            try turned.renderFrame()
        }
        report("  on a monitor turned 90 degrees", turnedComposite.median, baseline: memcpyInTurn.median, baselineName: "memcpy into 2 buffers in turn")

        let cursor = try sample(2000) { () throws(DisplayError) in
            compositor.moveCursor(toX: 900 + Int.random(in: -300...300), y: 500 + Int.random(in: -200...200))
            try compositor.renderFrame()
        }
        report("cursor-only frame (goal 20 µs)", cursor.median, baseline: 20_000, baselineName: "goal")

        // Two app windows updating every frame (their whole content).
        let frames = 120
        let elapsed = try time { () throws(DisplayError) in
            for _ in 0..<frames {
                compositor.contentChanged(2)
                compositor.contentChanged(3)
                try compositor.renderFrame()
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
