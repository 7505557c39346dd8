import Compositor
import Foundation
import Input
import Kernel
import Logging
import Wire

/// Latency from an input event entering the runtime (the input pipeline, as
/// libinput's thread calls it) to the app receiving its event from
/// ui_server, against the kernel's bare send/receive round trip measured in
/// the same run. The app here is a native actor blocked in receive on its
/// window's event endpoint, so the figure is the runtime's alone: xkb,
/// encoding, two kernel hops and ui_server's routing.
enum InputBenchmark {
    static let rounds = 10
    static let perRound = 1_000

    /// Rounds alternate the baseline and each input path, so a busy machine
    /// weighs on all of them alike.
    static func run() throws {
        section("Input latency: event into the runtime -> app has it (\(rounds * perRound) each, interleaved with the baseline)")
        let rig = try Rig()
        defer { rig.stop() }
        let echo = try Echo()
        defer { echo.stop() }
        let forwarder = try Forwarder()
        defer { forwarder.stop() }

        var kernel = Samples(values: []), hops = Samples(values: [])
        var keys = Samples(values: []), motion = Samples(values: []), sinkOnly = Samples(values: [])
        var right = true
        let rawKey = KeyEvent(keycode: 30, keysym: Keysym(rawValue: 0x61), text: "a", modifiers: [], state: .pressed)
        for _ in 0..<rounds {
            kernel.values += echo.roundTrips(perRound).values
            hops.values += forwarder.twoHops(perRound).values
            keys.values += rig.measure(perRound) { rig.pipeline.handle(.key(code: 30, pressed: true)) } undo: {
                rig.pipeline.handle(.key(code: 30, pressed: false))
            } until: { $0 == WindowProtocol.key }.values
            motion.values += rig.measure(perRound) {
                rig.pipeline.handle(.pointerMotion(dx: right ? 1 : -1, dy: 0))
                right.toggle()
            } until: { $0 == WindowProtocol.pointerMotion }.values
            sinkOnly.values += rig.measure(perRound) { rig.sink.deliver(.key(rawKey)) } until: { $0 == WindowProtocol.key }.values
        }

        print("  baseline: kernel send/recv round trip (two hops)   \(format(kernel.median)) / p99 \(format(kernel.p99))")
        print("  baseline: two hops through a bare forwarding actor \(format(hops.median)) / p99 \(format(hops.p99))")
        report("key press (xkb, bindings) -> app, median", keys.median, baseline: kernel.median, baselineName: "round trip")
        report("key press (xkb, bindings) -> app, p99", keys.p99, baseline: kernel.p99, baselineName: "round trip")
        report("pointer motion -> app, median", motion.median, baseline: kernel.median, baselineName: "round trip")
        report("pointer motion -> app, p99", motion.p99, baseline: kernel.p99, baselineName: "round trip")
        report("key from the sink (no xkb) -> app, median", sinkOnly.median, baseline: kernel.median, baselineName: "round trip")
        report("key from the sink (no xkb) -> app, p99", sinkOnly.p99, baseline: kernel.p99, baselineName: "round trip")
        report("key press vs bare forwarder, median", keys.median, baseline: hops.median, baselineName: "forwarder")
        report("pointer motion vs bare forwarder, median", motion.median, baseline: hops.median, baselineName: "forwarder")
    }

    /// Two actors bouncing a 16-byte message: the kernel's bare round trip,
    /// as `IPCBenchmark.kernelPingPong` measures it, kept up between rounds.
    final class Echo {
        let kernel = Kernel()
        let a: ActorID
        let aInbox: Handle
        let toB: Handle
        let payload: [UInt8] = Array(repeating: 7, count: 16)
        private let done = DispatchSemaphore(value: 0)

        init() throws {
            a = kernel.createActor(name: "a")
            let b = kernel.createActor(name: "b")
            let (aInbox, toA) = try kernel.connect(owner: a, peer: b)
            let (bInbox, toB) = try kernel.connect(owner: b, peer: a)
            self.aInbox = aInbox
            self.toB = toB
            let thread = Thread { [kernel, done] in
                while case .message(let m)? = try? kernel.receive(b, from: bInbox, capacity: 256), m.opcode == 1 {
                    try? kernel.send(b, to: toA, opcode: 2, payload: m.payload)
                }
                done.signal()
            }
            thread.start()
        }

        func roundTrips(_ n: Int) -> Samples {
            sample(n) {
                try? kernel.send(a, to: toB, opcode: 1, payload: payload)
                _ = try? kernel.receive(a, from: aInbox, capacity: 256)
            }
        }

        func stop() {
            try? kernel.send(a, to: toB, opcode: 0, payload: [])
            done.wait()
            kernel.shutdown()
        }
    }

    /// The same two hops as input -> ui_server -> app, through a thread that
    /// only forwards: what ui_server's routing costs on top of the kernel.
    final class Forwarder {
        let kernel = Kernel()
        let source: ActorID
        let sink: ActorID
        let toMiddle: Handle
        let inbox: Handle
        let payload: [UInt8] = Array(repeating: 7, count: 20)  // an INPUT_KEY's size
        private let done = DispatchSemaphore(value: 0)

        init() throws {
            source = kernel.createActor(name: "source")
            let middle = kernel.createActor(name: "middle")
            sink = kernel.createActor(name: "sink")
            let (middleInbox, toMiddle) = try kernel.connect(owner: middle, peer: source)
            let (inbox, toSink) = try kernel.connect(owner: sink, peer: middle)
            self.toMiddle = toMiddle
            self.inbox = inbox
            let thread = Thread { [kernel, done] in
                while case .message(let m)? = try? kernel.receive(middle, from: middleInbox, capacity: 256), m.opcode == 1 {
                    try? kernel.send(middle, to: toSink, opcode: 1, payload: m.payload)
                }
                done.signal()
            }
            thread.start()
        }

        func twoHops(_ n: Int) -> Samples {
            sample(n) {
                try? kernel.send(source, to: toMiddle, opcode: 1, payload: payload)
                _ = try? kernel.receive(sink, from: inbox, capacity: 256)
            }
        }

        func stop() {
            try? kernel.send(source, to: toMiddle, opcode: 0, payload: [])
            done.wait()
            kernel.shutdown()
        }
    }

    /// A headless ui_server with one focused window under the pointer, an
    /// input source, and the input pipeline.
    final class Rig {
        let kernel = Kernel()
        let server: UIServer
        let app: ActorID
        let events: Handle
        let sink: KernelInputSink
        let pipeline: InputPipeline
        private let stopped = DispatchSemaphore(value: 0)

        init() throws {
            var logger = Logger(label: "bench.input")
            logger.logLevel = .critical
            server = try UIServer(kernel: kernel, backend: HeadlessBackend(width: 640, height: 480), policy: DesktopPolicy(), logger: logger)
            let thread = Thread { [server, stopped] in
                server.run()
                stopped.signal()
            }
            thread.start()
            let source = kernel.createActor(name: "input")
            sink = KernelInputSink(kernel: kernel, actor: source, target: try server.connect(inputSource: source), logger: logger)
            let keymap = try Keymap(names: KeymapNames(layout: "us"), logger: logger)
            pipeline = InputPipeline(keyboard: KeyboardState(keymap: keymap),
                                     configuration: InputConfiguration(repeatRate: 0), sink: sink, logger: logger)

            app = kernel.createActor(name: "app")
            let ui = try server.connect(app: app)
            let (width, height) = (200, 150)
            let surface = try kernel.createBuffer(app, size: width * height * 4)
            var p = PayloadWriter()
            for v in [UInt32(width), UInt32(height), 0, WindowProtocol.formatXRGB8888] { p.u32(v) }
            p.text("bench")
            guard case .answer(let answer) = try kernel.call(app, to: ui, opcode: WindowProtocol.createWindow, payload: p.bytes,
                                                             cap: surface, capacity: 4096),
                answer.opcode == WindowProtocol.windowCreated
            else { throw BenchError("ui_server refused the window") }
            events = answer.cap
            var r = PayloadReader(answer.payload)
            let (id, x, y) = (r.u32()!, r.i32()!, r.i32()!)
            var commit = PayloadWriter()
            commit.u32(id)
            try kernel.send(app, to: ui, opcode: WindowProtocol.commit, payload: commit.bytes)
            // The pointer onto the middle of the window's content.
            pipeline.handle(.pointerMotionAbsolute(x: (Double(x) + 100.5) / 639, y: (Double(y) + 75.5) / 479))
            Thread.sleep(forTimeInterval: 0.1)
            while case .message? = try? kernel.receive(app, from: events, capacity: 4096, timeout: .poll) {}
        }

        /// Times `body` `n` times, each until the app receives an event
        /// `until` accepts. `undo` (a key's release) runs untimed after
        /// each, and its event is taken off the app's queue too.
        func measure(_ n: Int, _ body: () -> Void, undo: (() -> Void)? = nil, until: (UInt32) -> Bool) -> Samples {
            var values: [Double] = []
            values.reserveCapacity(n)
            for _ in 0..<n {
                let t0 = nowNanoseconds()
                body()
                waitFor(until)
                values.append(Double(nowNanoseconds() - t0))
                if let undo {
                    undo()
                    waitFor(until)
                }
            }
            return Samples(values: values)
        }

        private func waitFor(_ until: (UInt32) -> Bool) {
            while true {
                guard case .message(let m)? = try? kernel.receive(app, from: events, capacity: 4096) else { return }
                if until(m.opcode) { return }
            }
        }

        func stop() {
            server.stop()
            stopped.wait()
            kernel.shutdown()
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
