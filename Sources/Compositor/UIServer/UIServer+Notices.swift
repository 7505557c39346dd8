import Kernel
import Wire

/// News from the desktop for an app as a whole rather than for one of its
/// windows (wskdesk's plugin folder watcher: PLUGINS_CHANGED). An app reads
/// events on its windows' endpoints only, so that is where news goes: an app
/// idle in its event loop wakes at once.
extension UIServer {
    /// Sends `opcode` to every window `app` has open, each message the
    /// window's id then `fields`, from the ui_server thread (this returns at
    /// once). An app with no window is not told. Messages an app leaves
    /// unread count against it like any event (`ClientRecord.maxDroppedInARow`).
    public func sendToEveryWindow(of app: ActorID, opcode: UInt32, fields: [UInt8]) {
        inspect { state in state.sendToEveryWindow(of: app, opcode: opcode, fields: fields) }
    }
}

extension UIServerState {
    func sendToEveryWindow(of app: ActorID, opcode: UInt32, fields: [UInt8]) {
        for id in clients[app]?.windows.sorted() ?? [] {
            var payload = PayloadWriter()
            payload.u32(id)
            sendEvent(to: id, opcode, payload.bytes + fields)
        }
    }
}
