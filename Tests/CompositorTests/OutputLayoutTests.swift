import Testing

import Compositor

/// Rotation maths: panel pixels, panel rectangles and touch points agree
/// with each other for every pixel of small odd-sized panels.
@Suite struct RotationTests {
    static let panels: [(width: Int, height: Int)] = [(1, 1), (3, 5), (5, 3), (7, 2), (4, 4)]

    @Test func degreesNameTheFourTurnsOnly() {
        #expect(Rotation.allCases.map(\.rawValue) == [0, 90, 180, 270])
        for degrees in [0, 90, 180, 270] { #expect(Rotation(degrees: degrees)?.rawValue == degrees) }
        for degrees in [45, -90, 360, 1, 89] { #expect(Rotation(degrees: degrees) == nil) }
        #expect(Rotation.degrees90.isSideways && Rotation.degrees270.isSideways)
        #expect(!Rotation.degrees0.isSideways && !Rotation.degrees180.isSideways)
    }

    /// Every logical pixel lands on its own panel pixel, and every panel
    /// pixel shows one: the turn loses and doubles nothing.
    @Test(arguments: Rotation.allCases) func panelPixelIsABijection(_ rotation: Rotation) {
        for (pw, ph) in Self.panels {
            let logical = rotation.logicalSize(panelWidth: pw, panelHeight: ph)
            var hit = Set<[Int]>()
            for y in 0..<logical.height {
                for x in 0..<logical.width {
                    let p = rotation.panelPixel(logicalX: x, y: y, panelWidth: pw, panelHeight: ph)
                    #expect((0..<pw).contains(p.x) && (0..<ph).contains(p.y), "\(rotation) \(pw)x\(ph) (\(x),\(y))")
                    hit.insert([p.x, p.y])
                }
            }
            #expect(hit.count == pw * ph, "\(rotation) \(pw)x\(ph)")
        }
    }

    /// The desktop's top edge runs along the panel edge the rotation names.
    @Test func aQuarterTurnClockwisePutsTheTopDownTheRightEdge() {
        // A 4x2 panel turned 90: the logical picture is 2 wide, 4 tall.
        #expect(Rotation.degrees90.panelPixel(logicalX: 0, y: 0, panelWidth: 4, panelHeight: 2) == (3, 0))
        #expect(Rotation.degrees90.panelPixel(logicalX: 1, y: 0, panelWidth: 4, panelHeight: 2) == (3, 1))
        #expect(Rotation.degrees90.panelPixel(logicalX: 0, y: 3, panelWidth: 4, panelHeight: 2) == (0, 0))
        #expect(Rotation.degrees180.panelPixel(logicalX: 0, y: 0, panelWidth: 4, panelHeight: 2) == (3, 1))
        #expect(Rotation.degrees270.panelPixel(logicalX: 0, y: 0, panelWidth: 4, panelHeight: 2) == (0, 1))
    }

    /// `panelRect` of any rectangle is exactly the panel pixels of its pixels.
    @Test(arguments: Rotation.allCases) func panelRectCoversExactlyThePanelPixels(_ rotation: Rotation) {
        for (pw, ph) in Self.panels {
            let logical = rotation.logicalSize(panelWidth: pw, panelHeight: ph)
            for y in 0..<logical.height {
                for x in 0..<logical.width {
                    for height in 1...(logical.height - y) {
                        for width in 1...(logical.width - x) {
                            let rect = Rect(x: x, y: y, width: width, height: height)
                            let turned = rotation.panelRect(logical: rect, panelWidth: pw, panelHeight: ph)
                            var pixels = Set<[Int]>()
                            for py in rect.y..<rect.maxY {
                                for px in rect.x..<rect.maxX {
                                    let p = rotation.panelPixel(logicalX: px, y: py, panelWidth: pw, panelHeight: ph)
                                    pixels.insert([p.x, p.y])
                                }
                            }
                            var covered = Set<[Int]>()
                            for py in turned.y..<turned.maxY {
                                for px in turned.x..<turned.maxX { covered.insert([px, py]) }
                            }
                            #expect(covered == pixels, "\(rotation) \(pw)x\(ph) \(rect) -> \(turned)")
                        }
                    }
                }
            }
        }
    }

    /// A touch at the centre of a panel pixel lands in the logical pixel
    /// that pixel shows.
    @Test(arguments: Rotation.allCases) func logicalPointInvertsPanelPixel(_ rotation: Rotation) {
        for (pw, ph) in Self.panels {
            let logical = rotation.logicalSize(panelWidth: pw, panelHeight: ph)
            for y in 0..<logical.height {
                for x in 0..<logical.width {
                    let p = rotation.panelPixel(logicalX: x, y: y, panelWidth: pw, panelHeight: ph)
                    let point = rotation.logicalPoint(panelU: (Double(p.x) + 0.5) / Double(pw), v: (Double(p.y) + 0.5) / Double(ph),
                                                      panelWidth: pw, panelHeight: ph)
                    #expect(Int(point.x.rounded(.down)) == x && Int(point.y.rounded(.down)) == y,
                            "\(rotation) \(pw)x\(ph) logical (\(x),\(y)) panel (\(p.x),\(p.y)) -> \(point)")
                }
            }
        }
    }

    /// The panel's corners are the logical picture's corners, turned.
    @Test(arguments: Rotation.allCases) func panelCornersAreLogicalCorners(_ rotation: Rotation) {
        let (pw, ph) = (5, 3)
        let logical = rotation.logicalSize(panelWidth: pw, panelHeight: ph)
        let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map {
            rotation.logicalPoint(panelU: $0.0, v: $0.1, panelWidth: pw, panelHeight: ph)
        }
        for corner in corners {
            #expect(corner.x == 0 || corner.x == Double(logical.width), "\(rotation) \(corner)")
            #expect(corner.y == 0 || corner.y == Double(logical.height), "\(rotation) \(corner)")
        }
        #expect(Set(corners.map { [$0.x, $0.y] }).count == 4)
    }
}

/// Where outputs sit on the desktop: bounds, hit testing, clamping the
/// pointer, touch points through rotation, overlap, the one primary.
@Suite struct OutputLayoutTests {
    /// Laptop 1000x800 at the left, a 600x400 monitor to its right: an L
    /// (the space under the small monitor shows nothing).
    static let lShaped = OutputLayout.extended([("eDP-1", 1000, 800), ("HDMI-A-1", 600, 400)])

    @Test func extendedPlacesLeftToRightTopsAligned() {
        let layout = Self.lShaped
        #expect(layout.outputs.map(\.rect) == [Rect(x: 0, y: 0, width: 1000, height: 800), Rect(x: 1000, y: 0, width: 600, height: 400)])
        #expect(layout.bounds == Rect(x: 0, y: 0, width: 1600, height: 800))
        #expect(layout.primary?.name == "eDP-1")
        #expect(layout.overlap == nil)
        #expect(OutputLayout([]).bounds == .zero && OutputLayout([]).isEmpty && OutputLayout([]).primary == nil)
    }

    @Test func boundsHoldOutputsAwayFromTheOrigin() {
        let layout = OutputLayout([
            OutputPlacement(name: "A", x: 100, y: 50, panelWidth: 40, panelHeight: 30, rotation: .degrees90),
            OutputPlacement(name: "B", x: 130, y: 0, panelWidth: 20, panelHeight: 10),
        ])
        // A turned: 30 wide, 40 tall.
        #expect(layout.outputs[0].rect == Rect(x: 100, y: 50, width: 30, height: 40))
        #expect(layout.bounds == Rect(x: 100, y: 0, width: 50, height: 90))
    }

    @Test func outputAtFindsTheOneShowingAPixel() {
        let layout = Self.lShaped
        #expect(layout.output(atX: 0, y: 0)?.name == "eDP-1")
        #expect(layout.output(atX: 999, y: 799)?.name == "eDP-1")
        #expect(layout.output(atX: 1000, y: 0)?.name == "HDMI-A-1")
        #expect(layout.output(atX: 1599, y: 399)?.name == "HDMI-A-1")
        #expect(layout.output(atX: 1000, y: 400) == nil)  // under the small monitor
        #expect(layout.output(atX: 1600, y: 0) == nil)
        #expect(layout.output(atX: -1, y: 0) == nil)
        #expect(layout.output(named: "HDMI-A-1")?.x == 1000 && layout.output(named: "DP-3") == nil)
    }

    @Test func clampKeepsThePointerOnSomeOutput() {
        let layout = Self.lShaped
        func clamp(_ x: Double, _ y: Double) -> [Double] { let p = layout.clamp(x: x, y: y); return [p.x, p.y] }
        #expect(clamp(500.5, 300.25) == [500.5, 300.25])  // on an output: unchanged
        #expect(clamp(-50, -50) == [0, 0])
        #expect(clamp(2000, 100) == [1599, 100])
        // Under the small monitor: pulled up onto it (101 away) rather than onto the laptop (501 away).
        #expect(clamp(1500, 500) == [1500, 399])
        // Nearer the laptop's edge than the monitor's bottom: onto the laptop.
        #expect(clamp(1050, 700) == [999, 700])
        #expect(clamp(5000, 5000) == [1599, 399])
        let empty = OutputLayout([])
        #expect(empty.clamp(x: 7, y: -3) == (7, -3))
    }

    @Test func clampCrossesAGapToTheNearerOutput() {
        let layout = OutputLayout([
            OutputPlacement(name: "A", x: 0, y: 0, panelWidth: 100, panelHeight: 100),
            OutputPlacement(name: "B", x: 200, y: 0, panelWidth: 100, panelHeight: 100),
        ])
        #expect(layout.clamp(x: 120, y: 50) == (99, 50))
        #expect(layout.clamp(x: 180, y: 50) == (200, 50))
    }

    /// (u, v) of a panel in each rotation: the corners and the centre land
    /// where the turned picture has them, inside the output.
    @Test func desktopPointFollowsRotation() throws {
        func point(_ rotation: Rotation, _ u: Double, _ v: Double) throws -> [Double] {
            let layout = OutputLayout([
                OutputPlacement(name: "L", x: 0, y: 0, panelWidth: 100, panelHeight: 100),
                OutputPlacement(name: "T", x: 100, y: 50, panelWidth: 40, panelHeight: 20, rotation: rotation),
            ])
            let p = try #require(layout.desktopPoint(output: "T", panelU: u, v: v))
            return [p.x, p.y]
        }
        let top = 0.001  // the last pixel's far edge is pulled inside
        // Unturned: the panel is the picture, 40x20 at (100, 50).
        #expect(try point(.degrees0, 0, 0) == [100, 50])
        #expect(try point(.degrees0, 1, 1) == [140 - top, 70 - top])
        #expect(try point(.degrees0, 0.5, 0.5) == [120, 60])
        // 90: the picture is 20 wide, 40 tall; the panel's top-left is the picture's bottom-left.
        #expect(try point(.degrees90, 0, 0) == [100, 90 - top])
        #expect(try point(.degrees90, 1, 0) == [100, 50])
        #expect(try point(.degrees90, 1, 1) == [120 - top, 50])
        #expect(try point(.degrees90, 0, 1) == [120 - top, 90 - top])
        #expect(try point(.degrees90, 0.5, 0.5) == [110, 70])
        // 180: corners swap diagonally.
        #expect(try point(.degrees180, 0, 0) == [140 - top, 70 - top])
        #expect(try point(.degrees180, 1, 1) == [100, 50])
        #expect(try point(.degrees180, 1, 0) == [100, 70 - top])
        // 270: the panel's top-left is the picture's top-right.
        #expect(try point(.degrees270, 0, 0) == [120 - top, 50])
        #expect(try point(.degrees270, 1, 0) == [120 - top, 90 - top])
        #expect(try point(.degrees270, 0, 1) == [100, 50])
        #expect(try point(.degrees270, 1, 1) == [100, 90 - top])
        // Outside [0, 1] is clamped onto the panel.
        #expect(try point(.degrees0, -1, 2) == [100, 70 - top])
    }

    /// Each panel pixel's centre, through the layout, is a desktop pixel of
    /// that output whose panel pixel it is.
    @Test(arguments: Rotation.allCases) func desktopPointOfEveryPanelPixel(_ rotation: Rotation) throws {
        let output = OutputPlacement(name: "T", x: 37, y: 11, panelWidth: 5, panelHeight: 3, rotation: rotation)
        let layout = OutputLayout([output])
        for py in 0..<3 {
            for px in 0..<5 {
                let p = try #require(layout.desktopPoint(output: "T", panelU: (Double(px) + 0.5) / 5, v: (Double(py) + 0.5) / 3))
                let (x, y) = (Int(p.x.rounded(.down)), Int(p.y.rounded(.down)))
                #expect(layout.output(atX: x, y: y)?.name == "T")
                let back = rotation.panelPixel(logicalX: x - 37, y: y - 11, panelWidth: 5, panelHeight: 3)
                #expect(back == (px, py), "\(rotation) panel (\(px),\(py)) -> desktop (\(x),\(y)) -> panel \(back)")
            }
        }
        #expect(layout.desktopPoint(output: "nothing", panelU: 0.5, v: 0.5) == nil)
    }

    @Test func overlapNamesTwoOutputsThatShareAPixel() throws {
        let touching = OutputLayout([
            OutputPlacement(name: "A", x: 0, y: 0, panelWidth: 100, panelHeight: 100),
            OutputPlacement(name: "B", x: 100, y: 0, panelWidth: 100, panelHeight: 100),
        ])
        #expect(touching.overlap == nil)
        let overlapping = OutputLayout([
            OutputPlacement(name: "A", x: 0, y: 0, panelWidth: 100, panelHeight: 100),
            OutputPlacement(name: "B", x: 200, y: 0, panelWidth: 100, panelHeight: 100),
            // 100x200 turned: 200 wide, reaching back over B.
            OutputPlacement(name: "C", x: 150, y: 99, panelWidth: 100, panelHeight: 200, rotation: .degrees270),
        ])
        let pair = try #require(overlapping.overlap)
        #expect([pair.0.name, pair.1.name] == ["B", "C"])
    }

    @Test func exactlyOneOutputIsPrimary() {
        let marked = OutputLayout([
            OutputPlacement(name: "A", x: 0, y: 0, panelWidth: 10, panelHeight: 10),
            OutputPlacement(name: "B", x: 10, y: 0, panelWidth: 10, panelHeight: 10, primary: true),
            OutputPlacement(name: "C", x: 20, y: 0, panelWidth: 10, panelHeight: 10, primary: true),
        ])
        #expect(marked.outputs.filter(\.primary).map(\.name) == ["B"])
        #expect(marked.primary?.name == "B")
        let unmarked = OutputLayout.extended([("A", 10, 10), ("B", 10, 10)])
        #expect(unmarked.outputs.filter(\.primary).map(\.name) == ["A"])
    }
}
