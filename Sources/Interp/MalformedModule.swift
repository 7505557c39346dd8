import WasmParser

/// A module WasmKit's parser cannot read, in plain words: what is wrong,
/// where (the byte offset WasmKit gives), and what to do. `text` is one of
/// `ModuleLoadError`'s problems.
struct MalformedModule: Error {
    let text: String

    /// `offset`, when given, is where the failure is: WasmKit counts a
    /// function body's offsets from the body's start.
    init(_ error: any Error, at offset: Int? = nil) {
        var failure = ParserFailure(error)
        if let offset { failure.offset = offset }
        text = Self.words(for: failure)
    }

    /// The one table from WasmKit's parse errors to wskdesk's words; anything
    /// not in it keeps WasmKit's own text (never a debug dump of the error).
    static func words(for failure: ParserFailure) -> String {
        let at = failure.offset.map { " at offset \(hex($0))" } ?? ""
        let corrupt = "the file is corrupt; build it again"
        let truncated = "ends unexpectedly\(at): the file is truncated or corrupt; build or copy it again"
        let tooLong = "has an integer (LEB128)\(at) longer than its type allows: \(corrupt)"
        switch failure.kind {
        case .unexpectedEnd, .leb(.insufficientBytes): return truncated
        case .leb: return tooLong
        case .unexpectedByte(let byte): return "has an unexpected byte \(hexByte(byte))\(at): \(corrupt)"
        case .other(let text): return "is not a valid WebAssembly module: \(text)"
        case .message(let text):
            func number(after prefix: String) -> String? {
                text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : nil
            }
            if text == "Unexpected end of the stream" || text == "unexpected end-of-file" { return truncated }
            if text == "Integer representation is too long" { return tooLong }
            if let id = number(after: "malformed section id: ") {
                return "has a section with the unknown id \(id)\(at): \(corrupt)"
            }
            func byte(_ decimal: String) -> String { UInt8(decimal).map(hexByte) ?? decimal }
            if let flag = number(after: "Malformed limit: ") {
                return "has limits with the unknown flag \(byte(flag))\(at): \(corrupt)"
            }
            if let list = number(after: "Illegal opcode: ") {
                let opcode = list.split(whereSeparator: { !$0.isNumber }).compactMap { UInt8($0) }.map(hexByte)
                return "has an unknown instruction (opcode \(opcode.joined(separator: " ")))\(at): \(corrupt)"
            }
            if let type = number(after: "malformed value type: ") {
                return "has an unknown value type \(byte(type))\(at): \(corrupt)"
            }
            if text.hasPrefix("malformed UTF-8 encoding") { return "has a name that is not valid UTF-8\(at): \(corrupt)" }
            if let sizes = number(after: "Section size mismatch for section ") {
                // "ID: expected END but got END", both ends absolute offsets.
                let numbers = sizes.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                if numbers.count == 3 {
                    return "has a section (id \(numbers[0])) whose contents end at offset \(hex(numbers[2])), "
                        + "not at \(hex(numbers[1])) where its size says: \(corrupt)"
                }
            }
            if text == "Sections in the module are out of order" {
                return "has its sections out of order\(at): \(corrupt)"
            }
            if let form = number(after: "Malformed function type: ") {
                // Read without the GC proposal, the type section takes function types only.
                if let code = UInt8(form), [0x4e, 0x4f, 0x50].contains(code) {
                    return LanguageViolation(proposal: .gc, what: "a subtype or recursive type group in the type section", offset: failure.offset).text
                }
                return "has a type of the unknown form \(byte(form))\(at): \(corrupt)"
            }
            if let form = number(after: "Malformed composite type: ") {
                return "has a type of the unknown form \(byte(form))\(at): \(corrupt)"
            }
            if let flag = number(after: "Malformed mutability: ") {
                return "has a global with the unknown mutability flag \(byte(flag))\(at): \(corrupt)"
            }
            if let flags = number(after: "malformed memop flags: ") {
                return "has a memory access with the unknown alignment flags \(flags)\(at): \(corrupt)"
            }
            if text.hasPrefix("invalid function type index: ") {
                return "has a block type that is neither a value type nor a type index\(at): \(corrupt)"
            }
            if let index = number(after: "Type index "), index.hasSuffix(" is out of range") {
                return "refers to type \(index.dropLast(" is out of range".count)), which its type section does not define: \(corrupt)"
            }
            if let counts = number(after: "Too many locals: ") {
                let numbers = counts.split(whereSeparator: { !$0.isNumber })
                if numbers.count == 2 {
                    return "has a function with \(numbers[0]) locals\(at), more than the \(numbers[1]) wskdesk allows: build it with fewer"
                }
            }
            if let kind = number(after: "Malformed data segment kind: ") {
                return "has a data segment of the unknown kind \(kind)\(at): \(corrupt)"
            }
            if text.hasPrefix("Unexpected element kind: ") {
                return "has an element segment of an unknown element kind\(at): \(corrupt)"
            }
            if text.hasPrefix("Inconsistent data count and data section length: ") {
                let counts = text.split(whereSeparator: { !$0.isNumber })
                return "says it has \(counts.first ?? "?") data segments but its data section has \(counts.last ?? "?"): \(corrupt)"
            }
            if text.hasPrefix("Inconsistent function and code length: ") {
                let counts = text.split(whereSeparator: { !$0.isNumber })
                return "has \(counts.first ?? "?") functions in its function section but \(counts.last ?? "?") in its code section: \(corrupt)"
            }
            return "is not a valid WebAssembly module: \(text)\(at)"
        }
    }
}

/// A WasmKit parse error taken apart. WasmKit keeps the kind, the message
/// text and the offset `package`, and its description of a message is a
/// debug dump (`Message(text: "…")`), so they are read by reflection, with
/// the description as the fallback.
struct ParserFailure {
    enum Kind: Equatable {
        case message(String)
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case leb(LEBError)
        case other(String)
    }

    var kind: Kind
    var offset: Int?

    init(_ error: any Error) {
        kind = .other(firstLine(of: error))
        offset = nil
        read(error)
    }

    /// Reads a `WasmKitError` or `WasmParserError`: `kind` and `location`.
    private mutating func read(_ error: Any) {
        let mirror = Mirror(reflecting: error)
        for child in mirror.children {
            switch child.label ?? "" {
            case "location": if let location = child.value as? Int { offset = offset ?? location }
            case "kind": readKind(child.value)
            default: break
            }
        }
    }

    private mutating func readKind(_ kind: Any) {
        guard let (label, payload) = Mirror(reflecting: kind).children.first.map({ ($0.label, $0.value) }) else { return }
        switch label ?? "" {
        case "message":
            if let text = Mirror(reflecting: payload).children.first(where: { $0.label == "text" })?.value as? String {
                self.kind = .message(text)
            }
        case "parserError":
            // Wrapped by WasmKit: the inner error knows the offset better.
            let outer = offset
            offset = nil
            read(payload)
            offset = offset ?? outer
        case "leb": if let error = payload as? LEBError { self.kind = .leb(error) }
        case "parserUnexpectedEnd": self.kind = .unexpectedEnd
        case "parserUnexpectedByte":
            if let byte = Mirror(reflecting: payload).children.first?.value as? UInt8 { self.kind = .unexpectedByte(byte) }
        default: break
        }
    }
}
