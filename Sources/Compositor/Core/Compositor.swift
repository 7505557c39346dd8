import Kernel

/// The mechanism that turns the scene into frames: it collects damage on the
/// desktop, draws into each head (output) only what changed on it (plus
/// what that head's back buffer missed while another was shown), and
/// presents. Nothing damaged, nothing drawn; a head with no damage of its
/// own is left alone.
public final class Compositor {
    public var renderer: Renderer
    public private(set) var scene = Scene()
    public private(set) var cursor: Cursor
    /// The runtime's message box over everything, if shown.
    public private(set) var overlay: Overlay?
    /// The file chooser, over every window, if open.
    public private(set) var dialog: FileDialog?
    /// Damage not yet drawn, in desktop coordinates, only where some head shows it.
    public private(set) var pendingDamage = Region()
    /// The outputs drawn on, in the layout's order. None is a state too:
    /// nothing is drawn until a monitor comes.
    public private(set) var heads: [Head] = []
    public private(set) var layout = OutputLayout([])
    /// The heads the last `renderFrame` presented to: each must be waited
    /// for before it is drawn again.
    public private(set) var presentedHeads: [Head] = []
    public private(set) var framesDrawn = 0
    public private(set) var pixelsDrawn = 0

    /// The primary output's rectangle: where windows, dialogs and the kiosk
    /// app go. Zero with no output.
    public var screen: Rect { layout.primary?.rect ?? .zero }

    /// The whole desktop: the smallest rectangle holding every output.
    public var desktop: Rect { layout.bounds }

    /// A compositor over `heads`, placed as their placements say.
    public init(heads: [(placement: OutputPlacement, backend: any DisplayBackend)] = [], renderer: Renderer = Renderer()) {
        self.renderer = renderer
        self.cursor = Cursor(x: 0, y: 0)
        setHeads(heads)
        cursor = Cursor(x: screen.x + screen.width / 2, y: screen.y + screen.height / 2)
    }

    /// One head, unrotated, with its top left at the desktop's (0, 0).
    public convenience init(backend: any DisplayBackend, renderer: Renderer = Renderer()) {
        let placement = OutputPlacement(
            name: backend.name, x: 0, y: 0, panelWidth: backend.width, panelHeight: backend.height, primary: true)
        self.init(heads: [(placement, backend)], renderer: renderer)
    }

    /// The head called `name`, if lit.
    public func head(named name: String) -> Head? { heads.first { $0.name == name } }

    /// Draws on these heads from now on. A head kept at the same place keeps
    /// its buffer history; everything is drawn again (the desktop changed).
    /// Heads left out are no longer touched: the caller darkens them.
    public func setHeads(_ new: [(placement: OutputPlacement, backend: any DisplayBackend)]) {
        layout = OutputLayout(new.map(\.placement))
        let old = heads
        heads = zip(layout.outputs, new).map { placement, entry in
            if let kept = old.first(where: { $0.backend === entry.backend && $0.placement == placement }) { return kept }
            return Head(backend: entry.backend, placement: placement)
        }
        // A monitor plugged in while the screen is blanked is blanked too.
        if isBlanked { for head in heads where head.blank == .none { blank(head) } }
        presentedHeads.removeAll { head in !heads.contains { $0 === head } }
        pendingDamage = Region()
        damage(desktop)
        if layout.output(atX: cursor.x, y: cursor.y) == nil { moveCursor(toX: cursor.x, y: cursor.y) }
    }

    /// Marks `rect` (desktop coordinates) to be drawn again where any head shows it.
    public func damage(_ rect: Rect) {
        for head in heads where head.blank == .none { pendingDamage.add(rect.intersection(head.rect)) }
    }

    public func damage(_ region: Region) {
        for rect in region.rects { damage(rect) }
    }

    // MARK: Scene changes, each with the damage it causes

    /// Adds `window` on top, or just below the window `below`.
    public func add(_ window: Window, below: UInt32? = nil) {
        scene.add(window, below: below)
        if window.mapped { damage(window.frame) }
    }

    public func remove(_ id: UInt32) {
        if let window = scene.remove(id), window.mapped { damage(window.frame) }
    }

    public func raise(_ id: UInt32) {
        if scene.raise(id), let window = scene.window(id), window.mapped { damage(window.frame) }
    }

    public func move(_ id: UInt32, toX x: Int, y: Int) {
        guard let window = scene.window(id), window.x != x || window.y != y else { return }
        if window.mapped { damage(window.frame) }
        window.place(x: x, y: y)
        if window.mapped { damage(window.frame) }
    }

    /// The app gave the window a new surface of a new size.
    public func replaceSurface(_ id: UInt32, _ surface: BufferMapping, width: Int, height: Int) {
        guard let window = scene.window(id) else { return }
        if window.mapped { damage(window.frame) }
        window.replaceSurface(surface, width: width, height: height)
        if window.mapped { damage(window.frame) }
    }

    /// Content changed inside `rect` (surface coordinates), or everything.
    public func contentChanged(_ id: UInt32, rect: Rect? = nil) {
        guard let window = scene.window(id) else { return }
        if !window.mapped {
            window.map()
            damage(window.frame)
            return
        }
        let surface = Rect(x: 0, y: 0, width: window.width, height: window.height)
        let changed = (rect ?? surface).intersection(surface)
        damage(changed.offsetBy(dx: window.x, dy: window.y))
    }

    public func setTitle(_ id: UInt32, _ title: String) {
        guard let window = scene.window(id), window.title != title else { return }
        window.retitle(title)
        decorationsChanged(id)
    }

    /// Decorations changed (title, focus).
    public func decorationsChanged(_ id: UInt32) {
        guard let window = scene.window(id), window.mapped else { return }
        for part in window.frame.subtracting(window.contentRect) { damage(part) }
    }

    public func setFocus(_ id: UInt32?) {
        for window in scene.windows where window.focused != (window.id == id) {
            window.setFocused(window.id == id)
            decorationsChanged(window.id)
        }
    }

    /// Moves the cursor to (x, y), or the nearest point an output shows.
    public func moveCursor(toX x: Int, y: Int) {
        let point = layout.clamp(x: Double(x), y: Double(y))
        let clamped = Cursor(x: Int(point.x), y: Int(point.y))
        guard clamped.x != cursor.x || clamped.y != cursor.y else { return }
        damage(cursor.rect)
        cursor.x = clamped.x
        cursor.y = clamped.y
        damage(cursor.rect)
    }

    public func setOverlay(_ new: Overlay?) {
        guard new != overlay else { return }
        if let old = overlay { damage(old.frame(on: screen)) }
        overlay = new
        if let new { damage(new.frame(on: screen)) }
    }

    public func setDialog(_ new: FileDialog?) {
        guard new != dialog else { return }
        if let old = dialog { damage(old.frame(on: screen)) }
        dialog = new
        if let new { damage(new.frame(on: screen)) }
    }

    public func setCursorVisible(_ visible: Bool) {
        guard cursor.visible != visible else { return }
        damage(cursor.rect)
        cursor.visible = visible
        damage(cursor.rect)
    }

    // MARK: Frames

    /// While suspended (the session is on another VT) nothing is drawn;
    /// damage collects and everything is drawn again on resume.
    public private(set) var isSuspended = false

    public func suspend() {
        isSuspended = true
        for head in heads { head.backend.suspend() }
    }

    public func resume() throws(DisplayError) {
        guard isSuspended else { return }
        isSuspended = false
        for head in heads {
            try head.backend.resume()
            if head.blank == .black { head.needsBlackFrame = true }
        }
        damage(desktop)  // everything, into whichever buffers come next
    }

    public var needsFrame: Bool {
        !isSuspended && (!pendingDamage.isEmpty || heads.contains(where: \.needsBlackFrame))
    }

    // MARK: Blanking (`--idle-blank`, UIServer/Blanking.swift)

    /// Every head is blanked: panels off, or black.
    public private(set) var isBlanked = false

    /// Blanks every head, or lights them again. A head's panel is turned off
    /// where its display can (DPMS); where it cannot, the head shows one black
    /// frame. Nothing is drawn on a blanked head; lit again, it is drawn
    /// whole. Returns the heads whose panels would not turn on again.
    @discardableResult
    public func setBlanked(_ blanked: Bool) -> [Head] {
        guard blanked != isBlanked else { return [] }
        isBlanked = blanked
        guard !blanked else {
            for head in heads { blank(head) }
            return []
        }
        var stayedOff: [Head] = []
        for head in heads {
            if head.blank == .panelOff, !head.backend.setPower(true) { stayedOff.append(head) }
            head.blank = .none
            head.needsBlackFrame = false
            damage(head.rect)
        }
        return stayedOff
    }

    private func blank(_ head: Head) {
        head.blank = head.backend.setPower(false) ? .panelOff : .black
        head.needsBlackFrame = head.blank == .black
        // Its damage is dropped: the head is drawn whole when it wakes.
        var kept = Region()
        for other in heads where other.blank == .none { kept.add(pendingDamage.clipped(to: other.rect)) }
        pendingDamage = kept
    }

    /// Draws the pending damage and presents it on each head it touches
    /// (`presentedHeads`). Returns false when there was nothing to draw. A
    /// head that fails keeps its damage for the next frame; the first
    /// failure is thrown once every head has had its turn.
    @discardableResult
    public func renderFrame() throws(DisplayError) -> Bool {
        presentedHeads = []
        guard needsFrame else { return false }
        var failed = Region()
        var firstError: DisplayError?
        for head in heads {
            if head.needsBlackFrame {
                do {
                    try drawBlack(head)
                    presentedHeads.append(head)
                } catch {
                    if firstError == nil { firstError = error }
                }
                continue
            }
            let damage = pendingDamage.clipped(to: head.rect)
            guard !damage.isEmpty else { continue }
            do {
                try draw(head, damage: damage)
                presentedHeads.append(head)
            } catch {
                failed.add(damage)
                if firstError == nil { firstError = error }
            }
        }
        pendingDamage = failed
        if !presentedHeads.isEmpty { framesDrawn += 1 }
        if let firstError { throw firstError }
        return !presentedHeads.isEmpty
    }

    /// Draws `damage` (desktop coordinates, inside the head) and what the
    /// back buffer missed, and presents it.
    private func draw(_ head: Head, damage: Region) throws(DisplayError) {
        let back = head.backend.acquireBackBuffer()
        var repaint = damage
        if back.age == 0 || back.age - 1 > head.history.count {
            repaint = Region(head.rect)
        } else {
            for older in head.history.prefix(back.age - 1) { repaint.add(older) }
        }
        let panelDamage: Region
        if let upright = head.upright {
            // The upright picture is always whole, so only what changed is
            // drawn into it; the turn copies all the back buffer lacks.
            renderer.render(
                scene, cursor: cursor, overlay: overlay, dialog: dialog, screen: screen, into: upright.pixels,
                region: upright.isDrawn ? damage : Region(head.rect))
            upright.isDrawn = true
            head.turn(repaint, from: upright.pixels, into: back.pixels)
            panelDamage = head.panelRegion(damage)
        } else {
            // Straight into the back buffer: no copy beyond the drawing itself.
            renderer.render(
                scene, cursor: cursor, overlay: overlay, dialog: dialog, screen: screen,
                into: back.pixels.placed(atX: head.rect.x, y: head.rect.y), region: repaint)
            panelDamage = head.panelRegion(damage)
        }
        try head.backend.present(back, damage: panelDamage)
        head.history.insert(damage, at: 0)
        if head.history.count > 3 { head.history.removeLast() }
        head.framesDrawn += 1
        pixelsDrawn += repaint.area
    }

    /// A blanked head that cannot turn its panel off shows black, once.
    private func drawBlack(_ head: Head) throws(DisplayError) {
        let back = head.backend.acquireBackBuffer()
        let panel = back.pixels.bounds
        for y in panel.y..<panel.maxY { back.pixels.row(y).advanced(by: panel.x).update(repeating: 0, count: panel.width) }
        try head.backend.present(back, damage: Region(panel))
        head.needsBlackFrame = false
        head.history = []  // its buffers hold black: drawn whole on waking
        head.framesDrawn += 1
    }

    /// Draws the whole of `pixels.bounds` from scratch into `pixels` (for
    /// tests and screenshots to compare against).
    public func renderFull(into pixels: PixelBuffer) {
        renderer.render(
            scene, cursor: cursor, overlay: overlay, dialog: dialog, screen: screen, into: pixels, region: Region(pixels.bounds))
    }
}

/// One output the compositor draws on: a head of the display, where it sits
/// on the desktop and how it is turned, and the damage of its recent frames.
public final class Head {
    public let backend: any DisplayBackend
    public let placement: OutputPlacement
    /// The damage of this head's recent frames, newest first, for buffer age.
    var history: [Region] = []
    /// A turned head's picture upright, drawn in desktop coordinates; the
    /// final copy turns it into the back buffer. Nil when unrotated.
    let upright: UprightPicture?
    /// Frames drawn and presented on this head.
    public internal(set) var framesDrawn = 0
    /// How the head is blanked (`Compositor.setBlanked`).
    public internal(set) var blank = Blank.none
    /// Blanked with black, which is not drawn yet.
    var needsBlackFrame = false

    public enum Blank: Sendable {
        /// Not blanked: the scene.
        case none
        /// The panel is off (DPMS): nothing is presented.
        case panelOff
        /// The panel could not be turned off (headless, a driver without
        /// DPMS): a black frame stands in.
        case black
    }

    init(backend: any DisplayBackend, placement: OutputPlacement) {
        self.backend = backend
        self.placement = placement
        let rect = placement.rect
        upright = placement.rotation == .degrees0 ? nil : UprightPicture(rect)
    }

    public var name: String { placement.name }
    /// Its logical rectangle on the desktop.
    public var rect: Rect { placement.rect }

    /// `region` (desktop coordinates, inside the head) as panel rectangles.
    func panelRegion(_ region: Region) -> Region {
        var panel = Region()
        for rect in region.rects {
            let local = rect.offsetBy(dx: -self.rect.x, dy: -self.rect.y)
            panel.add(placement.rotation.panelRect(logical: local, panelWidth: backend.width, panelHeight: backend.height))
        }
        return panel
    }

    /// Copies `region` of the upright picture into the panel's buffer,
    /// turned: each logical row becomes a panel row or column.
    func turn(_ region: Region, from source: PixelBuffer, into panel: PixelBuffer) {
        let pw = panel.width
        let ph = panel.height
        // Panel bytes from one logical pixel to the next one right of it.
        let step: Int = switch placement.rotation {
        case .degrees0: 4
        case .degrees90: panel.stride
        case .degrees180: -4
        case .degrees270: -panel.stride
        }
        for rect in region.clipped(to: self.rect).rects {
            for y in rect.y..<rect.maxY {
                let from = source.row(y)
                let first = placement.rotation.panelPixel(
                    logicalX: rect.x - self.rect.x, y: y - self.rect.y, panelWidth: pw, panelHeight: ph)
                var to = panel.base + first.y * panel.stride + first.x * 4
                for x in rect.x..<rect.maxX {
                    to.storeBytes(of: from[x], as: UInt32.self)
                    to += step
                }
            }
        }
    }
}

/// The logical picture of a turned head, in memory of its own.
final class UprightPicture {
    let pixels: PixelBuffer
    /// Drawn whole at least once: from then on only damage is drawn.
    var isDrawn = false

    init(_ rect: Rect) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: rect.width * rect.height * 4, alignment: 64)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: rect.width * rect.height * 4)
        pixels = PixelBuffer(base: memory, width: rect.width, height: rect.height, stride: rect.width * 4, originX: rect.x, originY: rect.y)
    }

    deinit { pixels.base.deallocate() }
}
