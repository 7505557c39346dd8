import CPixelStream

/// How the renderer writes the bulk of a frame — background rows and window
/// content rows: with ordinary stores for small repaints, with streaming
/// (non-temporal) stores for large ones.
///
/// A frame is written and then only scanned out. With ordinary stores every
/// 64-byte line of the back buffer is first read from memory (read for
/// ownership) unless still cached, and then evicts something. A large repaint
/// into buffers that alternate (two 8 MB buffers at 1920x1080, plus the
/// window surfaces read) does not stay cached between its turns, so it pays
/// a read and a write of memory per line. Streaming stores only write. A
/// small repaint (a cursor move, a text line) is cheaper cached: its lines
/// are likely still there, and the cursor drawn next touches them again.
///
/// Only device-free helpers from CPixelStream are used here (SSE2 intrinsics Swift
/// cannot call); the core still never sees a device.
struct FrameWriter {
    /// Repaints of at least this many bytes stream: a core's L2 cache on
    /// typical x86-64 machines. Measured (2-core EPYC VM, one window's
    /// square redrawn every frame): up to 512 KB both ways cost the same, at
    /// 1 MB streaming is 10% faster, at a full 1920x1080 frame twice as fast.
    static let streamingThreshold = 1 << 20

    let streams: Bool

    /// A writer for a repaint of `bytes` bytes.
    init(bytes: Int) {
        streams = bytes >= Self.streamingThreshold
    }

    @inline(__always)
    func copy(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, byteCount: Int) {
        if streams {
            wsk_stream_copy(destination, source, byteCount)
        } else {
            destination.copyMemory(from: source, byteCount: byteCount)
        }
    }

    @inline(__always)
    func fill(_ destination: UnsafeMutablePointer<UInt32>, with value: UInt32, count: Int) {
        if streams {
            wsk_stream_fill32(destination, value, count)
        } else {
            destination.update(repeating: value, count: count)
        }
    }

    /// Orders the streamed stores before whatever reads the frame next (the
    /// presenting thread, the display): call once the repaint is done.
    func finish() {
        if streams { wsk_stream_fence() }
    }
}
