import Synchronization

/// The screen as a kernel object: `width × height` XRGB8888 pixels, tightly
/// packed, so `sys_cap_mem_write` at `(y * width + x) * 4` hits pixel (x, y)
/// whatever the real output's pitch. Every write is recorded as damage, which
/// the presenter takes at its next frame and copies to the real output.
public final class Framebuffer: SharedBuffer, @unchecked Sendable {
    override var kind: ObjectKind { .framebuffer }
    public let width: Int
    public let height: Int
    private let damage = Mutex<DamageRows?>(nil)
    private let onDamage = Mutex<(@Sendable () -> Void)?>(nil)

    /// Rows `first..<end` were written since the presenter last looked.
    public struct DamageRows: Sendable, Equatable {
        public var first: Int
        public var end: Int
        public init(first: Int, end: Int) {
            self.first = first
            self.end = end
        }
    }

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
        super.init(size: width * height * 4)
    }

    override var infoSize: UInt64 { UInt64(width) << 32 | UInt64(height) }

    /// The pixels as the actors wrote them, row-major, 4 bytes each.
    public var pixels: UnsafeRawBufferPointer { UnsafeRawBufferPointer(storage) }

    /// Called (from the writing thread) after every write; the presenter wakes on it.
    public func setDamageHandler(_ handler: (@Sendable () -> Void)?) {
        onDamage.withLock { $0 = handler }
    }

    /// The rows written since the last call, and forget them.
    public func takeDamage() -> DamageRows? {
        damage.withLock { rows in
            defer { rows = nil }
            return rows
        }
    }

    /// Write from the host side (a native presenter or test), recorded as damage.
    public func write(pixelsAt offset: Int, from source: UnsafeRawBufferPointer) {
        precondition(offset >= 0 && offset + source.count <= byteCount)
        write(at: offset, from: source)
    }

    override func didWrite(offset: Int, length: Int) {
        guard length > 0 else { return }
        let rowBytes = width * 4
        let written = DamageRows(first: offset / rowBytes, end: (offset + length - 1) / rowBytes + 1)
        damage.withLock { rows in
            if var r = rows {
                r.first = min(r.first, written.first)
                r.end = max(r.end, written.end)
                rows = r
            } else {
                rows = written
            }
        }
        onDamage.withLock { $0 }?()
    }
}
