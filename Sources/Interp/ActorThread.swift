import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One OS thread running one actor, with its own stack size, joinable with a
/// timeout. Actors block in the kernel, so they never run on Swift's
/// concurrency pool. The thread is detached, so it gives its stack back when
/// it ends whether or not anyone joins it: the host forgets an ended actor's
/// thread at once.
final class ActorThread: Sendable {
    private let body: @Sendable () -> Void
    private let stackBytes: Int
    private let done = DispatchSemaphore(value: 0)
    private let state = Mutex<State>(State())

    private struct State {
        var finished = false
    }

    init(stackBytes: Int, body: @escaping @Sendable () -> Void) {
        self.stackBytes = stackBytes
        self.body = body
    }

    /// Starts the thread, or says why the system refused one.
    func start() throws(ThreadStartError) {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackBytes)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, { raw in
            let me = Unmanaged<ActorThread>.fromOpaque(raw!).takeRetainedValue()
            me.body()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw ThreadStartError(code: rc)
        }
    }

    /// Called by the body's last act.
    func finished() {
        state.withLock { $0.finished = true }
        done.signal()
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// Waits for the body to finish; false on timeout.
    func join(timeout: Duration) -> Bool {
        let ns = UInt64(timeout.components.seconds) * 1_000_000_000 + UInt64(timeout.components.attoseconds / 1_000_000_000)
        guard !state.withLock({ $0.finished }) else { return true }
        guard done.wait(timeout: .now() + .nanoseconds(Int(ns))) == .success else { return false }
        done.signal()  // leave it signalled for other joiners
        return true
    }
}

/// Why `pthread_create` refused a thread: its error number.
struct ThreadStartError: Error, CustomStringConvertible {
    let code: Int32
    var description: String { String(cString: strerror(code)) }
}

/// Runs `body` on a detached thread of its own, for work nobody joins (a
/// background compile); false if the system refused a thread.
func startDetachedThread(stackBytes: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setstacksize(&attr, stackBytes)
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attr, { raw in
        Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box.toOpaque())
    if rc != 0 { box.release() }
    return rc == 0
}
