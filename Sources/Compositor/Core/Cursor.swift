/// The software cursor: an arrow drawn over everything, its tip at (x, y).
public struct Cursor: Equatable, Sendable {
    public var x: Int
    public var y: Int
    public var visible = true

    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }

    /// The screen pixels it covers.
    public var rect: Rect {
        visible ? Rect(x: x, y: y, width: Cursor.width, height: Cursor.height) : .zero
    }

    static let shape = [
        "#...........",
        "##..........",
        "#o#.........",
        "#oo#........",
        "#ooo#.......",
        "#oooo#......",
        "#ooooo#.....",
        "#oooooo#....",
        "#ooooooo#...",
        "#oooooooo#..",
        "#ooooooooo#.",
        "#oooooo#####",
        "#ooo#oo#....",
        "#oo#.#oo#...",
        "#o#..#oo#...",
        "##....#oo#..",
        "#.....#oo#..",
        ".......##...",
    ]
    public static let width = 12
    public static let height = shape.count

    /// 0 = transparent, else the pixel colour with the top byte set.
    static let pixels: [UInt32] = shape.flatMap { row in
        row.map { c -> UInt32 in
            switch c {
            case "#": 0xff00_0000
            case "o": 0xffff_ffff
            default: 0
            }
        }
    }

    /// Draws the cursor into `pixels`, only inside `clip`.
    func draw(into pixels: PixelBuffer, clip: Rect) {
        let area = rect.intersection(clip).intersection(pixels.bounds)
        guard !area.isEmpty else { return }
        for py in area.y..<area.maxY {
            let row = pixels.row(py)
            let shapeRow = (py - y) * Cursor.width
            for px in area.x..<area.maxX {
                let p = Cursor.pixels[shapeRow + px - x]
                if p != 0 { row[px] = p & 0x00ff_ffff }
            }
        }
    }
}
