/// Who a monitor is, from the EDID bytes it sends: what its settings are
/// remembered by, and what `wskdesk outputs` shows.
///
/// The bytes come from the monitor (a cheap adapter, a KVM switch, a
/// hostile device): every length and offset is checked, and only printable
/// ASCII of the name is kept.
package enum EDID {
    /// The fixed first eight bytes of every EDID base block.
    static let header: [UInt8] = [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]
    static let blockLength = 128
    /// Where the four 18-byte display descriptors of the base block start.
    static let descriptorOffsets = [54, 72, 90, 108]
    /// The descriptor tag of the monitor name.
    static let monitorNameTag: UInt8 = 0xFC
    static let maximumLength = 40

    /// "GSM 0x5b09 #16843009 LG TV": manufacturer, product code, serial
    /// (when not 0) and the monitor name (when present), cut to 40
    /// characters. nil when `bytes` is no EDID (too short, wrong header,
    /// a manufacturer that is not three letters).
    package static func identity(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= blockLength, Array(bytes[0..<8]) == header else { return nil }
        // Three letters, five bits each ('A' = 1), big-endian; bit 15 is 0.
        let packed = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        guard packed & 0x8000 == 0 else { return nil }
        var manufacturer = ""
        for shift in [10, 5, 0] {
            let letter = (packed >> UInt16(shift)) & 0x1F
            guard (1...26).contains(letter) else { return nil }
            manufacturer.append(Character(Unicode.Scalar(UInt8(64 + letter))))
        }
        let product = UInt16(bytes[10]) | UInt16(bytes[11]) << 8
        let serial = UInt32(bytes[12]) | UInt32(bytes[13]) << 8 | UInt32(bytes[14]) << 16 | UInt32(bytes[15]) << 24

        var parts = [manufacturer, "0x" + hex4(product)]
        if serial != 0 { parts.append("#\(serial)") }
        if let name = monitorName(bytes), !name.isEmpty { parts.append(name) }
        return String(parts.joined(separator: " ").prefix(maximumLength))
    }

    /// The text of the monitor name descriptor (tag 0xFC): up to 13 bytes,
    /// ended by a line feed, padded with spaces; printable ASCII only.
    static func monitorName(_ bytes: [UInt8]) -> String? {
        for offset in descriptorOffsets where offset + 18 <= bytes.count {
            // A display descriptor (not a detailed timing): pixel clock 0, then 0, tag.
            guard bytes[offset] == 0, bytes[offset + 1] == 0, bytes[offset + 2] == 0,
                  bytes[offset + 3] == monitorNameTag else { continue }
            let text = bytes[(offset + 5)..<(offset + 18)].prefix { $0 != 0x0A && $0 != 0 }
            let printable = text.filter { (0x20...0x7E).contains($0) }
            var name = Substring(String(decoding: printable, as: UTF8.self))
            while name.first == " " { name = name.dropFirst() }
            while name.last == " " { name = name.dropLast() }
            return name.isEmpty ? nil : String(name)
        }
        return nil
    }

    private static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
