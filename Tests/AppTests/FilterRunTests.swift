import AppProtocols
import Foundation
import Interp
import TestSupport
import Testing

@testable import Kernel

/// The filter protocol's additions, driven from a native actor against
/// real plugins (`actors/tests/*`, `actors/filters/*`): APPLY answered on
/// the answer endpoint with progress notes first, panics answered with
/// their text, undeclared parameter names failing at DESCRIBE, PING.
@Suite struct FilterRunTests {
    typealias Rig = FilterPluginTests.Rig

    /// A plugin started with a grant: a SEND cap to an answer endpoint of the test's.
    struct Started {
        let plugin: Handle
        let answers: Handle
    }

    /// The number of the first line of `actors/tests/CRATE/src/lib.rs` holding `text`.
    static func line(of text: String, in crate: String) throws -> Int {
        let source = try Repository.text("actors/tests/\(crate)/src/lib.rs").components(separatedBy: "\n")
        return try #require(source.firstIndex { $0.contains(text) }) + 1
    }

    static func start(_ module: String, in rig: Rig) throws -> Started {
        let me = rig.client.actor
        let answers = try rig.kernel.createEndpoint(me, capacity: 16)
        let grant = try rig.kernel.derive(me, answers, rights: [.send, .grant])
        let plugin = try rig.client.spawn(module, from: rig.spawner, grant: grant)
        return Started(plugin: plugin, answers: answers)
    }

    /// Copies `pixels` into a new buffer and lends it (read, write, grant).
    static func lend(_ pixels: [UInt32], in rig: Rig) throws -> (buffer: Handle, lent: Handle) {
        let buffer = try rig.kernel.createBuffer(rig.client.actor, size: pixels.count * 4)
        try rig.client.write(pixels, to: buffer)
        return (buffer, try rig.kernel.derive(rig.client.actor, buffer, rights: [.read, .write, .grant]))
    }

    /// Answers until one that is not progress: the notes, and that answer.
    static func answers(on endpoint: Handle, in rig: Rig) throws -> ([(UInt32, UInt32)], FilterAnswer) {
        var notes: [(UInt32, UInt32)] = []
        while true {
            let answer = try rig.client.nextAnswer(on: endpoint, timeout: .nanoseconds(60_000_000_000))
            guard case .progress(let done, let total) = answer else { return (notes, answer) }
            notes.append((done, total))
        }
    }

    @Test func answersASentApplyOnTheAnswerEndpointAfterProgress() throws {
        let rig = try Rig(directory: Repository.builtActor("tests"))
        defer { rig.stop() }
        let slow = try Self.start("slow", in: rig)
        let description = try rig.client.describeFilter(slow.plugin)
        #expect(description.name == "Slow (test)" && description.params.map { $0.name } == ["ms"])
        let (w, h) = (29, 17)
        let input = FilterPluginTests.picture(width: w, height: h)
        let (buffer, lent) = try Self.lend(input, in: rig)
        let started = Date()
        try rig.client.startApply(slow.plugin, lent: lent, width: w, height: h, params: [800])
        let (notes, last) = try Self.answers(on: slow.answers, in: rig)
        let seconds = Date().timeIntervalSince(started)
        try rig.kernel.release(rig.client.actor, lent)

        guard case .done(let nanoseconds, _) = last else {
            Issue.record("answered \(last)")
            return
        }
        #expect(nanoseconds != nil, "the filter's time")
        #expect(try rig.client.read(w * h, from: buffer) == input.map { ~$0 & 0x00ff_ffff })
        // The SDK reported rows reached by `row_mut`, in order, at most one
        // note per 50 ms (17 rows over 800 ms would give 17 otherwise).
        #expect(notes.count >= 2, "\(notes)")
        #expect(notes.allSatisfy { $0.1 == UInt32(h) && $0.0 >= 1 && $0.0 <= UInt32(h) }, "\(notes)")
        #expect(zip(notes, notes.dropFirst()).allSatisfy { $0.0 < $1.0 }, "\(notes)")
        #expect(notes.count <= Int(seconds / 0.05) + 1, "\(notes.count) notes in \(seconds) s")
    }

    @Test func aCallIsStillAnsweredOnItsReplyCap() throws {
        let rig = try Rig(directory: Repository.builtActor("plugins"))
        defer { rig.stop() }
        let invert = try Self.start("invert", in: rig)
        let input = FilterPluginTests.picture(width: 300, height: 200)
        #expect(try rig.client.apply(invert.plugin, input, width: 300, height: 200) == input.map { ~$0 & 0x00ff_ffff })
        // PING is ignored, and the plugin keeps serving.
        try rig.kernel.send(rig.client.actor, to: invert.plugin, opcode: FilterProtocol.ping, payload: [])
        #expect(try rig.client.describeFilter(invert.plugin).version == "1.0.0")
    }

    @Test(arguments: [false, true])
    func aPanicAnswersWithItsText(sent: Bool) throws {
        let rig = try Rig(directory: Repository.builtActor("tests"))
        defer { rig.stop() }
        let panicking = try Self.start("panic", in: rig)
        let input = FilterPluginTests.picture(width: 32, height: 4)
        let answer: FilterAnswer
        if sent {
            let (_, lent) = try Self.lend(input, in: rig)
            try rig.client.startApply(panicking.plugin, lent: lent, width: 32, height: 4)
            answer = try Self.answers(on: panicking.answers, in: rig).1
        } else {
            do throws(PluginCallError) {
                _ = try rig.client.apply(panicking.plugin, input, width: 32, height: 4)
                answer = .garbled(opcode: FilterProtocol.done)
            } catch {
                guard case .refused(let code, let message) = error else { throw error }
                answer = .refused(code: code, message: message)
            }
        }
        guard case .refused(let code, let message) = answer else {
            Issue.record("answered \(answer)")
            return
        }
        #expect(code == FilterError.panicked.rawValue)
        // Rust's words: "panicked at 'msg', path:line:col" before 1.73, then
        // "panicked at path:line:col: msg" (one line).
        #expect(message.hasPrefix("panicked at"), "\(message)")
        #expect(message.contains("cannot posterize to 0 levels"), "\(message)")
        #expect(message.contains("panic/src/lib.rs:\(try Self.line(of: "panic!(", in: "panic")):"), "\(message)")
        #expect(!message.contains("\n"))
        let id = try rig.actorID(panicking.plugin)
        #expect(waitUntil { rig.kernel.exitReason(of: id) == .exited(code: 101) })
    }

    @Test func anUndeclaredParameterNameFailsAtDescribe() throws {
        let rig = try Rig(directory: Repository.builtActor("tests"))
        defer { rig.stop() }
        let typo = try rig.spawn("typo")
        do throws(PluginCallError) {
            _ = try rig.client.describe(typo)
            Issue.record("described itself")
        } catch {
            guard case .refused(let code, let message) = error else { throw error }
            #expect(code == FilterError.panicked.rawValue)
            #expect(message.hasPrefix("panicked at"), "\(message)")
            #expect(message.contains(#"no parameter called "raduis"; this filter has: radius"#), "\(message)")
            // `#[track_caller]`: the author's line, not the SDK's.
            #expect(message.contains("typo/src/lib.rs:\(try Self.line(of: "named(", in: "typo")):"), "\(message)")
        }
    }
}

/// Polls `condition` for up to `seconds`.
func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return true
}
