/// The `spectest` host module of the WebAssembly spec tests, as the official
/// interpreter defines it: the print functions (which print nothing here),
/// four immutable globals of 666, a funcref table of 10 to 20 elements and a
/// memory of 1 to 2 pages. Only the spec test runner instantiates modules
/// against it (`SpecSession`); actors import "env" alone.
package enum SpecHostModule {
    static let name = "spectest"

    /// The print functions and their parameters.
    static let functions: [(name: String, parameters: [SpecValueType])] = [
        ("print", []), ("print_i32", [.i32]), ("print_i64", [.i64]), ("print_f32", [.f32]), ("print_f64", [.f64]),
        ("print_i32_f32", [.i32, .f32]), ("print_f64_f64", [.f64, .f64]),
    ]

    /// The globals and their values.
    static let globals: [(name: String, value: SpecValue)] = [
        ("global_i32", .i32(666)), ("global_i64", .i64(666)),
        ("global_f32", .f32(Float(666.6).bitPattern)), ("global_f64", .f64(Double(666.6).bitPattern)),
    ]

    static let table = (name: "table", minimum: 10, maximum: 20)
    static let memory = (name: "memory", minimumPages: 1, maximumPages: 2)

    /// Every name the module exports: the only import names a compiled spec
    /// module may have (ModuleRewrite).
    static let names = functions.map(\.name) + globals.map(\.name) + [table.name, memory.name]
}

/// A value type of the accepted language.
package enum SpecValueType: Sendable, Equatable {
    case i32, i64, f32, f64, funcref, externref
}

/// A value passed to or returned from a spec module's export. Floats are
/// their bits, so NaN payloads survive; a reference is null or not, and an
/// extern reference carries the number the test gave it.
package enum SpecValue: Sendable, Equatable, CustomStringConvertible {
    case i32(UInt32)
    case i64(UInt64)
    case f32(UInt32)
    case f64(UInt64)
    /// nil: null; otherwise some function (which one is not compared).
    case funcref(Int?)
    case externref(UInt32?)

    package var description: String {
        switch self {
        case .i32(let v): "i32:\(v)"
        case .i64(let v): "i64:\(v)"
        case .f32(let v): "f32:0x\(String(v, radix: 16))"
        case .f64(let v): "f64:0x\(String(v, radix: 16))"
        case .funcref(let v): v == nil ? "funcref:null" : "funcref"
        case .externref(let v): "externref:\(v.map(String.init) ?? "null")"
        }
    }
}
