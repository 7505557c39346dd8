import Kernel
import Wire

/// The window protocol, ui_server's side: decode each request, check it
/// against the sender's windows and caps, then act. A bad request gets an
/// error answer or event; it never disturbs other apps.
extension UIServerState {
    func handle(_ message: ReceivedMessage) {
        var keptCap = false
        var answered = false
        defer {
            // Caps that came with a message and were not kept must not pile up.
            if !keptCap, !message.cap.isNull { try? kernel.release(actor, message.cap) }
            if !answered, !message.reply.isNull { try? kernel.release(actor, message.reply) }
        }
        switch message.opcode {
        case UIServer.pokeOpcode:
            return
        case WindowProtocol.createWindow:
            guard !message.reply.isNull else {
                logger.notice("\(clientName(message.sender)) sent create-window without sys_cap_call; ignored")
                return
            }
            answered = true
            keptCap = createWindow(message)
        case WindowProtocol.commit:
            commit(message)
        case WindowProtocol.setTitle:
            setTitle(message)
        case WindowProtocol.resize:
            keptCap = resize(message)
        case WindowProtocol.sync:
            if !message.reply.isNull {
                answered = true
                try? kernel.send(actor, to: message.reply, opcode: WindowProtocol.syncDone, payload: [])
            }
        case WindowProtocol.chooseFile:
            chooseFile(message)
        case WindowProtocol.destroyWindow:
            var reader = PayloadReader(message.payload)
            if let id = reader.u32(), let record = ownedWindow(id, by: message.sender) {
                destroy(record.window.id)
            }
        case _ where WindowProtocol.inputOpcodes.contains(message.opcode):
            // Input comes only through the input endpoint; here it is forged.
            logger.debug("\(clientName(message.sender)) sent input on the window endpoint; dropped")
        default:
            if !message.reply.isNull {
                answered = true
                answerError(message.reply, .malformed, "unknown opcode \(message.opcode)")
            }
        }
    }

    // MARK: Requests

    /// Returns true when the message's cap (the surface) was kept.
    private func createWindow(_ message: ReceivedMessage) -> Bool {
        var reader = PayloadReader(message.payload)
        guard let width = reader.u32(), let height = reader.u32(), let flags = reader.u32(), let format = reader.u32() else {
            answerError(message.reply, .malformed, "create-window needs width, height, flags and format")
            return false
        }
        let title = reader.text(limit: WindowProtocol.maxTitleBytes)
        guard Self.isValidSize(width, height) else {
            answerError(message.reply, .badSize, "window size \(width)x\(height) is outside 1...\(WindowProtocol.maxWindowSize)")
            return false
        }
        guard format == WindowProtocol.formatXRGB8888 || format == WindowProtocol.formatARGB8888,
            flags & ~WindowProtocol.knownFlags == 0
        else {
            answerError(message.reply, .badFormat, "unknown format \(format) or flags \(flags)")
            return false
        }
        guard clients[message.sender, default: ClientRecord()].windows.count < WindowProtocol.maxWindowsPerClient else {
            answerError(message.reply, .tooManyWindows, "at most \(WindowProtocol.maxWindowsPerClient) windows per app")
            return false
        }
        let needed = Int(width) * Int(height) * 4
        guard !message.cap.isNull, let mapping = try? kernel.mapBuffer(actor, message.cap, rights: .read),
            mapping.count >= needed
        else {
            answerError(message.reply, .badSurface, "the surface must be a readable buffer of at least \(needed) bytes")
            return false
        }
        let events: Handle
        let appEvents: Handle
        do {
            events = try kernel.createEndpoint(actor, capacity: WindowProtocol.eventQueueLength)
            appEvents = try kernel.derive(actor, events, rights: [.receive, .grant])
        } catch {
            answerError(message.reply, .noResources, "no event endpoint: \(error)")
            return false
        }
        let id = freshWindowID()
        let decorated = policy.decorates && flags & WindowProtocol.flagUndecorated == 0
        let window = Window(
            id: id, owner: message.sender, x: 0, y: 0, width: Int(width), height: Int(height), format: format,
            title: title, decorated: decorated, surface: mapping)
        windows[id] = WindowRecord(window: window, surface: message.cap, events: events, appEvents: appEvents,
                                   takesTouch: flags & WindowProtocol.flagTouch != 0)
        clients[message.sender, default: ClientRecord()].windows.insert(id)
        let takesFocus = open(window)
        var answer = PayloadWriter()
        answer.u32(id)
        answer.i32(Int32(window.x))
        answer.i32(Int32(window.y))
        do {
            try kernel.send(actor, to: message.reply, opcode: WindowProtocol.windowCreated, payload: answer.bytes, cap: appEvents)
        } catch {
            // The app stopped waiting; the window is of no use to it.
            destroy(id)
            return false
        }
        // With no output lit there is no screen to fit: the app keeps its size
        // until one comes (`refitToScreen`).
        let size = compositor.screen.isEmpty ? (width: Int(width), height: Int(height))
            : policy.configuredSize(width: Int(width), height: Int(height), screen: compositor.screen)
        var configure = PayloadWriter()
        configure.u32(id)
        configure.u32(UInt32(size.width))
        configure.u32(UInt32(size.height))
        sendEvent(to: id, WindowProtocol.configure, configure.bytes)
        if takesFocus { focus(id) }
        return true
    }

    private func commit(_ message: ReceivedMessage) {
        var reader = PayloadReader(message.payload)
        guard let id = reader.u32(), let record = ownedWindow(id, by: message.sender) else {
            replyError(message, .unknownWindow, "commit to a window that is not yours")
            return
        }
        // The app may have released or revoked its surface: then the window goes.
        guard (try? kernel.mapBuffer(actor, record.surface, rights: .read)) != nil else {
            logger.notice("window \(id) of \(clientName(message.sender)): surface cap gone; window closed")
            destroy(id)
            return
        }
        var rects: [Rect] = []
        while reader.remaining >= 16 {
            let x = reader.i32()!, y = reader.i32()!, w = reader.i32()!, h = reader.i32()!
            rects.append(Rect(x: Int(x), y: Int(y), width: Int(w), height: Int(h)))
        }
        if rects.isEmpty || rects.count > WindowProtocol.maxDamageRects {
            compositor.contentChanged(id)
        } else {
            for rect in rects { compositor.contentChanged(id, rect: rect) }
        }
        committedSinceFrame.insert(id)
    }

    private func setTitle(_ message: ReceivedMessage) {
        var reader = PayloadReader(message.payload)
        guard let id = reader.u32(), ownedWindow(id, by: message.sender) != nil else {
            replyError(message, .unknownWindow, "set-title on a window that is not yours")
            return
        }
        compositor.setTitle(id, reader.text(limit: WindowProtocol.maxTitleBytes))
    }

    /// Returns true when the new surface cap was kept.
    private func resize(_ message: ReceivedMessage) -> Bool {
        var reader = PayloadReader(message.payload)
        guard let id = reader.u32(), let width = reader.u32(), let height = reader.u32() else {
            replyError(message, .malformed, "resize needs window, width and height")
            return false
        }
        guard var record = ownedWindow(id, by: message.sender) else {
            replyError(message, .unknownWindow, "resize of a window that is not yours")
            return false
        }
        guard Self.isValidSize(width, height) else {
            refuse(message, window: id, .badSize, "window size \(width)x\(height) is outside 1...\(WindowProtocol.maxWindowSize)")
            return false
        }
        let needed = Int(width) * Int(height) * 4
        guard !message.cap.isNull, let mapping = try? kernel.mapBuffer(actor, message.cap, rights: .read), mapping.count >= needed else {
            refuse(message, window: id, .badSurface, "the new surface must be a readable buffer of at least \(needed) bytes")
            return false
        }
        compositor.replaceSurface(id, mapping, width: Int(width), height: Int(height))
        try? kernel.release(actor, record.surface)
        record.surface = message.cap
        windows[id] = record
        var configure = PayloadWriter()
        configure.u32(id)
        configure.u32(width)
        configure.u32(height)
        sendEvent(to: id, WindowProtocol.configure, configure.bytes)
        return true
    }

    // MARK: Windows and clients

    /// Puts a new window in the scene where the policy says, and tells
    /// whether it takes focus. The first window of a boot app takes the place
    /// of its rank among the others (`UIServer.arrangeInBootOrder`): below
    /// those of later apps, which keep focus, and laid out as if each app had
    /// opened its window in turn.
    private func open(_ window: Window) -> Bool {
        let rank = server.bootRanks.withLock { $0[window.owner] }
        guard let rank, var boot = bootWindows, boot[rank] == nil else {
            let placed = policy.placement(
                width: window.width, height: window.height, screen: compositor.screen,
                existing: compositor.scene.windows.map(\.frame))
            compositor.add(window)
            compositor.move(window.id, toX: placed.x, y: placed.y)
            return true
        }
        let later = boot.filter { $0.key > rank }.min { $0.key < $1.key }?.value
        boot[rank] = window.id
        bootWindows = boot
        compositor.add(window, below: later)
        var placed: [Rect] = []
        for (_, id) in boot.sorted(by: { $0.key < $1.key }) {
            guard let next = compositor.scene.window(id) else { continue }
            let (x, y) = policy.placement(
                width: next.width, height: next.height, screen: compositor.screen, existing: placed)
            compositor.move(id, toX: x, y: y)
            placed.append(next.frame)
        }
        return later == nil
    }

    static func isValidSize(_ width: UInt32, _ height: UInt32) -> Bool {
        let range = 1...UInt32(WindowProtocol.maxWindowSize)
        return range.contains(width) && range.contains(height)
    }

    /// A window id not in use and never 0, even after the counter wraps.
    func freshWindowID() -> UInt32 {
        while nextWindowID == 0 || windows[nextWindowID] != nil { nextWindowID &+= 1 }
        defer { nextWindowID &+= 1 }
        return nextWindowID
    }

    /// A refusal: the answer to a call, else an error event on the window.
    func refuse(_ message: ReceivedMessage, window id: UInt32, _ code: ProtocolError, _ text: String) {
        if message.reply.isNull { sendError(to: id, code, text) } else { answerError(message.reply, code, text) }
    }

    func ownedWindow(_ id: UInt32, by sender: ActorID) -> WindowRecord? {
        guard let record = windows[id], record.window.owner == sender else { return nil }
        return record
    }

    /// Removes a window and releases the caps it held (the app's copy of the
    /// event endpoint goes with them).
    func destroy(_ id: UInt32) {
        guard let record = windows.removeValue(forKey: id) else { return }
        let wasFocused = record.window.focused
        compositor.remove(id)
        clients[record.window.owner]?.windows.remove(id)
        committedSinceFrame.remove(id)
        awaitingFrameDone.remove(id)
        try? kernel.release(actor, record.surface)
        try? kernel.release(actor, record.events)  // also removes appEvents and the app's copy
        if pointer.hovered == id { pointer.hovered = nil }
        if let grab = pointer.grab, grab.window == id { pointer.grab = nil }
        if let rank = bootWindows?.first(where: { $0.value == id })?.key { bootWindows?[rank] = nil }
        chooserWindowGone(id)
        if wasFocused {
            if let next = policy.focusAfterClose(remaining: compositor.scene.windows) {
                focus(next)
            } else {
                for observer in server.focusObservers.withLock({ $0 }) { observer(nil) }
            }
        }
    }

    /// Drops everything of an app: it exited, or it would not read its events.
    func disconnect(_ app: ActorID, reason: String?) {
        guard let client = clients.removeValue(forKey: app) else { return }
        if let reason { logger.warning("disconnecting \(clientName(app)): \(reason)") }
        for id in client.windows.sorted() { destroy(id) }
    }

    func clientName(_ id: ActorID) -> String {
        "\(kernel.name(of: id) ?? "?") (\(id))"
    }

    // MARK: Sending to apps

    /// Sends an event on a window's endpoint. Never blocks: a full queue drops
    /// the event, and an app that lets too many drop in a row is disconnected.
    func sendEvent(to id: UInt32, _ opcode: UInt32, _ payload: [UInt8]) {
        guard let record = windows[id] else { return }
        let owner = record.window.owner
        do {
            try kernel.send(actor, to: record.events, opcode: opcode, payload: payload)
            clients[owner]?.droppedInARow = 0
        } catch {
            clients[owner]?.droppedInARow += 1
            if clients[owner]?.droppedInARow ?? 0 >= ClientRecord.maxDroppedInARow {
                disconnect(owner, reason: "\(ClientRecord.maxDroppedInARow) events in a row left unread")
            }
        }
    }

    /// An error event on a window: `ERROR`, or another event of the same
    /// layout (code, text), such as `FILE_NOT_CHOSEN`.
    func sendError(to id: UInt32, _ code: ProtocolError, _ text: String, opcode: UInt32 = WindowProtocol.error) {
        var payload = PayloadWriter()
        payload.u32(id)
        payload.i32(code.rawValue)
        payload.text(text)
        sendEvent(to: id, opcode, payload.bytes)
    }

    func answerError(_ reply: Handle, _ code: ProtocolError, _ text: String) {
        var payload = PayloadWriter()
        payload.i32(code.rawValue)
        payload.text(text)
        try? kernel.send(actor, to: reply, opcode: WindowProtocol.error, payload: payload.bytes)
    }

    /// For requests that are not calls there is nobody to answer; log it.
    func replyError(_ message: ReceivedMessage, _ code: ProtocolError, _ text: String) {
        if !message.reply.isNull {
            answerError(message.reply, code, text)
        } else {
            logger.debug("\(clientName(message.sender)): \(text)")
        }
    }
}

extension PointerState.Grab {
    var window: UInt32 {
        switch self {
        case .content(let id), .move(let id, _, _), .close(let id): id
        }
    }
}
