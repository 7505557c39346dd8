/// The file chooser as it looks: what ui_server's chooser (`FileChooser`)
/// shows, drawn by the runtime over every window, so that no app can draw
/// it or cover it. A value: the chooser makes a new one after each change
/// and `Compositor.setDialog` damages what differs.
///
/// Every string here is already safe to draw (`FileDialog.printable`).
public struct FileDialog: Equatable, Sendable {
    /// "paint wants to open a file".
    public var title: String
    /// The folder shown, from its root: "Home/Pictures".
    public var folder: String
    public var rows: [Row]
    public var selected: Int?
    /// The first row shown.
    public var top = 0
    /// Save mode: the name field, and whether typing goes to it.
    public var name: String?
    public var nameFocused = false
    /// A question or a refusal, above the buttons.
    public var message: String?
    /// "Open" or "Save".
    public var confirmLabel: String

    public struct Row: Equatable, Sendable {
        public var text: String
        public var isFolder: Bool
        /// False for files the app did not ask for: shown grey, not chosen.
        public var enabled: Bool
    }

    /// What a point of the dialog is.
    enum Part: Equatable {
        case row(Int)
        case list
        case nameField
        case cancel
        case confirm
        case elsewhere
        case outside
    }

    static let padding = 10
    static let rowHeight = FontData.height + 2
    static let buttonWidth = 80
    static let buttonHeight = 22

    static let border: UInt32 = 0x00e0_a030
    static let background: UInt32 = 0x0020_2830
    static let listBackground: UInt32 = 0x0010_1418
    static let text: UInt32 = 0x00f0_f0f0
    static let folderText: UInt32 = 0x00f0_d070
    static let greyText: UInt32 = 0x0070_7880
    static let selection: UInt32 = 0x0033_5c99
    static let button: UInt32 = 0x0040_4c58
    static let focusedField: UInt32 = 0x0060_90d0

    /// Where its parts sit on a screen.
    struct Layout {
        let frame: Rect
        let title: Rect
        let folder: Rect
        let list: Rect
        let nameField: Rect?
        let message: Rect
        let cancel: Rect
        let confirm: Rect

        var visibleRows: Int { max(1, list.height / FileDialog.rowHeight) }
    }

    func layout(on screen: Rect) -> Layout {
        let width = min(screen.width - 16, 520)
        let height = min(screen.height - 16, 380)
        let frame = Rect(x: screen.x + (screen.width - width) / 2, y: screen.y + (screen.height - height) / 2, width: width, height: height)
        let p = Self.padding
        let inner = frame.width - 2 * p
        let buttonsY = frame.maxY - p - Self.buttonHeight
        let messageY = buttonsY - Self.rowHeight - 4
        let nameField = name == nil ? nil : Rect(x: frame.x + p + 6 * BitmapFont.width, y: messageY - 24, width: inner - 6 * BitmapFont.width, height: 20)
        let listY = frame.y + p + 2 * Self.rowHeight + 8
        let listBottom = (nameField?.y ?? messageY) - 6
        let confirm = Rect(x: frame.maxX - p - Self.buttonWidth, y: buttonsY, width: Self.buttonWidth, height: Self.buttonHeight)
        return Layout(
            frame: frame,
            title: Rect(x: frame.x + p, y: frame.y + p, width: inner, height: Self.rowHeight),
            folder: Rect(x: frame.x + p, y: frame.y + p + Self.rowHeight + 2, width: inner, height: Self.rowHeight),
            list: Rect(x: frame.x + p, y: listY, width: inner, height: max(Self.rowHeight, listBottom - listY)),
            nameField: nameField,
            message: Rect(x: frame.x + p, y: messageY, width: inner, height: Self.rowHeight),
            cancel: Rect(x: confirm.x - 8 - Self.buttonWidth, y: buttonsY, width: Self.buttonWidth, height: Self.buttonHeight),
            confirm: confirm)
    }

    func frame(on screen: Rect) -> Rect { layout(on: screen).frame }

    func hit(x: Int, y: Int, on screen: Rect) -> Part {
        let l = layout(on: screen)
        guard l.frame.contains(x: x, y: y) else { return .outside }
        if l.cancel.contains(x: x, y: y) { return .cancel }
        if l.confirm.contains(x: x, y: y) { return .confirm }
        if let field = l.nameField, field.contains(x: x, y: y) { return .nameField }
        if l.list.contains(x: x, y: y) {
            let index = top + (y - l.list.y) / Self.rowHeight
            return index < rows.count && (y - l.list.y) / Self.rowHeight < l.visibleRows ? .row(index) : .list
        }
        return .elsewhere
    }

    /// Draws its part inside `clip` of the dialog centred on `screen`.
    func draw(into pixels: PixelBuffer, on screen: Rect, clip: Rect) {
        let l = layout(on: screen)
        let area = l.frame.intersection(clip)
        guard !area.isEmpty else { return }
        Decorations.fill(area, Self.border, pixels)
        let inner = Rect(x: l.frame.x + 2, y: l.frame.y + 2, width: l.frame.width - 4, height: l.frame.height - 4)
        Decorations.fill(inner.intersection(area), Self.background, pixels)
        func text(_ s: String, in rect: Rect, color: UInt32, inset: Int = 0) {
            BitmapFont.draw(s, into: pixels, x: rect.x + inset, y: rect.y + (rect.height - FontData.height) / 2, color: color, clip: rect.intersection(area))
        }
        text(title, in: l.title, color: Self.text)
        text(folder, in: l.folder, color: Self.folderText)
        Decorations.fill(l.list.intersection(area), Self.listBackground, pixels)
        for (i, row) in rows.dropFirst(top).prefix(l.visibleRows).enumerated() {
            let index = top + i
            let rect = Rect(x: l.list.x, y: l.list.y + i * Self.rowHeight, width: l.list.width, height: Self.rowHeight)
            if index == selected { Decorations.fill(rect.intersection(area), Self.selection, pixels) }
            let color = row.isFolder ? Self.folderText : row.enabled ? Self.text : Self.greyText
            text(row.isFolder ? row.text + "/" : row.text, in: rect, color: color, inset: 4)
        }
        if let field = l.nameField, let name {
            text("Name:", in: Rect(x: l.frame.x + Self.padding, y: field.y, width: field.x - l.frame.x - Self.padding, height: field.height), color: Self.text)
            Decorations.fill(field.intersection(area), nameFocused ? Self.focusedField : Self.listBackground, pixels)
            let inside = Rect(x: field.x + 1, y: field.y + 1, width: field.width - 2, height: field.height - 2)
            Decorations.fill(inside.intersection(area), Self.listBackground, pixels)
            // The end of a long name stays in view, with the caret after it.
            let room = max(1, inside.width / BitmapFont.width - 2)
            let shown = String(name.unicodeScalars.suffix(room).map(Character.init)) + (nameFocused ? "_" : "")
            text(shown, in: inside, color: Self.text, inset: 3)
        }
        if let message { text(message, in: l.message, color: Self.border) }
        for (rect, label) in [(l.cancel, "Cancel"), (l.confirm, confirmLabel)] {
            Decorations.fill(rect.intersection(area), Self.button, pixels)
            text(label, in: rect, color: Self.text, inset: (rect.width - BitmapFont.textWidth(label)) / 2)
        }
    }

    /// `text` as the font can draw it and a log can show it: printable ASCII
    /// kept, every other character (a control, an escape, anything beyond
    /// ASCII) shown as '?', and cut to `limit` characters.
    public static func printable(_ text: String, limit: Int = 255) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit).map { (0x20...0x7E).contains($0.value) ? $0 : "?" }))
    }

    /// A name from the disk (any bytes), drawable.
    public static func printable(_ bytes: [UInt8], limit: Int = 255) -> String {
        printable(String(decoding: bytes, as: UTF8.self), limit: limit)
    }
}
