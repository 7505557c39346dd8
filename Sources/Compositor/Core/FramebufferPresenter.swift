import Dispatch
import Foundation
import Kernel
import Synchronization
import Threads

/// Shows a kernel `Framebuffer` on an output: whatever actors write to the
/// framebuffer cap (seed style, `sys_cap_mem_write` at `(y*width+x)*4`) is
/// copied, damaged rows only, into the back buffer and presented at the next
/// vblank. This is how a Wasm ui_server or a kiosk app given the whole screen
/// draws. The framebuffer's size must match the output's.
public final class FramebufferPresenter: Sendable {
    public let framebuffer: Framebuffer
    public let backend: any DisplayBackend
    private let thread = ServiceThread(name: "framebuffer presenter")
    private let state = Mutex(State())

    private struct State {
        var frames = 0
        /// Damaged rows of recent frames, newest first, for buffer age.
        var history: [Framebuffer.DamageRows] = []
    }

    public init(framebuffer: Framebuffer, backend: any DisplayBackend) {
        precondition(framebuffer.width == backend.width && framebuffer.height == backend.height)
        self.framebuffer = framebuffer
        self.backend = backend
    }

    /// Frames presented so far.
    public var framesPresented: Int { state.withLock { $0.frames } }

    /// Starts presenting on a thread of its own.
    public func start() {
        framebuffer.setDamageHandler { [thread] in thread.wake() }
        thread.start { [self] thread in
            while thread.sleep() { presentDamage() }
        }
        thread.wake()  // show whatever is there already
    }

    public func stop() {
        guard thread.isRunning else { return }
        framebuffer.setDamageHandler(nil)
        thread.stop()
    }

    /// Copies the damaged rows (and those the back buffer missed) and presents.
    /// Returns false when nothing was damaged.
    @discardableResult
    public func presentDamage() -> Bool {
        let first = state.withLock { $0.frames == 0 }
        guard let damage = framebuffer.takeDamage() ?? (first ? Framebuffer.DamageRows(first: 0, end: framebuffer.height) : nil)
        else { return false }
        let back = backend.acquireBackBuffer()
        var rows = damage
        let history = state.withLock { $0.history }
        if back.age == 0 || back.age - 1 > history.count {
            rows = Framebuffer.DamageRows(first: 0, end: framebuffer.height)
        } else {
            for older in history.prefix(back.age - 1) {
                rows.first = min(rows.first, older.first)
                rows.end = max(rows.end, older.end)
            }
        }
        let source = framebuffer.pixels.baseAddress!
        let rowBytes = framebuffer.width * 4
        for y in rows.first..<rows.end {
            (back.pixels.base + y * back.pixels.stride).copyMemory(from: source + y * rowBytes, byteCount: rowBytes)
        }
        var region = Region()
        region.add(Rect(x: 0, y: damage.first, width: framebuffer.width, height: damage.end - damage.first))
        do {
            try backend.present(back, damage: region)
        } catch {
            return false
        }
        _ = backend.waitForPresentation(timeoutNanoseconds: 1_000_000_000)
        state.withLock { s in
            s.frames += 1
            s.history.insert(damage, at: 0)
            if s.history.count > 3 { s.history.removeLast() }
        }
        return true
    }
}
