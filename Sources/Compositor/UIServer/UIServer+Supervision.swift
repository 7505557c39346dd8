import Kernel
import Wire

/// What the executable and a supervisor (the kiosk in wskdesk) may ask of
/// ui_server: stop drawing across a VT switch, show the runtime's own message
/// box, and tell whether an app still reads its events.
extension UIServer {
    /// The session switched VTs: stop drawing (`true`) or draw everything
    /// again (`false`).
    public func setSuspended(_ suspended: Bool) {
        inspect { state in
            if suspended {
                state.compositor.suspend()
            } else {
                do {
                    try state.compositor.resume()
                } catch {
                    state.logger.error("cannot show the desktop again: \(error)")
                }
            }
        }
    }

    /// Shows `lines` in a box over everything, or hides it (nil).
    public func showOverlay(_ lines: [String]?) {
        inspect { state in state.compositor.setOverlay(lines.map(Overlay.init(lines:))) }
    }
}

extension UIServerState {
    /// Sends each window of `app` a HEARTBEAT event (none while the app
    /// waits on its file chooser: then nothing counts as waiting) and reports
    /// how many events its windows have taken so far and how many wait: an
    /// app whose count of taken events stops moving while events wait is not
    /// answering. Nil when the app has no window.
    public func heartbeat(_ app: ActorID) -> (queued: Int, taken: UInt64)? {
        let ids = windows.values.filter { $0.window.owner == app }.map(\.window.id).sorted()
        guard !ids.isEmpty else { return nil }
        // An app waiting on its file chooser waits on the user, who may
        // take their time: nothing is asked of it, and nothing counts as unread.
        let choosing = isChoosingFile(app)
        var queued = 0
        var taken: UInt64 = 0
        for id in ids {
            if let record = windows[id], let progress = try? kernel.queueProgress(actor, record.events) {
                queued += progress.queued
                taken &+= progress.taken
            }
            if choosing { continue }
            var payload = PayloadWriter()
            payload.u32(id)
            sendEvent(to: id, WindowProtocol.heartbeat, payload.bytes)
        }
        return (choosing ? 0 : queued, taken)
    }
}
