/// Fixed-size, zero-filled bytes that actors holding a cap may copy in and out.
///
/// `@unchecked Sendable`: the storage pointer and size never change after
/// init and the storage lives as long as the object (ARC keeps it alive for a
/// copy in progress, even past revocation). The bytes themselves are shared
/// memory by design: concurrent writers race only on byte values.
public class SharedBuffer: KernelObject, @unchecked Sendable {
    override var kind: ObjectKind { .buffer }
    let storage: UnsafeMutableRawBufferPointer

    init(size: Int) {
        precondition(size >= 0)
        storage = .allocate(byteCount: max(size, 1), alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        byteCount = size
    }

    deinit { storage.deallocate() }

    let byteCount: Int

    override var infoSize: UInt64 { UInt64(byteCount) }

    /// Checks `offset..<offset+length` lies inside the buffer, without overflow.
    func checkRange(offset: Int, length: Int) throws(SysError) {
        guard offset >= 0, length >= 0 else { throw .invalidArgument }
        guard offset <= byteCount, length <= byteCount - offset else { throw .outOfBounds }
    }

    func read(at offset: Int, into destination: UnsafeMutableRawBufferPointer) {
        guard destination.count > 0 else { return }
        destination.baseAddress!.copyMemory(from: storage.baseAddress! + offset, byteCount: destination.count)
    }

    func write(at offset: Int, from source: UnsafeRawBufferPointer) {
        guard source.count > 0 else { return }
        (storage.baseAddress! + offset).copyMemory(from: source.baseAddress!, byteCount: source.count)
        didWrite(offset: offset, length: source.count)
    }

    /// Hook for the framebuffer's damage tracking.
    func didWrite(offset: Int, length: Int) {}
}
