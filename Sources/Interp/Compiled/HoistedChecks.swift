/// Bounds checks hoisted out of straight-line code, so the C compiler may
/// keep, merge and vectorize the memory accesses of a loop body.
///
/// wasm2c writes each access as `i32_load(&instance->w2c_memory, (u64)(x) + 8u)`:
/// with guard pages, a barrier after every load (an empty `asm` that uses the
/// value, so a load whose value is dead still faults) and the memory's base
/// read from the instance again after every store (a byte store may alias
/// it); with explicit checks, a test before every access. Either way each
/// access stays alone, in program order, and nothing is vectorized: a fault
/// or a trap must find every earlier store made and no later one. Worse, the
/// address is a 32-bit sum that may wrap, so `p` and `p + 4` are not known
/// to be neighbours.
///
/// This pass finds each run of consecutive statements that only compute
/// (no call, branch, label, memory growth or instance field) and access
/// memory at addresses it can follow: each address is a value known at the
/// run's start (a *root*: a variable, or the 32-bit sum of two) plus a
/// constant. Such a run becomes
///
///     if (LIKELY((u64)(root) + <end of the furthest access> <= instance->w2c_memory.size)) {
///       <the run, each access at row + constant, no barrier, no check>
///     } else {
///       <the run as wasm2c wrote it>
///     }
///
/// When the test passes, no access of the run can fault or trap, in any
/// order (so the compiler may reorder and vectorize them), and no address
/// wraps (root + constant stays under the memory's size, itself at most
/// 2^32). When it fails, the original statements run, with their barriers or
/// checks, and trap exactly where the interpreter does, with the same bytes
/// stored before. The fuel statements (Instrumentation) are not part of any
/// run, so the watchdog counts as before.
///
/// Only runs of at least `minimumAccesses` are so versioned. Before them, a
/// loop whose body is one run and whose rounds can be counted is versioned
/// whole, its bounds and its fuel checked once before its first round
/// (`Loop`, HoistedLoopChecks.swift).
enum HoistedChecks {
    /// Bumped whenever the generated C changes: part of the object format
    /// (`Toolchain.objectFormat`), so no object built before is reused.
    static let version = 2

    /// Runs with fewer accesses stay as wasm2c wrote them: versioning a short
    /// run costs a test and a second copy, and gains little. A run of one or
    /// two accesses in a loop the compiler did not vectorize anyway (blur,
    /// edges and sepia's) ran slower with its own test than with the barrier
    /// (`wskbench compiled`: sepia 3.8x native to 5.1x, edges 0.8x to 1.5x).
    static let minimumAccesses = 8

    /// The memory every access of a run goes to (memory 0, as wasm2c names an actor's).
    static let memory = "&instance->w2c_memory"

    /// The source with every loop that `Loop` can count versioned, and
    /// every other run that has at least `minimumAccesses` accesses. A
    /// function with either reads the memory's base once, at its entry
    /// (`WSK_MEMORY_BASE`): a memory never moves (wasm-rt.h).
    static func source(_ text: String, minimumAccesses: Int = minimumAccesses) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var output: [String] = []
        output.reserveCapacity(lines.count)
        var run = Run()
        var runs = 0
        var loops = 0
        // Where the current function's entry check is in `output`, and the
        // entries after which the base is to be read.
        var entry: Int?
        var entriesWithRuns: [Int] = []
        func flush() {
            if let entry, run.accesses >= minimumAccesses, let versioned = run.versioned(number: runs) {
                output += versioned
                runs += 1
                if entriesWithRuns.last != entry { entriesWithRuns.append(entry) }
            } else {
                output += run.lines.map(\.text)
            }
            run = Run()
        }
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if let entry, Loop.isHeader(line), let loop = Loop(lines, header: index) {
                flush()
                output += loop.versioned(number: loops)
                loops += 1
                if entriesWithRuns.last != entry { entriesWithRuns.append(entry) }
                index = loop.backEdge + 1
                continue
            }
            if !run.add(line) {
                flush()
                if line.hasPrefix("  WSK_FUNC_ENTRY(") { entry = output.count }
                if line == "}" { entry = nil }
                output.append(line)
            }
            index += 1
        }
        flush()
        for index in entriesWithRuns.reversed() { output.insert("  WSK_MEMORY_BASE;", at: index + 1) }
        return output.joined(separator: "\n")
    }

    /// What a variable holds, relative to the run's start.
    enum Value: Equatable {
        /// A 32-bit constant.
        case constant(UInt32)
        /// `root + offset`, modulo 2^32, for a root's value at the run's start.
        case relative(root: String, offset: Int)
        /// 1 if `root + offset` (modulo 2^32) differs from `bound`, else 0:
        /// a loop's exit test.
        indirect case differs(root: String, offset: Int, bound: Value)
        case unknown

        enum Kind { case constant, relative, other }
        var kind: Kind {
            switch self {
            case .constant: .constant
            case .relative: .relative
            default: .other
            }
        }
    }

    /// A memory access found in a run.
    struct Access {
        let operation: String
        let root: String
        /// From the root's value to the access's first byte.
        let offset: Int
        let bytes: Int
        /// The loaded variable (a load) or the stored value (a store).
        let variable: String
        let isStore: Bool
    }

    struct Line {
        let text: String
        let access: Access?
    }

    /// Consecutive statements in one basic block, and what their variables hold.
    struct Run {
        var lines: [Line] = []
        var values: [String: Value] = [:]
        var accesses: Int { lines.filter { $0.access != nil }.count }

        /// Adds `text` if it can be part of the run; false if it ends it.
        mutating func add(_ text: String) -> Bool {
            let statement = text.drop { $0 == " " }
            if let access = HoistedChecks.access(statement) {
                guard let address = addressValue(access.addressVariable, plus: access.constant) else { return false }
                if !access.isStore { values[access.variable] = .unknown }
                lines.append(Line(text: text, access: Access(
                    operation: access.operation, root: address.root, offset: address.offset,
                    bytes: access.bytes, variable: access.variable, isStore: access.isStore)))
                return true
            }
            guard let (target, operation, operand) = HoistedChecks.computation(statement) else { return false }
            values[target] = transfer(target, operation, operand)
            lines.append(Line(text: text, access: nil))
            return true
        }

        func value(_ variable: String) -> Value {
            values[variable] ?? .relative(root: variable, offset: 0)
        }

        /// The root and offset of `(u64)(variable) + constant`, if known and
        /// not below the root.
        func addressValue(_ variable: String, plus constant: UInt64) -> (root: String, offset: Int)? {
            switch value(variable) {
            case .constant(let c): return ("0u", Int(c) + Int(constant))
            case .relative(let root, let offset) where offset >= 0: return (root, offset + Int(constant))
            default: return nil
            }
        }

        /// The value of `target operation operand;`.
        func transfer(_ target: String, _ operation: String, _ operand: String) -> Value {
            let right: Value = isVariable(operand[...]) ? value(operand) : (constant(operand).map(Value.constant) ?? .unknown)
            let left = value(target)
            // Offsets are kept within ±2^31, far from wrapping an Int.
            func relative(_ root: String, _ offset: Int) -> Value {
                abs(offset) < 1 << 31 ? .relative(root: root, offset: offset) : .unknown
            }
            func signed(_ c: UInt32) -> Int { Int(Int32(bitPattern: c)) }
            if operation == "=", let test = notEqual(operand) {
                guard case .relative(let root, let offset) = test.left, [.constant, .relative].contains(test.right.kind) else {
                    return .unknown
                }
                return .differs(root: root, offset: offset, bound: test.right)
            }
            switch (operation, left, right) {
            case ("=", _, _): return right
            case ("+=", .relative(let root, let offset), .constant(let c)): return relative(root, offset + signed(c))
            case ("+=", .constant(let c), .relative(let root, let offset)): return relative(root, offset + signed(c))
            case ("-=", .relative(let root, let offset), .constant(let c)): return relative(root, offset - signed(c))
            case ("+=", .constant(let a), .constant(let b)): return .constant(a &+ b)
            case ("+=", .relative(let a, let x), .relative(let b, let y)):
                // Both roots are values at the run's start: so is their 32-bit sum.
                return relative("(u32)(\(a) + \(b))", x + y)
            default: return .unknown
            }
        }

        /// Each root the run's accesses use, in order of first use, with
        /// the end of the furthest access from it.
        var ends: [(root: String, end: Int)] {
            var ends: [(root: String, end: Int)] = []
            for line in lines {
                guard let access = line.access else { continue }
                let end = access.offset + access.bytes
                if let n = ends.firstIndex(where: { $0.root == access.root }) {
                    ends[n].end = max(ends[n].end, end)
                } else {
                    ends.append((access.root, end))
                }
            }
            return ends
        }

        /// The run with its check hoisted, or nil if it has no access.
        func versioned(number: Int) -> [String]? {
            guard let first = lines.first else { return nil }
            let indent = String(first.text.prefix { $0 == " " })
            let ends = ends
            guard !ends.isEmpty else { return nil }
            let rows = Dictionary(uniqueKeysWithValues: ends.enumerated().map { ($0.element.root, "wsk_row\(number)_\($0.offset)") })
            let test = ends.map { "(u64)(\($0.root)) + \($0.end)ull <= instance->w2c_memory.size" }.joined(separator: " && ")
            var out = ["\(indent)if (LIKELY(\(test))) {"]
            for (root, _) in ends {
                out.append("\(indent)  WSK_ROW(\(rows[root]!), \(root));")
            }
            out += unchecked(indent: indent + "  ", removing: indent) { rows[$0]! }
            out.append("\(indent)} else {")
            out += lines.map { "\(indent)  " + $0.text.dropFirst(indent.count) }
            out.append("\(indent)}")
            return out
        }

        /// The run's statements with each access at `row(root)` plus its
        /// offset, neither checked nor fenced; `removing` is the run's own indent.
        func unchecked(indent: String, removing: String, row: (String) -> String) -> [String] {
            lines.map { line in
                guard let access = line.access else { return indent + line.text.dropFirst(removing.count) }
                return access.isStore
                    ? "\(indent)wsk_row_\(access.operation)(\(row(access.root)), \(access.offset)ull, \(access.variable));"
                    : "\(indent)\(access.variable) = wsk_row_\(access.operation)(\(row(access.root)), \(access.offset)ull);"
            }
        }

        /// `a != b` of two variables or constants: their values.
        func notEqual(_ expression: String) -> (left: Value, right: Value)? {
            let sides = expression.split(separator: " != ", omittingEmptySubsequences: false)
            guard sides.count == 2 else { return nil }
            func operand(_ text: Substring) -> Value? {
                isVariable(text) ? value(String(text)) : constant(String(text)).map(Value.constant)
            }
            guard let left = operand(sides[0]), let right = operand(sides[1]) else { return nil }
            return (left, right)
        }
    }

    // MARK: Reading wasm2c's statements

    /// Bytes each load and store of wasm2c's prelude moves.
    static let accessBytes: [String: Int] = [
        "i32_load": 4, "i64_load": 8, "f32_load": 4, "f64_load": 8,
        "i32_load8_s": 1, "i64_load8_s": 1, "i32_load8_u": 1, "i64_load8_u": 1,
        "i32_load16_s": 2, "i64_load16_s": 2, "i32_load16_u": 2, "i64_load16_u": 2,
        "i64_load32_s": 4, "i64_load32_u": 4,
        "i32_store": 4, "i64_store": 8, "f32_store": 4, "f64_store": 8,
        "i32_store8": 1, "i32_store16": 2, "i64_store8": 1, "i64_store16": 2, "i64_store32": 4,
    ]

    /// `v = OP(&instance->w2c_memory, (u64)(a) + Nu);` or
    /// `OP(&instance->w2c_memory, (u64)(a) + N, v);` (the offset optional).
    static func access(_ statement: Substring)
        -> (operation: String, addressVariable: String, constant: UInt64, variable: String, bytes: Int, isStore: Bool)?
    {
        var rest = statement
        var target: String?
        if let equals = rest.firstRange(of: " = ") {
            target = String(rest[..<equals.lowerBound])
            guard isVariable(target![...]) else { return nil }
            rest = rest[equals.upperBound...]
        }
        guard let open = rest.firstIndex(of: "(") else { return nil }
        let operation = String(rest[..<open])
        guard let bytes = accessBytes[operation], operation.contains("_store") == (target == nil) else { return nil }
        rest = rest[rest.index(after: open)...]
        let prefix = memory + ", (u64)("
        guard rest.hasPrefix(prefix) else { return nil }
        rest = rest.dropFirst(prefix.count)
        guard let close = rest.firstIndex(of: ")") else { return nil }
        let address = String(rest[..<close])
        guard isVariable(address[...]) else { return nil }
        rest = rest[rest.index(after: close)...]
        var constant: UInt64 = 0
        if rest.hasPrefix(" + ") {
            // wasm2c writes a load's offset `+ 8u` and a store's `+ 8`.
            let digits = rest.dropFirst(3).prefix { $0.isNumber }
            guard let value = UInt64(digits) else { return nil }
            constant = value
            rest = rest.dropFirst(3 + digits.count)
            if rest.hasPrefix("u") { rest = rest.dropFirst() }
        }
        if let target {
            guard rest == ");" else { return nil }
            return (operation, address, constant, target, bytes, false)
        }
        guard rest.hasPrefix(", "), rest.hasSuffix(");") else { return nil }
        let value = rest.dropFirst(2).dropLast(2)
        guard isVariable(value) else { return nil }
        return (operation, address, constant, String(value), bytes, true)
    }

    /// `target OP= operand-or-expression;` that only computes: its target, its
    /// operator and its right side. Nil for anything else (a call, an
    /// instance field, a branch, a label, an access).
    static func computation(_ statement: Substring) -> (target: String, operation: String, operand: String)? {
        guard statement.hasSuffix(";"), let space = statement.firstIndex(of: " ") else { return nil }
        let target = statement[..<space]
        guard isVariable(target) else { return nil }
        let afterTarget = statement[statement.index(after: space)...]
        guard let operationEnd = afterTarget.firstIndex(of: " ") else { return nil }
        let operation = String(afterTarget[..<operationEnd])
        guard ["=", "+=", "-=", "*=", "&=", "|=", "^=", "<<=", ">>="].contains(operation) else { return nil }
        let expression = afterTarget[afterTarget.index(after: operationEnd)...].dropLast()
        guard onlyComputes(expression) else { return nil }
        return (String(target), operation, String(expression))
    }

    /// Whether an expression only computes: no braces, no instance, and every
    /// name called is one of wasm2c's arithmetic helpers (an upper-case
    /// macro such as `DIV_U`, which may trap through a call, or a `wasm_`
    /// float helper), never a function of the module, the host or the runtime.
    static func onlyComputes(_ expression: Substring) -> Bool {
        guard !expression.contains(where: { $0 == "{" || $0 == "}" || $0 == ";" }),
              !expression.contains("instance"), !expression.contains("goto")
        else { return false }
        var name = ""
        for character in expression {
            if character.isLetter || character.isNumber || character == "_" {
                name.append(character)
                continue
            }
            if character == "(", !name.isEmpty, !isHelper(name) { return false }
            name = ""
        }
        return true
    }

    static func isHelper(_ name: String) -> Bool {
        if name.hasPrefix("wasm_rt_") || name.hasPrefix("WSK_") || name == "CALL_INDIRECT" || accessBytes[name] != nil {
            return false
        }
        if name.hasPrefix("wasm_") || name.hasPrefix("quiet_nan") { return true }
        return name.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" }
    }

    /// `w2c_` and letters, digits or `_`: a parameter, local or stack variable.
    static func isVariable(_ text: Substring) -> Bool {
        text.hasPrefix("w2c_") && text.count > 4 && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    /// A 32-bit constant as wasm2c writes one (`4294967288u`).
    static func constant(_ text: String) -> UInt32? {
        guard text.hasSuffix("u"), !text.hasSuffix("ull") else { return nil }
        return UInt32(text.dropLast())
    }
}
