/// A capability handle as an actor sees it: an index into its own capability
/// space plus the generation of that slot.
///
/// Encoded in an i64 as `generation << 32 | slot`. A slot's first generation is
/// 0, so the caps granted at spawn are the small integers 1, 2, 3, ... that
/// seed-style actors rely on. Releasing a slot bumps its generation, so a stale
/// handle is refused rather than aliased to whatever the slot holds next.
public struct Handle: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }

    public init(slot: UInt32, generation: UInt32) {
        rawValue = Int64(generation) << 32 | Int64(slot)
    }

    /// The null cap, always at slot 0.
    public static let null = Handle(rawValue: 0)

    public var slot: UInt32 { UInt32(truncatingIfNeeded: rawValue) }
    public var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    public var isNull: Bool { rawValue == 0 }

    public var description: String {
        generation == 0 ? "#\(slot)" : "#\(slot)g\(generation)"
    }
}

/// Identifies an actor for the whole life of a kernel; never reused.
public struct ActorID: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static func < (a: ActorID, b: ActorID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "actor \(rawValue)" }
}
