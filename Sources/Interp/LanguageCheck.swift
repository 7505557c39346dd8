import WasmKit
import WasmParser

/// Finds where a module steps outside `WasmLanguage`. Reads the module with
/// WasmKit's parser with every proposal on, so that a module using one is
/// read, not refused with the parser's words, and then names the proposal:
/// in its types, imports, memories, tables, globals, tags, segments and every
/// function body. The first use of each proposal is reported, with its offset.
struct LanguageCheck {
    let bytes: [UInt8]
    private(set) var violations: [LanguageViolation] = []
    private var memories = 0
    private var tables = 0
    private var globals = 0
    private var importedFunctions = 0

    /// The violations in `bytes`, which start with the magic and version 1.
    /// Throws a plain-words problem when the module is malformed.
    static func violations(in bytes: [UInt8]) throws(MalformedModule) -> [LanguageViolation] {
        var check = LanguageCheck(bytes: bytes)
        try check.run()
        return check.violations
    }

    /// What is wrong with the first 8 bytes (magic and version), if anything;
    /// called after the magic has been found.
    static func headerProblem(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 8 else {
            return "ends after \(bytes.count) bytes, inside its 8-byte header: the file is truncated; build or copy it again"
        }
        let version = bytes[4..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        if version == 1 { return nil }
        if bytes[6] == 1, bytes[7] == 0 {
            return "is a WebAssembly component (layer 1), not a core module: wskdesk runs core modules of binary version 1"
        }
        return "is WebAssembly binary version \(version); wskdesk runs version 1 modules"
    }

    private mutating func note(_ proposal: WasmLanguage.Proposal, _ what: String, at offset: Int?) {
        // One problem per proposal; the two exception proposals have one remedy.
        func family(_ p: WasmLanguage.Proposal) -> WasmLanguage.Proposal { p == .legacyExceptions ? .exceptions : p }
        guard !violations.contains(where: { family($0.proposal) == family(proposal) }) else { return }
        violations.append(LanguageViolation(proposal: proposal, what: what, offset: offset))
    }

    private mutating func run() throws(MalformedModule) {
        var parser = Parser(bytes: bytes, features: .all)
        while true {
            let section = parser.offset
            let next: ParsingPayload?
            do {
                next = try parser.parseNext()
            } catch {
                throw MalformedModule(error)
            }
            guard let payload = next else { return }
            switch payload {
            case .header, .customSection, .functionSection, .exportSection, .startSection, .dataCount:
                break
            case .typeSection(let groups): checkTypes(groups, section: section)
            case .importSection(let imports): checkImports(imports, section: section)
            case .tableSection(let tables):
                for table in tables { checkTable(table.type, initialized: table.initializer != nil, in: "table section", at: section) }
            case .memorySection(let memories):
                for memory in memories { checkMemory(memory.type, in: "memory section", at: section) }
            case .globalSection(let globals):
                for global in globals {
                    checkValue(global.type.valueType, "global \(self.globals) in the global section", at: section)
                    checkConstant(global.initializer, "the initializer of global \(self.globals) in the global section", at: section)
                    self.globals += 1
                }
            case .tagSection: note(.exceptions, "the tag section", at: section)
            case .elementSection(let segments):
                for (index, segment) in segments.enumerated() {
                    // Its heap type only: WasmKit types a segment of function
                    // indices as the non-nullable `(ref func)`, as the spec now does.
                    checkHeap(segment.type.heapType, "element segment \(index) in the element section", at: section)
                    if case .active(_, let offset) = segment.mode {
                        checkConstant(offset, "the offset of element segment \(index) in the element section", at: section)
                    }
                    for item in segment.initializer {
                        checkConstant(item, "an item of element segment \(index) in the element section", at: section)
                    }
                }
            case .codeSection(let codes):
                for (index, code) in codes.enumerated() {
                    try checkBody(code, function: importedFunctions + index)
                }
            case .dataSection(let segments):
                for (index, segment) in segments.enumerated() {
                    guard case .active(let active) = segment else { continue }
                    if active.index != 0 { note(.multiMemory, "data segment \(index) for memory \(active.index) in the data section", at: section) }
                    checkConstant(active.offset, "the offset of data segment \(index) in the data section", at: section)
                }
            }
        }
    }

    // MARK: Module-level entities

    private mutating func checkTypes(_ groups: [RecursiveGroup], section: Int) {
        var index = 0
        for group in groups {
            if group.types.count != 1 {
                note(.gc, "a recursive type group at type \(index) in the type section", at: section)
            }
            for type in group.types {
                if !type.isFinal || !type.supertypes.isEmpty {
                    note(.gc, "subtype \(index) in the type section", at: section)
                }
                switch type.body {
                case .function(let function):
                    for value in function.parameters + function.results {
                        checkValue(value, "function type \(index) in the type section", at: section)
                    }
                case .structType: note(.gc, "struct type \(index) in the type section", at: section)
                case .arrayType: note(.gc, "array type \(index) in the type section", at: section)
                }
                index += 1
            }
        }
    }

    private mutating func checkImports(_ imports: [Import], section: Int) {
        for entry in imports {
            switch entry.descriptor {
            case .function: importedFunctions += 1
            case .table(let type): checkTable(type, initialized: false, in: "import section", at: section)
            case .memory(let type): checkMemory(type, in: "import section", at: section)
            case .global(let type):
                checkValue(type.valueType, "imported global \(globals) in the import section", at: section)
                globals += 1
            case .tag: note(.exceptions, "an imported tag in the import section", at: section)
            }
        }
    }

    private mutating func checkMemory(_ type: MemoryType, in section: String, at offset: Int) {
        if type.shared { note(.threads, "shared memory \(memories) in the \(section)", at: offset) }
        if type.isMemory64 { note(.memory64, "64-bit memory \(memories) in the \(section)", at: offset) }
        if memories == 1 { note(.multiMemory, "a second memory in the \(section)", at: offset) }
        memories += 1
    }

    private mutating func checkTable(_ type: TableType, initialized: Bool, in section: String, at offset: Int) {
        if type.limits.isMemory64 { note(.memory64, "64-bit table \(tables) in the \(section)", at: offset) }
        if type.limits.shared { note(.threads, "shared table \(tables) in the \(section)", at: offset) }
        if initialized { note(.functionReferences, "an initializer of table \(tables) in the \(section)", at: offset) }
        checkReference(type.elementType, "table \(tables) in the \(section)", at: offset)
        tables += 1
    }

    // MARK: Types

    private mutating func checkValue(_ type: ValueType, _ place: String, at offset: Int?) {
        switch type {
        case .i32, .i64, .f32, .f64: break
        case .v128: note(.simd, "type v128 in \(place)", at: offset)
        case .ref(let reference): checkReference(reference, place, at: offset)
        }
    }

    private mutating func checkReference(_ type: ReferenceType, _ place: String, at offset: Int?) {
        checkHeap(type.heapType, place, at: offset)
        if !type.isNullable { note(.functionReferences, "a non-nullable reference type in \(place)", at: offset) }
    }

    private mutating func checkHeap(_ type: HeapType, _ place: String, at offset: Int?) {
        switch type {
        case .abstract(.funcRef), .abstract(.externRef): break
        case .abstract(.exnRef), .abstract(.noExn): note(.exceptions, "an exception reference type in \(place)", at: offset)
        case .abstract: note(.gc, "a GC reference type in \(place)", at: offset)
        case .concrete(let index): note(.functionReferences, "a reference to type \(index) in \(place)", at: offset)
        }
    }

    /// Constant expressions: the MVP's constants, `global.get`, `ref.null`
    /// and `ref.func`; arithmetic is the extended-const proposal, which
    /// wasm2c compiles only when asked.
    private mutating func checkConstant(_ expression: ConstExpression, _ place: String, at offset: Int) {
        for instruction in expression {
            switch instruction {
            case .binary(let op):
                let names: [Instruction.Binary: String] = [
                    .i32Add: "i32.add", .i32Sub: "i32.sub", .i32Mul: "i32.mul",
                    .i64Add: "i64.add", .i64Sub: "i64.sub", .i64Mul: "i64.mul",
                ]
                note(.extendedConst, "\(names[op] ?? "arithmetic") in \(place)", at: offset)
            case .v128Const: note(.simd, "v128.const in \(place)", at: offset)
            case .refNull(let type): checkHeap(type, place, at: offset)
            case .refI31, .structNew, .structNewDefault, .arrayNew, .arrayNewDefault, .arrayNewFixed,
                .anyConvertExtern, .externConvertAny:
                note(.gc, "a GC instruction in \(place)", at: offset)
            default: break
            }
        }
    }

    // MARK: Function bodies

    private mutating func checkBody(_ code: Code, function: Int) throws(MalformedModule) {
        var expression = ExpressionParser(code: code)
        let place = "function \(function)"
        for local in code.locals { checkValue(local, "a local of \(place)", at: expression.offset) }
        while true {
            let start = expression.offset
            let visit: ExpressionParser.Visit?
            do {
                visit = try expression.parse()
            } catch {
                // WasmKit does not read the legacy exception instructions at all.
                if case let (proposal, name)? = opcodeProposal(at: start), proposal == .legacyExceptions {
                    note(proposal, "\(name) in \(place)", at: start)
                    return
                }
                throw MalformedModule(error, at: start)
            }
            guard let visit else { return }
            if case let (proposal, name)? = opcodeProposal(at: start) {
                note(proposal, "\(name) in \(place)", at: start)
            }
            var immediates = Immediates()
            visit(visitor: &immediates)
            for type in immediates.types { checkValue(type, place, at: start) }
            if let heap = immediates.heap { checkHeap(heap, place, at: start) }
            if let memory = immediates.memory, memory != 0 {
                note(.multiMemory, "an access to memory \(memory) in \(place)", at: start)
            }
            if immediates.offset > UInt64(UInt32.max) {
                note(.memory64, "a 64-bit memory offset in \(place)", at: start)
            }
        }
    }

    /// The proposal of the instruction at `offset`, by its opcode, and what
    /// to call it; nil for the MVP and the accepted features.
    func opcodeProposal(at offset: Int) -> (WasmLanguage.Proposal, String)? {
        guard offset < bytes.count else { return nil }
        switch bytes[offset] {
        case 0x06: return (.legacyExceptions, "try")
        case 0x07: return (.legacyExceptions, "catch")
        case 0x09: return (.legacyExceptions, "rethrow")
        case 0x18: return (.legacyExceptions, "delegate")
        case 0x19: return (.legacyExceptions, "catch_all")
        case 0x08: return (.exceptions, "throw")
        case 0x0a: return (.exceptions, "throw_ref")
        case 0x1f: return (.exceptions, "try_table")
        case 0x12: return (.tailCall, "return_call")
        case 0x13: return (.tailCall, "return_call_indirect")
        case 0x15: return (.tailCall, "return_call_ref")
        case 0x14: return (.functionReferences, "call_ref")
        case 0xd4: return (.functionReferences, "ref.as_non_null")
        case 0xd5: return (.functionReferences, "br_on_null")
        case 0xd6: return (.functionReferences, "br_on_non_null")
        case 0xd3: return (.gc, "ref.eq")
        case 0xfb: return (.gc, "instruction \(prefixedOpcode(at: offset))")
        case 0xfd: return (.simd, "instruction \(prefixedOpcode(at: offset))")
        case 0xfe: return (.threads, "atomic instruction \(prefixedOpcode(at: offset))")
        default: return nil
        }
    }

    /// A prefixed opcode as its prefix byte and its LEB128 sub-opcode, e.g. "0xfd 0x0c".
    func prefixedOpcode(at offset: Int) -> String {
        var value = 0
        var shift = 0
        var index = offset + 1
        while index < bytes.count, shift < 35 {
            value |= Int(bytes[index] & 0x7f) << shift
            shift += 7
            index += 1
            if bytes[index - 1] & 0x80 == 0 { break }
        }
        return "\(hexByte(bytes[offset])) \(hex(value, digits: 2))"
    }
}

/// The value types, heap type and memory an instruction names in its immediates.
private struct Immediates: AnyInstructionVisitor {
    typealias VisitorError = Never
    var binaryOffset = 0
    var types: [ValueType] = []
    var heap: HeapType?
    var memory: UInt32?
    /// The offset of a memory access: past 32 bits only for a 64-bit memory.
    var offset: UInt64 = 0

    mutating func visit(_ instruction: Instruction) {
        switch instruction {
        case .block(let blockType), .loop(let blockType), .if(let blockType), .tryTable(let blockType, _):
            if case .type(let type) = blockType { types.append(type) }
        case .typedSelect(let type): types.append(type)
        case .refNull(let type): heap = type
        case .refTest(_, let type), .refCast(_, let type): heap = type
        case .load(_, let memarg), .store(_, let memarg), .simdMemLane(_, let memarg, _):
            memory = memarg.memory
            offset = memarg.offset
        case .memorySize(let index), .memoryGrow(let index), .memoryFill(let index), .memoryInit(_, let index):
            memory = index
        case .memoryCopy(let destination, let source): memory = max(destination, source)
        default: break
        }
    }
}
