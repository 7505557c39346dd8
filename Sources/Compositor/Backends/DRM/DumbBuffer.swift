import CDRM

#if canImport(Glibc)
import Glibc
#endif

/// A CPU-drawable scanout buffer: a dumb buffer object, a framebuffer
/// (XRGB8888) on it, and its memory mapped into the process.
package struct DumbBuffer {
    package let handle: UInt32
    package let framebuffer: UInt32
    package let pixels: PixelBuffer
    private let mappedSize: Int

    /// Creates, registers and maps a `width` x `height` buffer, cleared to
    /// black. On failure nothing is left behind.
    package static func create(on device: DRMDevice, width: Int, height: Int) throws(DisplayError) -> DumbBuffer {
        let fd = device.fd
        var handle: UInt32 = 0, pitch: UInt32 = 0, size: UInt64 = 0
        if drmModeCreateDumbBuffer(fd, UInt32(width), UInt32(height), 32, 0, &handle, &pitch, &size) != 0 {
            throw .failed("creating a \(width)x\(height) dumb buffer", on: device.path, errno: errno)
        }
        // The kernel's answers, checked once before any arithmetic uses them.
        guard Int(pitch) >= width * 4, size >= UInt64(pitch) * UInt64(height), size <= UInt64(Int.max) else {
            _ = drmModeDestroyDumbBuffer(fd, handle)
            throw DisplayError("the driver on \(device.path) gave a \(width)x\(height) dumb buffer pitch \(pitch) and size \(size), too small: a driver bug")
        }
        var framebuffer: UInt32 = 0
        let handles: [UInt32] = [handle, 0, 0, 0]
        let pitches: [UInt32] = [pitch, 0, 0, 0]
        let offsets: [UInt32] = [0, 0, 0, 0]
        if drmModeAddFB2(fd, UInt32(width), UInt32(height), xrgb8888,
                         handles, pitches, offsets, &framebuffer, 0) != 0 {
            // Drivers without ADDFB2 still take depth 24 / 32 bpp, which is XRGB8888.
            if drmModeAddFB(fd, UInt32(width), UInt32(height), 24, 32, pitch, handle, &framebuffer) != 0 {
                let code = errno
                _ = drmModeDestroyDumbBuffer(fd, handle)
                throw .failed("adding an XRGB8888 framebuffer", on: device.path, errno: code)
            }
        }
        var offset: UInt64 = 0
        if drmModeMapDumbBuffer(fd, handle, &offset) != 0 {
            let code = errno
            _ = drmModeRmFB(fd, framebuffer)
            _ = drmModeDestroyDumbBuffer(fd, handle)
            throw .failed("preparing a dumb buffer for mapping", on: device.path, errno: code)
        }
        let mapped = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(truncatingIfNeeded: offset))
        guard let base = mapped, base != UnsafeMutableRawPointer(bitPattern: -1) else {
            let code = errno
            _ = drmModeRmFB(fd, framebuffer)
            _ = drmModeDestroyDumbBuffer(fd, handle)
            throw .failed("mapping a dumb buffer", on: device.path, errno: code)
        }
        base.initializeMemory(as: UInt8.self, repeating: 0, count: Int(size))
        return DumbBuffer(handle: handle, framebuffer: framebuffer,
                          pixels: PixelBuffer(base: base, width: width, height: height, stride: Int(pitch)),
                          mappedSize: Int(size))
    }

    /// Unmaps, removes the framebuffer and frees the buffer object.
    package func destroy(on device: DRMDevice) {
        _ = munmap(pixels.base, mappedSize)
        _ = drmModeRmFB(device.fd, framebuffer)
        _ = drmModeDestroyDumbBuffer(device.fd, handle)
    }

    /// Tells the driver which parts changed (virtio-gpu and other drivers
    /// with a shadow copy only copy what they are told). `clips` are in
    /// buffer pixels. Returns an errno value on failure.
    package func markDirty(on device: DRMDevice, clips: [drmModeClip]) -> Int32? {
        var clips = clips
        return clips.withUnsafeMutableBufferPointer { buffer in
            drmModeDirtyFB(device.fd, framebuffer, buffer.baseAddress, UInt32(buffer.count)) == 0 ? nil : errno
        }
    }

    /// `damage` clipped to the buffer, as DRM clip rectangles.
    package static func clips(for damage: Region, width: Int, height: Int) -> [drmModeClip] {
        damage.clipped(to: Rect(x: 0, y: 0, width: min(width, 65535), height: min(height, 65535))).rects.map {
            drmModeClip(x1: UInt16($0.x), y1: UInt16($0.y), x2: UInt16($0.maxX), y2: UInt16($0.maxY))
        }
    }
}

/// DRM_FORMAT_XRGB8888, which drm_fourcc.h builds with a macro Swift cannot
/// import: fourcc_code('X', 'R', '2', '4'), the four bytes little-endian.
private let xrgb8888: UInt32 = 0x3432_5258
