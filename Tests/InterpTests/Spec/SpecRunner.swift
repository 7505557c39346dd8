import Foundation
import Interp

/// What one file gave on one tier: commands passed, failed (each said with
/// its line) and skipped (counted by reason).
struct SpecTally {
    var passed = 0
    var failures: [String] = []
    var skipped: [String: Int] = [:]

    var skippedCount: Int { skipped.values.reduce(0, +) }

    mutating func add(_ other: SpecTally) {
        passed += other.passed
        failures += other.failures
        skipped.merge(other.skipped, uniquingKeysWith: +)
    }
}

/// Runs one script's commands, in order, on one tier's session.
final class SpecRunner {
    let script: SpecScript
    let session: any SpecSession
    /// Commands not run on this tier: a known deviation (docs/ABI.md) by line, and why.
    let deviations: [Int: String]
    private(set) var tally = SpecTally()

    /// The module the commands act on, and those named `$name`.
    private var current: Module = .unavailable("no module yet")
    private var named: [String: Module] = [:]

    private enum Module {
        case loaded(any SpecInstance)
        /// Not instantiated on this tier: the reason its commands are skipped.
        case unavailable(String)
    }

    /// Why a command did not pass, or that it is skipped.
    private enum Outcome: Error {
        case failed(String)
        case skipped(String)
    }

    /// `WSK_SPEC_TRACE=1`: each command's line before it runs (to find one that hangs).
    static let trace = ProcessInfo.processInfo.environment["WSK_SPEC_TRACE"] == "1"

    init(script: SpecScript, session: any SpecSession, deviations: [Int: String] = [:]) {
        self.script = script
        self.session = session
        self.deviations = deviations
    }

    func run() -> SpecTally {
        for command in script.commands {
            if let deviation = deviations[command.line] {
                let reason = "known deviation (docs/ABI.md): \(deviation)"
                tally.skipped[reason, default: 0] += 1
                // The commands on a module not loaded are skipped for its reason.
                if command.type == "module" { setCurrent(.unavailable(reason), name: command.name) }
                continue
            }
            if SpecRunner.trace { print("spec trace \(script.name).wast:\(command.line) \(command.type)") }
            do {
                try run(command)
                tally.passed += 1
            } catch {
                switch error {
                case .failed(let why): tally.failures.append("\(script.name).wast:\(command.line): \(command.type): \(why)")
                case .skipped(let why): tally.skipped[why, default: 0] += 1
                }
            }
        }
        return tally
    }

    private func run(_ command: SpecCommand) throws(Outcome) {
        switch command.type {
        case "module": try load(command)
        case "register": try register(command)
        case "action": _ = try perform(command)
        case "assert_return": try assertReturn(command)
        case "assert_trap", "assert_exhaustion": try assertTrap(command)
        case "assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable": try assertRefused(command)
        default: throw .skipped("command \(command.type), outside the accepted language")
        }
    }

    private func load(_ command: SpecCommand) throws(Outcome) {
        do {
            setCurrent(.loaded(try session.instantiate(moduleBytes(command), source: "\(script.name).wast:\(command.line)")), name: command.name)
        } catch {
            setCurrent(.unavailable(skipReason(error) ?? "its module did not load"), name: command.name)
            if let reason = skipReason(error) { throw .skipped(reason) }
            throw .failed("\(error)")
        }
    }

    private func setCurrent(_ module: Module, name: String?) {
        current = module
        if let name { named[name] = module }
    }

    private func register(_ command: SpecCommand) throws(Outcome) {
        let instance = try module(command.name)
        session.register(instance, as: command.as ?? "")
    }

    private func assertReturn(_ command: SpecCommand) throws(Outcome) {
        let results = try perform(command)
        let expected = try (command.expected ?? []).map { json throws(Outcome) in
            guard let expectation = SpecExpectation(json) else { throw .skipped("a \(json.type) value, outside the accepted language") }
            return expectation
        }
        guard results.count == expected.count, zip(expected, results).allSatisfy({ $0.matches($1) }) else {
            throw .failed("returned \(results), expected \(expected)")
        }
    }

    private func assertTrap(_ command: SpecCommand) throws(Outcome) {
        let results: [SpecValue]
        do {
            results = try perform(command)
        } catch {
            guard case .failed(let why) = error, why.hasPrefix("trap: ") else { throw error }
            // Trapped, as it should.
            if command.type == "assert_exhaustion", !why.contains("call stack exhausted") {
                throw .failed("\(why), expected call stack exhaustion")
            }
            return
        }
        throw .failed("returned \(results), expected the trap \"\(command.text ?? "")\"")
    }

    private func assertRefused(_ command: SpecCommand) throws(Outcome) {
        guard command.moduleType != "text" else { throw .skipped("a module in the text format (wskdesk loads binaries)") }
        do {
            _ = try session.instantiate(moduleBytes(command), source: "\(script.name).wast:\(command.line)")
        } catch {
            if let reason = skipReason(error) { throw .skipped(reason) }
            return
        }
        throw .failed("accepted a module the spec refuses (\"\(command.text ?? "")\")")
    }

    /// Invokes or reads what the command's action names: its results, or
    /// `.failed("trap: ...")` when it trapped.
    private func perform(_ command: SpecCommand) throws(Outcome) -> [SpecValue] {
        guard let action = command.action else { throw .failed("no action") }
        let instance = try module(action.module)
        let arguments = try (action.args ?? []).map { json throws(Outcome) in
            guard let value = SpecExpectation(json)?.argument else { throw .skipped("a \(json.type) argument, outside the accepted language") }
            return value
        }
        do {
            switch action.type {
            case "invoke": return try instance.invoke(action.field, arguments)
            case "get": return [try instance.get(action.field)]
            default: throw Outcome.skipped("action \(action.type)")
            }
        } catch let outcome as Outcome {
            throw outcome
        } catch {
            if let reason = skipReason(error) { throw .skipped(reason) }
            throw .failed("\(error)")
        }
    }

    private func module(_ name: String?) throws(Outcome) -> any SpecInstance {
        switch name.map({ named[$0] ?? .unavailable("no module \($0)") }) ?? current {
        case .loaded(let instance): return instance
        case .unavailable(let why): throw .skipped(why)
        }
    }

    private func moduleBytes(_ command: SpecCommand) throws -> [UInt8] {
        guard let filename = command.filename else { throw SpecScriptError("no module file") }
        return try script.module(filename)
    }

    /// The reason to skip what `error` refused, if the tier does not run it
    /// at all (outside the accepted language, or unsupported in the tests).
    private func skipReason(_ error: any Error) -> String? {
        guard case SpecError.unsupported(let why) = error else { return nil }
        return Self.category(why)
    }

    /// A reason as the summary counts it: without what follows its first
    /// parenthesis (offsets, names), so that every SIMD module counts under one.
    static func category(_ why: String) -> String {
        guard let paren = why.firstIndex(of: "(") else { return why }
        return String(why[..<paren]).trimmingCharacters(in: .whitespaces)
    }
}
