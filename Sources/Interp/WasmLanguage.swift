import WasmParser

/// The one WebAssembly language wskdesk runs, on both tiers: the MVP plus the
/// post-MVP features that wasm2c 1.0.32 compiles with the flags the compiled
/// tier passes (none: its defaults) *and* WasmKit runs. `ModuleCheck` refuses
/// anything else at load, naming the proposal; the interpreter's engine is
/// configured with `wasmKitFeatures`. docs/ABI.md "The accepted language"
/// restates this.
public enum WasmLanguage {
    /// The post-MVP features a module may use, in the words of docs/ABI.md.
    public static let accepted = [
        "import/export of mutable globals",
        "sign-extension operators",
        "non-trapping float-to-int conversions",
        "multi-value",
        "bulk memory operations",
        "reference types",
    ]

    /// What WasmKit's parser and engine are given. Of WasmKit's flags only
    /// reference types is on; the other accepted features are not behind a
    /// flag in WasmKit. Exception handling, on in WasmKit's default set, is
    /// off: nothing bounds the exceptions a module keeps alive.
    static let wasmKitFeatures: WasmFeatureSet = [.referenceTypes]

    /// A proposal outside the language: what a module using it is told.
    enum Proposal: CaseIterable {
        case simd, threads, memory64, multiMemory, tailCall, exceptions, legacyExceptions
        case functionReferences, gc, extendedConst

        /// What the module uses, as the start of a sentence after its name.
        var uses: String {
            switch self {
            case .simd: "uses SIMD"
            case .threads: "uses the threads proposal"
            case .memory64: "uses the memory64 proposal"
            case .multiMemory: "uses the multi-memory proposal"
            case .tailCall: "uses tail calls"
            case .exceptions: "uses exception handling"
            case .legacyExceptions: "uses legacy exception handling"
            case .functionReferences: "uses typed function references"
            case .gc: "uses the GC proposal"
            case .extendedConst: "uses extended constant expressions"
            }
        }

        /// What to do about it.
        var remedy: String {
            switch self {
            case .simd: "build without the simd128 target feature"
            case .threads: "build without atomics/threads"
            case .memory64: "build for wasm32"
            case .multiMemory: "an actor has one memory; build without multi-memory"
            case .tailCall: "build without the tail-call target feature"
            case .exceptions, .legacyExceptions:
                "build without exceptions (C++: -fno-exceptions; Rust: panic = \"abort\")"
            case .functionReferences: "build without typed function references"
            case .gc: "build for linear memory, without the GC proposal"
            case .extendedConst: "build without the extended-const target feature"
            }
        }
    }
}

/// Where a module steps outside `WasmLanguage`: the proposal, what in the
/// module uses it, and the byte offset when known.
struct LanguageViolation: Equatable {
    let proposal: WasmLanguage.Proposal
    let what: String
    let offset: Int?

    var text: String {
        let place = offset.map { " at offset \(hex($0))" } ?? ""
        return "\(proposal.uses) (\(what)\(place)), which wskdesk does not support: \(proposal.remedy)"
    }
}

/// `value` in hexadecimal as the messages write it: "0x2a", "0x0c" with `digits: 2`.
func hex(_ value: Int, digits: Int = 1) -> String {
    let text = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
}

func hexByte(_ value: UInt8) -> String { hex(Int(value), digits: 2) }
