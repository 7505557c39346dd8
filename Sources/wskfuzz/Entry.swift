import Interp

#if canImport(Glibc)
    import Glibc
#endif

/// wskfuzz: the fuzzer of the compiled tier (issue #13); `FuzzHarness` says
/// what it checks.
///
/// Built by `scripts/fuzz` with `-sanitize=fuzzer`, it finds libFuzzer's
/// driver in itself and hands it its arguments (`-max_total_time=…`, corpus
/// folders). Built plainly (`swift build`), it runs each file named, or each
/// file of each folder named, through the harness once, says what the oracle
/// found or who refused the input, and exits 1 if it found anything: `wskfuzz build/fuzz/crash-…`
/// replays a kept input.
///
/// Environment: `WSKFUZZ_WITHOUT_REWRITE=1` skips the rewrite, to prove the
/// oracle can fail; `WSKFUZZ_BUILD_EVERY=N` builds one input in N (default 8
/// when fuzzing, 1 when replaying; 0: never); `WSKFUZZ_LOAD=PATH` makes this
/// process the loader: it loads the object at PATH, from its folder, and exits.
@main
enum WskFuzz {
    static func main() {
        if let object = environment("WSKFUZZ_LOAD") { exit(loadObject(object)) }
        let symbol = dlsym(dlopen(nil, RTLD_NOW), "LLVMFuzzerRunDriver")
        guard let harness = makeHarness(buildEvery: symbol == nil ? 1 : 8) else { exit(2) }
        if let symbol {
            exit(fuzz(unsafeBitCast(symbol, to: RunDriver.self), harness))
        }
        exit(replay(CommandLine.arguments.dropFirst(), harness))
    }

    /// Hands the arguments to libFuzzer, which calls the harness with each input.
    static func fuzz(_ driver: RunDriver, _ harness: FuzzHarness) -> Int32 {
        fuzzed = harness
        atexit { WskFuzz.say("wskfuzz: \(Tally.summary)\n") }
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        return driver(&argc, &argv, fuzzOne)
    }

    /// libFuzzer's callback: one input.
    static let fuzzOne: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
        let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        if let finding = fuzzed!.run(bytes) {
            say("wskfuzz: FOUND: \(finding)\n")
            abort()  // libFuzzer keeps the input as a crash
        }
        return 0
    }

    /// libFuzzer's `LLVMFuzzerRunDriver(&argc, &argv, callback)`.
    typealias RunDriver = @convention(c) (
        UnsafeMutablePointer<Int32>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// The harness libFuzzer's callback uses: set once, before the driver starts.
    nonisolated(unsafe) static var fuzzed: FuzzHarness?

    static func makeHarness(buildEvery fallback: Int) -> FuzzHarness? {
        let stages: CompileStages
        switch CompileStages.find(limits: FuzzHarness.limits) {
        case .success(let found): stages = found
        case .failure(let error):
            say("wskfuzz: \(error)\n")
            return nil
        }
        let rewrite = environment("WSKFUZZ_WITHOUT_REWRITE") != "1"
        let buildEvery = environment("WSKFUZZ_BUILD_EVERY").map { Int($0) ?? -1 } ?? fallback
        guard buildEvery >= 0 else {
            say("wskfuzz: WSKFUZZ_BUILD_EVERY must be a whole number (0: never build)\n")
            return nil
        }
        guard let loader = realpath("/proc/self/exe", nil) else {
            say("wskfuzz: cannot find its own executable: \(String(cString: strerror(errno)))\n")
            return nil
        }
        defer { free(loader) }
        if !rewrite { say("wskfuzz: WSKFUZZ_WITHOUT_REWRITE=1: the rewrite is skipped\n") }
        return FuzzHarness(
            pipeline: Pipeline(stages: stages, rewrite: rewrite), buildEvery: buildEvery, loader: String(cString: loader))
    }

    /// Runs the files (or the files of the folders) in `paths` once each.
    static func replay(_ paths: ArraySlice<String>, _ harness: FuzzHarness) -> Int32 {
        guard !paths.isEmpty else {
            say("usage: wskfuzz FILE|FOLDER… (built with -sanitize=fuzzer, see scripts/fuzz: libFuzzer's options)\n")
            return 2
        }
        var found = false
        for path in paths {
            let files = directoryFiles(path) ?? [path]
            for file in files {
                guard let bytes = try? readBytes(file) else {
                    say("wskfuzz: cannot read \(file)\n")
                    return 2
                }
                switch harness.examine(bytes) {
                case .found(let finding):
                    print("\(file): FOUND: \(finding)")
                    found = true
                case .clean: print("\(file): ok")
                case .refusedByCheck: print("\(file): ok (ModuleCheck refused it)")
                case .refusedByTier(let reason): print("\(file): ok (the compiled tier refused it: \(reason))")
                }
            }
        }
        return found ? 1 : 0
    }

    /// The loader: loads the object from its folder (where a payload would
    /// leave its canary) as the compiled tier does.
    static func loadObject(_ path: String) -> Int32 {
        if let slash = path.lastIndex(of: "/") { chdir(String(path[..<slash])) }
        do {
            try CompileStages.load(path)
            return 0
        } catch {
            say("wskfuzz: \(error)\n")
            return 3
        }
    }

    /// Writes `text` to stderr (unbuffered: a crash follows some of it).
    static func say(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The regular files in `path`, sorted, or nil when it is not a folder.
    static func directoryFiles(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var files: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            var info = stat()
            if stat(path + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG { files.append(path + "/" + name) }
        }
        return files.sorted()
    }
}
