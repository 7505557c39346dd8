/// Fits wasm2c's output (wabt 1.0.32, module name "wsk") to wskdesk's runtime:
///
/// - the instance struct gets a `wskrt_header` (fuel, stack limit, env,
///   shadow stack) first;
/// - each function's `FUNC_PROLOGUE;` becomes `WSK_FUNC_ENTRY(cost, index);`
///   (its Wasm function index on the shadow stack, for a trap's backtrace;
///   stack check and fuel), its `FUNC_EPILOGUE;` `WSK_FUNC_EXIT;` (off the
///   shadow stack), and each loop label that is jumped back to gets
///   `WSK_LOOP_ENTRY(cost);` (fuel);
/// - wasm2c's `CALL_INDIRECT` makes way for wsk-module.h's, which says which
///   check failed, and its table helpers trap with the index out of bounds
///   (as the interpreter says it) rather than as a memory access;
/// - each bulk memory or table operation and each growth is followed by its
///   size in fuel (`WSK_MEMORY_BULK(n);` ...), priced as the interpreter
///   prices it, so a loop of large fills runs dry as fast in both tiers.
///
/// A cost is the number of statements the entry leads to, outside nested
/// loops: the generated code has about one statement per Wasm instruction, so
/// the watchdog counts roughly what the interpreter's fuel counts. Every loop
/// iteration and call costs at least one, so every runaway actor runs dry.
///
/// wasm2c's output is regular (one statement a line, bodies indented, a
/// function's closing brace in column 0); each rewrite checks it found what it
/// expects and fails the compile otherwise, rather than run unwatched code.
enum Instrumentation {
    static let instanceStruct = "typedef struct Z_wsk_instance_t {"
    static let envInstantiate = "void Z_wsk_instantiate(Z_wsk_instance_t*, struct Z_env_instance_t*);"

    /// The generated header with the runtime's header field, and whether the
    /// module's instantiate takes the "env" instance (it has imports).
    static func header(_ text: String) throws(CompileError) -> (text: String, importsEnv: Bool) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let open = lines.firstIndex(of: instanceStruct), lines.filter({ $0 == instanceStruct }).count == 1 else {
            throw unrecognized("no instance struct in the header")
        }
        lines.insert("  wskrt_header wsk;", at: open + 1)
        return (lines.joined(separator: "\n"), lines.contains(envInstantiate))
    }

    /// Changes whenever the instrumentation writes other C: part of the
    /// object format (`Toolchain.objectFormat`), and so of every cache key.
    static let version = 2

    /// The generated source with the fuel and stack checks inserted, in
    /// each of the module's `functions` (its function section's count: a
    /// module may define none, as some spec test modules do). wasm2c writes
    /// them in order, so the n-th is Wasm function `firstIndex + n`
    /// (`firstIndex`: the functions it imports).
    static func source(_ text: String, functions expected: Int, firstIndex: Int) throws(CompileError) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try removeCallIndirect(&lines)
        try retargetTableTraps(&lines)
        var functions = 0
        var index = 0
        while index < lines.count {
            if lines[index] == "  FUNC_PROLOGUE;" {
                guard let end = lines[index...].firstIndex(of: "}") else { throw unrecognized("a function without its end") }
                try instrumentFunction(&lines, prologue: index, end: end, index: firstIndex + functions)
                functions += 1
                index = end
            }
            index += 1
        }
        guard functions == expected else { throw unrecognized("\(functions) function prologues for \(expected) functions") }
        return lines.joined(separator: "\n")
    }

    /// Removes the `#define CALL_INDIRECT(...)` block (a line and its continuations).
    private static func removeCallIndirect(_ lines: inout [String]) throws(CompileError) {
        guard let first = lines.firstIndex(where: { $0.hasPrefix("#define CALL_INDIRECT(") }) else {
            throw unrecognized("no CALL_INDIRECT definition")
        }
        var last = first
        while lines[last].hasSuffix("\\"), last + 1 < lines.count { last += 1 }
        lines.removeSubrange(first...last)
    }

    /// In the table helpers (`DEFINE_TABLE_*`, `*_table_init`), each
    /// `TRAP(OOB)` follows `if (UNLIKELY(<index> > <size>))`: it becomes
    /// `WSK_TABLE_TRAP(<index>)`, "out of bounds table access at <index>".
    private static func retargetTableTraps(_ lines: inout [String]) throws(CompileError) {
        var inMacro = false
        var inFunction = false
        var retargeted = 0
        for i in lines.indices {
            let line = lines[i]
            if line.hasPrefix("#define DEFINE_TABLE_") { inMacro = true }
            if line.hasPrefix("static inline void funcref_table_init(") || line.hasPrefix("static inline void externref_table_init(") {
                inFunction = true
            }
            if inMacro || inFunction, line.contains("TRAP(OOB)") {
                let test = lines[i - 1].firstRange(of: "UNLIKELY(").map { lines[i - 1][$0.upperBound...] }
                guard let test, let comparison = test.firstRange(of: " >") else { throw unrecognized("a table bounds check") }
                lines[i] = line.replacing("TRAP(OOB)", with: "WSK_TABLE_TRAP(\(test[..<comparison.lowerBound]))", maxReplacements: 1)
                retargeted += 1
            }
            if inMacro, !line.hasSuffix("\\") { inMacro = false }
            if inFunction, line == "}" { inFunction = false }
        }
        guard retargeted == 9 else { throw unrecognized("\(retargeted) table bounds checks, not 9") }
    }

    /// Charges each statement of the body between `prologue` and `end` to the
    /// innermost loop around it (from its label to its last back-edge), or to
    /// the function entry.
    private static func instrumentFunction(_ lines: inout [String], prologue: Int, end: Int, index function: Int)
        throws(CompileError)
    {
        var loops: [(label: String, start: Int, backEdge: Int)] = []
        for i in prologue + 1..<end {
            if let label = loopLabel(lines[i]) { loops.append((label, i, i)) }
        }
        for i in prologue + 1..<end where lines[i].contains("goto w2c_L") {
            for (n, loop) in loops.enumerated() where lines[i].contains("goto \(loop.label);") {
                loops[n].backEdge = max(loop.backEdge, i)
            }
        }
        let jumps = lines[prologue + 1..<end].filter { $0.contains("goto w2c_L") }.count
        let matched = lines[prologue + 1..<end].filter { line in loops.contains { line.contains("goto \($0.label);") } }.count
        guard jumps == matched else { throw unrecognized("a jump to a loop label it could not find") }

        var loopCost = [Int](repeating: 0, count: loops.count)
        var entryCost = 0
        for i in prologue + 1..<end where isStatement(lines[i]) {
            // Loops are listed by start, so the last one around `i` is the innermost.
            if let inner = loops.indices.last(where: { loops[$0].start < i && i <= loops[$0].backEdge }) {
                loopCost[inner] += 1
            } else {
                entryCost += 1
            }
        }
        lines[prologue] = "  WSK_FUNC_ENTRY(\(max(entryCost, 1)), \(function)u);"
        // One exit, which every return jumps to: a frame leaves the shadow
        // stack there or by a trap (which keeps it, for the backtrace).
        let epilogues = (prologue + 1..<end).filter { lines[$0] == "  FUNC_EPILOGUE;" }
        guard epilogues.count == 1 else { throw unrecognized("\(epilogues.count) function epilogues in a function") }
        lines[epilogues[0]] = "  WSK_FUNC_EXIT;"
        for i in prologue + 1..<end {
            if let charge = try bulkCharge(lines[i]) { lines[i] += " " + charge }
        }
        for (n, loop) in loops.enumerated() where loop.backEdge > loop.start {
            lines[loop.start] = lines[loop.start].droppingTrailing(" ") + " WSK_LOOP_ENTRY(\(max(loopCost[n], 1)));"
        }
    }

    /// wasm2c's helpers for bulk operations, and which argument is the count.
    private static let bulkHelpers: [(name: String, count: Int, charge: String)] = [
        ("memory_fill", 3, "WSK_MEMORY_BULK"), ("memory_copy", 4, "WSK_MEMORY_BULK"),
        ("memory_init", 5, "WSK_MEMORY_BULK"),
        ("funcref_table_fill", 3, "WSK_TABLE_BULK"), ("externref_table_fill", 3, "WSK_TABLE_BULK"),
        ("funcref_table_copy", 4, "WSK_TABLE_BULK"), ("externref_table_copy", 4, "WSK_TABLE_BULK"),
        ("funcref_table_init", 5, "WSK_TABLE_BULK"), ("externref_table_init", 4, "WSK_TABLE_BULK"),
    ]
    /// The growth calls: `result = call(memory or table, delta...)`.
    private static let growthCalls: [(name: String, charge: String)] = [
        ("wasm_rt_grow_memory", "WSK_MEMORY_GROWN"), ("wasm_rt_grow_funcref_table", "WSK_TABLE_GROWN"),
        ("wasm_rt_grow_externref_table", "WSK_TABLE_GROWN"),
    ]

    /// The fuel statement that follows `line` of a function body, if it is a
    /// bulk operation (`  memory_fill(&instance->w2c_memory, w2c_i0, w2c_i1, w2c_i2);`)
    /// or a growth (`  w2c_i0 = wasm_rt_grow_memory(&instance->w2c_memory, w2c_i0);`).
    private static func bulkCharge(_ line: String) throws(CompileError) -> String? {
        let text = line.droppingLeading(" ")
        // Generated names all start `w2c_`, so only a helper call starts a line so.
        for helper in bulkHelpers where text.hasPrefix(helper.name + "(") {
            guard let arguments = callArguments(text.dropFirst(helper.name.count)),
                arguments.count > helper.count
            else { throw unrecognized("a call of \(helper.name)") }
            return "\(helper.charge)(\(arguments[helper.count]));"
        }
        for call in growthCalls where text.contains(" = " + call.name + "(") {
            guard let assignment = text.firstRange(of: " = " + call.name + "("),
                let arguments = callArguments(text[text.index(before: assignment.upperBound)...]),
                arguments.count >= 2
            else { throw unrecognized("a call of \(call.name)") }
            return "\(call.charge)(\(text[..<assignment.lowerBound]), \(arguments[0]));"
        }
        return nil
    }

    /// The arguments of `(a, (b ? c : d), e);`, split at the commas outside
    /// parentheses; nil unless the text is exactly one call statement.
    private static func callArguments(_ text: Substring) -> [String]? {
        guard text.first == "(" else { return nil }
        var arguments: [String] = []
        var current = ""
        var depth = 0
        for (offset, character) in text.enumerated() {
            switch character {
            case "(":
                depth += 1
                if depth > 1 { current.append(character) }
            case ")":
                depth -= 1
                if depth == 0 {
                    arguments.append(current.droppingLeading(" "))
                    return text.dropFirst(offset + 1) == ";" ? arguments : nil
                }
                current.append(character)
            case "," where depth == 1:
                arguments.append(current.droppingLeading(" "))
                current = ""
            default:
                current.append(character)
            }
        }
        return nil
    }

    /// `w2c_L12` for a line `    w2c_L12: `.
    private static func loopLabel(_ line: String) -> String? {
        let text = line.droppingLeading(" ").droppingTrailing(" ")
        guard text.hasPrefix("w2c_L"), text.hasSuffix(":") else { return nil }
        let label = String(text.dropLast())
        return label.dropFirst(5).allSatisfy(\.isNumber) && label.count > 5 ? label : nil
    }

    /// Whether a line is a statement of the body, about one Wasm instruction.
    private static func isStatement(_ line: String) -> Bool {
        let text = line.droppingLeading(" ")
        if text.hasPrefix("if (") || text.hasPrefix("switch (") { return true }
        guard text.contains(";") else { return false }
        if text.hasPrefix("case ") || text.hasPrefix("default:") || text == "FUNC_EPILOGUE;" { return false }
        if text.hasPrefix("w2c_") && text.hasSuffix(":;") { return false }  // a block's end label
        return !isDeclaration(text)
    }

    /// `u32 w2c_i0, w2c_i1;`: the stack slots wasm2c declares after the prologue.
    private static func isDeclaration(_ text: String) -> Bool {
        let types = ["u32 ", "u64 ", "f32 ", "f64 ", "v128 ", "wasm_rt_funcref_t ", "wasm_rt_externref_t "]
        return !text.contains("=") && types.contains { text.hasPrefix($0) }
    }

    private static func unrecognized(_ what: String) -> CompileError {
        CompileError("wasm2c's output is not what wskdesk expects (\(what)); is this wabt 1.0.32?")
    }
}

extension String {
    fileprivate func droppingLeading(_ character: Character) -> String {
        String(drop { $0 == character })
    }

    fileprivate func droppingTrailing(_ character: Character) -> String {
        var text = Substring(self)
        while text.last == character { text.removeLast() }
        return String(text)
    }
}
