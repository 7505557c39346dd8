import Dispatch
import Foundation
import Interp
import Kernel
import Synchronization
import WAT

#if canImport(Glibc)
    import Glibc
#endif

/// Actor-to-actor round trips through the kernel against raw two-thread
/// ping-pongs (mutex + condition variable; a futex-backed semaphore pair).
enum IPCBenchmark {
    static let roundTrips = 20_000

    static func run() throws {
        section("IPC round trip (\(roundTrips) each; median / p99)")
        let condvar = condvarPingPong()
        let semaphore = semaphorePingPong()
        let spinning = spinningPingPong()
        let kernelSendRecv = try kernelPingPong()
        let kernelCall = try kernelCallReply()
        print("  baseline mutex+condvar ping-pong          \(format(condvar.median)) / \(format(condvar.p99))")
        print("  baseline semaphore (futex) ping-pong      \(format(semaphore.median)) / \(format(semaphore.p99))")
        print("  baseline spin-20µs-then-futex ping-pong   \(format(spinning.median)) / \(format(spinning.p99))")
        report("kernel send/recv round trip, median", kernelSendRecv.median, baseline: semaphore.median, baselineName: "semaphore")
        report("kernel send/recv round trip, p99", kernelSendRecv.p99, baseline: semaphore.p99, baselineName: "semaphore")
        report("kernel call/reply round trip, median", kernelCall.median, baseline: semaphore.median, baselineName: "semaphore")
        report("kernel call/reply round trip, p99", kernelCall.p99, baseline: semaphore.p99, baselineName: "semaphore")
        report("kernel send/recv vs condvar, median", kernelSendRecv.median, baseline: condvar.median, baselineName: "condvar")
        report("kernel send/recv vs same spin strategy", kernelSendRecv.median, baseline: spinning.median, baselineName: "spin+futex")
        report("kernel call/reply vs same spin strategy", kernelCall.median, baseline: spinning.median, baselineName: "spin+futex")
        print("  (goal, issue #16: both at most 3x the spin+futex ping-pong)")

        let wasm = try wasmPingPong(count: 20_000)
        report("Wasm actor <-> Wasm actor call, mean", wasm, baseline: semaphore.median, baselineName: "semaphore")

        let throughput = try kernelThroughput(count: 200_000)
        print("  kernel messages per second (one way, 16-byte payload): \(Int(throughput)) (goal: 3000000)")
    }

    // MARK: Baselines

    static func condvarPingPong() -> Samples {
        final class Shared: @unchecked Sendable {
            // Guarded by `mutex`.
            var mutex = pthread_mutex_t()
            var cond = pthread_cond_t()
            var turn = 0
        }
        let s = Shared()
        pthread_mutex_init(&s.mutex, nil)
        pthread_cond_init(&s.cond, nil)
        let n = roundTrips
        let thread = Thread {
            for _ in 0..<n {
                pthread_mutex_lock(&s.mutex)
                while s.turn != 1 { pthread_cond_wait(&s.cond, &s.mutex) }
                s.turn = 0
                pthread_cond_broadcast(&s.cond)
                pthread_mutex_unlock(&s.mutex)
            }
        }
        thread.start()
        return sample(n) {
            pthread_mutex_lock(&s.mutex)
            s.turn = 1
            pthread_cond_broadcast(&s.cond)
            while s.turn != 0 { pthread_cond_wait(&s.cond, &s.mutex) }
            pthread_mutex_unlock(&s.mutex)
        }
    }

    static func semaphorePingPong() -> Samples {
        let ping = DispatchSemaphore(value: 0)
        let pong = DispatchSemaphore(value: 0)
        let n = roundTrips
        let thread = Thread {
            for _ in 0..<n {
                ping.wait()
                pong.signal()
            }
        }
        thread.start()
        return sample(n) {
            ping.signal()
            pong.wait()
        }
    }

    /// The kernel's own waiting strategy with nothing else: spin up to 20 µs
    /// on an atomic flag, then sleep on a semaphore. Shows what the kernel
    /// adds on top of its blocking primitive.
    static func spinningPingPong() -> Samples {
        final class Flag: Sendable {
            let set = Atomic<Bool>(false)
            let semaphore = DispatchSemaphore(value: 0)
            func signal() {
                set.store(true, ordering: .releasing)
                semaphore.signal()
            }
            func wait() {
                let start = nowNanoseconds()
                while !set.load(ordering: .acquiring), nowNanoseconds() - start < 20_000 {}
                semaphore.wait()
                set.store(false, ordering: .relaxed)
            }
        }
        let ping = Flag()
        let pong = Flag()
        let n = roundTrips
        let thread = Thread {
            for _ in 0..<n {
                ping.wait()
                pong.signal()
            }
        }
        thread.start()
        return sample(n) {
            ping.signal()
            pong.wait()
        }
    }

    // MARK: Kernel

    static func kernelPingPong() throws -> Samples {
        let kernel = Kernel()
        let a = kernel.createActor(name: "a")
        let b = kernel.createActor(name: "b")
        let (aInbox, toA) = try kernel.connect(owner: a, peer: b)
        let (bInbox, toB) = try kernel.connect(owner: b, peer: a)
        let n = roundTrips
        let payload: [UInt8] = Array(repeating: 7, count: 16)
        let thread = Thread {
            for _ in 0..<n {
                _ = try? kernel.receive(b, from: bInbox, capacity: 256)
                try? kernel.send(b, to: toA, opcode: 2, payload: payload)
            }
        }
        thread.start()
        let samples = sample(n) {
            try? kernel.send(a, to: toB, opcode: 1, payload: payload)
            _ = try? kernel.receive(a, from: aInbox, capacity: 256)
        }
        kernel.shutdown()
        return samples
    }

    static func kernelCallReply() throws -> Samples {
        let kernel = Kernel()
        let client = kernel.createActor(name: "client")
        let server = kernel.createActor(name: "server")
        let (inbox, toServer) = try kernel.connect(owner: server, peer: client)
        let n = roundTrips
        let payload: [UInt8] = Array(repeating: 7, count: 16)
        let thread = Thread {
            for _ in 0..<n {
                guard case .message(let m)? = try? kernel.receive(server, from: inbox, capacity: 256) else { return }
                try? kernel.send(server, to: m.reply, opcode: 2, payload: payload)
            }
        }
        thread.start()
        let samples = sample(n) {
            _ = try? kernel.call(client, to: toServer, opcode: 1, payload: payload, capacity: 256)
        }
        kernel.shutdown()
        return samples
    }

    static func kernelThroughput(count: Int) throws -> Double {
        let kernel = Kernel()
        let producer = kernel.createActor(name: "producer")
        let consumer = kernel.createActor(name: "consumer")
        let (inbox, toConsumer) = try kernel.connect(owner: consumer, peer: producer, capacity: 1024)
        let payload: [UInt8] = Array(repeating: 1, count: 16)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            for _ in 0..<count { _ = try? kernel.receive(consumer, from: inbox, capacity: 256) }
            done.signal()
        }
        let elapsed = time {
            thread.start()
            var sent = 0
            while sent < count {
                do {
                    try kernel.send(producer, to: toConsumer, opcode: 1, payload: payload)
                    sent += 1
                } catch {
                    sched_yield()  // queue full: backpressure
                }
            }
            done.wait()
        }
        kernel.shutdown()
        return Double(count) / (elapsed / 1e9)
    }

    // MARK: Wasm actors

    /// Two WAT actors: the client calls the server `count` times.
    static func wasmPingPong(count: Int) throws -> Double {
        let kernel = Kernel()
        let host = WasmActorHost(kernel: kernel, tier: .interpreter, logSink: { _, _ in })
        let server = try host.load(bytes: try wat2wasm(serverWAT), name: "server")
        let client = try host.load(bytes: try wat2wasm(clientWAT(count: count)), name: "client")
        var serverID: ActorID?
        let serverActor = try host.spawn(server) { id in
            serverID = id
            _ = try kernel.createEndpoint(id)
        }
        let t0 = nowNanoseconds()
        let clientActor = try host.spawn(client) { id in
            _ = try kernel.grantCopy(of: Handle(rawValue: 1), held: serverID!, rights: [.send], to: id)
        }
        host.wait(for: clientActor, timeout: .seconds(120))
        let elapsed = Double(nowNanoseconds() - t0)
        kernel.terminate(serverActor, reason: .shutdown)
        _ = host.shutdown()
        return elapsed / Double(count)
    }

    static let serverWAT = """
        (module
          (import "env" "sys_cap_recv" (func $recv (param i64 i32 i32) (result i64)))
          (import "env" "sys_cap_send" (func $send (param i64 i32 i32 i32 i64) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (loop $serve
              (if (i64.ge_s (call $recv (i64.const 1) (i32.const 0) (i32.const 256)) (i64.const 0))
                (then
                  (drop (call $send (i64.load (i32.const 16)) (i32.const 2) (i32.const 24) (i32.const 16) (i64.const 0)))
                  (br $serve))))))
        """

    static func clientWAT(count: Int) -> String {
        """
        (module
          (import "env" "sys_cap_call" (func $call (param i64 i32 i32 i32 i64 i32 i32 i64) (result i64)))
          (memory (export "memory") 1)
          (func (export "_start") (local $i i32)
            (loop $again
              (drop (call $call (i64.const 1) (i32.const 1) (i32.const 512) (i32.const 16) (i64.const 0)
                                (i32.const 0) (i32.const 256) (i64.const -1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const \(count)))))))
        """
    }
}
