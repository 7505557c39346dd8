import Kernel

#if canImport(Glibc)
    import Glibc
#endif

/// The module as wasm2c gets it: no text of the module's own left in it, so
/// none can reach the generated C (wasm2c 1.0.32 copies export and import
/// names verbatim into C comments; an export named `x */ ... /*` would end
/// the comment and inject code that the compiled tier then loads).
///
/// The rewrite walks the binary's sections, every length checked against
/// what is left, and
/// - drops every custom section (id 0): the name section, producers, any other;
/// - rebuilds the export section with only `_start` (a function) and
///   `memory` (a memory), the two exports the runtime uses; every other
///   export is dropped (exports do not change what the code does) and kept in
///   `droppedExports`, by index, for logs;
/// - checks, rather than trusts ModuleCheck, that every import is a function
///   of module "env" named by the ABI or of "wasi_snapshot_preview1" named
///   by WASI preview 1, and renames the latter into "env" as `wasi_<name>`
///   (`wasiImportName`), so that wasm2c gives the module one import
///   instance: those names, and `_start`/`memory`, are the only module text
///   left, and all of them are ours.
/// Every other section is copied byte for byte.
///
/// The spec tests (`ModuleRewrite.Purpose.specTest`, never reached from
/// loading an actor) need a module's every export and its `spectest`
/// imports: there each export is renamed `e<its index>`, a `memory` export of
/// memory 0 is added so the runtime can guard it, and each import must be one
/// of the fixed `spectest` names (`SpecHostModule.names`). The names in the C
/// are then still only ours.
struct SanitizedModule: Sendable {
    /// The module without custom sections and with only the allowed exports.
    let bytes: [UInt8]
    /// The exports removed, by their index in the original export section.
    let droppedExports: [DroppedExport]
    /// The custom sections removed: name and contents.
    let customSections: [(name: [UInt8], contents: [UInt8])]
    /// How many functions the module defines (its function section's count).
    let functionCount: Int
    /// The type index of every function, imported ones first.
    var functionTypes: [UInt32] = []
    /// Every export of the original, in order: its kind and index (spec tests).
    var exports: [(kind: UInt8, index: UInt32)] = []
    /// Whether the module imports or defines a memory.
    var hasMemory = false
    /// Whether it imports anything (for spec tests, from `spectest`).
    var hasImports = false

    struct DroppedExport: Sendable {
        let index: Int
        /// 0 function, 1 table, 2 memory, 3 global, ...
        let kind: UInt8
        let name: [UInt8]
    }

    /// The byte strings of the original that must not appear in generated C.
    var removedTexts: [[UInt8]] {
        droppedExports.map(\.name) + customSections.flatMap { [$0.name, $0.contents] }
    }
}

enum ModuleRewrite {
    /// What the module is compiled for.
    enum Purpose: Sendable {
        /// An actor: only `_start` and `memory` exported, only "env" host calls imported.
        case actor
        /// A module of the WebAssembly spec tests (the test runner only).
        case specTest
    }

    /// The exports a compiled module keeps: name and kind.
    static let keptExports: [(name: String, kind: UInt8)] = [("_start", 0), ("memory", 2)]

    /// Bumped whenever the rewrite changes what wasm2c is given: part of the
    /// object format (`Toolchain.objectFormat`), and so of every cache key.
    static let version = 2

    /// What a WASI function is called in the rewritten module: an "env" import.
    static func wasiImportName(_ name: String) -> String { "wasi_" + name }

    /// Rewrites `bytes` (already parsed and checked by ModuleCheck) as the
    /// type describes. Throws, in plain words, on anything it does not expect:
    /// that module is not compiled.
    static func sanitize(_ bytes: [UInt8], for purpose: Purpose = .actor) throws(CompileError) -> SanitizedModule {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= 8, Array(bytes[0..<4]) == ModuleCheck.wasmMagic, Array(bytes[4..<8]) == [1, 0, 0, 0] else {
            throw CompileError("not a WebAssembly 1.0 binary (magic and version)")
        }
        reader.offset = 8
        var output = Array(bytes[0..<8])
        var dropped: [SanitizedModule.DroppedExport] = []
        var custom: [(name: [UInt8], contents: [UInt8])] = []
        var functionCount = 0
        var imported = Imported()
        var definedTypes: [UInt32] = []
        var exports: [(kind: UInt8, index: UInt32)] = []
        var hasMemory = false
        while !reader.atEnd {
            let sectionStart = reader.offset
            let id = try reader.byte("a section id")
            let size = try reader.u32("the size of section \(id)")
            let body = try reader.take(Int(size), "section \(id) (at byte \(sectionStart))")
            var section = Reader(bytes: body)
            switch id {
            case 0:
                let name = try section.name("the name of a custom section")
                custom.append((name, Array(body[section.offset...])))
            case 2:
                let contents: [UInt8]
                (imported, contents) = try checkImports(&section, for: purpose)
                output.append(2)
                output += leb128(UInt32(contents.count))
                output += contents
            case 3:
                functionCount = Int(try section.u32("the function count"))
                for n in 0..<functionCount { definedTypes.append(try section.u32("the type of function \(n)")) }
                output += bytes[sectionStart..<reader.offset]
            case 5:
                hasMemory = try section.u32("the memory count") > 0
                output += bytes[sectionStart..<reader.offset]
            case 7:
                let (kept, removed, all) = try rewriteExports(&section, for: purpose, memory: hasMemory || imported.memory)
                dropped = removed
                exports = all
                output.append(7)
                output += leb128(UInt32(kept.count))
                output += kept
            default:
                output += bytes[sectionStart..<reader.offset]
            }
        }
        var module = SanitizedModule(bytes: output, droppedExports: dropped, customSections: custom, functionCount: functionCount)
        module.functionTypes = imported.functionTypes + definedTypes
        module.exports = exports
        module.hasMemory = hasMemory || imported.memory
        module.hasImports = imported.count > 0
        return module
    }

    /// What the import section brings in.
    private struct Imported {
        var count = 0
        var functionTypes: [UInt32] = []
        var memory = false
    }

    /// Refuses any import that is not a function of "env" named by the ABI
    /// or of WASI preview 1 (for the spec tests: not one of `spectest`'s
    /// fixed names). Returns the section's new contents: each import as it
    /// was, but a WASI function's, which is renamed into "env".
    private static func checkImports(_ section: inout Reader, for purpose: Purpose) throws(CompileError)
        -> (Imported, [UInt8])
    {
        let count = try section.u32("the import count")
        var imported = Imported(count: Int(count))
        var contents = leb128(count)
        for n in 0..<count {
            var module = try section.name("the module name of import \(n)")
            var field = try section.name("the name of import \(n)")
            let name = String(validating: field, as: UTF8.self)
            let kind = try section.byte("the kind of import \(n)")
            switch purpose {
            case .actor:
                if module == Array(WASI.importModule.utf8), let name, WASI.function(named: name) != nil {
                    guard kind == 0 else {
                        throw CompileError("import \(n) (\(WASI.importModule).\(name)) is not a function; only functions are compiled")
                    }
                    module = Array(ABI.importModule.utf8)
                    field = Array(wasiImportName(name).utf8)
                    break
                }
                guard module == Array(ABI.importModule.utf8), let name, ABI.hostCall(named: name) != nil else {
                    throw CompileError("import \(n) is not a host call of \"\(ABI.importModule)\" or a function of \"\(WASI.importModule)\"; only those are compiled")
                }
                guard kind == 0 else {
                    throw CompileError("import \(n) (env.\(name)) is not a function; only host calls are compiled")
                }
            case .specTest:
                guard module == Array(SpecHostModule.name.utf8), let name, SpecHostModule.names.contains(name) else {
                    throw CompileError("import \(n) is not one of \"\(SpecHostModule.name)\"'s; only those are compiled for the spec tests")
                }
            }
            let description = section.offset
            try skipImportDescription(kind, &section, n, into: &imported)
            contents += leb128(UInt32(module.count)) + module + leb128(UInt32(field.count)) + field + [kind]
            contents += section.bytes[description..<section.offset]
        }
        guard section.atEnd else { throw CompileError("the import section has bytes after its last import") }
        return (imported, contents)
    }

    /// Reads past an import's description (its type), noting functions' types and memories.
    private static func skipImportDescription(_ kind: UInt8, _ section: inout Reader, _ n: UInt32, into imported: inout Imported)
        throws(CompileError)
    {
        func limits() throws(CompileError) {
            let flags = try section.byte("the limits of import \(n)")
            _ = try section.u32("the minimum of import \(n)")
            if flags & 1 != 0 { _ = try section.u32("the maximum of import \(n)") }
        }
        switch kind {
        case 0: imported.functionTypes.append(try section.u32("the type of import \(n)"))
        case 1:
            _ = try section.byte("the element type of import \(n)")
            try limits()
        case 2:
            imported.memory = true
            try limits()
        case 3:
            _ = try section.byte("the value type of import \(n)")
            _ = try section.byte("the mutability of import \(n)")
        default: throw CompileError("import \(n) has kind \(kind), which is not compiled")
        }
    }

    /// The export section's new contents (vector of kept exports), the
    /// dropped exports and every export's kind and index. For the spec tests
    /// every export is kept as `e<n>` (all names are dropped) and memory 0,
    /// when the module has one, is exported as `memory`.
    private static func rewriteExports(_ section: inout Reader, for purpose: Purpose, memory: Bool) throws(CompileError)
        -> ([UInt8], [SanitizedModule.DroppedExport], [(kind: UInt8, index: UInt32)])
    {
        let count = try section.u32("the export count")
        var kept: [UInt8] = []
        var keptCount: UInt32 = 0
        var dropped: [SanitizedModule.DroppedExport] = []
        var all: [(kind: UInt8, index: UInt32)] = []
        func keep(_ name: [UInt8], _ kind: UInt8, _ index: UInt32) {
            kept += leb128(UInt32(name.count)) + name + [kind] + leb128(index)
            keptCount += 1
        }
        for n in 0..<Int(count) {
            let name = try section.name("the name of export \(n)")
            let kind = try section.byte("the kind of export \(n)")
            let index = try section.u32("the index of export \(n)")
            all.append((kind, index))
            if purpose == .actor, keptExports.contains(where: { Array($0.name.utf8) == name && $0.kind == kind }) {
                keep(name, kind, index)
                continue
            }
            dropped.append(SanitizedModule.DroppedExport(index: n, kind: kind, name: name))
            if purpose == .specTest { keep(Array(specExportName(n).utf8), kind, index) }
        }
        if purpose == .specTest, memory { keep(Array("memory".utf8), 2, 0) }
        guard section.atEnd else { throw CompileError("the export section has bytes after its last export") }
        return (leb128(keptCount) + kept, dropped, all)
    }

    /// A spec module's export `n` as the compiled module names it.
    static func specExportName(_ n: Int) -> String { "e\(n)" }

    static func leb128(_ value: UInt32) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7f)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            out.append(byte)
        } while value != 0
        return out
    }

    static func leb128(_ count: Int) -> [UInt8] { leb128(UInt32(count)) }

    /// Reads a binary front to back; every read checks what is left.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }

        mutating func byte(_ what: String) throws(CompileError) -> UInt8 {
            guard offset < bytes.count else { throw CompileError("the module ends inside \(what)") }
            defer { offset += 1 }
            return bytes[offset]
        }

        /// An unsigned LEB128 of at most 5 bytes that fits 32 bits.
        mutating func u32(_ what: String) throws(CompileError) -> UInt32 {
            var result: UInt32 = 0
            for shift in stride(from: 0, to: 35, by: 7) {
                let byte = try self.byte(what)
                if shift == 28, byte & 0x70 != 0 { throw CompileError("\(what) does not fit 32 bits") }
                result |= UInt32(byte & 0x7f) << UInt32(shift)
                if byte & 0x80 == 0 { return result }
            }
            throw CompileError("\(what) is longer than 5 bytes")
        }

        mutating func take(_ count: Int, _ what: String) throws(CompileError) -> [UInt8] {
            guard count <= bytes.count - offset else {
                throw CompileError("\(what) claims \(count) bytes; only \(bytes.count - offset) are left")
            }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func name(_ what: String) throws(CompileError) -> [UInt8] {
            let length = try u32("the length of \(what)")
            return try take(Int(length), what)
        }
    }
}

// MARK: The check on the generated C

extension ModuleRewrite {
    /// Checks wasm2c's output for module text, after the rewrite made sure
    /// none was given to it (defence in depth: this catches a rewrite that
    /// missed a way in). The rule, and why it is sound:
    /// 1. Every byte is printable ASCII, a tab or a newline. wasm2c's own
    ///    text is ASCII; a copied name brings its bytes along, so a control
    ///    byte, NUL or any byte over 0x7e means module text got through.
    /// 2. Every `/* export: ` comment is `/* export: '_start' */` or
    ///    `/* export: 'memory' */`, every `/* import: ` comment
    ///    `/* import: 'env' '<a host call of the ABI>' */`, to the end of its
    ///    line: the places wasm2c copies names name only ours.
    /// 3. No removed text (dropped export names, custom section names and
    ///    contents) of 3 bytes or more that holds a byte other than a letter,
    ///    digit or `_` occurs anywhere. Injected C must end a comment or
    ///    literal (`*/`, a quote, a newline, `\`, `??/`) or start a directive
    ///    (`#`), all of which take such a byte; a removed name of identifier
    ///    bytes only (`free`, `init`) may equal a word of wasm2c's own and is
    ///    harmless there, so it is not looked for.
    static func checkGenerated(_ text: [UInt8], file: String, against module: SanitizedModule, for purpose: Purpose = .actor)
        throws(CompileError)
    {
        var line = 1
        for (offset, byte) in text.enumerated() {
            if byte == 0x0A { line += 1; continue }
            guard byte == 0x09 || (0x20...0x7E).contains(byte) else {
                throw CompileError("the generated \(file) has byte 0x\(String(byte, radix: 16)) on line \(line) (at byte \(offset)), which wasm2c does not write by itself; refusing to compile it")
            }
        }
        try checkNameComments(text, file: file, allowed: nameComments(for: purpose, exports: module.exports.count))
        if let found = firstRemovedText(in: text, module.removedTexts) {
            throw CompileError("the generated \(file) contains text of the module (\(found.count) bytes removed by the rewrite); refusing to compile it")
        }
    }

    /// The names wasm2c may write in its export and import comments: only ours.
    private static func nameComments(for purpose: Purpose, exports: Int) -> [(opening: [UInt8], endings: [[UInt8]])] {
        let (exported, imported): ([String], [(module: String, name: String)])
        switch purpose {
        case .actor:
            (exported, imported) = (
                keptExports.map(\.name),
                (ABI.hostCalls.map(\.name) + WASI.functions.map { wasiImportName($0.name) }).map { (ABI.importModule, $0) }
            )
        case .specTest:
            (exported, imported) = ((0..<exports).map(specExportName) + ["memory"], SpecHostModule.names.map { (SpecHostModule.name, $0) })
        }
        return [
            (Array("/* export: ".utf8), exported.map { Array("'\($0)' */".utf8) }),
            (Array("/* import: ".utf8), imported.map { Array("'\($0.module)' '\($0.name)' */".utf8) }),
        ]
    }

    private static func checkNameComments(_ text: [UInt8], file: String, allowed: [(opening: [UInt8], endings: [[UInt8]])])
        throws(CompileError)
    {
        for (line, content) in text.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            for (opening, endings) in allowed {
                var from = content.startIndex
                while let found = firstIndex(of: opening, in: content, from: from) {
                    let after = content[(found + opening.count)...]
                    guard endings.contains(where: { after.elementsEqual($0) }) else {
                        throw CompileError("the generated \(file) names something not ours in a comment on line \(line + 1); refusing to compile it")
                    }
                    from = found + opening.count
                }
            }
        }
    }

    private static func firstIndex(of needle: [UInt8], in line: ArraySlice<UInt8>, from: Int) -> Int? {
        guard line.endIndex - from >= needle.count else { return nil }
        for start in from...(line.endIndex - needle.count) where line[start] == needle[0] {
            if line[start..<start + needle.count].elementsEqual(needle) { return start }
        }
        return nil
    }

    /// The first removed text (as the rule above picks them) that occurs in `text`.
    static func firstRemovedText(in text: [UInt8], _ removed: [[UInt8]]) -> [UInt8]? {
        func isIdentifierByte(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x5F
        }
        func key(_ b: ArraySlice<UInt8>) -> Int {
            Int(b[b.startIndex]) << 16 | Int(b[b.startIndex + 1]) << 8 | Int(b[b.startIndex + 2])
        }
        let needles = removed.filter { $0.count >= 3 && !$0.allSatisfy(isIdentifierByte) }
        guard !needles.isEmpty, text.count >= 3 else { return nil }
        // One pass over the text: a bit per 3-byte prefix, then the needles with that prefix.
        var prefixes = [UInt64](repeating: 0, count: (1 << 24) / 64)
        var byPrefix: [Int: [[UInt8]]] = [:]
        for needle in needles {
            let k = key(needle[...])
            prefixes[k >> 6] |= 1 << UInt64(k & 63)
            byPrefix[k, default: []].append(needle)
        }
        return text.withUnsafeBufferPointer { haystack in
            var k = Int(haystack[0]) << 8 | Int(haystack[1])
            for start in 0..<(haystack.count - 2) {
                k = (k << 8 | Int(haystack[start + 2])) & 0xFF_FFFF
                guard prefixes[k >> 6] & (1 << UInt64(k & 63)) != 0 else { continue }
                for needle in byPrefix[k]! where needle.count <= haystack.count - start {
                    if needle.withUnsafeBufferPointer({ memcmp($0.baseAddress!, haystack.baseAddress! + start, needle.count) == 0 }) {
                        return needle
                    }
                }
            }
            return nil
        }
    }
}
