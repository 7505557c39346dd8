import CDRM
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The compositor on a real display through DRM/KMS (libdrm, legacy modeset
/// API): one connector, its mode, a CRTC, two dumb buffers flipped at vblank.
///
/// Threads: any method may be called from any thread. All state sits behind
/// one mutex, held while waiting for a flip (poll on the DRM fd), so only one
/// thread reads flip events and the others (acquire, present, a screenshot)
/// wait at most until that flip completes. `acquireBackBuffer` itself waits
/// for a pending flip: until then the other buffer is still on screen.
public final class DRMBackend: DisplayBackend, Sendable {
    public let name: String
    public var kind: BackendKind { .drm }
    public let width: Int
    public let height: Int
    /// "/dev/dri/card0".
    public let devicePath: String
    /// "Virtual-1", "HDMI-A-1".
    public let connectorName: String
    public let mode: DisplayMode

    private let logger: Logger
    private let state: Mutex<DRMOutputState>

    /// How long acquire/present wait for a previous flip before giving up on it.
    static let flipTimeoutNanoseconds: UInt64 = 1_000_000_000

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
        var live = DRMOutputState()
        do {
            try live.open(devicePath: devicePath, connector: connector, request: request,
                          opener: openFD, closer: closeFD, logger: logger)
        } catch {
            live.teardown(logger: logger)
            throw error
        }
        let plan = live.plan!
        self.devicePath = live.device!.path
        self.connectorName = plan.connectorName
        self.mode = plan.mode
        self.width = plan.mode.width
        self.height = plan.mode.height
        self.name = "drm:\(plan.connectorName)"
        self.logger = logger
        self.state = Mutex(live)
    }

    deinit { restore() }

    public func acquireBackBuffer() -> BackBuffer {
        state.withLock { live in
            precondition(live.device != nil, "DRMBackend used after restore()")
            // The other buffer is on screen until the pending flip completes.
            live.finishPendingFlip(timeoutNanoseconds: Self.flipTimeoutNanoseconds, logger: logger)
            let back = live.chain.back
            return BackBuffer(pixels: live.buffers[back].pixels, age: live.chain.ages[back], index: back)
        }
    }

    public func present(_ buffer: BackBuffer, damage: Region) throws(DisplayError) {
        try state.withLock { (live: inout DRMOutputState) throws(DisplayError) in
            try live.present(buffer.index, damage: damage, logger: logger)
        }
    }

    public func waitForPresentation(timeoutNanoseconds: UInt64) -> Bool {
        state.withLock { live in live.waitForFlip(timeoutNanoseconds: timeoutNanoseconds, logger: logger) }
    }

    public func frontBuffer() -> PixelBuffer {
        state.withLock { live in
            precondition(live.device != nil, "DRMBackend used after restore()")
            return live.buffers[live.chain.front].pixels
        }
    }

    /// Before a VT switch away: let the flip in flight finish, so nothing is
    /// pending when the session drops DRM master.
    public func suspend() {
        state.withLock { live in live.finishPendingFlip(timeoutNanoseconds: 100_000_000, logger: logger) }
    }

    /// After a VT switch back (the session gave DRM master back): set the mode
    /// again with the buffer that was on screen; the next frame flips as usual.
    public func resume() throws(DisplayError) {
        try state.withLock { (live: inout DRMOutputState) throws(DisplayError) in
            guard let device = live.device, let plan = live.plan else { return }
            if let code = device.setCRTC(plan.crtcID, framebuffer: live.buffers[live.chain.front].framebuffer,
                                         connectors: [plan.connectorID], mode: live.rawMode) {
                throw .failed("setting mode \(plan.mode) on \(plan.connectorName) again", on: device.path, errno: code)
            }
            logger.info("DRM output \(plan.connectorName) \(plan.mode) set again")
        }
    }

    /// Puts back the CRTC configuration found at start, frees the buffers,
    /// drops master and closes the device. Safe to call more than once.
    public func restore() {
        state.withLock { live in live.teardown(logger: logger) }
    }

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
                           currentCRTC: resources.currentCRTC(of: $0))
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

/// Everything DRMBackend holds on the device, built step by step by `open`
/// and torn down by `teardown`, which copes with any prefix of those steps.
// @unchecked Sendable: built on one thread, then only ever used inside the
// backend's Mutex; the mapped buffers and the flip record it points to are
// touched only under that lock (pixels: by the thread that acquired them).
struct DRMOutputState: @unchecked Sendable {
    var device: DRMDevice?
    var plan: OutputPlan?
    var rawMode = drmModeModeInfo()
    var buffers: [DumbBuffer] = []
    /// CRTCs as found, in the order to put them back.
    var saved: [SavedCRTC] = []
    /// Whether we changed the live configuration (so there is something to restore).
    var modeset = false
    var flips: PageFlipEvents?

    /// Front, pending and back buffer, and their ages.
    var chain = BufferChain()
    var pageFlipWorks = true
    var dirtyWorks = true
    var dirtyWarned = false

    /// Build the output as a value, then apply it in one drmModeSetCrtc.
    mutating func open(
        devicePath: String?, connector: String?, request: ModeRequest?,
        opener: ((String) throws -> Int32)?, closer: (@Sendable (Int32) -> Void)?, logger: Logger
    ) throws(DisplayError) {
        let (opened, resources, rawModes) = try DRMBackend.openDevice(
            path: devicePath, connector: connector, opener: opener, closer: closer)
        device = opened
        let path = opened.path
        let driver = opened.driverName
        guard opened.supportsDumbBuffers else { throw .noDumbBuffers(path, driver: driver) }
        try device!.becomeMaster()
        let plan = try OutputChoice.plan(resources, connector: connector, mode: request, device: path)
        guard let raw = rawModes[plan.connectorID], plan.modeIndex < raw.count else {
            preconditionFailure("mode list of connector \(plan.connectorID) changed between reads")
        }
        self.plan = plan
        rawMode = raw[plan.modeIndex]

        for _ in 0..<2 {
            buffers.append(try DumbBuffer.create(on: opened, width: plan.mode.width, height: plan.mode.height))
        }
        flips = PageFlipEvents()

        // What to put back: the CRTC we take, and the one the connector had if another.
        var crtcsToSave = [plan.crtcID]
        if let connector = resources.connectors.first(where: { $0.id == plan.connectorID }),
           let previous = resources.currentCRTC(of: connector), previous != plan.crtcID {
            crtcsToSave.append(previous)
        }
        saved = crtcsToSave.compactMap { opened.saveCRTC($0, connectors: resources.connectors(drivenBy: $0)) }

        modeset = true
        if let code = opened.setCRTC(plan.crtcID, framebuffer: buffers[0].framebuffer,
                                     connectors: [plan.connectorID], mode: rawMode) {
            if code == EACCES || code == EPERM { throw .notMaster(path) }
            throw .failed("setting mode \(plan.mode) on \(plan.connectorName)", on: path, errno: code)
        }
        markDirty(0, damage: Region(Rect(x: 0, y: 0, width: plan.mode.width, height: plan.mode.height)), logger: logger)
        logger.info("DRM output \(plan.connectorName) \(plan.mode) on \(path) (\(driver)), CRTC \(plan.crtcID)")
    }

    mutating func present(_ index: Int, damage: Region, logger: Logger) throws(DisplayError) {
        guard let device, let plan, let flips else {
            throw DisplayError("the DRM output was already given back (restore() was called): nothing more can be shown")
        }
        precondition(buffers.indices.contains(index), "not a buffer of this backend: \(index)")
        finishPendingFlip(timeoutNanoseconds: DRMBackend.flipTimeoutNanoseconds, logger: logger)

        if pageFlipWorks {
            // Drivers with a shadow copy learn what changed; for a buffer
            // not yet on screen this is a no-op elsewhere.
            markDirty(index, damage: damage, logger: logger)
            if drmModePageFlip(device.fd, plan.crtcID, buffers[index].framebuffer,
                               UInt32(DRM_MODE_PAGE_FLIP_EVENT), flips.userData) == 0 {
                flips.didRequest()
                chain.presented(index, flipping: true)
                return
            }
            let code = errno
            switch code {
            case EINVAL, ENOSYS, EOPNOTSUPP:
                pageFlipWorks = false
                logger.notice("page flips are not supported by \(device.driverName) on \(device.path) (\(errnoDescription(code))): setting the CRTC for every frame instead")
            case EACCES, EPERM:
                throw .lostMaster(device.path)
            case EBUSY:
                throw DisplayError("a page flip on \(plan.connectorName) (\(device.path)) did not complete within a second: the display stopped responding")
            default:
                throw .failed("page flip on \(plan.connectorName)", on: device.path, errno: code)
            }
        }
        // Fallback: a blocking modeset to the same mode with the new buffer.
        if let code = device.setCRTC(plan.crtcID, framebuffer: buffers[index].framebuffer,
                                     connectors: [plan.connectorID], mode: rawMode) {
            if code == EACCES || code == EPERM { throw .lostMaster(device.path) }
            throw .failed("showing a frame on \(plan.connectorName)", on: device.path, errno: code)
        }
        chain.presented(index, flipping: false)
        markDirty(index, damage: damage, logger: logger)
    }

    /// drmModeDirtyFB with `damage`; -ENOSYS (bochs and other drivers that
    /// scan out what the CPU wrote) means "not needed" and is not asked again.
    private mutating func markDirty(_ index: Int, damage: Region, logger: Logger) {
        guard dirtyWorks, let device, let plan else { return }
        let clips = DumbBuffer.clips(for: damage, width: plan.mode.width, height: plan.mode.height)
        guard !clips.isEmpty, let code = buffers[index].markDirty(on: device, clips: clips) else { return }
        if code == ENOSYS {
            dirtyWorks = false
            logger.debug("\(device.driverName) needs no drmModeDirtyFB (ENOSYS)")
        } else if !dirtyWarned {
            dirtyWarned = true
            logger.warning("drmModeDirtyFB on \(device.path): \(errnoDescription(code))")
        }
    }

    mutating func waitForFlip(timeoutNanoseconds: UInt64, logger: Logger) -> Bool {
        guard let device, let flips, chain.pending != nil else { return true }
        let (done, error) = flips.wait(fd: device.fd, timeoutNanoseconds: timeoutNanoseconds)
        if let error { logger.warning("waiting for a page flip on \(device.path): \(errnoDescription(error))") }
        if done { chain.flipCompleted() }
        return done
    }

    /// Waits for a pending flip; one that does not come within the timeout
    /// is taken as done (the kernel refuses the next flip if it is not).
    mutating func finishPendingFlip(timeoutNanoseconds: UInt64, logger: Logger) {
        guard chain.pending != nil else { return }
        if !waitForFlip(timeoutNanoseconds: timeoutNanoseconds, logger: logger) {
            logger.warning("page flip on \(plan?.connectorName ?? "?") not completed after \(timeoutNanoseconds / 1_000_000) ms")
            flips?.abandonPending()
            chain.flipCompleted()
        }
    }

    /// Undoes whatever `open` did, in reverse: CRTCs back, buffers freed,
    /// master dropped, fd closed. Idempotent.
    mutating func teardown(logger: Logger) {
        guard let device else { return }
        if chain.pending != nil { _ = waitForFlip(timeoutNanoseconds: 100_000_000, logger: logger) }
        if modeset && !device.isMaster {
            // The seat took master back (a VT switch, or seatd gone): the
            // kernel would refuse every CRTC, and the console's owner sets it.
            logger.info("not DRM master of \(device.path) now: its CRTCs are left to whoever holds it")
        } else if modeset {
            for crtc in saved {
                if let code = device.restore(crtc) {
                    logger.warning("restoring CRTC \(crtc.id) on \(device.path): \(errnoDescription(code))")
                }
            }
        }
        for buffer in buffers { buffer.destroy(on: device) }
        buffers = []
        saved = []
        modeset = false
        device.close()
        self.device = nil
        chain.flipCompleted()
        // After the fd is closed no flip event can arrive for the record.
        flips = nil
    }
}
