import CDRM
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One lit monitor of a `DRMDisplay`: its connector, a CRTC no other head
/// uses, its mode, two dumb buffers flipped at vblank (drmModeSetCrtc per
/// frame where the driver has no flips), drmModeDirtyFB for damage.
///
/// Threads: any method may be called from any thread. The head's state
/// sits behind its own mutex, held while waiting for its flip. The fd is
/// shared with the other heads: reading flip events from it goes through
/// the device's `FlipEventReader` (one lock for the device), so a head
/// waiting for its flip may read another's; each record gets its own.
/// Lock order: display, then head, then the event reader.
public final class DRMHead: DisplayBackend, Sendable {
    public let name: String
    public var kind: BackendKind { .drm }
    public let width: Int
    public let height: Int
    /// "/dev/dri/card0".
    public let devicePath: String
    /// "Virtual-1", "HDMI-A-1".
    public let connectorName: String
    public let mode: DisplayMode
    package let connectorID: UInt32
    package let crtcID: UInt32

    private let rawMode: drmModeModeInfo
    private let dpmsProperty: UInt32?
    private let reader: FlipEventReader
    private let logger: Logger
    private let state: Mutex<HeadState>

    /// How long acquire/present wait for a previous flip before giving up on it.
    static let flipTimeoutNanoseconds: UInt64 = 1_000_000_000

    /// Creates the buffers and sets the mode with a black frame. The caller
    /// (DRMDisplay) has chosen the CRTC and saved what was on it.
    package init(device: DRMDevice, plan: OutputPlan, rawMode: drmModeModeInfo, dpmsProperty: UInt32?,
                 reader: FlipEventReader, logger: Logger) throws(DisplayError) {
        var live = HeadState(device: device)
        do {
            for _ in 0..<2 {
                live.buffers.append(try DumbBuffer.create(on: device, width: plan.mode.width, height: plan.mode.height))
            }
        } catch {
            for buffer in live.buffers { buffer.destroy(on: device) }
            throw error
        }
        if let code = device.setCRTC(plan.crtcID, framebuffer: live.buffers[0].framebuffer,
                                     connectors: [plan.connectorID], mode: rawMode) {
            for buffer in live.buffers { buffer.destroy(on: device) }
            if code == EACCES || code == EPERM { throw .notMaster(device.path) }
            throw .failed("setting mode \(plan.mode) on \(plan.connectorName)", on: device.path, errno: code)
        }
        self.name = "drm:\(plan.connectorName)"
        self.width = plan.mode.width
        self.height = plan.mode.height
        self.devicePath = device.path
        self.connectorName = plan.connectorName
        self.mode = plan.mode
        self.connectorID = plan.connectorID
        self.crtcID = plan.crtcID
        self.rawMode = rawMode
        self.dpmsProperty = dpmsProperty
        self.reader = reader
        self.logger = logger
        live.markDirty(0, damage: Region(Rect(x: 0, y: 0, width: width, height: height)), width: width, height: height,
                       logger: logger)
        self.state = Mutex(live)
    }

    public func acquireBackBuffer() -> BackBuffer {
        state.withLock { live in
            precondition(live.device != nil, "DRM head \(connectorName) used after it was darkened")
            // The other buffer is on screen until the pending flip completes.
            finishPendingFlip(&live, timeoutNanoseconds: Self.flipTimeoutNanoseconds)
            let back = live.chain.back
            return BackBuffer(pixels: live.buffers[back].pixels, age: live.chain.ages[back], index: back)
        }
    }

    public func present(_ buffer: BackBuffer, damage: Region) throws(DisplayError) {
        try state.withLock { (live: inout HeadState) throws(DisplayError) in
            try present(&live, buffer.index, damage: damage)
        }
    }

    public func waitForPresentation(timeoutNanoseconds: UInt64) -> Bool {
        state.withLock { live in waitForFlip(&live, timeoutNanoseconds: timeoutNanoseconds) }
    }

    public func frontBuffer() -> PixelBuffer {
        state.withLock { live in
            precondition(live.device != nil, "DRM head \(connectorName) used after it was darkened")
            return live.buffers[live.chain.front].pixels
        }
    }

    /// A head is given back by its display (`DRMDisplay.darken`, `restore`).
    public func restore() {}

    /// Before a VT switch away: let the flip in flight finish, so nothing is
    /// pending when the session drops DRM master.
    public func suspend() {
        state.withLock { live in finishPendingFlip(&live, timeoutNanoseconds: 100_000_000) }
    }

    /// After a VT switch back (the session gave DRM master back): set the mode
    /// again with the buffer that was on screen; the next frame flips as usual.
    public func resume() throws(DisplayError) {
        try state.withLock { (live: inout HeadState) throws(DisplayError) in
            guard let device = live.device, !live.poweredOff else { return }
            try setCRTC(&live, device: device, what: "setting mode \(mode) on \(connectorName) again")
            logger.info("DRM output \(connectorName) \(mode) set again")
        }
    }

    /// DPMS through the connector's "DPMS" property. False when it has none
    /// or the driver refuses (said once in the log): the compositor shows
    /// a black frame instead.
    public func setPower(_ on: Bool) -> Bool {
        state.withLock { live in
            guard let device = live.device, let dpmsProperty else {
                if !live.powerWarned {
                    live.powerWarned = true
                    logger.notice("\(connectorName) has no DPMS property: it is blanked with a black frame instead")
                }
                return false
            }
            if !on { finishPendingFlip(&live, timeoutNanoseconds: 100_000_000) }
            let value = UInt64(on ? DRM_MODE_DPMS_ON : DRM_MODE_DPMS_OFF)
            if let code = device.setConnectorProperty(connectorID, property: dpmsProperty, value: value) {
                if !live.powerWarned {
                    live.powerWarned = true
                    logger.warning("turning \(connectorName) \(on ? "on" : "off") (DPMS) failed on \(device.path): \(errnoDescription(code)); blanking with a black frame instead")
                }
                return false
            }
            let wasOff = live.poweredOff
            live.poweredOff = !on
            // Frames drawn while off were kept, not flipped (a flip on a CRTC
            // that is off fails, and a modeset would turn it back on): show the
            // newest now.
            if on && wasOff && live.shownWhileOff {
                live.shownWhileOff = false
                do throws(DisplayError) {
                    try setCRTC(&live, device: device, what: "showing the current frame on \(connectorName)")
                } catch {
                    logger.warning("\(error.description)")
                }
            }
            return true
        }
    }

    // MARK: the display's side

    /// Before the display puts the CRTCs back: waits briefly for a flip in
    /// flight (one that does not come is given up on, its record kept alive
    /// by the reader), and turns a monitor we turned off on again, so the
    /// console is not left on a dark screen.
    package func quiesce() {
        state.withLock { live in
            guard let device = live.device else { return }
            if live.chain.pending != nil { _ = waitForFlip(&live, timeoutNanoseconds: 100_000_000) }
            if live.poweredOff, let dpmsProperty, device.isMaster {
                _ = device.setConnectorProperty(connectorID, property: dpmsProperty, value: UInt64(DRM_MODE_DPMS_ON))
                live.poweredOff = false
            }
        }
    }

    /// Turns the CRTC off (when `turnOff` and we are master), frees the
    /// buffers; the head is not used afterwards. Idempotent.
    package func release(turnOff: Bool) {
        state.withLock { live in
            guard let device = live.device else { return }
            if live.chain.pending != nil { _ = waitForFlip(&live, timeoutNanoseconds: 100_000_000) }
            if turnOff && device.isMaster, let code = device.setCRTC(crtcID, framebuffer: 0, connectors: [], mode: nil) {
                logger.warning("turning off CRTC \(crtcID) of \(connectorName) on \(device.path): \(errnoDescription(code))")
            }
            for buffer in live.buffers { buffer.destroy(on: device) }
            live.buffers = []
            live.chain.flipCompleted()
            reader.retire(live.flips)
            live.device = nil
        }
    }

    // MARK: under the head's lock

    private func present(_ live: inout HeadState, _ index: Int, damage: Region) throws(DisplayError) {
        guard let device = live.device else {
            throw DisplayError("the DRM output \(connectorName) was already given back: nothing more can be shown on it")
        }
        precondition(live.buffers.indices.contains(index), "not a buffer of this head: \(index)")
        finishPendingFlip(&live, timeoutNanoseconds: Self.flipTimeoutNanoseconds)

        if live.poweredOff {
            // Kept as the frame to show when the monitor is turned on again.
            live.chain.presented(index, flipping: false)
            live.shownWhileOff = true
            return
        }
        if live.pageFlipWorks {
            // Drivers with a shadow copy learn what changed; for a buffer
            // not yet on screen this is a no-op elsewhere.
            live.markDirty(index, damage: damage, width: width, height: height, logger: logger)
            if drmModePageFlip(device.fd, crtcID, live.buffers[index].framebuffer,
                               UInt32(DRM_MODE_PAGE_FLIP_EVENT), live.flips.userData) == 0 {
                live.flips.didRequest()
                live.chain.presented(index, flipping: true)
                return
            }
            let code = errno
            switch code {
            case EINVAL, ENOSYS, EOPNOTSUPP:
                live.pageFlipWorks = false
                logger.notice("page flips are not supported by \(device.driverName) on \(device.path) (\(errnoDescription(code))): setting the CRTC for every frame instead")
            case EACCES, EPERM:
                throw .lostMaster(device.path)
            case EBUSY:
                throw DisplayError("a page flip on \(connectorName) (\(device.path)) did not complete within a second: the display stopped responding")
            default:
                throw .failed("page flip on \(connectorName)", on: device.path, errno: code)
            }
        }
        // Fallback: a blocking modeset to the same mode with the new buffer.
        if let code = device.setCRTC(crtcID, framebuffer: live.buffers[index].framebuffer,
                                     connectors: [connectorID], mode: rawMode) {
            if code == EACCES || code == EPERM { throw .lostMaster(device.path) }
            throw .failed("showing a frame on \(connectorName)", on: device.path, errno: code)
        }
        live.chain.presented(index, flipping: false)
        live.markDirty(index, damage: damage, width: width, height: height, logger: logger)
    }

    /// Sets the mode with the front buffer (after a VT switch, a power-on).
    private func setCRTC(_ live: inout HeadState, device: DRMDevice, what: String) throws(DisplayError) {
        let front = live.chain.front
        if let code = device.setCRTC(crtcID, framebuffer: live.buffers[front].framebuffer,
                                     connectors: [connectorID], mode: rawMode) {
            throw .failed(what, on: device.path, errno: code)
        }
        live.markDirty(front, damage: Region(Rect(x: 0, y: 0, width: width, height: height)),
                       width: width, height: height, logger: logger)
    }

    private func waitForFlip(_ live: inout HeadState, timeoutNanoseconds: UInt64) -> Bool {
        guard let device = live.device, live.chain.pending != nil else { return true }
        let (done, error) = reader.wait(live.flips, timeoutNanoseconds: timeoutNanoseconds)
        if let error { logger.warning("waiting for a page flip on \(device.path): \(errnoDescription(error))") }
        if done { live.chain.flipCompleted() }
        return done
    }

    /// Waits for a pending flip; one that does not come within the timeout
    /// is taken as done (the kernel refuses the next flip if it is not).
    private func finishPendingFlip(_ live: inout HeadState, timeoutNanoseconds: UInt64) {
        guard live.chain.pending != nil else { return }
        if !waitForFlip(&live, timeoutNanoseconds: timeoutNanoseconds) {
            logger.warning("page flip on \(connectorName) not completed after \(timeoutNanoseconds / 1_000_000) ms")
            reader.abandonPending(live.flips)
            live.chain.flipCompleted()
        }
    }
}

/// What a head holds on the device: built by `DRMHead.init`, freed by
/// `release`.
// @unchecked Sendable: only ever used inside the head's Mutex; the mapped
// buffers and the flip record it points to are touched only under that lock
// (pixels: by the thread that acquired them; the record's count: under the
// device's FlipEventReader lock as well).
struct HeadState: @unchecked Sendable {
    /// nil once released.
    var device: DRMDevice?
    var buffers: [DumbBuffer] = []
    let flips = PageFlipEvents()
    /// Front, pending and back buffer, and their ages.
    var chain = BufferChain()
    var pageFlipWorks = true
    var dirtyWorks = true
    var dirtyWarned = false
    /// DPMS off: frames are kept, not shown.
    var poweredOff = false
    var shownWhileOff = false
    var powerWarned = false

    init(device: DRMDevice) { self.device = device }

    /// drmModeDirtyFB with `damage`; -ENOSYS (bochs and other drivers that
    /// scan out what the CPU wrote) means "not needed" and is not asked again.
    mutating func markDirty(_ index: Int, damage: Region, width: Int, height: Int, logger: Logger) {
        guard dirtyWorks, let device else { return }
        let clips = DumbBuffer.clips(for: damage, width: width, height: height)
        guard !clips.isEmpty, let code = buffers[index].markDirty(on: device, clips: clips) else { return }
        if code == ENOSYS {
            dirtyWorks = false
            logger.debug("\(device.driverName) needs no drmModeDirtyFB (ENOSYS)")
        } else if !dirtyWarned {
            dirtyWarned = true
            logger.warning("drmModeDirtyFB on \(device.path): \(errnoDescription(code))")
        }
    }
}
