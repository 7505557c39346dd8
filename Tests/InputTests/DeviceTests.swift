import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Input

/// What of libinput can run without input devices (this machine has none;
/// the QEMU end-to-end test drives real ones): scroll steps, and failing
/// gracefully — a device that cannot be opened is logged, nothing crashes,
/// every fd opened is closed.
@Suite struct DeviceTests {
    @Test func wheelStepsComeFromV120() {
        var s = ScrollAccumulator()
        #expect(s.wheel(v120: 0, 120)! == (0, 1))
        #expect(s.wheel(v120: 0, -240)! == (0, -2))
        // A high-resolution wheel: thirds of a notch add up to one step.
        #expect(s.wheel(v120: 0, 40) == nil)
        #expect(s.wheel(v120: 0, 40) == nil)
        #expect(s.wheel(v120: 0, 40)! == (0, 1))
        // Turning round drops what was pending.
        #expect(s.wheel(v120: 60, 0) == nil)
        #expect(s.wheel(v120: -60, 0) == nil)
        #expect(s.wheel(v120: -60, 0)! == (-1, 0))
    }

    @Test func fingerScrollingAddsUpToSteps() {
        var s = ScrollAccumulator(unitsPerStep: 15)
        #expect(s.continuous(0, 10) == nil)
        #expect(s.continuous(0, 10)! == (0, 1))  // 20: one step, 5 kept
        #expect(s.continuous(0, 25)! == (0, 2))  // 30
        #expect(s.continuous(0, 10) == nil)
        #expect(s.continuous(0, 0) == nil)  // fingers lifted: the remainder goes
        #expect(s.continuous(0, 10) == nil)
        #expect(s.continuous(0, 5)! == (0, 1))
    }

    /// Records what libinput asked to open and close.
    final class AccessLog: Sendable {
        let calls = Mutex<[String]>([])
        var access: DeviceAccess {
            DeviceAccess(
                open: { path, flags in
                    let fd = DeviceAccess.direct.open(path, flags)
                    self.calls.withLock { $0.append("open \(path) -> \(fd < 0 ? "error" : "fd")") }
                    return fd
                },
                close: { fd in
                    self.calls.withLock { $0.append("close") }
                    DeviceAccess.direct.close(fd)
                })
        }
    }

    @Test func unopenableDevicesAreLoggedAndTheSourceStillRuns() throws {
        let log = LogCapture()
        let access = AccessLog()
        let events = Mutex<[DeviceEvent]>([])
        // (A path that exists but is no input device, like /dev/null, takes
        // libinput 2 s of waiting for udev here; the message is the same kind.)
        let source = try LibInputSource(devices: .paths(["/nonexistent/event99"]), access: access.access,
                                        logger: log.logger) { e in
            events.withLock { $0.append(e) }
            return nil
        }
        source.start()
        source.setLEDs(.capsLock)
        source.suspend()
        source.resume()
        source.stop()
        source.stop()  // twice is fine
        let errors = log.messages(atLeast: .error)
        #expect(errors.contains("input device /nonexistent/event99: no such device"))
        let notices = log.messages(atLeast: .notice).filter { $0.contains("running without input") }
        #expect(notices == ["none of the input devices could be opened: running without input"])
        #expect(events.withLock { $0 }.isEmpty)
        let calls = access.calls.withLock { $0 }
        let opened = calls.filter { $0.hasSuffix("-> fd") }.count
        #expect(calls.filter { $0 == "close" }.count == opened, "every fd opened is closed: \(calls)")
    }

    @Test func aSeatWithoutDevicesRunsAndSaysSoOnce() throws {
        let log = LogCapture()
        let source: LibInputSource
        do {
            source = try LibInputSource(devices: .seat("seat-test-none"), logger: log.logger) { _ in nil }
        } catch {
            // No udev at all (a bare container): a clear error, no crash.
            #expect(error.description.contains("seat"))
            return
        }
        source.start()
        source.stop()
        let notices = log.messages(atLeast: .notice).filter { $0.contains("running without input") }
        #expect(notices.count == 1)
        #expect(notices.first?.hasPrefix("no input devices on seat-test-none") == true)
    }

    @Test func aSourceThatNeverStartedTearsDown() throws {
        _ = try LibInputSource(devices: .paths([]), logger: LogCapture().logger) { _ in nil }
    }
}
