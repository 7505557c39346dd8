import CDRM
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One monitor of a DRM device as a single `DisplayBackend`: a `DRMDisplay`
/// with one head lit. What wskdesk used before it drove several outputs;
/// kept for callers that want exactly one (and its start-up errors).
///
/// Threads: any method may be called from any thread; see `DRMDisplay`
/// and `DRMHead` for the locks.
public final class DRMBackend: DisplayBackend, Sendable {
    public var name: String { head.name }
    public var kind: BackendKind { .drm }
    public var width: Int { head.width }
    public var height: Int { head.height }
    /// "/dev/dri/card0".
    public var devicePath: String { display.devicePath }
    /// "Virtual-1", "HDMI-A-1".
    public var connectorName: String { head.connectorName }
    public var mode: DisplayMode { head.mode }

    private let display: DRMDisplay
    private let head: DRMHead

    /// Opens `devicePath` (nil: the first /dev/dri/cardN with a connected
    /// display, or with the named connector), picks `connector` ("Virtual-1";
    /// nil: the first connected one) and `mode` ("1280x800", "1280x800@60";
    /// nil: the display's preferred mode), becomes DRM master and shows a
    /// black frame. `openFD`/`closeFD` let the session layer (libseat) own
    /// the device; by default it is opened read-write, close-on-exec.
    public init(
        devicePath: String? = nil, connector: String? = nil, mode: String? = nil,
        openFD: ((String) throws -> Int32)? = nil, closeFD: (@Sendable (Int32) -> Void)? = nil,
        logger: Logger = Logger(label: "wskdesk.drm")
    ) throws(DisplayError) {
        var request: ModeRequest?
        if let mode { request = try ModeRequest(parsing: mode) }
        let display = try DRMDisplay(devicePath: devicePath, connector: connector,
                                     openFD: openFD, closeFD: closeFD, logger: logger)
        do {
            head = try display.light(connector: connector, request: request)
        } catch {
            display.restore()
            throw error
        }
        self.display = display
    }

    public func acquireBackBuffer() -> BackBuffer { head.acquireBackBuffer() }

    public func present(_ buffer: BackBuffer, damage: Region) throws(DisplayError) {
        try head.present(buffer, damage: damage)
    }

    public func waitForPresentation(timeoutNanoseconds: UInt64) -> Bool {
        head.waitForPresentation(timeoutNanoseconds: timeoutNanoseconds)
    }

    public func frontBuffer() -> PixelBuffer { head.frontBuffer() }

    public func suspend() { display.suspend() }

    public func resume() throws(DisplayError) { try display.resume() }

    public func setPower(_ on: Bool) -> Bool { head.setPower(on) }

    /// Puts back the CRTC configuration found at start, frees the buffers,
    /// drops master and closes the device. Safe to call more than once.
    public func restore() { display.restore() }

    /// Every connector of `devicePath` (nil: of every /dev/dri/cardN), for
    /// `wskdesk outputs`. Needs no DRM master.
    public static func listOutputs(devicePath: String? = nil) throws(DisplayError) -> [OutputInfo] {
        var paths: [String]
        if let devicePath {
            try DRMDevice.checkIsDRMNode(devicePath)
            paths = [devicePath]
        } else {
            guard let cards = DRMDevice.cardPaths(), !cards.isEmpty else { throw .noDRMDevice }
            paths = cards
        }
        var outputs: [OutputInfo] = []
        var firstError: DisplayError?
        for path in paths {
            let device: DRMDevice
            do { device = try DRMDevice.open(path) } catch {
                if devicePath != nil { throw error }
                firstError = firstError ?? error
                continue
            }
            defer { device.close() }
            guard let (resources, _) = device.readResources() else {
                if devicePath != nil { throw .notKMS(path) }
                continue
            }
            outputs += resources.connectors.map {
                OutputInfo(device: path, name: $0.name, status: $0.status, modes: $0.modes,
                           currentCRTC: resources.currentCRTC(of: $0), identity: $0.identity,
                           widthMM: $0.widthMM, heightMM: $0.heightMM, isBuiltIn: $0.isBuiltIn)
            }
        }
        if outputs.isEmpty, let firstError { throw firstError }
        return outputs
    }

    /// The device to use: `path`, or the first card in `directory` with a
    /// connected display (or with a connector named `connector`).
    package static func openDevice(
        path: String?, connector: String?, directory: String = "/dev/dri",
        opener: ((String) throws -> Int32)? = nil, closer: (@Sendable (Int32) -> Void)? = nil
    ) throws(DisplayError) -> (DRMDevice, KMSResources, rawModes: [UInt32: [drmModeModeInfo]]) {
        if let path {
            try DRMDevice.checkIsDRMNode(path)  // the user named it: it may be anything
            let device = try DRMDevice.open(path, opener: opener, closer: closer)
            guard let (resources, raw) = device.readResources() else {
                device.close()
                throw .notKMS(path)
            }
            return (device, resources, raw)
        }
        guard let cards = DRMDevice.cardPaths(in: directory), !cards.isEmpty else { throw .noDRMDevice }
        var firstError: DisplayError?
        var firstKMS: (path: String, resources: KMSResources)?
        for card in cards {
            let device: DRMDevice
            do { device = try DRMDevice.open(card, opener: opener, closer: closer) } catch {
                firstError = firstError ?? error
                continue
            }
            guard let (resources, raw) = device.readResources() else {
                device.close()
                continue
            }
            let fits = connector.map { wanted in resources.connectors.contains { ConnectorName.matches(wanted, $0.name) } }
                ?? !resources.usableConnectors.isEmpty
            if fits { return (device, resources, raw) }
            firstKMS = firstKMS ?? (card, resources)
            device.close()
        }
        if let firstKMS {
            if let connector {
                throw .noSuchConnector(connector, on: firstKMS.path, connectors: firstKMS.resources.connectors)
            }
            throw .noConnectedDisplay(firstKMS.path, connectors: firstKMS.resources.connectors)
        }
        throw firstError ?? .noDRMDevice
    }
}
