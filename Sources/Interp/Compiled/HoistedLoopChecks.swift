extension HoistedChecks {
    /// A loop whose bounds are checked once, before its first round.
    ///
    /// A loop qualifies when its body is one straight run (`Run`) ending in
    /// its only back edge, `if (c) {goto label;}`, and the run can count it:
    /// `c` is `iv + k` or `iv + k != bound`, where the induction variable
    /// `iv` ends each round a constant step from where it began it and
    /// `bound` is a constant or a variable no round assigns; and each access
    /// is at a root plus a constant, where every variable in the root is
    /// either assigned by no round or an induction variable. Round `r` then
    /// reaches each root at its first value plus `r` times its step, and the
    /// rounds can be counted before the first (`wsk_loop_rounds`). Such a loop
    /// becomes
    ///
    ///     {
    ///       u64 wsk_rounds3 = wsk_loop_rounds(<distance to the bound>, <|step|>);
    ///       if (LIKELY(wsk_rounds3 != 0 && <every root's furthest access in the
    ///                  last round ends within the memory, none below 0>
    ///                  && WSK_LOOP_FUEL(wsk_rounds3, <cost of a round>))) {
    ///         <rows: the memory's base plus each root's first value>
    ///         for (u64 wsk_round3 = 0; wsk_round3 != wsk_rounds3; wsk_round3++) {
    ///           <the body, each access at row + round * step + constant, no barrier, no check>
    ///         }
    ///       } else {
    ///         <the loop as wasm2c wrote it>
    ///       }
    ///     }
    ///
    /// When the test passes no round can fault or trap on memory, nor run
    /// dry (its fuel is charged at once), and every variable ends as the
    /// loop would leave it (each round runs the same statements). Else the
    /// loop runs with its checks and its fuel per round, and traps where the
    /// interpreter does, with the same bytes stored before. A loop that
    /// `wsk_loop_rounds` cannot count (a step that does not divide the
    /// distance) or that would charge more than `WSK_LOOP_FUEL_MAX` at once
    /// takes that path too, so the fuel floor that ends an actor is seen at
    /// least every `WSK_LOOP_FUEL_MAX` units.
    struct Loop {
        let label: String
        let indent: String
        /// The header line (label and fuel check) and its cost per round.
        let header: String
        let cost: Int
        let run: Run
        /// The back edge's line index in the source, and its text.
        let backEdge: Int
        let backEdgeText: String
        /// How many rounds: the C expression, given the variables at entry.
        let rounds: String
        /// Each root of an access, its step per round and its furthest end.
        let roots: [(root: String, step: Int, end: Int)]

        /// `w2c_L3: WSK_LOOP_ENTRY(94);` after its indent.
        static func isHeader(_ line: String) -> Bool {
            let text = line.drop { $0 == " " }
            return text.hasPrefix("w2c_L") && text.contains(": WSK_LOOP_ENTRY(") && text.hasSuffix(");")
        }

        /// The loop whose header is `lines[header]`, if it qualifies.
        init?(_ lines: [String], header: Int) {
            let line = lines[header]
            indent = String(line.prefix { $0 == " " })
            let text = line.dropFirst(indent.count)
            guard let colon = text.firstIndex(of: ":"),
                  let open = text.firstIndex(of: "("),
                  let cost = Int(text[text.index(after: open)...].dropLast(2))
            else { return nil }
            label = String(text[..<colon])
            self.header = line
            self.cost = cost
            let bodyIndent = indent + "  "
            var run = Run()
            var index = header + 1
            var condition: String?
            while index < lines.count {
                let statement = lines[index]
                guard statement.hasPrefix(bodyIndent), statement.dropFirst(bodyIndent.count).first != " " else { return nil }
                let body = statement.dropFirst(bodyIndent.count)
                if body.hasPrefix("if ("), body.hasSuffix(") {goto \(label);}") {
                    condition = String(body.dropFirst(4).prefix { $0 != ")" })
                    break
                }
                guard run.add(statement) else { return nil }
                index += 1
            }
            // The back edge ends the body: the next line is outside it.
            guard let condition, isVariable(condition[...]), run.accesses > 0,
                  index + 1 < lines.count, !lines[index + 1].hasPrefix(bodyIndent)
            else { return nil }
            self.run = run
            backEdge = index
            backEdgeText = lines[index]

            // The exit test: `iv + offset` against a bound.
            let (iv, offset, bound): (String, Int, String)
            switch run.value(condition) {
            case .relative(let root, let k):
                (iv, offset, bound) = (root, k, "0u")
            case .differs(let root, let k, .constant(let c)):
                (iv, offset, bound) = (root, k, "\(c)u")
            case .differs(let root, let k, .relative(let variable, 0)) where run.step(variable) == 0:
                (iv, offset, bound) = (root, k, variable)
            default:
                return nil
            }
            guard let step = run.step(iv), step != 0 else { return nil }
            let k = "\(UInt32(truncatingIfNeeded: offset))u"
            let distance = step > 0 ? "(u32)(\(bound) - \(iv) - \(k))" : "(u32)(\(iv) + \(k) - \(bound))"
            rounds = "wsk_loop_rounds(\(distance), \(step.magnitude)u)"

            var roots: [(root: String, step: Int, end: Int)] = []
            for (root, end) in run.ends {
                guard let step = run.step(root) else { return nil }
                roots.append((root, step, end))
            }
            self.roots = roots
        }

        func versioned(number: Int) -> [String] {
            let count = "wsk_rounds\(number)"
            let round = "wsk_round\(number)"
            var tests = ["\(count) != 0"]
            for (root, step, end) in roots {
                let start = "(u64)(\(root))"
                if step >= 0 {
                    tests.append("\(start) + (\(count) - 1) * \(step)ull + \(end)ull <= instance->w2c_memory.size")
                } else {
                    tests.append("\(start) + \(end)ull <= instance->w2c_memory.size")
                    tests.append("\(start) >= (\(count) - 1) * \(step.magnitude)ull")
                }
            }
            tests.append("WSK_LOOP_FUEL(\(count), \(cost))")
            let rows = Dictionary(uniqueKeysWithValues: roots.enumerated().map { ($0.element.root, "wsk_loop\(number)_\($0.offset)") })
            func row(_ root: String) -> String {
                let step = roots.first { $0.root == root }!.step
                if step == 0 { return rows[root]! }
                return "\(rows[root]!) \(step > 0 ? "+" : "-") \(round) * \(step.magnitude)ull"
            }
            var out = [
                "\(indent){",
                "\(indent)  u64 \(count) = \(rounds);",
                "\(indent)  if (LIKELY(\(tests.joined(separator: " && ")))) {",
            ]
            for (root, _, _) in roots {
                out.append("\(indent)    WSK_ROW(\(rows[root]!), \(root));")
            }
            out.append("\(indent)    for (u64 \(round) = 0; \(round) != \(count); \(round)++) {")
            out += run.unchecked(indent: indent + "      ", removing: indent + "  ", row: row)
            out.append("\(indent)    }")
            out.append("\(indent)  } else {")
            out.append(header)
            out += run.lines.map(\.text)
            out.append(backEdgeText)
            out.append("\(indent)  }")
            out.append("\(indent)}")
            return out
        }
    }
}

extension HoistedChecks.Run {
    /// How much a root (a variable, the 32-bit sum of two, or the constant
    /// base `0u`) grows each round when this run is a loop's body: 0 for a
    /// variable it does not assign, the step of an induction variable, nil
    /// for any other variable it assigns (its value at a round's start is
    /// then not a line in the memory).
    func step(_ root: String) -> Int? {
        if root == "0u" { return 0 }
        if root.hasPrefix("(u32)("), root.hasSuffix(")") {
            let terms = root.dropFirst(6).dropLast().split(separator: " + ", omittingEmptySubsequences: false)
            guard terms.count == 2, let a = step(String(terms[0])), let b = step(String(terms[1])),
                  (a + b).magnitude < 1 << 31  // so rounds times step stays far from 2^64
            else { return nil }
            return a + b
        }
        guard HoistedChecks.isVariable(root[...]) else { return nil }
        switch values[root] {
        case nil: return 0
        case .relative(root, let step)?: return step
        default: return nil
        }
    }
}
