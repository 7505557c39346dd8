import Dispatch
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Kernel

/// A kernel and the counts it started with: every scenario ends by
/// terminating its actors and checking the counts came back.
struct KernelFixture {
    let kernel: Kernel
    let baseline: KernelCounts

    init(limits: KernelLimits = KernelLimits(), logger: Logger = Logger(label: "wskdesk.kernel")) {
        kernel = Kernel(limits: limits, logger: logger)
        baseline = kernel.counts
    }

    /// Terminates `actors` and expects no cap, object or live actor left over.
    func expectBaseline(after actors: [ActorID], sourceLocation: SourceLocation = #_sourceLocation) {
        for actor in actors { kernel.terminate(actor, reason: .exited(code: 0)) }
        #expect(kernel.counts == baseline, sourceLocation: sourceLocation)
    }
}

extension Kernel {
    /// Whether `actor` sits in a blocking receive or call right now.
    func isBlocked(_ actor: ActorID) -> Bool {
        state.withLock { $0.actors[actor]?.waiter != nil }
    }

    /// Waits (up to 5 s) until `actor` blocks; false if it never did.
    func waitUntilBlocked(_ actor: ActorID) -> Bool {
        eventually { isBlocked(actor) }
    }
}

/// A blocking syscall run on its own thread, as a native actor would run it.
final class Background<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<Value, SysError>?>(nil)

    init(_ body: @escaping @Sendable () throws(SysError) -> Value) {
        // A thread of its own: blocking a Dispatch worker would starve the pool.
        let thread = Thread { [self] in
            let outcome: Result<Value, SysError>
            do throws(SysError) { outcome = .success(try body()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        thread.start()
    }

    /// The call's outcome, or nil if it has not returned within `timeout`.
    func outcome(timeout: Duration = .seconds(5)) -> Result<Value, SysError>? {
        let ns = Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000)
        guard done.wait(timeout: .now() + .nanoseconds(ns)) == .success else { return nil }
        done.signal()
        return result.withLock { $0 }
    }
}

extension Result where Failure == SysError {
    /// The error, if any: for `#expect(outcome?.failure == .peerClosed)`.
    var failure: SysError? {
        if case .failure(let error) = self { return error }
        return nil
    }

    var value: Success? { try? get() }
}

/// A module launcher for `spawn` without Wasm: "child" starts a native actor
/// the test drives itself, "broken" fails to load, "nothread" loads but its
/// thread cannot be started, anything else is missing.
final class NativeLauncher: ModuleLauncher {
    private let started = Mutex<[ActorID]>([])

    var startedActors: [ActorID] { started.withLock { $0 } }

    func prepare(module name: String, directory: String) -> Result<any PreparedActor, SpawnFailure> {
        switch name {
        case "child": .success(NativeChild(launcher: self))
        case "nothread": .success(ThreadlessChild(launcher: self))
        case "broken": .failure(SpawnFailure(code: .loadFailed, reason: "\(directory)/broken.wasm: not wasm"))
        default: .failure(SpawnFailure(code: .notFound, reason: "no module \(directory)/\(name).wasm"))
        }
    }

    private let refused = Mutex<[ActorID]>([])

    /// Actors whose start failed ("nothread").
    var refusedActors: [ActorID] { refused.withLock { $0 } }

    fileprivate func record(_ actor: ActorID) { started.withLock { $0.append(actor) } }
    fileprivate func recordRefused(_ actor: ActorID) { refused.withLock { $0.append(actor) } }
}

private struct NativeChild: PreparedActor {
    let launcher: NativeLauncher
    func start(in kernel: Kernel, as actor: ActorID) { launcher.record(actor) }
}

/// What a Wasm host reports when `pthread_create` fails with EAGAIN.
private struct ThreadlessChild: PreparedActor {
    static let failure = SpawnFailure(
        code: .limitReached, reason: "could not start a thread for nothread: Resource temporarily unavailable")
    let launcher: NativeLauncher
    func start(in kernel: Kernel, as actor: ActorID) throws(SpawnFailure) {
        launcher.recordRefused(actor)
        throw Self.failure
    }
}

/// Bytes `0, 1, 2, ...` of length `count`.
func ramp(_ count: Int, from start: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: Int(start) + $0) }
}

extension Kernel {
    /// The direct children of the node behind `handle` in `actor`'s space.
    func childCount(of handle: Handle, held actor: ActorID) -> Int? {
        state.withLock { $0.actors[actor]?.space.lookup(handle)?.children.count }
    }

    /// Nodes `destroy` has visited since the kernel started.
    var nodesVisited: Int { state.withLock { $0.nodesVisited } }

    /// Entries the kernel keeps for actors, live and ended.
    var actorRecords: (live: Int, ended: Int) { state.withLock { ($0.actors.count, $0.ended.count) } }
}
