import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// Stopping ui_server comes before giving the output back: on DRM a frame
/// presented after `restore()` hits a display that is no longer wskdesk's
/// (a trap in the backend, or "the DRM output was already given back").
@Suite struct StopTests {
    /// The headless backend, counting what ui_server asks of it after it
    /// was given back.
    final class WatchedBackend: DisplayBackend, @unchecked Sendable {
        let inner = HeadlessBackend(width: 320, height: 240)
        let usedAfterRestore = Atomic<Int>(0)
        let used = Atomic<Int>(0)
        private let restored = Atomic<Bool>(false)

        var name: String { "watched" }
        var kind: BackendKind { inner.kind }
        var width: Int { inner.width }
        var height: Int { inner.height }

        private func use() {
            used.add(1, ordering: .relaxed)
            if restored.load(ordering: .acquiring) { usedAfterRestore.add(1, ordering: .relaxed) }
        }

        func acquireBackBuffer() -> BackBuffer {
            use()
            return inner.acquireBackBuffer()
        }

        func present(_ buffer: BackBuffer, damage: Region) throws(DisplayError) {
            use()
            try inner.present(buffer, damage: damage)
        }

        func waitForPresentation(timeoutNanoseconds: UInt64) -> Bool {
            inner.waitForPresentation(timeoutNanoseconds: timeoutNanoseconds)
        }

        func frontBuffer() -> PixelBuffer { inner.frontBuffer() }
        func restore() { restored.store(true, ordering: .releasing) }
        func suspend() {}
        func resume() throws(DisplayError) {}
    }

    /// The pointer moves all the while (every move is a frame); once
    /// `stopAndWait` returns, nothing more reaches the backend.
    @Test func afterStopAndWaitNothingIsPresented() throws {
        let kernel = Kernel()
        let backend = WatchedBackend()
        var logger = Logger(label: "test.ui_server")
        logger.logLevel = .critical
        let server = try UIServer(kernel: kernel, backend: backend, policy: DesktopPolicy(), logger: logger)
        let input = kernel.createActor(name: "input")
        let inputHandle = try server.connect(inputSource: input)
        Thread { server.run() }.start()

        let moving = Atomic<Bool>(true)
        let mover = Thread {
            var x = 0
            while moving.load(ordering: .relaxed) {
                x = (x + 7) % 320
                var p = PayloadWriter()
                p.u32(1)
                p.f64((Double(x) + 0.5) / 320)
                p.f64(0.5)
                _ = try? kernel.send(input, to: inputHandle, opcode: WindowProtocol.inputPointerMotion, payload: p.bytes)
                usleep(200)
            }
        }
        mover.start()
        defer { moving.store(false, ordering: .relaxed) }
        #expect(eventually(timeout: .seconds(10)) { backend.used.load(ordering: .relaxed) > 20 }, "the pointer's frames never came")

        #expect(server.stopAndWait(timeout: .seconds(5)))
        backend.restore()
        usleep(200_000)  // the pointer keeps moving meanwhile
        #expect(backend.usedAfterRestore.load(ordering: .relaxed) == 0)
    }
}
