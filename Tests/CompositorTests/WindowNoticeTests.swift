import Foundation
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// `UIServer.sendToEveryWindow`: news for an app reaches each of its
/// windows' event endpoints, with that window's id, and no other app's.
@Suite struct WindowNoticeTests {
    @Test func everyWindowOfTheAppGetsTheEventWithItsOwnID() throws {
        let harness = try UIServerHarness()
        defer { harness.stop() }
        let (app, first) = try harness.appWithOneWindow()
        let second = try app.createWindow(width: 20, height: 20) { _, _ in 0 }
        let (other, otherWindow) = try harness.appWithOneWindow()
        _ = try harness.settle()
        _ = try app.events(second)

        harness.server.sendToEveryWindow(of: app.actor, opcode: WindowProtocol.pluginsChanged, fields: Array("+blur\n~edges".utf8))
        _ = try harness.settle()
        for window in [first, second] {
            let events = try app.events(window).filter { $0.0 == WindowProtocol.pluginsChanged }
            #expect(events.count == 1)
            #expect(events.first.map { String(decoding: $0.1, as: UTF8.self) } == "+blur\n~edges")
        }
        #expect(try other.events(otherWindow).allSatisfy { $0.0 != WindowProtocol.pluginsChanged })
    }
}
