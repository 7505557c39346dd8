import Dispatch
import Kernel
import Synchronization
import Wire

/// What a supervisor (the kiosk policy in wskdesk) may ask of ui_server: show
/// the runtime's own message box, and tell whether an app still reads its
/// events.
extension UIServer {
    /// The session switched VTs: stop drawing (`true`) or draw everything
    /// again (`false`).
    public func setSuspended(_ suspended: Bool) {
        inspect { server in
            if suspended {
                server.compositor.suspend()
            } else {
                do {
                    try server.compositor.resume()
                } catch {
                    server.logger.error("cannot show the desktop again: \(error)")
                }
            }
        }
    }

    /// Shows `lines` in a box over everything, or hides it (nil).
    public func showOverlay(_ lines: [String]?) {
        inspect { server in server.compositor.setOverlay(lines.map(Overlay.init(lines:))) }
    }

    /// Runs `body` on the ui_server thread and returns its result; nil if
    /// ui_server did not answer within `timeoutNanoseconds` (it is stopped).
    public func query<T: Sendable>(timeoutNanoseconds: UInt64 = 2_000_000_000, _ body: @escaping @Sendable (UIServer) -> T) -> T? {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        inspect { server in
            result.withLock { $0 = body(server) }
            done.signal()
        }
        guard done.wait(timeout: .now() + .nanoseconds(Int(timeoutNanoseconds))) == .success else { return nil }
        return result.withLock { $0 }
    }

    /// Sends each window of `app` a HEARTBEAT event and reports
    /// how many events its windows have taken so far and how many wait: an
    /// app whose count of taken events stops moving while events wait is not
    /// answering. Nil when the app has no window.
    public func heartbeat(_ app: ActorID) -> (queued: Int, taken: UInt64)? {
        let ids = windows.values.filter { $0.window.owner == app }.map(\.window.id).sorted()
        guard !ids.isEmpty else { return nil }
        var queued = 0
        var taken: UInt64 = 0
        for id in ids {
            if let record = windows[id], let progress = try? kernel.queueProgress(actor, record.events) {
                queued += progress.queued
                taken &+= progress.taken
            }
            var payload = PayloadWriter()
            payload.u32(id)
            sendEvent(to: id, WindowProtocol.heartbeat, payload.bytes)
        }
        return (queued, taken)
    }
}
