import Foundation
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// Bad apps get an error or are disconnected; the others do not notice.
@Suite(.serialized) struct MisbehavingClientTests {
    static let good: UInt32 = 0x0011_aa33

    /// A well-behaved app with a window, and the pixel where it shows.
    func goodApp(_ h: UIServerHarness) throws -> (TestApp, TestApp.Created) {
        let app = try h.app("good")
        let w = try app.createWindow(width: 60, height: 40, title: "good") { _, _ in Self.good }
        return (app, w)
    }

    func errorCode(_ answer: ReceivedMessage) -> Int32? {
        guard answer.opcode == WindowProtocol.error else { return nil }
        var r = PayloadReader(answer.payload)
        return r.i32()
    }

    @Test func badCreateRequestsAreAnsweredWithErrors() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let bad = try h.app("bad")
        let small = try h.kernel.createBuffer(bad.actor, size: 100)
        func create(_ w: UInt32, _ h: UInt32, flags: UInt32 = 0, format: UInt32 = 0, cap: Handle) throws -> ReceivedMessage {
            var p = PayloadWriter()
            p.u32(w)
            p.u32(h)
            p.u32(flags)
            p.u32(format)
            return try bad.callAnswer(WindowProtocol.createWindow, p.bytes, cap: cap)
        }
        #expect(errorCode(try create(10, 10, cap: small)) == ProtocolError.badSurface.rawValue)  // 400 bytes needed
        #expect(errorCode(try create(10, 10, cap: .null)) == ProtocolError.badSurface.rawValue)
        #expect(errorCode(try create(0, 10, cap: small)) == ProtocolError.badSize.rawValue)
        #expect(errorCode(try create(9000, 10, cap: small)) == ProtocolError.badSize.rawValue)
        #expect(errorCode(try create(5, 5, format: 7, cap: small)) == ProtocolError.badFormat.rawValue)
        #expect(errorCode(try create(5, 5, flags: 0x80, cap: small)) == ProtocolError.badFormat.rawValue)
        #expect(errorCode(try bad.callAnswer(WindowProtocol.createWindow, [1, 2, 3], cap: small)) == ProtocolError.malformed.rawValue)
        let writeOnly = try h.kernel.derive(bad.actor, small, rights: [.write, .grant])
        #expect(errorCode(try create(5, 5, cap: writeOnly)) == ProtocolError.badSurface.rawValue)
        #expect(errorCode(try bad.callAnswer(0x0999, [])) == ProtocolError.malformed.rawValue)
        // None of the caps it sent stayed with ui_server.
        #expect(h.onServer { s in s.kernel.capabilityCount(of: s.actor) } == 2)  // its two inboxes alone (window requests, input)
    }

    @Test func tooManyWindowsAreRefused() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let greedy = try h.app("greedy")
        for _ in 0..<WindowProtocol.maxWindowsPerClient {
            _ = try greedy.createWindow(width: 4, height: 4, commit: false) { _, _ in 0 }
        }
        #expect(throws: HarnessError.self) { try greedy.createWindow(width: 4, height: 4) { _, _ in 0 } }
    }

    @Test func commitsOutsideTheSurfaceAreClippedAndOthersUntouched() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let (_, gw) = try goodApp(h)
        let bad = try h.app("bad")
        let bw = try bad.createWindow(width: 20, height: 20) { _, _ in 0x0000_00ff }
        try bad.commit(bw.id, [Rect(x: -1000, y: -1000, width: 5000, height: 5000), Rect(x: Int(Int32.max) - 5, y: 0, width: 100, height: 1)])
        try bad.commit(gw.id)  // someone else's window: refused
        try bad.send(WindowProtocol.commit, [1, 2])  // too short
        for _ in 0..<2000 { try? bad.commit(bw.id) }  // a flood; the inbox is bounded
        let screen = try h.settle()
        #expect(screen[gw.x + 5, gw.y + 5] == Self.good)
        #expect(screen[bw.x + 19, bw.y + 19] == 0x0000_00ff)
    }

    @Test func anAppThatNeverReadsItsEventsIsDisconnected() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let (good, gw) = try goodApp(h)
        let deaf = try h.app("deaf")
        let dw = try deaf.createWindow(width: 100, height: 100) { _, _ in 0x0000_00ff }
        _ = try h.settle()
        // Pointer motion over its window until its queue (256) overflows 256 more times.
        for i in 0..<700 {
            try h.moveTo(dw.x + 10 + i % 50, dw.y + 10 + (i / 50) % 50)
            if i % 100 == 0 { _ = try h.settle() }
        }
        let screen = try h.settle()
        #expect(h.onServer { $0.windows[dw.id] == nil })
        #expect(screen[dw.x + 90, dw.y + 90] != 0x0000_00ff)
        #expect(screen[gw.x + 5, gw.y + 5] == Self.good)
        // Its event endpoint was revoked: receiving on it now fails.
        #expect(throws: SysError.invalidHandle) { try h.kernel.receive(deaf.actor, from: dw.events, capacity: 64, timeout: .poll) }
        // The good app still gets its events.
        _ = try good.events(gw)
        try h.click(at: gw.x + 1, gw.y + 1)
        _ = try h.settle()
        #expect(try good.events(gw).contains { $0.0 == WindowProtocol.pointerButton })
    }

    @Test func anAppThatDiesLosesItsWindowsAndNothingLeaks() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let (_, gw) = try goodApp(h)
        _ = try h.settle()
        let baseline = h.onServer { s in s.kernel.capabilityCount(of: s.actor) }
        let doomed = try h.app("doomed")
        let w = try doomed.createWindow(width: 50, height: 50) { _, _ in 0x0000_00ff }
        try doomed.commit(w.id)  // dies mid-frame: committed, never waits
        h.kernel.terminate(doomed.actor, reason: .trapped("test"))
        let screen = try h.settle()
        #expect(screen[w.x + 25, w.y + 25] != 0x0000_00ff)
        #expect(h.onServer { $0.windows.isEmpty == false && $0.windows[w.id] == nil })
        #expect(h.onServer { s in s.kernel.capabilityCount(of: s.actor) } == baseline)
        #expect(screen[gw.x + 5, gw.y + 5] == Self.good)
    }

    @Test func releasingTheSurfaceClosesTheWindowAtTheNextCommit() throws {
        let h = try UIServerHarness()
        defer { h.stop() }
        let app = try h.app("app")
        let w = try app.createWindow(width: 30, height: 30) { _, _ in 0x0000_00ff }
        _ = try h.settle()
        try h.kernel.release(app.actor, w.surface)  // ui_server's copy goes with it
        try app.commit(w.id)
        let screen = try h.settle()
        #expect(h.onServer { $0.windows[w.id] == nil })
        #expect(screen[w.x + 5, w.y + 5] != 0x0000_00ff)
    }
}
