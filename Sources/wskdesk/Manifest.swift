/// The boot manifest: which actors to start and which caps each is granted,
/// in handle order from 1 — the seed's spawn-and-cross-grant pattern as data.
/// The format is a small subset of TOML, described in docs/manifest.md.
struct Manifest: Equatable {
    struct Actor: Equatable {
        var name: String
        /// A name in the actors folder, or a path ending in `.wasm`.
        var module: String
        var grants: [Grant]
        /// Boot configuration handed to the app with the `config` grant.
        var config: [String: ConfigValue]
        /// A WASI program's arguments (after its name) and environment
        /// (`KEY=VALUE`), from the `args` and `env` keys.
        var arguments: [String] = []
        var environment: [String] = []
        /// Where the `[[actor]]` table starts, for messages.
        var line: Int
        /// A file the user wants the app to open (`open = "PATH"`, `--open`):
        /// handed over as a FILE cap after its grants.
        var open: String? = nil
    }

    enum Grant: Equatable, CustomStringConvertible {
        /// Handle to send window requests to ui_server.
        case ui
        /// The framebuffer (seed style; the actor draws the screen itself).
        case framebuffer
        /// A spawner over a folder (relative to the actors folder, or absolute).
        case spawner(String)
        /// A spawner over the filter plugin folders, merged (`PluginFolders`:
        /// built-in, system, user, `--plugins`), later ones overriding earlier.
        case plugins
        /// The app's boot configuration (its `config.*` keys).
        case config
        /// A new endpoint this actor receives on, named for others to `send:` to.
        case endpoint(String)
        /// A send cap to the endpoint another actor declared with `endpoint:NAME`.
        case send(String)
        /// A DIRECTORY cap on a folder (`folder:PATH` read-only, `folder-rw:PATH`
        /// read-write); a WASI program finds it as a preopened directory.
        case folder(String, writable: Bool)

        init?(parsing text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            switch (parts.first, parts.count) {
            case ("ui", 1): self = .ui
            case ("framebuffer", 1): self = .framebuffer
            case ("config", 1): self = .config
            case ("plugins", 1): self = .plugins
            case ("spawner", 2) where !parts[1].isEmpty: self = .spawner(parts[1])
            case ("endpoint", 2) where !parts[1].isEmpty: self = .endpoint(parts[1])
            case ("send", 2) where !parts[1].isEmpty: self = .send(parts[1])
            case ("folder", 2) where !parts[1].isEmpty: self = .folder(parts[1], writable: false)
            case ("folder-rw", 2) where !parts[1].isEmpty: self = .folder(parts[1], writable: true)
            default: return nil
            }
        }

        var description: String {
            switch self {
            case .ui: "ui"
            case .framebuffer: "framebuffer"
            case .config: "config"
            case .spawner(let dir): "spawner:\(dir)"
            case .plugins: "plugins"
            case .endpoint(let name): "endpoint:\(name)"
            case .send(let name): "send:\(name)"
            case .folder(let path, let writable): "\(writable ? "folder-rw" : "folder"):\(path)"
            }
        }
    }

    enum ConfigValue: Equatable {
        case string(String)
        case list([String])
        /// An inline table of strings, `{ KEY = "value", ... }`, in its order.
        case table([(String, String)])

        static func == (a: ConfigValue, b: ConfigValue) -> Bool {
            switch (a, b) {
            case (.string(let x), .string(let y)): x == y
            case (.list(let x), .list(let y)): x == y
            case (.table(let x), .table(let y)): x.map { "\($0)=\($1)" } == y.map { "\($0)=\($1)" }
            default: false
            }
        }
    }

    var actors: [Actor]
    /// The `[limits]` table: what the kernel allows actors (unset: the defaults).
    var limits = Limits()
    /// The `[files]` table's `roots`: the folders the file chooser shows
    /// (nil: your home folder; `--file-root` replaces them).
    var fileRoots: [String]? = nil

    /// Limits on what actors may cause (docs/manifest.md); nil keeps the default.
    struct Limits: Equatable {
        /// Memory one actor may cause in all, in MiB.
        var actorMemoryMiB: Int?
        /// Memory all actors together may cause, in MiB.
        var memoryBudgetMiB: Int?
        /// Actors alive at once.
        var actors: Int?
        /// Live children one actor may spawn.
        var childrenPerActor: Int?

        static let keys = ["actor_memory_mib", "memory_budget_mib", "actors", "children_per_actor"]

        /// Sets `key` to `value`; false when the key is unknown.
        mutating func set(_ key: String, _ value: Int) -> Bool {
            switch key {
            case "actor_memory_mib": actorMemoryMiB = value
            case "memory_budget_mib": memoryBudgetMiB = value
            case "actors": actors = value
            case "children_per_actor": childrenPerActor = value
            default: return false
            }
            return true
        }
    }

    /// The desktop wskdesk starts when given no manifest.
    static let defaultDesktop = """
        # The default wskdesk desktop: paint and fractal side by side.
        [[actor]]
        name = "paint"
        grants = ["ui", "plugins", "config"]
        config.plugins = "auto"

        [[actor]]
        name = "fractal"
        grants = ["ui", "spawner:formulas", "config"]
        config.workers = "auto"
        """

    /// The manifest of `--app NAME...`: each app connected to ui_server;
    /// paint and fractal also get their plugin folders and configuration, as
    /// in the default desktop.
    static func forApps(_ apps: [String]) -> Manifest {
        // The default desktop is part of wskdesk: a parse error is a bug, caught by ManifestTests.
        let known = try! parse(defaultDesktop, file: "the default desktop manifest").actors
        return Manifest(actors: apps.map { app in
            let name = app.hasSuffix(".wasm") ? String(app.split(separator: "/").last!.dropLast(5)) : app
            var actor = known.first { $0.name == name } ?? Actor(name: name, module: app, grants: [.ui], config: [:], line: 0)
            actor.module = app
            actor.line = 0
            return actor
        })
    }
}

extension Manifest {
    /// The kiosk's app (`--kiosk NAME` or a `.wasm` path), granted what it
    /// is granted on the default desktop: paint its plugins, fractal its
    /// formulas, both their configuration. Any other app gets `ui` only.
    static func kioskApp(_ app: String) -> Actor {
        forApps([app]).actors[0]
    }
}

/// A manifest error: the file, the line, the key and what to do.
struct ManifestError: Error, Equatable, CustomStringConvertible {
    let file: String
    let line: Int
    let message: String
    var description: String { "\(file) line \(line): \(message)" }
}

extension Manifest {
    /// Parses manifest text; every error names the line and the key.
    static func parse(_ text: String, file: String) throws(ManifestError) -> Manifest {
        var actors: [Actor] = []
        var limits = Limits()
        var fileRoots: [String]?
        /// The table the lines belong to: an actor's, [limits] or [files].
        var table = "[[actor]]"
        var limitsLine: Int?
        var filesLine: Int?
        var seenKeys: Set<String> = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            func fail(_ message: String) -> ManifestError { ManifestError(file: file, line: number, message: message) }
            func checkEnvironment(_ name: String, _ value: String) throws(ManifestError) {
                guard !name.isEmpty, !name.contains("="), !name.utf8.contains(0), !value.utf8.contains(0) else {
                    throw fail("key `env`: \"\(name)\" is not a variable name, or its value holds a NUL character")
                }
            }
            let line = stripComment(String(raw)).trimmingSpaces()
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                switch line {
                case "[[actor]]":
                    actors.append(Actor(name: "", module: "", grants: [], config: [:], line: number))
                case "[limits]":
                    if let first = limitsLine { throw fail("a second [limits] table (the first is on line \(first))") }
                    limitsLine = number
                case "[files]":
                    if let first = filesLine { throw fail("a second [files] table (the first is on line \(first))") }
                    filesLine = number
                default:
                    throw fail("unknown table \(line): a manifest has [[actor]] tables, one [limits] and one [files] table")
                }
                table = line
                seenKeys = []
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw fail("expected `key = value`, found `\(line)`")
            }
            let key = String(line[..<equals]).trimmingSpaces()
            let valueText = String(line[line.index(after: equals)...]).trimmingSpaces()
            guard table != "[[actor]]" || !actors.isEmpty else { throw fail("key `\(key)` before any [[actor]] table") }
            guard !seenKeys.contains(key) else {
                throw fail("key `\(key)` given twice in this \(table)")
            }
            seenKeys.insert(key)
            let value: ConfigValue
            do throws(ValueError) {
                value = try parseValue(valueText)
            } catch {
                throw fail("key `\(key)`: \(error.message)")
            }
            if table == "[files]" {
                guard key == "roots" else { throw fail("unknown key `\(key)` in [files] (known: roots)") }
                guard case .list(let roots) = value, !roots.contains(where: \.isEmpty) else {
                    throw fail("key `roots` must be a list of folders, like roots = [\"~/Pictures\", \"/media\"]")
                }
                fileRoots = roots
                continue
            }
            if table == "[limits]" {
                guard Limits.keys.contains(key) else {
                    throw fail("unknown key `\(key)` in [limits] (known: \(Limits.keys.joined(separator: ", ")))")
                }
                guard case .string(let text) = value, !valueText.hasPrefix("\""), let number = Int(text), number > 0,
                    number <= 1 << 30
                else {
                    throw fail("key `\(key)` must be a whole number above 0, like \(key) = 64")
                }
                _ = limits.set(key, number)
                continue
            }
            var actor = actors.removeLast()
            switch (key, value) {
            case ("name", .string(let name)):
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    throw fail("key `name`: \"\(name)\" must be letters, digits, - or _")
                }
                guard !actors.contains(where: { $0.name == name }) else { throw fail("key `name`: a second actor named \"\(name)\"") }
                actor.name = name
            case ("module", .string(let module)):
                actor.module = module
            case ("grants", .list(let items)):
                actor.grants = try items.map { item throws(ManifestError) in
                    guard let grant = Grant(parsing: item) else {
                        throw fail("key `grants`: unknown grant \"\(item)\" (known: ui, framebuffer, config, plugins, spawner:DIR, endpoint:NAME, send:NAME, folder:PATH, folder-rw:PATH)")
                    }
                    return grant
                }
            case ("open", .string(let path)):
                guard !path.isEmpty else { throw fail("key `open`: an empty path; name the file the app should open") }
                actor.open = path
            case ("args", .list(let items)):
                if let bad = items.first(where: { $0.utf8.contains(0) }) {
                    throw fail("key `args`: \"\(bad)\" holds a NUL character")
                }
                actor.arguments = items
            case ("env", .list(let items)):
                actor.environment = try items.map { item throws(ManifestError) in
                    guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                        throw fail("key `env`: \"\(item)\" is not NAME=VALUE, like env = [\"LANG=C\"]")
                    }
                    try checkEnvironment(String(item[..<equals]), String(item[item.index(after: equals)...]))
                    return item
                }
            case ("env", .table(let pairs)):
                actor.environment = try pairs.map { (name, value) throws(ManifestError) in
                    try checkEnvironment(name, value)
                    return "\(name)=\(value)"
                }
            case (let key, .table) where key != "env":
                throw fail("key `\(key)`: only `env` takes a table { NAME = \"value\" }")
            case (let key, let value) where key.hasPrefix("config.") && key.count > 7:
                actor.config[String(key.dropFirst(7))] = value
            case ("name", _), ("module", _), ("open", _):
                throw fail("key `\(key)` must be a string")
            case ("grants", _):
                throw fail("key `grants` must be a list of strings, like [\"ui\"]")
            case ("args", _):
                throw fail("key `args` must be a list of strings, like [\"--verbose\", \"photo.png\"]")
            case ("env", _):
                throw fail("key `env` must be a table or a list, like { LANG = \"C\" } or [\"LANG=C\"]")
            default:
                throw fail("unknown key `\(key)` (known: name, module, grants, open, args, env, config.KEY)")
            }
            actors.append(actor)
        }
        for actor in actors where actor.name.isEmpty {
            throw ManifestError(file: file, line: actor.line, message: "this [[actor]] has no `name`")
        }
        var manifest = Manifest(actors: actors.map { a in
            var a = a
            if a.module.isEmpty { a.module = a.name }
            return a
        }, limits: limits, fileRoots: fileRoots)
        if let actor = limits.actorMemoryMiB, let budget = limits.memoryBudgetMiB, actor > budget {
            throw ManifestError(file: file, line: limitsLine ?? 1, message:
                "key `actor_memory_mib`: \(actor) MiB is more than all actors' `memory_budget_mib` of \(budget) MiB")
        }
        try manifest.checkCrossGrants(file: file)
        if manifest.actors.isEmpty { throw ManifestError(file: file, line: 1, message: "no [[actor]] tables: nothing to start") }
        manifest.actors.sort { $0.line < $1.line }
        return manifest
    }

    /// Every `send:NAME` names an `endpoint:NAME` declared once.
    private func checkCrossGrants(file: String) throws(ManifestError) {
        var endpoints: [String: Int] = [:]
        for actor in actors {
            for case .endpoint(let name) in actor.grants {
                if let first = endpoints[name] {
                    throw ManifestError(file: file, line: actor.line, message: "key `grants`: endpoint \"\(name)\" is already declared on line \(first)")
                }
                endpoints[name] = actor.line
            }
        }
        for actor in actors {
            for case .send(let name) in actor.grants {
                guard let declared = endpoints[name] else {
                    throw ManifestError(file: file, line: actor.line, message: "key `grants`: send:\(name) names no endpoint:\(name)")
                }
                guard declared < actor.line else {
                    throw ManifestError(file: file, line: actor.line, message: "key `grants`: endpoint:\(name) is declared on line \(declared), below: declare it in an actor above this one")
                }
            }
        }
    }

    struct ValueError: Error { let message: String }

    private static func parseValue(_ text: String) throws(ValueError) -> ConfigValue {
        if text.hasPrefix("\"") {
            var rest = Substring(text)
            let string = try parseString(&rest)
            guard rest.trimmingSpaces().isEmpty else { throw ValueError(message: "unexpected text after the string") }
            return .string(string)
        }
        if text.hasPrefix("{") {
            guard text.hasSuffix("}") else { throw ValueError(message: "a table must end with } on the same line") }
            var rest = Substring(text.dropFirst().dropLast())
            var pairs: [(String, String)] = []
            while true {
                rest = Substring(rest.trimmingSpaces())
                if rest.isEmpty { break }
                let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
                guard !name.isEmpty else { throw ValueError(message: "a table's keys are names of letters, digits, _, - or .") }
                guard !pairs.contains(where: { $0.0 == String(name) }) else {
                    throw ValueError(message: "`\(name)` is given twice in the table")
                }
                rest = Substring(rest.dropFirst(name.count).trimmingSpaces())
                guard rest.first == "=" else { throw ValueError(message: "expected `=` after `\(name)` in the table") }
                rest = Substring(rest.dropFirst().trimmingSpaces())
                pairs.append((String(name), try parseString(&rest)))
                rest = Substring(rest.trimmingSpaces())
                if rest.isEmpty { break }
                guard rest.first == "," else { throw ValueError(message: "table entries are separated by commas") }
                rest = rest.dropFirst()
            }
            return .table(pairs)
        }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw ValueError(message: "a list must end with ] on the same line") }
            var rest = Substring(text.dropFirst().dropLast())
            var items: [String] = []
            while true {
                rest = Substring(rest.trimmingSpaces())
                if rest.isEmpty { break }
                items.append(try parseString(&rest))
                rest = Substring(rest.trimmingSpaces())
                if rest.isEmpty { break }
                guard rest.first == "," else { throw ValueError(message: "list items are separated by commas") }
                rest = rest.dropFirst()
            }
            return .list(items)
        }
        if let number = Int(text) { return .string(String(number)) }
        if text == "true" || text == "false" { return .string(text) }
        throw ValueError(message: "`\(text)` is not a value: write strings in double quotes, lists as [\"a\", \"b\"]")
    }

    /// A double-quoted string at the start of `text`, with \" \\ \n \t escapes.
    private static func parseString(_ text: inout Substring) throws(ValueError) -> String {
        guard text.first == "\"" else { throw ValueError(message: "expected a string in double quotes") }
        var out = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let c = text[index]
            if c == "\"" {
                text = text[text.index(after: index)...]
                return out
            }
            if c == "\\" {
                index = text.index(after: index)
                guard index < text.endIndex else { break }
                switch text[index] {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                default: throw ValueError(message: "unknown escape \\\(text[index])")
                }
            } else {
                out.append(c)
            }
            index = text.index(after: index)
        }
        throw ValueError(message: "a string is not closed with \"")
    }

    /// The line without its `#` comment (a `#` inside a string stays).
    private static func stripComment(_ line: String) -> String {
        var inString = false
        var escaped = false
        for (i, c) in line.enumerated() {
            if escaped { escaped = false; continue }
            if c == "\\" && inString { escaped = true; continue }
            if c == "\"" { inString.toggle() }
            if c == "#" && !inString { return String(line.prefix(i)) }
        }
        return line
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
