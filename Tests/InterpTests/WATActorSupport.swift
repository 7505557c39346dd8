import Foundation
import Interp
import Synchronization
import TestSupport
import Testing

@testable import Kernel

/// Every host call of the ABI, imported under a short name, for inline WAT actors.
let allHostImports = """
    (import "env" "sys_log" (func $log (param i32 i32)))
    (import "env" "sys_exit" (func $exit (param i32)))
    (import "env" "sys_cap_send" (func $send (param i64 i32 i32 i32 i64) (result i32)))
    (import "env" "sys_cap_recv" (func $recv (param i64 i32 i32) (result i64)))
    (import "env" "sys_cap_mem_read" (func $read (param i64 i32 i32 i32) (result i32)))
    (import "env" "sys_cap_mem_write" (func $write (param i64 i32 i32 i32) (result i32)))
    (import "env" "sys_fb_info" (func $fb_info (result i64)))
    (import "env" "sys_cap_recv_timeout" (func $recv_timeout (param i64 i32 i32 i64) (result i64)))
    (import "env" "sys_cap_call" (func $call (param i64 i32 i32 i32 i64 i32 i32 i64) (result i64)))
    (import "env" "sys_cap_release" (func $release (param i64) (result i32)))
    (import "env" "sys_cap_derive" (func $derive (param i64 i32) (result i64)))
    (import "env" "sys_cap_revoke" (func $revoke (param i64) (result i32)))
    (import "env" "sys_cap_info" (func $info (param i64 i32) (result i32)))
    (import "env" "sys_endpoint_create" (func $endpoint_create (param i32) (result i64)))
    (import "env" "sys_buffer_create" (func $buffer_create (param i32) (result i64)))
    (import "env" "sys_spawn" (func $spawn (param i64 i32 i32 i64) (result i64)))
    (import "env" "sys_actor_kill" (func $kill (param i64) (result i32)))
    (import "env" "sys_time_now" (func $now (result i64)))
    (import "env" "sys_yield" (func $yield))
    (import "env" "sys_file_resize" (func $file_resize (param i64 i64) (result i32)))
    (import "env" "sys_dir_open" (func $dir_open (param i64 i32 i32 i32 i32) (result i64)))
    (import "env" "sys_dir_list" (func $dir_list (param i64 i32 i32 i32) (result i32)))
    (import "env" "sys_engine" (func $engine (result i32)))
    """

/// Linear memory an actor built by `reportingActor` keeps for its report.
let reportArea = 0xE000

/// A WAT actor with every host call imported and one page of memory. Its
/// `_start` runs `body`, in which `(call $report X)` (an i64) or
/// `(call $report32 X)` (an i32, sign-extended) records a value and
/// `(call $flush (i64.const H))` sends every value recorded so far, as one
/// message of little-endian i64s with opcode 0x5245, on handle H. Memory from
/// `reportArea` on is the report's; `data` may place bytes below it.
/// `imports` adds imports of its own (WASI functions).
func reportingActor(
    body: String, locals: String = "", functions: String = "", data: String = "", imports: String = ""
) -> String {
    """
    (module
      \(allHostImports)
      \(imports)
      (memory (export "memory") 1)
      \(data)
      (global $reported (mut i32) (i32.const 0))
      (func $report (param $v i64)
        (i64.store (i32.add (i32.const \(reportArea)) (i32.shl (global.get $reported) (i32.const 3))) (local.get $v))
        (global.set $reported (i32.add (global.get $reported) (i32.const 1))))
      (func $report32 (param $v i32) (call $report (i64.extend_i32_s (local.get $v))))
      (func $flush (param $h i64)
        (drop (call $send (local.get $h) (i32.const 0x5245) (i32.const \(reportArea))
          (i32.shl (global.get $reported) (i32.const 3)) (i64.const 0)))
        (global.set $reported (i32.const 0)))
      \(functions)

      (func $start \(locals)
        \(body)
      )
      (export "_start" (func $start)))
    """
}

/// A native actor on the test's side: Wasm actors send it their reports and
/// requests on a cap the test grants them.
struct Probe {
    let kernel: Kernel
    let id: ActorID
    let endpoint: Handle

    init(_ kernel: Kernel, name: String = "probe", capacity: Int = 0) throws {
        self.kernel = kernel
        id = kernel.createActor(name: name)
        endpoint = try kernel.createEndpoint(id, capacity: capacity)
    }

    /// Grants `actor` a cap to send to this probe (its next handle).
    @discardableResult
    func grantSend(to actor: ActorID, rights: Rights = [.send]) throws -> Handle {
        try kernel.grantCopy(of: endpoint, held: id, rights: rights, to: actor)
    }

    /// The next message, waiting up to five seconds.
    func next(timeout: UInt64 = 5_000_000_000) throws -> ReceivedMessage {
        let receipt = try kernel.receive(id, from: endpoint, capacity: ABI.messageHeaderSize + ABI.maxPayload, timeout: .nanoseconds(timeout))
        guard case .message(let message) = receipt else { throw SysError.bufferTooSmall }
        return message
    }

    /// The values of the next report (see `reportingActor`).
    func report() throws -> [Int64] {
        let message = try next()
        #expect(message.opcode == 0x5245)
        return message.payload.int64s
    }
}

extension [UInt8] {
    var int64s: [Int64] {
        stride(from: 0, to: count - count % 8, by: 8).map { i in
            self[i..<i + 8].reversed().reduce(0) { $0 << 8 | Int64($1) }
        }
    }
}

/// Bytes `0, 1, 2, ...` of length `count`.
func ramp(_ count: Int, from start: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: Int(start) + $0) }
}

/// Little-endian bytes of `values`.
func bytes(_ values: [UInt32]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}

extension TestSystem {
    /// Spawns `wat` as `name`, granting what `grant` grants (handles 1, 2, ... in order).
    @discardableResult
    func run(_ wat: String, name: String = "test", grant: (ActorID) throws -> Void = { _ in }) throws -> ActorID {
        try host.spawn(module(wat: wat, name: name), grant: grant)
    }

    /// Ends `natives`, joins every Wasm actor in `actors`, and expects the
    /// kernel counts and the host's threads back at `baseline`.
    func expectClean(
        baseline: KernelCounts, actors: [ActorID], natives: [ActorID] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for actor in actors {
            if !host.wait(for: actor, timeout: .seconds(5)) {
                Issue.record("\(actor) still running", sourceLocation: sourceLocation)
                kernel.terminate(actor, reason: .killed(by: nil))
                _ = host.wait(for: actor, timeout: .seconds(5))
            }
        }
        for native in natives { kernel.terminate(native, reason: .exited(code: 0)) }
        #expect(kernel.counts == baseline, sourceLocation: sourceLocation)
        #expect(host.runningThreads == 0, sourceLocation: sourceLocation)
        #expect(ranOnItsTier, "actors fell back from the \(tier) tier", sourceLocation: sourceLocation)
    }
}

extension Kernel {
    /// Whether `actor` sits in a blocking receive or call right now.
    func isBlocked(_ actor: ActorID) -> Bool {
        state.withLock { $0.actors[actor]?.waiter != nil }
    }

    func waitUntilBlocked(_ actor: ActorID) -> Bool {
        eventually { isBlocked(actor) }
    }
}

/// A native actor's blocking work on its own thread (never a Dispatch
/// worker: blocking those starves the pool).
final class NativeThread<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let value = Mutex<Value?>(nil)

    init(_ body: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            let result = body()
            value.withLock { $0 = result }
            done.signal()
        }
        thread.start()
    }

    /// What the body returned, or nil if it has not within `timeout`.
    func result(timeout: Duration = .seconds(5)) -> Value? {
        let ms = Int(timeout.components.seconds) * 1000 + Int(timeout.components.attoseconds / 1_000_000_000_000_000)
        guard done.wait(timeout: .now() + .milliseconds(ms)) == .success else { return nil }
        done.signal()
        return value.withLock { $0 }
    }
}
