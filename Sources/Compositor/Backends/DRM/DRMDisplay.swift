import CDRM
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The monitors of one DRM device (libdrm, legacy modeset API): opened once
/// (through the seat), DRM master taken once, each lit monitor a `DRMHead`
/// with its own CRTC, buffers and page flips on the shared fd. udev's
/// hotplug events for the device are passed to `onHotplug`'s handler.
///
/// Threads: any method may be called from any thread. Lighting, darkening,
/// suspending, resuming and restoring hold the display's mutex, which also
/// guards the saved CRTCs and the list of heads; each head has its own
/// mutex for drawing and presenting; reading the shared fd (flip events) is
/// serialised by one `FlipEventReader` for the device. Lock order: display,
/// head, reader — a head never takes the display's lock.
public final class DRMDisplay: Display, Sendable {
    public let name: String
    public var kind: BackendKind { .drm }
    /// "/dev/dri/card0".
    public let devicePath: String

    private let logger: Logger
    private let reader: FlipEventReader
    private let state: Mutex<DisplayState>
    private let hotplug: Mutex<HotplugMonitor?>

    /// Opens `devicePath` (nil: the first /dev/dri/cardN with a connected
    /// display, or with a connector named `connector`), checks it can show
    /// dumb buffers and becomes DRM master. Nothing is lit yet. `openFD` /
    /// `closeFD` let the session layer (libseat) own the device; by default
    /// it is opened read-write, close-on-exec.
    public init(
        devicePath: String? = nil, connector: String? = nil,
        openFD: ((String) throws -> Int32)? = nil, closeFD: (@Sendable (Int32) -> Void)? = nil,
        logger: Logger = Logger(label: "wskdesk.drm")
    ) throws(DisplayError) {
        var (device, _, _) = try DRMBackend.openDevice(path: devicePath, connector: connector,
                                                        opener: openFD, closer: closeFD)
        let driver = device.driverName
        guard device.supportsDumbBuffers else {
            device.close()
            throw .noDumbBuffers(device.path, driver: driver)
        }
        do {
            try device.becomeMaster()
        } catch {
            device.close()
            throw error
        }
        self.devicePath = device.path
        self.name = "\(device.path) (\(driver))"
        self.logger = logger
        self.reader = FlipEventReader(fd: device.fd)
        self.state = Mutex(DisplayState(device: device))
        self.hotplug = Mutex(nil)
        logger.info("DRM device \(device.path) (\(driver))")
    }

    deinit { restore() }

    /// The connected monitors, read from the kernel now (after a hotplug,
    /// the new ones). None once restored.
    public func monitors() -> [Monitor] {
        state.withLock { live in
            guard let device = live.device, let (resources, _) = device.readResources() else { return [] }
            return resources.usableConnectors.map(\.monitor)
        }
    }

    public func light(_ connector: String, mode: DisplayMode) throws(DisplayError) -> any DisplayBackend {
        try light(connector: connector) { (found: ConnectorState) throws(DisplayError) -> Int in
            guard let index = found.modes.firstIndex(of: mode) else {
                throw .noSuchMode(ModeRequest(width: mode.width, height: mode.height, refreshMilliHertz: mode.refreshMilliHertz),
                                  connector: found.name, modes: found.modes)
            }
            return index
        }
    }

    /// Lights `connector` (nil: the first connected one) in the mode that
    /// fits `request` best (nil: its preferred mode). What `DRMBackend` does.
    package func light(connector: String?, request: ModeRequest?) throws(DisplayError) -> DRMHead {
        try light(connector: connector) { (found: ConnectorState) throws(DisplayError) -> Int in
            guard let index = ModeChoice.choose(from: found.modes, request: request) else {
                throw .noSuchMode(request!, connector: found.name, modes: found.modes)
            }
            return index
        }
    }

    /// Reads the connectors afresh, plans connector, mode and a CRTC no lit
    /// head uses, saves what is on the CRTCs it touches (once: the first
    /// time each is touched), then sets the mode.
    private func light(connector: String?, modeIndex: (ConnectorState) throws(DisplayError) -> Int)
        throws(DisplayError) -> DRMHead
    {
        try state.withLock { (live: inout DisplayState) throws(DisplayError) -> DRMHead in
            guard let device = live.device else {
                throw DisplayError("\(devicePath) was already given back (restore() was called): nothing can be lit on it")
            }
            guard let (resources, rawModes) = device.readResources() else { throw .notKMS(device.path) }
            let found = try OutputChoice.connector(in: resources, named: connector, device: device.path)
            if let lit = live.heads.first(where: { $0.connectorID == found.id }) {
                throw DisplayError("\(found.name) on \(device.path) is lit already (in \(lit.mode)): darken it first")
            }
            guard !found.modes.isEmpty else { throw .noModes(found.name, on: device.path) }
            let index = try modeIndex(found)
            let plan = try OutputChoice.plan(resources, connector: found.name, mode: nil, device: device.path,
                                             excludedCRTCs: Set(live.heads.map(\.crtcID)), modeIndex: index)
            guard let raw = rawModes[plan.connectorID], plan.modeIndex < raw.count else {
                preconditionFailure("mode list of connector \(plan.connectorID) changed between reads")
            }
            // What to put back: the CRTC we take, and the one the connector had if another.
            var crtcs = [plan.crtcID]
            if let previous = resources.currentCRTC(of: found), previous != plan.crtcID { crtcs.append(previous) }
            for crtc in crtcs where !live.saved.contains(where: { $0.id == crtc }) {
                if let saved = device.saveCRTC(crtc, connectors: resources.connectors(drivenBy: crtc)) {
                    live.saved.append(saved)
                }
            }
            live.modeset = true
            let head = try DRMHead(device: device, plan: plan, rawMode: raw[plan.modeIndex],
                                   dpmsProperty: found.dpmsProperty, reader: reader, logger: logger)
            live.heads.append(head)
            logger.info("DRM output \(plan.connectorName) \(plan.mode) on \(device.path) (\(device.driverName)), CRTC \(plan.crtcID)")
            return head
        }
    }

    /// Turns the head's CRTC off and frees its buffers. A head of another
    /// display, or one darkened already, is left alone.
    public func darken(_ head: any DisplayBackend) {
        state.withLock { live in
            guard let index = live.heads.firstIndex(where: { $0 === head }) else { return }
            let gone = live.heads.remove(at: index)
            gone.release(turnOff: true)
            logger.info("DRM output \(gone.connectorName) turned off")
        }
    }

    public func onHotplug(_ handler: @escaping @Sendable () -> Void) {
        hotplug.withLock { monitor in
            guard monitor == nil else { return }
            monitor = HotplugMonitor.start(devicePath: devicePath, logger: logger, handler: handler)
        }
    }

    /// Puts back every CRTC as found at start, frees every head's buffers,
    /// drops master and closes the device. Safe to call more than once.
    public func restore() {
        hotplug.withLock { monitor in
            monitor?.stop()
            monitor = nil
        }
        state.withLock { live in
            guard let device = live.device else { return }
            for head in live.heads { head.quiesce() }
            if live.modeset && !device.isMaster {
                // The seat took master back (a VT switch, or seatd gone): the
                // kernel would refuse every CRTC, and the console's owner sets it.
                logger.info("not DRM master of \(device.path) now: its CRTCs are left to whoever holds it")
            } else if live.modeset {
                // Before the buffers go: freeing a framebuffer on screen turns its CRTC off.
                for crtc in live.saved {
                    if let code = device.restore(crtc) {
                        logger.warning("restoring CRTC \(crtc.id) on \(device.path): \(errnoDescription(code))")
                    }
                }
            }
            for head in live.heads { head.release(turnOff: false) }
            live.heads = []
            live.saved = []
            live.modeset = false
            device.close()
            live.device = nil
        }
    }

    /// Before a VT switch away: every head lets its flip in flight finish.
    public func suspend() {
        state.withLock { live in for head in live.heads { head.suspend() } }
    }

    /// After a VT switch back: every lit head sets its mode again; one that
    /// fails does not keep the others dark (the first error is thrown).
    public func resume() throws(DisplayError) {
        let failure = state.withLock { live -> DisplayError? in
            var first: DisplayError?
            for head in live.heads {
                do throws(DisplayError) { try head.resume() } catch { first = first ?? error }
            }
            return first
        }
        if let failure { throw failure }
    }
}

/// The device and what the display did to it.
// @unchecked Sendable: only ever used inside DRMDisplay's Mutex.
struct DisplayState: @unchecked Sendable {
    /// nil once restored.
    var device: DRMDevice?
    var heads: [DRMHead] = []
    /// CRTCs as found before we first touched them, in the order to put them back.
    var saved: [SavedCRTC] = []
    /// Whether we changed the live configuration (so there is something to restore).
    var modeset = false

    init(device: DRMDevice) { self.device = device }
}
