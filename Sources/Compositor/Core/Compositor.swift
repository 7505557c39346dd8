import Kernel

/// The mechanism that turns the scene into frames: it collects damage, draws
/// only what changed into the backend's back buffer (plus what that buffer
/// missed while the other one was shown), and presents. Nothing damaged,
/// nothing drawn.
public final class Compositor {
    public let backend: any DisplayBackend
    public var renderer: Renderer
    public private(set) var scene = Scene()
    public private(set) var cursor: Cursor
    /// The runtime's message box over everything, if shown.
    public private(set) var overlay: Overlay?
    /// The file chooser, over every window, if open.
    public private(set) var dialog: FileDialog?
    /// Damage not yet drawn.
    public private(set) var pendingDamage = Region()
    /// The damage of recent frames, newest first, for buffer age.
    private var history: [Region] = []
    public private(set) var framesDrawn = 0
    public private(set) var pixelsDrawn = 0

    public var screen: Rect { Rect(x: 0, y: 0, width: backend.width, height: backend.height) }

    public init(backend: any DisplayBackend, renderer: Renderer = Renderer()) {
        self.backend = backend
        self.renderer = renderer
        self.cursor = Cursor(x: backend.width / 2, y: backend.height / 2)
        damage(screen)
    }

    public func damage(_ rect: Rect) {
        pendingDamage.add(rect.intersection(screen))
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

    public func moveCursor(toX x: Int, y: Int) {
        let clamped = Cursor(x: min(max(x, 0), backend.width - 1), y: min(max(y, 0), backend.height - 1))
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
        backend.suspend()
    }

    public func resume() throws(DisplayError) {
        guard isSuspended else { return }
        isSuspended = false
        try backend.resume()
        damage(screen)  // the whole screen, into whichever buffer comes next
    }

    public var needsFrame: Bool { !pendingDamage.isEmpty && !isSuspended }

    /// Draws and presents the pending damage. Returns false when there was
    /// nothing to draw.
    @discardableResult
    public func renderFrame() throws(DisplayError) -> Bool {
        guard needsFrame else { return false }
        let back = backend.acquireBackBuffer()
        var repaint = pendingDamage
        if back.age == 0 || back.age - 1 > history.count {
            repaint = Region(screen)
        } else {
            for older in history.prefix(back.age - 1) { repaint.add(older) }
        }
        renderer.render(scene, cursor: cursor, overlay: overlay, dialog: dialog, into: back.pixels, region: repaint)
        try backend.present(back, damage: pendingDamage)
        history.insert(pendingDamage, at: 0)
        if history.count > 3 { history.removeLast() }
        framesDrawn += 1
        pixelsDrawn += repaint.area
        pendingDamage = Region()
        return true
    }

    /// Draws the whole screen from scratch into `pixels` (for tests and
    /// screenshots to compare against).
    public func renderFull(into pixels: PixelBuffer) {
        renderer.render(scene, cursor: cursor, overlay: overlay, dialog: dialog, into: pixels, region: Region(screen))
    }
}
