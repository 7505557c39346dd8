/// A monitor as a display sees it now: what the layout is decided from.
public struct Monitor: Hashable, Sendable, CustomStringConvertible {
    /// The connector it is plugged into: "HDMI-A-1", "Virtual-2", "HEADLESS-1".
    public var connector: String
    /// Who it is, from its EDID: "GSM 0x5b09 #16843009 LG TV", printable
    /// ASCII only. nil when it has none (virtual outputs, headless).
    public var identity: String?
    /// Its modes, the preferred one first.
    public var modes: [DisplayMode]
    /// Its size in millimetres; 0 when unknown.
    public var widthMM: Int
    public var heightMM: Int
    /// Built into the machine (eDP, LVDS, DSI): where a touchscreen usually is.
    public var isBuiltIn: Bool

    public init(connector: String, identity: String? = nil, modes: [DisplayMode],
                widthMM: Int = 0, heightMM: Int = 0, isBuiltIn: Bool = false) {
        self.connector = connector
        self.identity = identity
        self.modes = modes
        self.widthMM = widthMM
        self.heightMM = heightMM
        self.isBuiltIn = isBuiltIn
    }

    /// The key its settings are remembered by: connector and identity.
    public var key: String { identity.map { "\(connector) \($0)" } ?? connector }

    public var description: String {
        "\(connector)\(identity.map { " (\($0))" } ?? ""): \(modes.map(\.description).joined(separator: ", "))"
    }
}

/// Everything wskdesk shows pictures on: the monitors of one DRM device, or
/// headless ones in memory. Each lit monitor is a head, a `DisplayBackend`
/// with its own buffers and page flips. Monitors come and go (hotplug);
/// the layout and the heads follow (`OutputConfigurator`, ui_server).
///
/// Threads: any method may be called from any thread.
public protocol Display: AnyObject, Sendable {
    /// "headless", "/dev/dri/card0 (virtio_gpu)".
    var name: String { get }
    var kind: BackendKind { get }

    /// The monitors connected now. After a hotplug this reads them afresh.
    func monitors() -> [Monitor]

    /// Lights the monitor on `connector` in `mode` (one of its modes) and
    /// shows a black frame: a head to draw on.
    func light(_ connector: String, mode: DisplayMode) throws(DisplayError) -> any DisplayBackend

    /// Turns a head off and frees it: its monitor went away, or the layout
    /// no longer has it. The head is not used afterwards.
    func darken(_ head: any DisplayBackend)

    /// `handler` is called, on any thread, whenever monitors may have been
    /// plugged or unplugged (udev's `change` with HOTPLUG=1). Set once.
    func onHotplug(_ handler: @escaping @Sendable () -> Void)

    /// Gives every output back as it was found. Safe to call more than once.
    func restore()

    /// The session is switching away (another VT): stop touching the outputs.
    func suspend()

    /// The session is back: set the modes of the lit heads again.
    func resume() throws(DisplayError)
}
