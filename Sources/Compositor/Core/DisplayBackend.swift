/// Pixels a frame is drawn into: XRGB8888, `stride` bytes per row.
///
/// A buffer covers `bounds`, a rectangle of the desktop: a backend's own
/// buffers start at (0, 0); the compositor gives each head's buffer the
/// head's place on the desktop (`placed(atX:y:)`), so everything draws in
/// desktop coordinates whichever head it lands on.
public struct PixelBuffer: @unchecked Sendable {
    // The memory belongs to the backend and stays mapped while it lives; only
    // the compositor's thread draws into a buffer it has acquired.
    public let base: UnsafeMutableRawPointer
    public let width: Int
    public let height: Int
    public let stride: Int
    /// The desktop point of its top left pixel.
    public let originX: Int
    public let originY: Int

    public init(base: UnsafeMutableRawPointer, width: Int, height: Int, stride: Int, originX: Int = 0, originY: Int = 0) {
        precondition(stride >= width * 4)
        self.base = base
        self.width = width
        self.height = height
        self.stride = stride
        self.originX = originX
        self.originY = originY
    }

    /// The same pixels with their top left at desktop point (x, y).
    public func placed(atX x: Int, y: Int) -> PixelBuffer {
        PixelBuffer(base: base, width: width, height: height, stride: stride, originX: x, originY: y)
    }

    /// Desktop row `y`, indexed by desktop x: only x inside `bounds` may be
    /// touched. Desktop x = 0 lies left of the memory when the buffer starts
    /// further right, so the address is worked out as an integer, not by
    /// pointer steps that would leave the buffer on the way.
    @inline(__always)
    public func row(_ y: Int) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer(bitPattern: Int(bitPattern: base) + (y - originY) * stride - originX * 4).unsafelyUnwrapped
    }

    /// The desktop rectangle it covers.
    public var bounds: Rect { Rect(x: originX, y: originY, width: width, height: height) }
}

/// A back buffer to draw the next frame into.
public struct BackBuffer: Sendable {
    public let pixels: PixelBuffer
    /// Frames since this buffer was last shown: 1 means it holds the previous
    /// frame, 2 the one before; 0 means its content is unknown (draw everything).
    public let age: Int
    /// The backend's own index for it.
    public let index: Int

    public init(pixels: PixelBuffer, age: Int, index: Int) {
        self.pixels = pixels
        self.age = age
        self.index = index
    }
}

/// What kind of output a backend drives.
public enum BackendKind: Sendable, Equatable {
    /// A screen, through DRM/KMS: a seat, input devices and a user at it.
    case drm
    /// Memory only (`HeadlessBackend`): no screen, no seat.
    case headless
}

/// An output: where composited frames go. The compositor core sees only this;
/// DRM/KMS and headless implement it.
public protocol DisplayBackend: AnyObject, Sendable {
    /// What it is called in the log ("headless", the DRM driver and connector).
    var name: String { get }
    var kind: BackendKind { get }
    var width: Int { get }
    var height: Int { get }

    /// The buffer to draw the next frame into. Only one is acquired at a time.
    func acquireBackBuffer() -> BackBuffer

    /// Shows `buffer` at the next vertical blank; `damage` is what changed
    /// since the previous frame. Does not wait: `waitForPresentation` does.
    func present(_ buffer: BackBuffer, damage: Region) throws(DisplayError)

    /// Blocks until the last presented frame is on screen (the page flip
    /// completed) or `timeoutNanoseconds` pass. Returns false on timeout.
    func waitForPresentation(timeoutNanoseconds: UInt64) -> Bool

    /// The pixels now on screen, for screenshots.
    func frontBuffer() -> PixelBuffer

    /// Gives the output back as it was found (the previous CRTC configuration).
    func restore()

    /// The session is switching away (another VT): stop touching the output.
    func suspend()

    /// The session is back: show the current frame again (set the mode again).
    func resume() throws(DisplayError)

    /// Turns the panel off (`on` false: DPMS off through the connector's
    /// property) or on again. False when the output cannot: the compositor
    /// shows a black frame instead.
    func setPower(_ on: Bool) -> Bool
}

extension DisplayBackend {
    public func suspend() {}
    public func resume() throws(DisplayError) {}
    public func setPower(_ on: Bool) -> Bool { false }
}

/// An output failure, said so a user can act on it.
public struct DisplayError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The output was taken away for a while (a VT switch): what was not
    /// shown is drawn again when it comes back, so this is no fault.
    public let isOutputAway: Bool

    public init(_ description: String, isOutputAway: Bool = false) {
        self.description = description
        self.isOutputAway = isOutputAway
    }
}
