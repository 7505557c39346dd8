import Kernel
import Wire

/// Lighting the monitors: at start and after every hotplug, the
/// configurator's arrangement for the monitors connected now is applied.
/// Heads whose monitor went away are darkened, new ones lit, and windows
/// left on no output move onto the primary one. No output at all is a state
/// like any other: apps keep running, and their frames are paced as on a
/// screen until a monitor comes.
extension UIServerState {
    func applyArrangement() {
        outputsChanged = false
        let display = server.display
        let monitors = display.monitors()
        let arrangement = configurator.arrange(monitors)
        for warning in arrangement.warnings { logger.warning("\(warning)") }
        let old = compositor.layout

        // Heads to keep: same connector, same mode. The rest are darkened
        // before anything is lit, so a CRTC they hold is free for a new one.
        var kept: [String: any DisplayBackend] = [:]
        for head in compositor.heads {
            if let placement = arrangement.layout.output(named: head.name), arrangement.modes[head.name] == litModes[head.name],
                arrangement.modes[head.name] != nil
            {
                kept[head.name] = head.backend
                if placement != head.placement { logger.info("output \(describe(placement, "now at"))") }
            } else {
                display.darken(head.backend)
                litModes[head.name] = nil
            }
        }
        var heads: [(placement: OutputPlacement, backend: any DisplayBackend)] = []
        for placement in arrangement.layout.outputs {
            if let backend = kept[placement.name] {
                heads.append((placement, backend))
                continue
            }
            guard let mode = arrangement.modes[placement.name] else {
                logger.error("output \(placement.name) has no mode in the arrangement: left dark")
                continue
            }
            do {
                heads.append((placement, try display.light(placement.name, mode: mode)))
                litModes[placement.name] = mode
                logger.info("output \(describe(placement, "lit at"))")
            } catch {
                logger.error("cannot light output \(placement.name): \(error)")
            }
        }
        compositor.setHeads(heads)
        litMonitors = monitors.filter { monitor in heads.contains { $0.placement.name == monitor.connector } }
        let moved = evacuate(from: old)
        for gone in old.outputs where compositor.layout.output(named: gone.name) == nil {
            let count = moved[gone.name] ?? 0
            if count > 0, let primary = compositor.layout.primary {
                logger.info("output \(gone.name) gone: \(count) window\(count == 1 ? "" : "s") moved to \(primary.name)")
            } else {
                logger.info("output \(gone.name) gone")
            }
        }
        if compositor.heads.isEmpty {
            logger.notice("no outputs: waiting for a monitor")
            return
        }
        refitToScreen()
        let p = compositor.layout.clamp(x: pointer.x, y: pointer.y)
        pointer.x = p.x
        pointer.y = p.y
        compositor.moveCursor(toX: pointerPixel.x, y: pointerPixel.y)
    }

    /// "HDMI-A-1 1920x1080 lit at 1280,0 rotated 90", as the log says it.
    private func describe(_ placement: OutputPlacement, _ where: String) -> String {
        let turned = placement.rotation == .degrees0 ? "" : " rotated \(placement.rotation)"
        return "\(placement.name) \(placement.panelWidth)x\(placement.panelHeight) \(`where`) \(placement.x),\(placement.y)\(turned)"
    }

    /// Moves every window no output shows any more onto the primary output,
    /// where it was on its old output (or as near as fits), wholly inside.
    /// Returns how many windows left each old output.
    private func evacuate(from old: OutputLayout) -> [String: Int] {
        guard let primary = compositor.layout.primary?.rect else { return [:] }
        var moved: [String: Int] = [:]
        for window in compositor.scene.windows {
            let frame = window.frame
            guard !compositor.layout.outputs.contains(where: { $0.rect.intersects(frame) }) else { continue }
            // The old output it showed most of; its offset there is kept.
            let from = old.outputs.max { $0.rect.intersection(frame).area < $1.rect.intersection(frame).area }
            let origin = from.map { (x: frame.x - $0.x, y: frame.y - $0.y) } ?? (x: frame.x - old.bounds.x, y: frame.y - old.bounds.y)
            let x = primary.x + max(0, min(origin.x, primary.width - frame.width))
            let y = primary.y + max(0, min(origin.y, primary.height - frame.height))
            compositor.move(window.id, toX: x + window.x - frame.x, y: y + window.y - frame.y)
            if let from { moved[from.name, default: 0] += 1 }
        }
        return moved
    }

    /// Tells each window whose size the policy ties to the screen (the
    /// kiosk's) the size of the primary output now.
    private func refitToScreen() {
        let screen = compositor.screen
        for window in compositor.scene.windows {
            let size = policy.configuredSize(width: window.width, height: window.height, screen: screen)
            guard size.width != window.width || size.height != window.height else { continue }
            if window.x != screen.x || window.y != screen.y {
                compositor.move(window.id, toX: screen.x, y: screen.y)
            }
            var configure = PayloadWriter()
            configure.u32(window.id)
            configure.u32(UInt32(size.width))
            configure.u32(UInt32(size.height))
            sendEvent(to: window.id, WindowProtocol.configure, configure.bytes)
        }
    }
}
