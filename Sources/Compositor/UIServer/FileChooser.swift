import Glibc
import Kernel
import Wire

/// A folder the file chooser may show: ui_server's own DIRECTORY cap to it,
/// and the name the chooser gives it ("Home").
struct FileRoot: Sendable {
    let label: String
    let handle: Handle
}

/// A folder that cannot be offered to the file chooser.
public struct FileRootError: Error, CustomStringConvertible {
    public let description: String
}

extension UIServer {
    /// What ui_server may do in a folder it shows: list, descend, and open
    /// or create the files the user picks, for the app to read or write.
    static let fileRootRights: Rights = [.list, .open, .create, .read, .write, .resize]

    /// Lets the file chooser show the folder at `path` (and everything
    /// beneath it), under the name `label` (its last component if nil).
    /// Call before apps start. With no folder allowed, the chooser answers
    /// `noFiles`.
    public func allowFiles(in path: String, label: String? = nil) throws(FileRootError) {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = errno == ENOTDIR ? "it is not a folder" : String(cString: strerror(errno))
            throw FileRootError(description: "cannot offer \(path) to the file chooser: \(reason)")
        }
        let handle: Handle
        do {
            handle = try kernel.grantOpened(descriptor: descriptor, rights: Self.fileRootRights, to: actor)
        } catch {
            throw FileRootError(description: "cannot offer \(path) to the file chooser: \(error)")
        }
        let name = label ?? path.split(separator: "/").last.map(String.init) ?? path
        fileRoots.withLock { $0.append(FileRoot(label: FileDialog.printable(name, limit: 40), handle: handle)) }
    }
}

/// The file chooser ui_server shows for one app's `chooseFile`: where the
/// user is, what they see and what they typed. The user, not the app,
/// picks the file; the app gets a cap to that one file and learns its name.
struct FileChooser {
    /// An app's request.
    struct Request {
        let app: ActorID
        let window: UInt32
        let mode: FileChooserMode
        /// Lowercased extensions; empty = any file.
        let types: [String]
        let suggestedName: String
    }

    struct Entry {
        let name: [UInt8]
        let isFolder: Bool
        let enabled: Bool
    }

    let request: Request
    let appName: String
    let roots: [FileRoot]
    /// The folders entered, from a root down; empty = the list of roots
    /// (only when there are several). Caps below the root are ui_server's
    /// own, released on the way back up.
    var path: [(label: String, handle: Handle)] = []
    var entries: [Entry] = []
    /// Names in the folder that are not shown because they can never be
    /// opened (links, FIFOs, devices): a save to one is refused in the dialog.
    var unusable: Set<[UInt8]> = []
    var selected: Int?
    var top = 0
    var name: String
    var nameFocused: Bool
    /// "Replace NAME?" is being asked.
    var replacing: [UInt8]?
    var message: String?
    /// The last click on a row, for double clicks: the row and when.
    var lastClick: (row: Int, time: Int64)?

    init(request: Request, appName: String, roots: [FileRoot]) {
        self.request = request
        self.appName = appName
        self.roots = roots
        name = request.suggestedName
        nameFocused = request.mode == .save
    }

    var isSave: Bool { request.mode == .save }

    /// Whether a file is of a type the app asked for.
    func accepts(_ name: [UInt8]) -> Bool {
        guard !request.types.isEmpty else { return true }
        guard let dot = name.lastIndex(of: 0x2E) else { return false }
        let ext = String(decoding: name[(dot + 1)...], as: UTF8.self).lowercased()
        return request.types.contains(ext)
    }

    var dialog: FileDialog {
        let verb = switch request.mode {
        case .open: "open a file"
        case .edit: "open a file to edit"
        case .save: "save a file"
        }
        let folder = path.isEmpty ? "Choose a place" : path.map(\.label).joined(separator: "/")
        let rows = entries.map { FileDialog.Row(text: FileDialog.printable($0.name), isFolder: $0.isFolder, enabled: $0.enabled) }
        return FileDialog(
            title: "\(appName) wants to \(verb)", folder: folder, rows: rows, selected: selected, top: top,
            name: isSave ? FileDialog.printable(name) : nil, nameFocused: nameFocused, message: message,
            confirmLabel: isSave ? "Save" : "Open")
    }
}

/// Keysyms the chooser answers to (xkbcommon's).
private enum Keysym {
    static let backspace: UInt32 = 0xff08
    static let tab: UInt32 = 0xff09
    static let enter: UInt32 = 0xff0d
    static let escape: UInt32 = 0xff1b
    static let home: UInt32 = 0xff50
    static let up: UInt32 = 0xff52
    static let down: UInt32 = 0xff54
    static let pageUp: UInt32 = 0xff55
    static let pageDown: UInt32 = 0xff56
    static let end: UInt32 = 0xff57
    static let keypadEnter: UInt32 = 0xff8d
    static let leftTab: UInt32 = 0xfe20
}

extension UIServerState {
    // MARK: The request

    func chooseFile(_ message: ReceivedMessage) {
        var reader = PayloadReader(message.payload)
        guard let id = reader.u32(), ownedWindow(id, by: message.sender) != nil else {
            logger.notice("\(clientName(message.sender)) asked for a file chooser for a window that is not its own; ignored")
            return
        }
        guard let rawMode = reader.u32(), let mode = FileChooserMode(rawValue: rawMode), let typesLength = reader.u32(),
            let types = reader.raw(Int(typesLength))
        else {
            fileNotChosen(id, .malformed, "choose-file needs a mode (0 open, 1 edit, 2 save), the types' length and the types")
            return
        }
        let request = FileChooser.Request(
            app: message.sender, window: id, mode: mode,
            types: String(decoding: types, as: UTF8.self).split(separator: ",").map {
                String($0.filter { $0 != " " }.drop { $0 == "." }).lowercased()
            }.filter { !$0.isEmpty },
            suggestedName: String(reader.text(limit: FileName.maxLength).unicodeScalars.filter { $0.value >= 0x20 }.map(Character.init)))
        guard chooser?.request.app != message.sender, !waitingChoosers.contains(where: { $0.app == message.sender }) else {
            fileNotChosen(id, .busy, "a file chooser is already open for this app: one at a time")
            return
        }
        guard !server.fileRoots.withLock({ $0.isEmpty }) else {
            fileNotChosen(id, .noFiles, "no folder is open to apps: start wskdesk with --file-root DIR (or with $HOME set)")
            return
        }
        if chooser == nil { openChooser(request) } else { waitingChoosers.append(request) }
    }

    private func openChooser(_ request: FileChooser.Request) {
        let roots = server.fileRoots.withLock { $0 }
        let appName = FileDialog.printable(kernel.name(of: request.app) ?? "an app", limit: 40)
        var new = FileChooser(request: request, appName: appName, roots: roots)
        if roots.count == 1 { new.path = [(roots[0].label, roots[0].handle)] }
        chooser = new
        // Modal: a drag or a press an app was getting ends here.
        pointer.grab = nil
        pointer.buttons = 0
        if let hovered = pointer.hovered {
            sendPointer(WindowProtocol.pointerLeave, to: hovered) { _ in }
            pointer.hovered = nil
        }
        logger.info("file chooser open for \(clientName(request.app)) (\(request.mode))")
        reloadChooser()
    }

    /// Closes the chooser; tells the app why if `code` is given and its
    /// window is still there, then shows the next app's, if one waits.
    func closeChooser(_ code: ProtocolError?, _ text: String = "") {
        guard let old = chooser else { return }
        for level in old.path.dropFirst() { try? kernel.release(actor, level.handle) }
        chooser = nil
        compositor.setDialog(nil)
        if let code { fileNotChosen(old.request.window, code, text) }
        updateHover()
        while !waitingChoosers.isEmpty {
            let next = waitingChoosers.removeFirst()
            if windows[next.window] != nil {
                openChooser(next)
                return
            }
        }
    }

    /// The window a chooser answers to closed (or its app ended).
    func chooserWindowGone(_ id: UInt32) {
        waitingChoosers.removeAll { $0.window == id }
        if chooser?.request.window == id { closeChooser(nil) }
    }

    /// Whether `app` waits on a file chooser (shown or queued): the hang
    /// watch must not take the user's time for the app's.
    func isChoosingFile(_ app: ActorID) -> Bool {
        chooser?.request.app == app || waitingChoosers.contains { $0.app == app }
    }

    func fileNotChosen(_ id: UInt32, _ code: ProtocolError, _ text: String) {
        sendError(to: id, code, text, opcode: WindowProtocol.fileNotChosen)
    }

    // MARK: Browsing

    /// Lists the current folder afresh and shows it.
    private func reloadChooser(select wanted: [UInt8]? = nil) {
        guard var c = chooser else { return }
        if let folder = c.path.last {
            do {
                let listed = try listFolder(folder.handle)
                c.unusable = Set(listed.filter { $0.0 == 0 }.map(\.1))
                c.entries = listed.compactMap { kind, name in
                    // Dotfiles are hidden; links, FIFOs and devices are never offered.
                    guard name.first != 0x2E, kind != 0 else { return nil }
                    let isFolder = kind == 2
                    return FileChooser.Entry(name: name, isFolder: isFolder, enabled: isFolder || c.accepts(name))
                }.sorted { a, b in a.isFolder != b.isFolder ? a.isFolder : a.name.lexicographicallyPrecedes(b.name) }
                c.message = nil
            } catch {
                c.entries = []
                c.message = "This folder cannot be read (\(plainWords(error)))."
            }
        } else {
            c.unusable = []
            c.entries = c.roots.map { FileChooser.Entry(name: Array($0.label.utf8), isFolder: true, enabled: true) }
        }
        c.selected = c.entries.isEmpty ? nil : (wanted.flatMap { w in c.entries.firstIndex { $0.name == w } } ?? 0)
        c.top = 0
        c.replacing = nil
        chooser = c
        scrollToSelection()
        showChooser()
    }

    /// The entries of a folder ui_server holds, as (kind, name), through the
    /// kernel's listing like any actor's.
    private func listFolder(_ handle: Handle) throws(SysError) -> [(UInt8, [UInt8])] {
        var found: [(UInt8, [UInt8])] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let start = found.count
            let listed = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SysError) in try kernel.listDirectory(actor, handle, start: start, into: raw) }
            }
            let count = try listed.get()
            guard count > 0 else { return found }
            var offset = 0
            for _ in 0..<count {
                let length = Int(buffer[offset + 1])
                let name = Array(buffer[(offset + DirectoryListing.headerSize)..<(offset + DirectoryListing.headerSize + length)])
                found.append((buffer[offset], name))
                offset += DirectoryListing.headerSize + length
            }
        }
    }

    private func showChooser() {
        compositor.setDialog(chooser?.dialog)
    }

    private func scrollToSelection() {
        guard var c = chooser else { return }
        let visible = c.dialog.layout(on: compositor.screen).visibleRows
        if let s = c.selected {
            if s < c.top { c.top = s }
            if s >= c.top + visible { c.top = s - visible + 1 }
        }
        c.top = max(0, min(c.top, c.entries.count - visible))
        chooser = c
    }

    private func select(_ index: Int) {
        guard var c = chooser, !c.entries.isEmpty else { return }
        let i = min(max(index, 0), c.entries.count - 1)
        c.selected = i
        c.message = nil
        c.replacing = nil
        // Save: picking a file takes its name, to replace it.
        if c.isSave, !c.entries[i].isFolder { c.name = String(decoding: c.entries[i].name, as: UTF8.self) }
        chooser = c
        scrollToSelection()
        showChooser()
    }

    private func enterFolder(_ index: Int) {
        guard var c = chooser, c.entries.indices.contains(index), c.entries[index].isFolder else { return }
        if c.path.isEmpty {
            let root = c.roots[index]
            c.path = [(root.label, root.handle)]
        } else {
            let name = c.entries[index].name
            do {
                let handle = try kernel.open(
                    actor, in: c.path.last!.handle, name: name, options: .directory, rights: UIServer.fileRootRights)
                c.path.append((FileDialog.printable(name), handle))
            } catch {
                c.message = "\(FileDialog.printable(name, limit: 40)) cannot be opened (\(plainWords(error)))."
                chooser = c
                showChooser()
                return
            }
        }
        chooser = c
        reloadChooser()
    }

    private func goUp() {
        guard var c = chooser else { return }
        // Never above a root: with one root there is nothing above it.
        guard c.path.count > 1 || (c.path.count == 1 && c.roots.count > 1) else { return }
        let left = c.path.removeLast()
        if !c.path.isEmpty { try? kernel.release(actor, left.handle) }  // roots stay
        chooser = c
        reloadChooser(select: Array(left.label.utf8))
    }

    // MARK: Choosing

    /// Enter, a double click, or the Open/Save button.
    private func confirm(row: Int? = nil) {
        guard let c = chooser else { return }
        if let index = row ?? (c.nameFocused ? nil : c.selected), c.entries.indices.contains(index) {
            let entry = c.entries[index]
            if entry.isFolder { return enterFolder(index) }
            if !c.isSave {
                guard entry.enabled else { return refuseInDialog("This app cannot open that kind of file.") }
                return deliver(entry.name, options: [])
            }
        }
        guard c.isSave else { return refuseInDialog("Choose a file first.") }
        guard !c.path.isEmpty else { return refuseInDialog("Open a folder to save in first.") }
        let name = Array(c.name.utf8)
        if name.isEmpty { return refuseInDialog("Type a name for the file.") }
        if name.contains(0x2F) { return refuseInDialog("A name cannot contain '/': it names a file in this folder.") }
        if name == [0x2E] || name == [0x2E, 0x2E] { return refuseInDialog("'\(c.name)' is not a file name.") }
        if name.count > FileName.maxLength { return refuseInDialog("That name is too long (at most 255 bytes).") }
        guard FileName.isValid(name) else { return refuseInDialog("That name has a character a file name cannot have.") }
        if c.unusable.contains(name) {
            return refuseInDialog("\(FileDialog.printable(name, limit: 40)) is not a plain file (a link, a pipe or a device): type another name.")
        }
        if let existing = c.entries.first(where: { $0.name == name }) {
            if existing.isFolder { return refuseInDialog("\(FileDialog.printable(name, limit: 40)) is a folder: type another name.") }
            return askReplace(name)
        }
        deliver(name, options: [.create, .exclusive])
    }

    private func askReplace(_ name: [UInt8]) {
        guard var c = chooser else { return }
        c.replacing = name
        c.message = "Replace \(FileDialog.printable(name, limit: 40))? Enter or Y: yes. Escape or N: no."
        chooser = c
        showChooser()
    }

    private func refuseInDialog(_ text: String) {
        guard var c = chooser else { return }
        c.message = text
        chooser = c
        showChooser()
    }

    /// Opens `name` in the current folder for the app, installs the cap in
    /// the app's space and tells the app; the chooser closes.
    private func deliver(_ name: [UInt8], options: OpenOptions) {
        guard let c = chooser, let folder = c.path.last else { return }
        let rights: Rights = c.request.mode == .open ? [.read] : [.read, .write, .resize]
        let handle: Handle
        do {
            handle = try kernel.openForGrant(
                in: folder.handle, heldBy: actor, name: name, options: options, rights: rights, to: c.request.app)
        } catch .alreadyExists where options.contains(.exclusive) {
            // Made since the folder was listed: ask, as for any existing file.
            reloadChooser(select: name)
            return askReplace(name)
        } catch {
            let shown = FileDialog.printable(name, limit: 60)
            logger.notice("file chooser: \(shown) could not be opened for \(clientName(c.request.app)): \(error)")
            return closeChooser(.failed, "\(shown) could not be \(options.contains(.create) ? "saved" : "opened"): \(plainWords(error))")
        }
        logger.info(
            "file chooser: \(clientName(c.request.app)) received \(c.path.map(\.label).joined(separator: "/"))/\(FileDialog.printable(name)) with rights \(rights)")
        var payload = PayloadWriter()
        payload.u32(c.request.window)
        payload.u64(UInt64(bitPattern: handle.rawValue))
        payload.raw(name)
        closeChooser(nil)
        sendEvent(to: c.request.window, WindowProtocol.fileChosen, payload.bytes)
    }

    private func plainWords(_ error: SysError) -> String {
        switch error {
        case .notFound: "it is not there any more"
        case .alreadyExists: "a file of that name already exists"
        case .wrongType: "it is not a plain file (a link, a folder, a pipe or a device)"
        case .noRights: "this folder does not allow it"
        case .limitReached: "too many files are open; close some and try again"
        case .noMemory, .noSpace: "the app has no room left for another file"
        default: "the disk refused it (read-only, full, or not permitted)"
        }
    }

    // MARK: Input, while the chooser is open (it takes all of it)

    func chooserKey(keysym: UInt32, modifiers: UInt32, text: String) {
        guard var c = chooser else { return }
        if c.replacing != nil {
            switch keysym {
            case Keysym.enter, Keysym.keypadEnter, 0x79, 0x59:  // y, Y
                let name = c.replacing!
                return deliver(name, options: [.create, .truncate])
            case Keysym.escape, 0x6e, 0x4e:  // n, N
                c.replacing = nil
                c.message = nil
                chooser = c
                return showChooser()
            default:
                return
            }
        }
        let page = max(1, c.dialog.layout(on: compositor.screen).visibleRows - 1)
        switch keysym {
        case Keysym.escape: return closeChooser(.cancelled, "the user closed the file chooser")
        case Keysym.enter, Keysym.keypadEnter: return confirm()
        case Keysym.tab, Keysym.leftTab:
            guard c.isSave else { return }
            c.nameFocused.toggle()
            chooser = c
            return showChooser()
        default: break
        }
        if c.nameFocused {
            if keysym == Keysym.backspace {
                if !c.name.isEmpty { c.name.removeLast() }
            } else if modifiers & (WindowProtocol.modCtrl | WindowProtocol.modAlt | WindowProtocol.modLogo) == 0 {
                let typed = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
                guard !typed.isEmpty else { return }
                let longer = c.name + String(String.UnicodeScalarView(typed))
                guard longer.utf8.count <= FileName.maxLength else { return refuseInDialog("That name is too long (at most 255 bytes).") }
                c.name = longer
            } else {
                return
            }
            c.message = nil
            chooser = c
            return showChooser()
        }
        let current = c.selected ?? -1
        switch keysym {
        case Keysym.up: select(current - 1)
        case Keysym.down: select(current + 1)
        case Keysym.pageUp: select(current - page)
        case Keysym.pageDown: select(current + page)
        case Keysym.home: select(0)
        case Keysym.end: select(c.entries.count - 1)
        case Keysym.backspace: goUp()
        default: break
        }
    }

    func chooserPress(_ button: UInt32) {
        guard button == WindowProtocol.buttonLeft, var c = chooser else { return }
        let (px, py) = pointerPixel
        switch c.dialog.hit(x: px, y: py, on: compositor.screen) {
        case .cancel:
            closeChooser(.cancelled, "the user closed the file chooser")
        case .confirm:
            if let name = c.replacing { return deliver(name, options: [.create, .truncate]) }
            confirm()
        case .nameField:
            c.nameFocused = true
            chooser = c
            showChooser()
        case .row(let index):
            let now = kernel.now()
            let double = c.lastClick.map { $0.row == index && now - $0.time < 400_000_000 } ?? false
            c.lastClick = double ? nil : (index, now)
            c.nameFocused = false
            chooser = c
            select(index)
            if double { confirm(row: index) }
        case .list, .elsewhere, .outside:
            break
        }
    }

    func chooserScroll(dy: Double) {
        guard var c = chooser else { return }
        let visible = c.dialog.layout(on: compositor.screen).visibleRows
        c.top = max(0, min(c.top + Int(dy.rounded()) * 3, c.entries.count - visible))
        chooser = c
        showChooser()
    }
}
