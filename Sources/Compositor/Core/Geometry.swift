/// A rectangle in pixels: origin at the top left, half-open extents.
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public static let zero = Rect(x: 0, y: 0, width: 0, height: 0)

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var area: Int { isEmpty ? 0 : width * height }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    public func intersection(_ other: Rect) -> Rect {
        let x0 = max(x, other.x)
        let y0 = max(y, other.y)
        let x1 = min(maxX, other.maxX)
        let y1 = min(maxY, other.maxY)
        return x1 > x0 && y1 > y0 ? Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0) : .zero
    }

    public func intersects(_ other: Rect) -> Bool { !intersection(other).isEmpty }

    /// The smallest rectangle holding both.
    public func union(_ other: Rect) -> Rect {
        if isEmpty { return other }
        if other.isEmpty { return self }
        let x0 = min(x, other.x)
        let y0 = min(y, other.y)
        return Rect(x: x0, y: y0, width: max(maxX, other.maxX) - x0, height: max(maxY, other.maxY) - y0)
    }

    public func offsetBy(dx: Int, dy: Int) -> Rect { Rect(x: x + dx, y: y + dy, width: width, height: height) }

    /// The parts of `self` not covered by `other`: up to four rectangles.
    public func subtracting(_ other: Rect) -> [Rect] {
        let cut = intersection(other)
        guard !cut.isEmpty else { return isEmpty ? [] : [self] }
        var pieces: [Rect] = []
        if cut.y > y { pieces.append(Rect(x: x, y: y, width: width, height: cut.y - y)) }
        if cut.maxY < maxY { pieces.append(Rect(x: x, y: cut.maxY, width: width, height: maxY - cut.maxY)) }
        if cut.x > x { pieces.append(Rect(x: x, y: cut.y, width: cut.x - x, height: cut.height)) }
        if cut.maxX < maxX { pieces.append(Rect(x: cut.maxX, y: cut.y, width: maxX - cut.maxX, height: cut.height)) }
        return pieces
    }

    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// A set of pixels as non-overlapping rectangles: what changed and must be
/// drawn again. Kept small by merging when it grows.
public struct Region: Sendable, Equatable {
    public private(set) var rects: [Rect] = []

    public init() {}
    public init(_ rect: Rect) { add(rect) }

    public var isEmpty: Bool { rects.isEmpty }
    public var bounds: Rect { rects.reduce(Rect.zero) { $0.union($1) } }
    public var area: Int { rects.reduce(0) { $0 + $1.area } }

    /// Above this many rectangles the region collapses to its bounds: a
    /// little overdraw is cheaper than bookkeeping.
    static let maxRects = 32

    public mutating func add(_ rect: Rect) {
        guard !rect.isEmpty else { return }
        var pieces = [rect]
        for existing in rects {
            pieces = pieces.flatMap { $0.subtracting(existing) }
            if pieces.isEmpty { return }
        }
        rects += pieces
        if rects.count > Self.maxRects { rects = [bounds] }
    }

    public mutating func add(_ other: Region) {
        for rect in other.rects { add(rect) }
    }

    public func clipped(to clip: Rect) -> Region {
        var result = Region()
        for rect in rects { result.add(rect.intersection(clip)) }
        return result
    }

    public func contains(x: Int, y: Int) -> Bool { rects.contains { $0.contains(x: x, y: y) } }
}
