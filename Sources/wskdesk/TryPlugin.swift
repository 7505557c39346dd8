import AppProtocols
import ArgumentParser
import Compositor
import Foundation
import Interp
import Kernel
import Logging
import Synchronization

/// `wskdesk try PLUGIN.wasm IN.png OUT.png [--param NAME=VALUE]...`: a filter
/// plugin's test loop without a desktop. Describes the plugin, applies it to
/// a picture on the interpreter and on the compiled tier (as paint would: the
/// real kernel, a buffer lent for the request), prints each tier's time and
/// any trap in full, checks that both tiers give the same pixels, and
/// writes the result.
struct TryPlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "try",
        abstract: "Apply a filter plugin to a PNG picture on both tiers and write the result.",
        discussion: """
            Prints the plugin's name, metadata and parameters (from its DESCRIBE answer), the time of the \
            request on each tier (the picture's copies in and out included), anything the plugin logs, and \
            its trap report if it traps. The compiled tier needs wabt and a C compiler (apt-get install wabt \
            gcc libc6-dev); without them it is skipped and the reason said. Parameters not given take their \
            defaults. Exit status 0 when both tiers (or the interpreter alone, when the compiled tier is \
            skipped) applied the filter and agree, 1 otherwise.
            """
    )

    @Argument(help: "The plugin's .wasm file.")
    var plugin: String

    @Argument(help: "The picture to filter (PNG).")
    var input: String

    @Argument(help: "Where to write the result (PNG).")
    var output: String

    @Option(name: .customLong("param"), help: "A parameter's value, NAME=VALUE (repeatable).")
    var params: [String] = []

    @Option(help: "Seconds each request may take.")
    var timeout: Double = 60

    mutating func run() throws {
        do {
            let agreed = try PluginTrial(plugin: plugin, timeout: timeout).run(
                input: input, output: output, settings: try Self.settings(params))
            if !agreed { throw ExitCode(1) }
        } catch let error as PluginToolError {
            print("wskdesk try: \(error)")
            throw ExitCode(1)
        }
    }

    /// `NAME=VALUE` pairs, in order.
    static func settings(_ params: [String]) throws -> [(name: String, value: Int32)] {
        try params.map { param in
            let parts = param.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let value = Int32(parts[1]) else {
                throw PluginToolError("--param \(param) is not NAME=VALUE with a whole number, e.g. --param radius=3")
            }
            return (String(parts[0]), value)
        }
    }
}

/// One `wskdesk try`: a kernel, a host for both tiers, and a client actor
/// that calls the plugin as paint does (`PluginClient`).
final class PluginTrial {
    let plugin: String
    let timeout: Timeout
    let timeoutSeconds: Double
    let kernel: Kernel
    let host: WasmActorHost
    let client: PluginClient
    let exits = ExitReasons()

    /// How each actor ended, for the report of one that ended mid-request.
    final class ExitReasons: Sendable {
        let reasons = Mutex<[ActorID: ExitReason]>([:])
    }

    init(plugin: String, timeout: Double) {
        self.plugin = plugin
        timeoutSeconds = max(0.001, timeout)
        self.timeout = .nanoseconds(UInt64(timeoutSeconds * 1e9))
        var logger = Logger(label: "wskdesk.try")
        logger.logLevel = .error  // what happens is printed below; the runtime's notes are not
        kernel = Kernel(logger: logger)
        host = WasmActorHost(
            kernel: kernel, tier: .interpreter, compiler: ModuleCompiler.forUser(logger: logger),
            logSink: { _, line in print("  the plugin logs: \(escaped(line))") })
        client = PluginClient(kernel: kernel, actor: kernel.createActor(name: "try"))
        kernel.onActorExit { [exits] actor, _, reason in exits.reasons.withLock { $0[actor] = reason } }
    }

    deinit { _ = host.shutdown() }

    /// What one tier did.
    enum Outcome {
        case applied(pixels: [UInt32], nanoseconds: Double)
        case failed(String)
        case skipped(String)
    }

    /// Tries the plugin on `input` with `settings`, writes `output` when both
    /// tiers agree; whether they did.
    func run(input: String, output: String, settings: [(name: String, value: Int32)]) throws -> Bool {
        let picture: (width: Int, height: Int, pixels: [UInt32])
        do {
            picture = try PNGReader.read(input, maxPixels: FilterProtocol.maxPixels)
        } catch {
            throw PluginToolError(error.description)
        }
        guard picture.width <= FilterProtocol.maxSide, picture.height <= FilterProtocol.maxSide else {
            throw PluginToolError("\(input) is \(picture.width)x\(picture.height); filters take at most \(FilterProtocol.maxSide) pixels a side")
        }
        let module: CheckedModule
        do {
            module = try host.load(path: plugin)
        } catch {
            throw PluginToolError("\(plugin) does not load: \(error.problems.joined(separator: "; "))")
        }

        // The interpreter's instance describes the plugin: its parameters decide what the settings mean.
        let interpreted = try start(module, tier: .interpreter)
        let text: String
        do {
            text = try client.describe(interpreted.endpoint, timeout: timeout)
        } catch {
            throw PluginToolError("the plugin did not describe itself: \(explain(error, interpreted))")
        }
        guard let description = FilterDescription(parsing: text) else {
            throw PluginToolError("the plugin's description is not valid (docs/plugins.md, DESCRIPTION): \"\(escaped(text))\"")
        }
        print(Self.summary(of: description))
        let values = try Self.values(settings, for: description)
        let named = zip(description.params, values).map { "\($0.name)=\($1)" }.joined(separator: " ")
        print("applying it to \(input) (\(picture.width)x\(picture.height))\(named.isEmpty ? "" : " with " + named)")

        let interpreter = apply(on: interpreted, picture, values)
        report("interpreter", interpreter)
        let compiled = compiledTier(module, picture, values)
        report("compiled", compiled)

        guard case .applied(let result, _) = interpreter else { return false }
        switch compiled {
        case .failed: return false
        case .applied(let other, _) where other != result:
            let at = zip(result, other).enumerated().first { $0.element.0 != $0.element.1 }!.offset
            print("the tiers DISAGREE: first at pixel (\(at % picture.width), \(at / picture.width)): "
                + "interpreter \(hex(result[at])), compiled \(hex(other[at]))")
            return false
        case .applied: print("both tiers give the same pixels")
        case .skipped: break
        }
        let changed = zip(picture.pixels, result).filter { $0 != $1 }.count
        do {
            try result.withUnsafeBytes {
                try PNGWriter.write($0, width: picture.width, height: picture.height, stride: picture.width * 4, to: output)
            }
        } catch {
            throw PluginToolError("\(error)")
        }
        print("wrote \(output): \(changed) of \(result.count) pixels changed")
        return true
    }

    // MARK: Tiers

    /// A plugin instance: the client's cap to its boot endpoint, and the actor.
    struct Instance {
        let endpoint: Handle
        let actor: ActorID
    }

    /// Spawns the plugin on `tier`, its boot endpoint connected to the client.
    private func start(_ module: CheckedModule, tier: TierPolicy) throws -> Instance {
        var inbox = Handle.null
        do {
            let actor = try host.spawn(module, tier: tier) { [kernel, client] actor in
                inbox = try kernel.connect(owner: actor, peer: client.actor, peerRights: [.send]).peer
            }
            return Instance(endpoint: inbox, actor: actor)
        } catch {
            throw PluginToolError("\(plugin) does not start: \(error)")
        }
    }

    private func apply(on plugin: Instance, _ picture: (width: Int, height: Int, pixels: [UInt32]), _ values: [Int32]) -> Outcome {
        let started = ContinuousClock.now
        do {
            let pixels = try client.apply(plugin.endpoint, picture.pixels, width: picture.width, height: picture.height,
                                          params: values, timeout: timeout)
            return .applied(pixels: pixels, nanoseconds: Double((ContinuousClock.now - started) / .nanoseconds(1)))
        } catch {
            return .failed(explain(error, plugin))
        }
    }

    /// The compiled tier's run, or why there is none: the module is
    /// compiled first (into the user's cache, as the desktop would), so
    /// that a missing tool is said rather than silently interpreted.
    private func compiledTier(_ module: CheckedModule, _ picture: (width: Int, height: Int, pixels: [UInt32]), _ values: [Int32])
        -> Outcome
    {
        let started = ContinuousClock.now
        do {
            let (path, built) = try host.compileAheadOfTime(module)
            let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
            print(built ? "compiled in \(String(format: "%.1f", seconds)) s: \(path)" : "already compiled: \(path)")
        } catch {
            return .skipped("\(error)")
        }
        let before = host.tierCounts.compiled
        let instance: Instance
        do {
            instance = try start(module, tier: .compiled)
        } catch {
            return .failed("\(error)")
        }
        guard host.tierCounts.compiled > before else { return .skipped("the compiled object did not load; the interpreter ran it") }
        return apply(on: instance, picture, values)
    }

    private func report(_ tier: String, _ outcome: Outcome) {
        let label = (tier + ":").padding(toLength: 13, withPad: " ", startingAt: 0)
        switch outcome {
        case .applied(_, let nanoseconds): print("\(label)\(String(format: "%.2f", nanoseconds / 1e6)) ms (the request, copies included)")
        case .failed(let why): print("\(label)FAILED: \(why)")
        case .skipped(let why): print("\(label)skipped: \(why)")
        }
    }

    /// Why a call failed, in full: the plugin's trap report when it ended.
    private func explain(_ error: PluginCallError, _ plugin: Instance) -> String {
        switch error {
        case .refused(let code, let message):
            let name = FilterError(rawValue: code).map { " (\($0))" } ?? ""
            return "the plugin answered ERROR \(code)\(name): \(escaped(message))"
        case .garbled(let opcode):
            return "the plugin answered opcode 0x\(String(opcode, radix: 16)), which the filter protocol does not have"
        case .kernel(let sysError):
            // A plugin that ended mid-request: its exit, the trap report in full.
            guard host.wait(for: plugin.actor, timeout: .seconds(sysError == .timedOut ? 0 : 10)),
                let reason = exits.reasons.withLock({ $0[plugin.actor] })
            else {
                return sysError == .timedOut ? "the plugin did not answer within \(timeoutSeconds) s" : "\(sysError)"
            }
            // A trap report may run to several lines (a backtrace): kept, each escaped and indented.
            return "the plugin " + reason.description.split(separator: "\n").map(escaped).joined(separator: "\n    ")
        }
    }

    // MARK: Parameters

    static func summary(of description: FilterDescription) -> String {
        var lines = ["plugin:      \(escaped(description.name))"]
        if let version = description.version { lines.append("version:     \(escaped(version))") }
        if let author = description.author { lines.append("author:      \(escaped(author))") }
        if let about = description.description { lines.append("description: \(escaped(about))") }
        lines.append("parameters:  \(parameterSummary(description))")
        return lines.joined(separator: "\n")
    }

    /// Every parameter's value, in the plugin's order: its default unless set.
    static func values(_ settings: [(name: String, value: Int32)], for description: FilterDescription) throws -> [Int32] {
        var values = description.params.map(\.default)
        let has = description.params.isEmpty
            ? "\(escaped(description.name)) has no parameters"
            : "\(escaped(description.name)) has: \(parameterSummary(description))"
        for (name, value) in settings {
            guard let index = description.params.firstIndex(where: { $0.name == name }) else {
                throw PluginToolError("no parameter called \"\(escaped(name))\"; \(has)")
            }
            let parameter = description.params[index]
            guard (parameter.min...parameter.max).contains(value) else {
                throw PluginToolError("\(name)=\(value) is out of range: \(name) takes \(parameter.min)..\(parameter.max)")
            }
            values[index] = value
        }
        return values
    }
}

/// `radius 1..32 (default 2), passes 1..3 (default 1)`, or `none`.
func parameterSummary(_ description: FilterDescription) -> String {
    description.params.isEmpty ? "none" : description.params.map { "\($0.name) \($0.min)..\($0.max) (default \($0.default))" }
        .joined(separator: ", ")
}

/// Text from a plugin (or for one) safe to print: control characters
/// (escape sequences, line breaks) spelled `\u{…}`.
func escaped<S: StringProtocol>(_ text: S) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        if scalar.properties.generalCategory == .control {
            out += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

private func hex(_ pixel: UInt32) -> String {
    "0x" + String(repeating: "0", count: max(0, 6 - String(pixel, radix: 16).count)) + String(pixel, radix: 16)
}
