import Interp
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the oracle caught: a finding aborts the fuzzer, which keeps the input.
struct Finding: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One input through the compiled tier, with the oracle of issue #13:
///
/// 1. `ModuleCheck.check` must not crash; a refusal ends the run.
/// 2. The translation (the rewrite, wasm2c, the check of its C), in a
///    private folder: no piece of the module's own text (`ModuleText`) may
///    appear in `module.c` or `module.h` more often than in the C of the same
///    module without its text, even when the translation then refuses the
///    module; it must end within `translateBound`.
/// 3. For one input in `buildEvery` (chosen by a hash of the bytes, so a
///    kept input reproduces) whose C is at most `buildSourceLimit` bytes: the
///    whole build, within `buildBound`, then the object loaded by a child
///    process (the loader, `WSKFUZZ_LOAD`) in the build folder. The child must
///    exit 0, and no file `wskfuzz-canary` may appear there: the seed corpus's
///    injected constructor creates it when it runs.
///
/// A build costs 4 to 8 translations (replayed alone on a loaded 2-core
/// machine: 0.44 s against 0.11 s for the smallest seed, 5.2 s against
/// 0.65 s for a built actor): building one input in 8 keeps most of the
/// fuzzer's time on the translation, where names reach the C, and still
/// builds and loads a few dozen inputs a minute. Folders are removed
/// whatever happens.
struct FuzzHarness: Sendable {
    /// The tier's limits, tighter than its standard ones so that a slow input
    /// costs the fuzzer 20 s, not 120: what the oracle checks is that the
    /// tier keeps to the limits it is given.
    static let limits: CompileLimits = {
        var limits = CompileLimits()
        limits.cpuSeconds = 10
        limits.wallClockSeconds = 20
        return limits
    }()
    /// One tool's wall-clock limit and 10 s for the rest (the rewrite, files).
    var translateBound: Double { Double(pipeline.stages.limits.wallClockSeconds) + 10 }
    /// Two tools (wasm2c, then cc) and 10 s for the rest.
    var buildBound: Double { 2 * Double(pipeline.stages.limits.wallClockSeconds) + 10 }
    static let loadBound = 10.0
    static let buildSourceLimit = 4 << 20
    static let canary = "wskfuzz-canary"

    let pipeline: Pipeline
    /// Builds one input in this many; 1 builds all, 0 none.
    let buildEvery: Int
    /// The executable that loads objects: wskfuzz itself.
    let loader: String

    /// How far an input got.
    enum Outcome: Equatable {
        case refusedByCheck
        case refusedByTier(String)
        case clean
        case found(Finding)
    }

    /// What the oracle found in `bytes`, if anything.
    func run(_ bytes: [UInt8]) -> Finding? {
        if case .found(let finding) = examine(bytes) { return finding }
        return nil
    }

    func examine(_ bytes: [UInt8]) -> Outcome {
        Tally.inputs.add(1, ordering: .relaxed)
        guard let module = try? ModuleCheck.check(bytes: bytes, name: "input", source: "the fuzz input") else { return .refusedByCheck }
        Tally.checked.add(1, ordering: .relaxed)
        guard let text = ModuleText(bytes) else {
            return .found(Finding("ModuleCheck accepted a module whose sections cannot be read one after another"))
        }
        if let finding = unprintableName(module) { return .found(finding) }
        do {
            return try withDirectory { directory throws -> Outcome in
                // The translation may refuse the module after wasm2c wrote its C:
                // the C is looked at all the same.
                let translated = Result(catching: { try timed("wasm2c", bound: translateBound) { try pipeline.translate(module, into: directory) } })
                if case .failure(let finding as Finding) = translated { throw finding }
                guard let sources = try? ["module.c", "module.h"].map({ ($0, try readBytes(directory + "/" + $0)) }) else {
                    try translated.get()
                    throw Refusal("wasm2c wrote no C")
                }
                if let leak = try leaks(text, in: sources) {
                    guard case .failure(let refusal) = translated else { return .found(leak) }
                    return .found(Finding("\(leak.description) (the translation then refused the module: \(refusal))"))
                }
                try translated.get()
                Tally.translated.add(1, ordering: .relaxed)
                let sourceSize = sources.reduce(0) { $0 + $1.1.count }
                guard buildEvery > 0, fnv1a(bytes) % UInt64(buildEvery) == 0, sourceSize <= Self.buildSourceLimit else { return .clean }
                let object = try timed("the build", bound: buildBound) { try pipeline.build(module, into: directory) }
                Tally.built.add(1, ordering: .relaxed)
                return load(object, in: directory).map(Outcome.found) ?? .clean
            }
        } catch let finding as Finding {
            return .found(finding)
        } catch {
            return .refusedByTier("\(error)")
        }
    }

    // MARK: The oracle

    /// A function name a trap report would print that is longer than its
    /// bound or holds a control, line separator or bidirectional override:
    /// whatever the name section holds, the report must be one safe line.
    func unprintableName(_ module: CheckedModule) -> Finding? {
        for (index, name) in FunctionNames.allNames(in: module) {
            if name.unicodeScalars.count > FunctionNames.maximumNameLength * 12 + 1 {
                return Finding("function \(index)'s name in a trap report is \(name.unicodeScalars.count) characters long")
            }
            let unsafe = name.unicodeScalars.first { scalar in
                switch scalar.value {
                case 0x00...0x1f, 0x7f...0x9f, 0x2028, 0x2029, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069: true
                default: false
                }
            }
            if let unsafe { return Finding("function \(index)'s name in a trap report holds U+\(String(unsafe.value, radix: 16))") }
        }
        return nil
    }

    /// The first piece of the module's text found more often in `sources`
    /// than in the C of the module without its text (translated only when
    /// some piece is found at all).
    func leaks(_ text: ModuleText, in sources: [(String, [UInt8])]) throws -> Finding? {
        let found = text.pieces.filter { piece in sources.contains { occurrences(of: piece.bytes, in: $0.1) > 0 } }
        guard !found.isEmpty else { return nil }
        Tally.textLookalikes.add(1, ordering: .relaxed)
        let plain: CheckedModule
        do {
            plain = try ModuleCheck.check(bytes: text.withoutText, name: "input", source: "the fuzz input without its text")
        } catch {
            throw Finding("the fuzz input without its text (exports renamed, custom sections dropped) fails ModuleCheck: \(error)")
        }
        let baseline = try withDirectory { directory throws -> [UInt8] in
            let translated = Result(catching: { try pipeline.translate(plain, into: directory) })
            guard let c = try? readBytes(directory + "/module.c"), let h = try? readBytes(directory + "/module.h") else {
                try translated.get()
                throw Refusal("wasm2c wrote no C for the module without its text")
            }
            return c + h
        }
        for piece in found {
            let counts = sources.map { (name: $0.0, count: occurrences(of: piece.bytes, in: $0.1)) }
            let total = counts.reduce(0) { $0 + $1.count }
            let expected = occurrences(of: piece.bytes, in: baseline)
            if total > expected {
                let places = counts.filter { $0.count > 0 }.map { "\($0.name) \($0.count)×" }.joined(separator: ", ")
                return Finding(
                    "module text reached the generated C: \(piece.kind.rawValue) \(quoted(piece.bytes)) is in \(places); "
                        + "the C of the module without its text has it \(expected)×")
            }
        }
        return nil
    }

    /// Loads `object` in a child process whose working directory is `directory`.
    func load(_ object: String, in directory: String) -> Finding? {
        var environment = ["WSKFUZZ_LOAD=" + object]
        var entry = environ
        while let variable = entry.pointee {
            let text = String(cString: variable)
            if !text.hasPrefix("WSKFUZZ_LOAD=") { environment.append(text) }
            entry += 1
        }
        let argv = [strdup(loader)] + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, loader, nil, nil, argv, envp)
        guard spawned == 0 else {
            return Finding("cannot run the loader \(loader): \(String(cString: strerror(spawned)))")
        }
        let status = waitWithin(pid, seconds: Self.loadBound)
        if access(directory + "/" + Self.canary, F_OK) == 0 {
            return Finding("code ran while the object loaded: it created \(Self.canary) in the build folder")
        }
        switch status {
        case nil: return Finding("loading the object did not finish within \(Int(Self.loadBound)) s")
        case 0?: return nil
        case let code? where code >= 128: return Finding("loading the object killed the loader with signal \(code - 128)")
        case let code?: return Finding("loading the object failed: the loader exited with status \(code)")
        }
    }

    /// `body`'s outcome, unless it took longer than `bound` seconds.
    func timed<T>(_ stage: String, bound: Double, _ body: () throws -> T) throws -> T {
        let start = monotonicSeconds()
        let outcome = Result(catching: body)
        let took = monotonicSeconds() - start
        if took > bound {
            throw Finding("\(stage) took \(Int(took)) s, past its bound of \(Int(bound)) s")
        }
        return try outcome.get()
    }
}

/// How far inputs got, for the summary a fuzzing run ends with.
enum Tally {
    static let inputs = Atomic<Int>(0)
    static let checked = Atomic<Int>(0)
    static let translated = Atomic<Int>(0)
    static let textLookalikes = Atomic<Int>(0)
    static let built = Atomic<Int>(0)

    static var summary: String {
        let (inputs, checked, translated) = (inputs.load(ordering: .relaxed), checked.load(ordering: .relaxed), translated.load(ordering: .relaxed))
        let (lookalikes, built) = (textLookalikes.load(ordering: .relaxed), built.load(ordering: .relaxed))
        return "\(inputs) inputs: \(checked) passed ModuleCheck, \(translated) translated with clean C "
            + "(\(lookalikes) of them compared with the C of the module without its text), \(built) built and loaded"
    }
}

// MARK: Bytes, files, processes

/// How many times `needle` occurs in `haystack` (overlapping ones counted).
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
    guard !needle.isEmpty, needle.count <= haystack.count else { return 0 }
    return haystack.withUnsafeBytes { hay in
        needle.withUnsafeBytes { pin in
            let first = Int32(needle[0])
            let last = hay.count - pin.count  // the last offset where the needle fits
            var count = 0
            var offset = 0
            // memchr finds candidates at memory speed; memmem is a GNU extension Swift does not import.
            while offset <= last, let hit = memchr(hay.baseAddress! + offset, first, last - offset + 1) {
                offset = hay.baseAddress!.distance(to: UnsafeRawPointer(hit))
                if memcmp(hit, pin.baseAddress!, pin.count) == 0 { count += 1 }
                offset += 1
            }
            return count
        }
    }
}

/// `bytes` for a report: printable ASCII as it is, the rest as \xNN, at most 80 bytes.
func quoted(_ bytes: [UInt8]) -> String {
    let shown = bytes.prefix(80).map { byte -> String in
        switch byte {
        case UInt8(ascii: "\\"): "\\\\"
        case UInt8(ascii: "\""): "\\\""
        case 0x20..<0x7f: String(UnicodeScalar(byte))
        default: "\\x" + String(byte, radix: 16).leftPadded(to: 2)
        }
    }.joined()
    return "\"" + shown + "\"" + (bytes.count > 80 ? " (\(bytes.count) bytes)" : "")
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// FNV-1a, 64 bits: which inputs are built.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

func readBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw Refusal("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        guard n >= 0 else { throw Refusal("cannot read \(path): \(String(cString: strerror(errno)))") }
        if n == 0 { return bytes }
        bytes += chunk[0..<n]
    }
}

/// Runs `body` with a new private folder under `$TMPDIR` (else /tmp), and
/// removes the folder and everything in it afterwards, whatever happens.
func withDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let parent = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array((parent + "/wskfuzz-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
        throw Finding("cannot create a folder in \(parent): \(String(cString: strerror(errno)))")
    }
    let directory = String(cString: made)
    defer { removeTree(directory) }
    return try body(directory)
}

/// Removes `path` and what is in it (a loaded payload may have made folders).
func removeTree(_ path: String) {
    if let dir = opendir(path) {
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != ".", name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names {
            let child = path + "/" + name
            var info = stat()
            if lstat(child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { removeTree(child) } else { unlink(child) }
        }
    }
    rmdir(path)
}

/// The exit status of `pid` (128 + N for signal N), or nil when it did not
/// end within `seconds`; then it is killed and reaped.
func waitWithin(_ pid: pid_t, seconds: Double) -> Int32? {
    let deadline = monotonicSeconds() + seconds
    var status: Int32 = 0
    while true {
        let done = waitpid(pid, &status, WNOHANG)
        if done == pid { break }
        if done < 0, errno != EINTR { return -1 }
        if monotonicSeconds() > deadline {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            return nil
        }
        usleep(2000)
    }
    // WIFEXITED/WEXITSTATUS are macros Swift does not import.
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}
