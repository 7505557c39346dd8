/// The window protocol: messages between apps and ui_server, and from the
/// input source to ui_server. The one definition of its numbers; the Rust SDK
/// (actors/sdk/src/protocol.rs) and docs/protocol.md restate them, and
/// `ProtocolAgreementTests` fails when they drift. All integers little-endian,
/// read and written with Wire's `PayloadReader` and `PayloadWriter`.
public enum WindowProtocol {
    // MARK: Requests, app -> ui_server (on the ui_server endpoint)

    /// `sys_cap_call` with the surface buffer as cap. Payload: width u32,
    /// height u32, flags u32, format u32, title UTF-8 (the rest). Answer:
    /// `windowCreated` with the window's event endpoint as cap, or `error`.
    public static let createWindow: UInt32 = 0x0100
    /// Payload: window u32, then any number of damage rectangles (x, y,
    /// width, height as i32, surface coordinates). None = the whole surface.
    public static let commit: UInt32 = 0x0101
    /// Payload: window u32, title UTF-8.
    public static let setTitle: UInt32 = 0x0102
    /// Cap: the new surface buffer. Payload: window u32, width u32, height u32.
    public static let resize: UInt32 = 0x0103
    /// Payload: window u32.
    public static let destroyWindow: UInt32 = 0x0104
    /// `sys_cap_call`, no payload. Answered with `syncDone` once every request
    /// sent before it has been handled (a round trip, like wl_display.sync).
    public static let sync: UInt32 = 0x0105
    /// A plain send. Payload: window u32 (the sender's), mode u32 (0 open to
    /// read, 1 open to edit, 2 save: `FileChooserMode`), types length u32,
    /// types UTF-8 (comma-separated extensions without dots; empty = any
    /// file), suggested name UTF-8 (the rest; save). ui_server shows the
    /// file chooser; the answer is `fileChosen` or `fileNotChosen` on the window.
    public static let chooseFile: UInt32 = 0x0106

    // MARK: Answers

    /// Payload: window u32, x i32, y i32 (where the content was placed).
    public static let windowCreated: UInt32 = 0x0180
    /// No payload: the answer to `sync`.
    public static let syncDone: UInt32 = 0x0181
    /// Payload: error code i32 (see `ProtocolError`), message UTF-8.
    public static let error: UInt32 = 0x01FF

    // MARK: Events, ui_server -> app (on the window's event endpoint); each starts with window u32

    /// width u32, height u32: the size the window has (after create or resize).
    public static let configure: UInt32 = 0x0200
    /// focused u32 (1 in, 0 out).
    public static let focus: UInt32 = 0x0201
    /// The user pressed the close button; the app decides.
    public static let closeRequest: UInt32 = 0x0202
    /// time u64 (ns, monotonic): the frame with the last commit is on screen; draw the next.
    public static let frameDone: UInt32 = 0x0203
    /// ui_server checks that the app reads its events (the kiosk's hang watch): nothing to do.
    public static let heartbeat: UInt32 = 0x0204
    /// x i32, y i32 (window content coordinates), buttons u32 (bit 0 left, 1 right, 2 middle).
    public static let pointerMotion: UInt32 = 0x0210
    /// x i32, y i32, button u32 (Linux BTN_* code), pressed u32.
    public static let pointerButton: UInt32 = 0x0211
    /// x i32, y i32, dx i32, dy i32 (scroll steps; positive dy = down).
    public static let pointerScroll: UInt32 = 0x0212
    /// x i32, y i32.
    public static let pointerEnter: UInt32 = 0x0213
    public static let pointerLeave: UInt32 = 0x0214
    /// keycode u32 (evdev), keysym u32, modifiers u32, pressed u32 (0 up, 1 down, 2 repeat), UTF-8 text.
    public static let key: UInt32 = 0x0220
    /// file handle u64 (a FILE cap now in the app's space), name UTF-8 (the
    /// name only, never a path): the user chose a file in the chooser.
    public static let fileChosen: UInt32 = 0x0230
    /// code i32 (`ProtocolError`: cancelled, busy, noFiles, failed), message UTF-8.
    public static let fileNotChosen: UInt32 = 0x0231
    /// changes UTF-8 (the rest): the filter plugins the app's spawner starts
    /// have changed on disk; one line per module, `+name` added, `-name`
    /// removed, `~name` changed (now a different file, or the same file
    /// rewritten). Sent by the desktop (wskdesk's plugin folder watcher)
    /// through ui_server to every window of an app holding a spawner over a
    /// watched folder; at most `maxPluginsChangedBytes` a message.
    public static let pluginsChanged: UInt32 = 0x0240
    /// id u32, x i32, y i32 (window content coordinates): a finger touched
    /// the window's content. Only to windows created with `flagTouch`; `id`
    /// names the finger until its up or a cancel (ui_server numbers them).
    public static let touchDown: UInt32 = 0x0250
    /// id u32, x i32, y i32: the finger moved (anywhere, even off the window).
    public static let touchMotion: UInt32 = 0x0251
    /// id u32: the finger lifted.
    public static let touchUp: UInt32 = 0x0252
    /// Every finger on the window is gone without lifting: forget them all.
    public static let touchCancel: UInt32 = 0x0253
    /// The touch events before it happened together (one scan of the screen).
    public static let touchFrame: UInt32 = 0x0254

    // MARK: Input, input source -> ui_server

    /// mode u32 (0 relative, 1 absolute), x f64, y f64 (relative: pixels;
    /// absolute: 0...1 of the output).
    public static let inputPointerMotion: UInt32 = 0x0300
    /// button u32 (Linux BTN_* code), pressed u32.
    public static let inputPointerButton: UInt32 = 0x0301
    /// dx f64, dy f64 (wheel steps).
    public static let inputPointerScroll: UInt32 = 0x0302
    /// keycode u32, keysym u32, modifiers u32, pressed u32, UTF-8 text.
    public static let inputKey: UInt32 = 0x0303
    /// device u32, slot u32, x f64, y f64 (0...1 of the touchscreen, after
    /// calibration), widthMM u32, heightMM u32 (0: unknown), output hint UTF-8
    /// (udev's WL_OUTPUT, empty for none).
    public static let inputTouchDown: UInt32 = 0x0304
    /// device u32, slot u32, x f64, y f64.
    public static let inputTouchMotion: UInt32 = 0x0305
    /// device u32, slot u32.
    public static let inputTouchUp: UInt32 = 0x0306
    /// device u32: every finger of the device is gone.
    public static let inputTouchCancel: UInt32 = 0x0307
    /// device u32.
    public static let inputTouchFrame: UInt32 = 0x0308

    /// Every opcode above with its SCREAMING_SNAKE name, as the Rust SDK and
    /// docs/protocol.md spell it. Add each new opcode here too.
    public static let allOpcodes: [(name: String, value: UInt32)] = [
        ("CREATE_WINDOW", createWindow),
        ("COMMIT", commit),
        ("SET_TITLE", setTitle),
        ("RESIZE", resize),
        ("DESTROY_WINDOW", destroyWindow),
        ("SYNC", sync),
        ("CHOOSE_FILE", chooseFile),
        ("WINDOW_CREATED", windowCreated),
        ("SYNC_DONE", syncDone),
        ("ERROR", error),
        ("CONFIGURE", configure),
        ("FOCUS", focus),
        ("CLOSE_REQUEST", closeRequest),
        ("FRAME_DONE", frameDone),
        ("HEARTBEAT", heartbeat),
        ("POINTER_MOTION", pointerMotion),
        ("POINTER_BUTTON", pointerButton),
        ("POINTER_SCROLL", pointerScroll),
        ("POINTER_ENTER", pointerEnter),
        ("POINTER_LEAVE", pointerLeave),
        ("KEY", key),
        ("FILE_CHOSEN", fileChosen),
        ("FILE_NOT_CHOSEN", fileNotChosen),
        ("PLUGINS_CHANGED", pluginsChanged),
        ("TOUCH_DOWN", touchDown),
        ("TOUCH_MOTION", touchMotion),
        ("TOUCH_UP", touchUp),
        ("TOUCH_CANCEL", touchCancel),
        ("TOUCH_FRAME", touchFrame),
        ("INPUT_POINTER_MOTION", inputPointerMotion),
        ("INPUT_POINTER_BUTTON", inputPointerButton),
        ("INPUT_POINTER_SCROLL", inputPointerScroll),
        ("INPUT_KEY", inputKey),
        ("INPUT_TOUCH_DOWN", inputTouchDown),
        ("INPUT_TOUCH_MOTION", inputTouchMotion),
        ("INPUT_TOUCH_UP", inputTouchUp),
        ("INPUT_TOUCH_CANCEL", inputTouchCancel),
        ("INPUT_TOUCH_FRAME", inputTouchFrame),
    ]

    /// The opcodes of the input endpoint, which apps may not send.
    public static let inputOpcodes: Set<UInt32> = [
        inputPointerMotion, inputPointerButton, inputPointerScroll, inputKey,
        inputTouchDown, inputTouchMotion, inputTouchUp, inputTouchCancel, inputTouchFrame,
    ]

    // MARK: Values

    /// Window flags.
    public static let flagUndecorated: UInt32 = 1 << 0
    /// The window takes touch events (TOUCH_*); without it, touches on it
    /// come as pointer events of the first finger.
    public static let flagTouch: UInt32 = 1 << 1
    /// Every flag CREATE_WINDOW knows.
    public static let knownFlags: UInt32 = flagUndecorated | flagTouch
    /// Surface formats.
    public static let formatXRGB8888: UInt32 = 0
    public static let formatARGB8888: UInt32 = 1
    /// Modifier bits of KEY's and INPUT_KEY's `modifiers`: what is in effect
    /// as the key goes down (or up, or repeats).
    public static let modShift: UInt32 = 1 << 0
    /// Caps Lock is on (xkb "Lock").
    public static let modCapsLock: UInt32 = 1 << 1
    public static let modCtrl: UInt32 = 1 << 2
    /// xkb "Mod1".
    public static let modAlt: UInt32 = 1 << 3
    /// The Super/Windows key (xkb "Mod4").
    public static let modLogo: UInt32 = 1 << 4
    /// AltGr, ISO_Level3_Shift (xkb "Mod5").
    public static let modAltGr: UInt32 = 1 << 5
    /// Num Lock is on (xkb "Mod2").
    public static let modNumLock: UInt32 = 1 << 6
    /// Linux input button codes used by the protocol.
    public static let buttonLeft: UInt32 = 0x110
    public static let buttonRight: UInt32 = 0x111
    public static let buttonMiddle: UInt32 = 0x112
    /// The longest title kept (bytes); longer ones are cut.
    public static let maxTitleBytes = 256
    /// Windows one app may have open.
    public static let maxWindowsPerClient = 16
    /// The largest width or height of a window.
    public static let maxWindowSize = 8192
    /// Damage rectangles one commit may name; more count as the whole surface.
    public static let maxDamageRects = 64
    /// Events queued for a window before ui_server starts dropping them.
    public static let eventQueueLength = 256
    /// The largest PLUGINS_CHANGED payload, window id included; more changes
    /// than fit go in several messages.
    public static let maxPluginsChangedBytes = 4096
}

/// Error codes in an `error` answer or event.
public enum ProtocolError: Int32, Sendable, CaseIterable {
    /// The payload is shorter than the message needs, or malformed.
    case malformed = 1
    /// No such window, or not yours.
    case unknownWindow = 2
    /// Width or height is zero, negative or larger than 8192.
    case badSize = 3
    /// The surface buffer is missing, not readable, or smaller than width × height × 4.
    case badSurface = 4
    /// Unknown format or flags.
    case badFormat = 5
    /// The app has too many windows.
    case tooManyWindows = 6
    /// ui_server could not make the window's event endpoint.
    case noResources = 7
    /// The user closed the file chooser without choosing.
    case cancelled = 8
    /// A file chooser is already open for this app: one at a time.
    case busy = 9
    /// No folder is open to the file chooser (wskdesk --file-root).
    case noFiles = 10
    /// The chosen file could not be opened or created.
    case failed = 11
}

/// What `chooseFile` asks for, and the rights the chosen file comes with.
public enum FileChooserMode: UInt32, Sendable {
    /// An existing file, read only.
    case open = 0
    /// An existing file, to read and write.
    case edit = 1
    /// A file to write: a new name, or an existing file replaced after a question.
    case save = 2
}
