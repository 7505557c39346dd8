import Synchronization

/// The compositor into memory: two buffers flipped like a real output, at a
/// configurable size. The default where there is no /dev/dri, and the
/// backend the tests drive. A presented frame is "on screen" at once.
public final class HeadlessBackend: DisplayBackend, @unchecked Sendable {
    // `state` is behind a mutex; the buffers' memory is only written by the
    // compositor's thread between acquire and present.
    public let name: String
    public var kind: BackendKind { .headless }
    public let width: Int
    public let height: Int
    private let buffers: [UnsafeMutableRawPointer]
    private let state = Mutex(State())

    private struct State {
        var front = 0
        var ages = [0, 0]
        var presented = 0
    }

    public init(width: Int, height: Int, name: String = "headless") {
        precondition(width > 0 && height > 0)
        self.name = name
        self.width = width
        self.height = height
        buffers = (0..<2).map { _ in
            let p = UnsafeMutableRawPointer.allocate(byteCount: width * height * 4, alignment: 64)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: width * height * 4)
            return p
        }
    }

    deinit { buffers.forEach { $0.deallocate() } }

    private func pixels(_ index: Int) -> PixelBuffer {
        PixelBuffer(base: buffers[index], width: width, height: height, stride: width * 4)
    }

    public func acquireBackBuffer() -> BackBuffer {
        state.withLock { s in
            let back = 1 - s.front
            return BackBuffer(pixels: pixels(back), age: s.ages[back], index: back)
        }
    }

    public func present(_ buffer: BackBuffer, damage: Region) throws(DisplayError) {
        state.withLock { s in
            for i in 0..<2 where s.ages[i] > 0 { s.ages[i] += 1 }
            s.ages[buffer.index] = 1
            s.front = buffer.index
            s.presented += 1
        }
    }

    public func waitForPresentation(timeoutNanoseconds: UInt64) -> Bool { true }

    public func frontBuffer() -> PixelBuffer {
        pixels(state.withLock { $0.front })
    }

    /// Frames presented so far.
    public var presentedFrames: Int { state.withLock { $0.presented } }

    public func restore() {}
}
