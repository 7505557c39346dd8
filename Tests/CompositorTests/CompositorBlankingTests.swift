import Synchronization
import TestSupport
import Testing

@testable import Compositor

/// A headless panel that can be switched off, as DPMS does: while off it
/// refuses nothing, but the test sees every frame presented to it.
final class SwitchableBackend: DisplayBackend, @unchecked Sendable {
    let panel: HeadlessBackend
    private let power = Mutex(true)

    init(width: Int, height: Int, name: String) {
        panel = HeadlessBackend(width: width, height: height, name: name)
    }

    var isOn: Bool { power.withLock { $0 } }
    var name: String { panel.name }
    var kind: BackendKind { .headless }
    var width: Int { panel.width }
    var height: Int { panel.height }
    func acquireBackBuffer() -> BackBuffer { panel.acquireBackBuffer() }
    func present(_ buffer: BackBuffer, damage: Region) throws(DisplayError) { try panel.present(buffer, damage: damage) }
    func waitForPresentation(timeoutNanoseconds: UInt64) -> Bool { true }
    func frontBuffer() -> PixelBuffer { panel.frontBuffer() }
    func restore() {}
    func setPower(_ on: Bool) -> Bool {
        power.withLock { $0 = on }
        return true
    }
}

/// `Compositor.setBlanked` over several heads: panels that can go off go
/// off and are left alone, the others show black once, and everything is
/// drawn whole on waking.
@Suite struct CompositorBlankingTests {
    static func isBlack(_ buffer: PixelBuffer) -> Bool {
        Picture(buffer).pixels.allSatisfy { $0 == 0 }
    }

    @Test func headsThatCanTurnOffDoAndTheOthersShowBlack() throws {
        let switchable = SwitchableBackend(width: 160, height: 120, name: "DP-1")
        let plain = HeadlessBackend(width: 120, height: 100, name: "HDMI-A-1")
        let compositor = Compositor(heads: [
            (OutputPlacement(name: "DP-1", x: 0, y: 0, panelWidth: 160, panelHeight: 120, primary: true), switchable),
            (OutputPlacement(name: "HDMI-A-1", x: 160, y: 0, panelWidth: 120, panelHeight: 100, rotation: .degrees90), plain),
        ])
        compositor.add(try Fixture.window(id: 1, x: 120, y: 20, width: 80, height: 40, decorated: false) { _, _ in 0x0033_6699 })
        try compositor.renderFrame()
        let litFrames = switchable.panel.presentedFrames

        compositor.setBlanked(true)
        #expect(!switchable.isOn)
        #expect(compositor.head(named: "DP-1")?.blank == .panelOff)
        #expect(compositor.head(named: "HDMI-A-1")?.blank == .black)
        try compositor.renderFrame()
        #expect(Self.isBlack(plain.frontBuffer()), "the head without DPMS shows a black frame")
        let blackFrames = plain.presentedFrames

        // Apps go on drawing while the screen is dark: nothing reaches either panel.
        compositor.move(1, toX: 100, y: 50)
        compositor.moveCursor(toX: 200, y: 60)
        #expect(!compositor.needsFrame)
        try compositor.renderFrame()
        #expect(switchable.panel.presentedFrames == litFrames)
        #expect(plain.presentedFrames == blackFrames)

        // Woken: both lit, each showing the scene as it is now.
        #expect(compositor.setBlanked(false).isEmpty)
        #expect(switchable.isOn)
        try compositor.renderFrame()
        for head in compositor.heads {
            #expect(head.blank == .none)
            let difference = MultiHeadTests.expectedPanel(compositor, head).firstDifference(Picture(head.backend.frontBuffer()))
            #expect(difference == nil, "\(head.name) differs at \(String(describing: difference))")
        }
    }

    /// A monitor plugged in while the screen is dark comes up dark; the
    /// heads already blanked keep their state.
    @Test func aHeadLitWhileBlankedIsBlankedToo() throws {
        let first = SwitchableBackend(width: 100, height: 80, name: "DP-1")
        let firstPlacement = OutputPlacement(name: "DP-1", x: 0, y: 0, panelWidth: 100, panelHeight: 80, primary: true)
        let compositor = Compositor(heads: [(firstPlacement, first)])
        try compositor.renderFrame()
        compositor.setBlanked(true)

        let second = SwitchableBackend(width: 90, height: 70, name: "DP-2")
        compositor.setHeads([
            (firstPlacement, first),
            (OutputPlacement(name: "DP-2", x: 100, y: 0, panelWidth: 90, panelHeight: 70), second),
        ])
        #expect(!second.isOn)
        #expect(compositor.heads.allSatisfy { $0.blank == .panelOff })
        #expect(!compositor.needsFrame)
        #expect(second.panel.presentedFrames == 0)

        compositor.setBlanked(false)
        #expect(first.isOn && second.isOn)
        try compositor.renderFrame()
        for head in compositor.heads {
            #expect(MultiHeadTests.expectedPanel(compositor, head).firstDifference(Picture(head.backend.frontBuffer())) == nil)
        }
    }
}
