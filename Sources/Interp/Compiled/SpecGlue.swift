@_spi(Fuzzing) import WasmKit

/// The C that makes a spec test module (ModuleRewrite.Purpose.specTest)
/// callable, in place of an actor's wsk-actor.c and host-call trampolines:
///
/// - `spectest` (SpecHostModule), one per compiled object, its memory and
///   table allocated by the runtime like any other, on first instantiation;
/// - `wsk_instantiate`, and a `wsk_start` that traps (a spec module has no
///   `_start`: the runner calls its exports);
/// - `wsk_spec_export_<n>` for each function or global export `n`: takes a
///   `wsk_spec_call` (the instance, arguments and results as 64-bit
///   patterns), enters the instance as `wsk_start` does (wsk_enter: stack
///   limit, fuel, guard) and calls the export, inside `wskrt_run`.
///
/// Written only from the module's types and indices: no module text.
struct SpecGlue {
    let module: CheckedModule
    let sanitized: SanitizedModule

    func source() -> String {
        [Self.prelude, spectest(), entries()].joined(separator: "\n") + exports().joined(separator: "\n")
    }

    /// Conversions between 64-bit patterns and values, and the call frame.
    static let prelude = """
        /* A spec test's call of an export: wskrt_run passes one pointer. */
        typedef struct {
          wsk_instance* instance;
          const uint64_t* args;
          uint64_t* results;
        } wsk_spec_call;

        static inline f32 wsk_spec_f32(uint64_t bits) { u32 b = (u32)bits; f32 v; memcpy(&v, &b, 4); return v; }
        static inline f64 wsk_spec_f64(uint64_t bits) { f64 v; memcpy(&v, &bits, 8); return v; }
        static inline uint64_t wsk_spec_u32_bits(u32 v) { return v; }
        static inline uint64_t wsk_spec_u64_bits(u64 v) { return v; }
        static inline uint64_t wsk_spec_f32_bits(f32 v) { u32 b; memcpy(&b, &v, 4); return b; }
        static inline uint64_t wsk_spec_f64_bits(f64 v) { uint64_t b; memcpy(&b, &v, 8); return b; }
        static inline uint64_t wsk_spec_funcref_bits(wasm_rt_funcref_t v) { return v.func != NULL; }
        /* An extern reference n travels as n + 1, so that 0 is null. */
        static inline wasm_rt_externref_t wsk_spec_externref(uint64_t bits) { return (wasm_rt_externref_t)(uintptr_t)bits; }
        static inline uint64_t wsk_spec_externref_bits(wasm_rt_externref_t v) { return (uintptr_t)v; }
        /* A value's bits, whatever its C type; evaluates `v` once. */
        #define WSK_SPEC_BITS(v) _Generic((v), \\
          u32: wsk_spec_u32_bits, u64: wsk_spec_u64_bits, f32: wsk_spec_f32_bits, f64: wsk_spec_f64_bits, \\
          wasm_rt_externref_t: wsk_spec_externref_bits, wasm_rt_funcref_t: wsk_spec_funcref_bits)(v)
        """

    /// `spectest`: its functions print nothing; its memory and table are
    /// charged to no account (a test's), within the limits it declares.
    func spectest() -> String {
        let print = SpecHostModule.functions.map { function in
            let parameters = function.parameters.enumerated().map { ", \(Self.cType($1)) a\($0)" }.joined()
            return "void Z_spectestZ_\(function.name)(struct Z_spectest_instance_t* s\(parameters)) {}"
        }
        let globals = SpecHostModule.globals.map { global in
            "\(Self.cType(global.value.type))* Z_spectestZ_\(global.name)(struct Z_spectest_instance_t* s) { return &s->\(global.name); }"
        }
        let initial = SpecHostModule.globals.map { "  wsk_spectest.\($0.name) = \(Self.cBits($0.value));" }
        let (memory, table) = (SpecHostModule.memory, SpecHostModule.table)
        return """
            struct Z_spectest_instance_t {
            \(SpecHostModule.globals.map { "  \(Self.cType($0.value.type)) \($0.name);" }.joined(separator: "\n"))
              wasm_rt_memory_t memory;
              wasm_rt_funcref_table_t table;
            };
            static uint32_t wsk_spectest_charge(void* account, int64_t bytes) { return WSKRT_CHARGED; }
            static const wskrt_config wsk_spectest_config = {
              .charge = wsk_spectest_charge, .memory_limit_pages = \(memory.maximumPages), .table_limit = \(table.maximum)};
            static struct Z_spectest_instance_t wsk_spectest;
            static bool wsk_spectest_ready;

            /* Inside wskrt_run: an allocation the runtime refuses traps. */
            static void wsk_spectest_instantiate(void) {
              if (wsk_spectest_ready) return;
            \(initial.joined(separator: "\n"))
              wsk_api->allocate_memory(&wsk_spectest.memory, \(memory.minimumPages), \(memory.maximumPages), &wsk_spectest_config,
                                       WASM_RT_MEMCHECK_SIGNAL_HANDLER);
              wsk_api->allocate_funcref_table(&wsk_spectest.table, \(table.minimum), \(table.maximum), &wsk_spectest_config);
              wsk_spectest_ready = true;
            }
            \(print.joined(separator: "\n"))
            \(globals.joined(separator: "\n"))
            wasm_rt_memory_t* Z_spectestZ_memory(struct Z_spectest_instance_t* s) { return &s->memory; }
            wasm_rt_funcref_table_t* Z_spectestZ_table(struct Z_spectest_instance_t* s) { return &s->table; }

            """
    }

    /// wsk_instantiate, wsk_start, and the memory the runtime guards.
    func entries() -> String {
        let instantiate = sanitized.hasImports
            ? "  wsk_spectest_instantiate();\n  Z_wsk_instantiate(&instance->module, &wsk_spectest);"
            : "  Z_wsk_instantiate(&instance->module);"
        return """
            WSK_EXPORT void wsk_instantiate(void* opaque) {
              wsk_instance* instance = opaque;
            \(instantiate)
            }

            /* A spec module has no _start: the runner calls wsk_spec_export_<n>. */
            WSK_EXPORT void wsk_start(void* opaque) { wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE); }

            static inline const wasm_rt_memory_t* wsk_spec_memory(wsk_instance* instance) {
              return \(sanitized.hasMemory ? "Z_wskZ_memory(&instance->module)" : "NULL");
            }

            """
    }

    /// One entry point per function or global export.
    func exports() -> [String] {
        sanitized.exports.enumerated().compactMap { n, export in
            let name = "Z_wskZ_" + ModuleRewrite.specExportName(n)
            let body: String
            switch export.kind {
            case 0:
                guard let type = functionType(export.index) else { return nil }
                body = call(name, type)
            case 3:
                body = "  call->results[0] = WSK_SPEC_BITS(*\(name)(&call->instance->module));"
            default:
                return nil
            }
            return """
                WSK_EXPORT void wsk_spec_export_\(n)(void* opaque) {
                  wsk_spec_call* call = opaque;
                  wsk_enter(call->instance, wsk_spec_memory(call->instance));
                \(body)
                }

                """
        }
    }

    private func functionType(_ index: UInt32) -> FunctionType? {
        guard Int(index) < sanitized.functionTypes.count else { return nil }
        return module.module.functionType(at: sanitized.functionTypes[Int(index)])
    }

    /// The call of export `name` of `type`, its results stored as bits.
    private func call(_ name: String, _ type: FunctionType) -> String {
        let arguments = type.parameters.enumerated().map { ", " + Self.argument($1, "call->args[\($0)]") }.joined()
        let invocation = "\(name)(&call->instance->module\(arguments))"
        switch type.results.count {
        case 0: return "  \(invocation);"
        case 1: return "  call->results[0] = WSK_SPEC_BITS(\(invocation));"
        default:
            let letters = type.results.map(Self.letter)
            let stores = letters.enumerated().map { n, letter in
                "  call->results[\(n)] = WSK_SPEC_BITS(r.\(letter)\(n));"
            }
            return "  struct wasm_multi_\(letters.joined()) r = \(invocation);\n" + stores.joined(separator: "\n")
        }
    }

    /// A 64-bit pattern as the parameter's C type; a funcref argument is always null.
    private static func argument(_ type: ValueType, _ bits: String) -> String {
        switch type {
        case .i32: "(u32)\(bits)"
        case .i64: bits
        case .f32: "wsk_spec_f32(\(bits))"
        case .f64: "wsk_spec_f64(\(bits))"
        case .ref(let reference) where reference.heapType == .abstract(.externRef): "wsk_spec_externref(\(bits))"
        default: "wasm_rt_funcref_null_value"
        }
    }

    /// The letter wasm2c names a multi-value field by.
    private static func letter(_ type: ValueType) -> String {
        switch type {
        case .i32: "i"
        case .i64: "j"
        case .f32: "f"
        case .f64: "d"
        case .ref(let reference) where reference.heapType == .abstract(.externRef): "e"
        default: "r"
        }
    }

    private static func cType(_ type: SpecValueType) -> String {
        switch type {
        case .i32: "u32"
        case .i64: "u64"
        case .f32: "f32"
        case .f64: "f64"
        case .funcref: "wasm_rt_funcref_t"
        case .externref: "wasm_rt_externref_t"
        }
    }

    /// A value's bits as a C initializer (floats through their bit patterns).
    private static func cBits(_ value: SpecValue) -> String {
        switch value {
        case .i32(let v): "\(v)u"
        case .i64(let v): "\(v)ull"
        case .f32(let v): "wsk_spec_f32(\(v)u)"
        case .f64(let v): "wsk_spec_f64(\(v)ull)"
        default: "0"
        }
    }
}

extension SpecValue {
    var type: SpecValueType {
        switch self {
        case .i32: .i32
        case .i64: .i64
        case .f32: .f32
        case .f64: .f64
        case .funcref: .funcref
        case .externref: .externref
        }
    }
}
