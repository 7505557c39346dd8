import Foundation
import Synchronization
import Testing

import Compositor

/// What of the DRM backend runs without a GPU: parsing, naming, the pure
/// connector/mode/CRTC choice, and the errors a user sees when there is no
/// usable device. The real modeset and flips need QEMU (see the report).
@Suite struct DRMBackendTests {
    // MARK: mode strings

    @Test func parsesSizeAndRefresh() throws {
        #expect(try ModeRequest(parsing: "1280x800") == ModeRequest(width: 1280, height: 800))
        #expect(try ModeRequest(parsing: "1280x800@60") == ModeRequest(width: 1280, height: 800, refreshMilliHertz: 60_000))
        #expect(try ModeRequest(parsing: "1920x1080@59.94") == ModeRequest(width: 1920, height: 1080, refreshMilliHertz: 59_940))
        #expect(try ModeRequest(parsing: "800x600@59.951") == ModeRequest(width: 800, height: 600, refreshMilliHertz: 59_951))
        #expect(try ModeRequest(parsing: "3840x2160@144.5").description == "3840x2160@144.5")
        #expect(try ModeRequest(parsing: "1280x800@60").description == "1280x800@60")
    }

    @Test(arguments: [
        "", "1280", "1280x", "x800", "1280x800@", "1280*800", "0x800", "1280x0", "1280x800@60Hz",
        "-1280x800", "+1280x800", " 1280x800", "1280x800 ", "1280X800", "1280x800x2", "1280x800@0",
        "1280x800@59.9999", "1280x800@.5", "1280x800@60.", "99999x1", "1280x800@60@60", "0x500x800",
    ])
    func rejectsMalformedModes(_ text: String) {
        #expect(throws: DisplayError.self) { try ModeRequest(parsing: text) }
    }

    @Test func malformedModeErrorSaysWhatIsExpected() {
        let error = #expect(throws: DisplayError.self) { try ModeRequest(parsing: "1280*800") }
        #expect(error?.description
            == "invalid mode '1280*800': expected WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, e.g. 1280x800 or 1280x800@60")
    }

    @Test func badModeFailsBeforeAnyDeviceIsOpened() {
        var opened = false
        let error = #expect(throws: DisplayError.self) {
            _ = try DRMBackend(devicePath: "/nonexistent/card0", mode: "big", openFD: { _ in opened = true; return -1 })
        }
        #expect(error?.description.hasPrefix("invalid mode 'big'") == true)
        #expect(!opened)
    }

    // MARK: refresh rates

    @Test func refreshFollowsTheKernelsFormula() {
        // CVT 1280x800: 83.5 MHz / (1680 * 831).
        #expect(DisplayMode.refreshMilliHertz(clockKHz: 83_500, htotal: 1680, vtotal: 831, vscan: 0, flags: 0, fallbackHertz: 60) == 59_810)
        // CEA 1080p60 and 1080i60 (interlaced counts fields).
        #expect(DisplayMode.refreshMilliHertz(clockKHz: 148_500, htotal: 2200, vtotal: 1125, vscan: 0, flags: 0, fallbackHertz: 60) == 60_000)
        #expect(DisplayMode.refreshMilliHertz(clockKHz: 74_250, htotal: 2200, vtotal: 1125, vscan: 0, flags: 1 << 4, fallbackHertz: 60) == 60_000)
        // Double scan halves it; vscan divides.
        #expect(DisplayMode.refreshMilliHertz(clockKHz: 148_500, htotal: 2200, vtotal: 1125, vscan: 0, flags: 1 << 5, fallbackHertz: 60) == 30_000)
        #expect(DisplayMode.refreshMilliHertz(clockKHz: 148_500, htotal: 2200, vtotal: 1125, vscan: 2, flags: 0, fallbackHertz: 60) == 30_000)
        // No timings (some virtual drivers): the mode's own vrefresh.
        #expect(DisplayMode.refreshMilliHertz(clockKHz: 0, htotal: 0, vtotal: 0, vscan: 0, flags: 0, fallbackHertz: 75) == 75_000)
    }

    @Test func modeDescriptions() {
        #expect(DisplayMode(width: 1280, height: 800, refreshMilliHertz: 59_810).description == "1280x800@59.81")
        #expect(DisplayMode(width: 1920, height: 1080, refreshMilliHertz: 60_000).description == "1920x1080@60")
        #expect(DisplayMode(width: 1920, height: 1080, refreshMilliHertz: 59_900).description == "1920x1080@59.9")
        #expect(DisplayMode(width: 1920, height: 1080, refreshMilliHertz: 50_005).description == "1920x1080@50.01")
        #expect(DisplayMode(width: 720, height: 480, refreshMilliHertz: 60_054).description == "720x480@60.05")
        #expect(DisplayMode(width: 1920, height: 1080, refreshMilliHertz: 60_000, isInterlaced: true).description == "1920x1080i@60")
    }

    // MARK: mode choice

    static let modes = [
        DisplayMode(width: 1280, height: 800, refreshMilliHertz: 59_810, isPreferred: true),
        DisplayMode(width: 1920, height: 1080, refreshMilliHertz: 60_000, isInterlaced: true),
        DisplayMode(width: 1920, height: 1080, refreshMilliHertz: 50_000),
        DisplayMode(width: 1920, height: 1080, refreshMilliHertz: 59_940),
        DisplayMode(width: 1024, height: 768, refreshMilliHertz: 75_029),
        DisplayMode(width: 1024, height: 768, refreshMilliHertz: 60_004),
    ]

    @Test func choosesThePreferredModeByDefault() {
        #expect(ModeChoice.choose(from: Self.modes, request: nil) == 0)
        let noPreferred = [Self.modes[1], Self.modes[2]]
        #expect(ModeChoice.choose(from: noPreferred, request: nil) == 1, "first progressive one")
        #expect(ModeChoice.choose(from: [Self.modes[1]], request: nil) == 0, "interlaced if that is all")
        #expect(ModeChoice.choose(from: [], request: nil) == nil)
    }

    @Test func choosesTheNamedMode() {
        let choose = { (w: Int, h: Int, r: Int?) in
            ModeChoice.choose(from: Self.modes, request: ModeRequest(width: w, height: h, refreshMilliHertz: r))
        }
        #expect(choose(1920, 1080, nil) == 3, "progressive, highest refresh")
        #expect(choose(1920, 1080, 60_000) == 3, "@60 finds 59.94 before the interlaced 60")
        #expect(choose(1920, 1080, 50_000) == 2)
        #expect(choose(1024, 768, 60_000) == 5)
        #expect(choose(1024, 768, 75_000) == 4)
        #expect(choose(1024, 768, nil) == 4)
        #expect(choose(1280, 800, 60_000) == 0, "59.81 is within half a hertz")
        #expect(choose(1280, 800, 75_000) == nil)
        #expect(choose(1920, 1080, 59_000) == nil, "a whole hertz off is another mode")
        #expect(choose(800, 600, nil) == nil)
    }

    @Test func modeListsNameEachModeOnce() {
        #expect(ModeChoice.list(Self.modes)
            == "1280x800@59.81 (preferred), 1920x1080i@60, 1920x1080@50, 1920x1080@59.94, 1024x768@75.03, 1024x768@60")
        #expect(ModeChoice.list(Self.modes + Self.modes) == ModeChoice.list(Self.modes))
        #expect(ModeChoice.list([]) == "none")
    }

    // MARK: connector names

    @Test func connectorNamesAreTypeAndIndex() {
        #expect(ConnectorName.name(type: 15, typeID: 1) == "Virtual-1")
        #expect(ConnectorName.name(type: 11, typeID: 1) == "HDMI-A-1")
        #expect(ConnectorName.name(type: 10, typeID: 2) == "DP-2")
        #expect(ConnectorName.name(type: 1, typeID: 1) == "VGA-1")
        #expect(ConnectorName.name(type: 14, typeID: 1) == "eDP-1")
        #expect(ConnectorName.name(type: 2, typeID: 3) == "DVI-I-3")
        #expect(ConnectorName.name(type: 7, typeID: 1) == "LVDS-1")
        #expect(ConnectorName.name(type: 16, typeID: 1) == "DSI-1")
        #expect(ConnectorName.name(type: 99, typeID: 4) == "Unknown-4", "a type newer than the table")
        #expect(ConnectorName.matches("hdmi-a-1", "HDMI-A-1"))
        #expect(!ConnectorName.matches("HDMI-A", "HDMI-A-1"))
        #expect(!ConnectorName.matches("HDMI-A-1", "HDMI-A-10"))
    }

    @Test func connectorTableAgreesWithLibdrm() {
        for type in 0..<UInt32(ConnectorName.typeNames.count) {
            if let libdrm = DRMDevice.libdrmConnectorTypeName(type) {
                #expect(ConnectorName.typeName(type) == libdrm, "DRM_MODE_CONNECTOR \(type)")
            }
        }
        #expect(DRMDevice.libdrmConnectorTypeName(15) == "Virtual", "this libdrm has the function")
    }

    // MARK: CRTC choice

    @Test func keepsTheCRTCAlreadyDrivingTheConnector() {
        let encoders = [EncoderState(id: 40, possibleCRTCs: 0b11, currentCRTC: 31)]
        #expect(OutputChoice.crtc(crtcIDs: [30, 31], encoders: encoders, currentEncoderID: 40) == 31)
    }

    @Test func crtcBitsIndexTheResourceOrder() {
        let encoders = [EncoderState(id: 40, possibleCRTCs: 0b100)]
        #expect(OutputChoice.crtc(crtcIDs: [30, 31, 32], encoders: encoders, currentEncoderID: 0) == 32)
        #expect(OutputChoice.crtc(crtcIDs: [30, 31], encoders: encoders, currentEncoderID: 0) == nil, "bit past the list")
    }

    @Test func avoidsCRTCsOfOtherOutputs() {
        let encoders = [EncoderState(id: 40, possibleCRTCs: 0b111, currentCRTC: 30)]
        // Taken by another of our outputs: never, even if it drives this connector now.
        #expect(OutputChoice.crtc(crtcIDs: [30, 31, 32], encoders: encoders, currentEncoderID: 40, excluded: [30]) == 31)
        // Busy with another connector: only when nothing else is left.
        #expect(OutputChoice.crtc(crtcIDs: [30, 31, 32], encoders: [EncoderState(id: 41, possibleCRTCs: 0b011)],
                                  currentEncoderID: 0, busy: [30]) == 31)
        #expect(OutputChoice.crtc(crtcIDs: [30, 31, 32], encoders: [EncoderState(id: 41, possibleCRTCs: 0b001)],
                                  currentEncoderID: 0, busy: [30]) == 30)
        #expect(OutputChoice.crtc(crtcIDs: [30, 31, 32], encoders: [EncoderState(id: 41, possibleCRTCs: 0b001)],
                                  currentEncoderID: 0, excluded: [30]) == nil)
    }

    @Test func triesEncodersInTheConnectorsOrder() {
        let encoders = [EncoderState(id: 40, possibleCRTCs: 0b001), EncoderState(id: 41, possibleCRTCs: 0b110)]
        #expect(OutputChoice.crtc(crtcIDs: [30, 31, 32], encoders: encoders, currentEncoderID: 0) == 30)
        #expect(OutputChoice.crtc(crtcIDs: [30, 31, 32], encoders: encoders, currentEncoderID: 0, excluded: [30]) == 31)
    }

    // MARK: the whole plan

    static let card = KMSResources(
        crtcIDs: [30, 31],
        connectors: [
            ConnectorState(id: 50, name: "VGA-1", status: .disconnected, modes: [], encoderIDs: [40]),
            ConnectorState(id: 51, name: "Virtual-1", status: .connected, modes: modes, encoderIDs: [41], currentEncoderID: 41),
            ConnectorState(id: 52, name: "HDMI-A-1", status: .connected,
                           modes: [DisplayMode(width: 1024, height: 768, refreshMilliHertz: 60_004)], encoderIDs: [40]),
        ],
        encoders: [EncoderState(id: 40, possibleCRTCs: 0b11), EncoderState(id: 41, possibleCRTCs: 0b11, currentCRTC: 31)])

    @Test func plansTheFirstConnectedConnector() throws {
        let plan = try OutputChoice.plan(Self.card, connector: nil, mode: nil, device: "/dev/dri/card0")
        #expect(plan == OutputPlan(connectorID: 51, connectorName: "Virtual-1", crtcID: 31, modeIndex: 0, mode: Self.modes[0]))
        #expect(Self.card.connectors(drivenBy: 31) == [51])
    }

    @Test func plansANamedConnectorAndMode() throws {
        let plan = try OutputChoice.plan(Self.card, connector: "hdmi-a-1", mode: ModeRequest(parsing: "1024x768@60"),
                                         device: "/dev/dri/card0")
        #expect(plan.connectorName == "HDMI-A-1")
        #expect(plan.crtcID == 30, "31 drives Virtual-1")
        #expect(plan.mode.description == "1024x768@60")
    }

    @Test func planErrorsListWhatExists() throws {
        let unknown = #expect(throws: DisplayError.self) {
            try OutputChoice.plan(Self.card, connector: "DP-1", mode: nil, device: "/dev/dri/card0")
        }
        #expect(unknown?.description
            == "no connector 'DP-1' on /dev/dri/card0: available: VGA-1 (disconnected), Virtual-1 (connected), HDMI-A-1 (connected)")

        let unplugged = #expect(throws: DisplayError.self) {
            try OutputChoice.plan(Self.card, connector: "VGA-1", mode: nil, device: "/dev/dri/card0")
        }
        #expect(unplugged?.description
            == "connector VGA-1 on /dev/dri/card0 has no display connected: plug one in, or choose another with --output")

        let badMode = #expect(throws: DisplayError.self) {
            try OutputChoice.plan(Self.card, connector: "HDMI-A-1", mode: ModeRequest(parsing: "1920x1080@60"), device: "/dev/dri/card0")
        }
        #expect(badMode?.description == "mode 1920x1080@60 is not offered by HDMI-A-1: available: 1024x768@60")

        let none = KMSResources(crtcIDs: [30], connectors: [Self.card.connectors[0]], encoders: Self.card.encoders)
        let nothing = #expect(throws: DisplayError.self) {
            try OutputChoice.plan(none, connector: nil, mode: nil, device: "/dev/dri/card1")
        }
        #expect(nothing?.description
            == "no connected display on /dev/dri/card1 (connectors: VGA-1 (disconnected)): plug in a monitor, or use --backend headless")

        let noCRTC = #expect(throws: DisplayError.self) {
            try OutputChoice.plan(Self.card, connector: "HDMI-A-1", mode: nil, device: "/dev/dri/card0", excludedCRTCs: [30, 31])
        }
        #expect(noCRTC?.description
            == "no free CRTC can drive HDMI-A-1 on /dev/dri/card0: drive fewer outputs, or choose another connector")
    }

    @Test func unknownConnectionCountsWhenNothingIsConnected() throws {
        let card = KMSResources(
            crtcIDs: [30],
            connectors: [
                ConnectorState(id: 50, name: "VGA-1", status: .disconnected, modes: Self.modes, encoderIDs: [40]),
                ConnectorState(id: 51, name: "DPI-1", status: .unknown, modes: Self.modes, encoderIDs: [40]),
            ],
            encoders: [EncoderState(id: 40, possibleCRTCs: 0b1)])
        #expect(try OutputChoice.plan(card, connector: nil, mode: nil, device: "d").connectorName == "DPI-1")
    }

    @Test func damageBecomesClipsInsideTheBuffer() {
        var damage = Region(Rect(x: -10, y: 5, width: 30, height: 10))
        damage.add(Rect(x: 90, y: 90, width: 50, height: 50))
        let clips = DumbBuffer.clips(for: damage, width: 100, height: 100)
        #expect(clips.map { [$0.x1, $0.y1, $0.x2, $0.y2] } == [[0, 5, 20, 15], [90, 90, 100, 100]])
        #expect(DumbBuffer.clips(for: Region(), width: 100, height: 100).isEmpty)
    }

    // MARK: buffers and flips

    @Test func bufferAgesMatchTheHeadlessBackend() {
        var chain = BufferChain()
        #expect(chain.back == 1 && chain.ages == [0, 0])
        chain.presented(1, flipping: true)
        #expect(chain.front == 0 && chain.pending == 1, "the old buffer stays on screen until the flip")
        chain.flipCompleted()
        #expect(chain.front == 1 && chain.pending == nil && chain.back == 0 && chain.ages[0] == 0)
        chain.presented(0, flipping: true)
        chain.flipCompleted()
        #expect(chain.back == 1 && chain.ages[1] == 2, "steady state: the back buffer is two frames old")
        chain.presented(1, flipping: false)
        #expect(chain.front == 1 && chain.pending == nil && chain.ages == [2, 1], "a modeset shows it at once")
        chain.flipCompleted()
        #expect(chain.front == 1, "nothing pending: no change")

        // Same ages as HeadlessBackend, frame by frame.
        let headless = HeadlessBackend(width: 4, height: 4)
        var drm = BufferChain()
        for frame in 0..<5 {
            let expected = headless.acquireBackBuffer()
            #expect(expected.index == drm.back && expected.age == drm.ages[drm.back], "frame \(frame)")
            try? headless.present(expected, damage: Region())
            drm.presented(drm.back, flipping: true)
            drm.flipCompleted()
        }
    }

    /// A DRM_EVENT_FLIP_COMPLETE record as the kernel writes it (struct drm_event_vblank).
    static func flipEvent(userData: UnsafeMutableRawPointer, sequence: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put(UInt32(0x02)); put(UInt32(32))                      // type, length
        put(UInt64(UInt(bitPattern: userData)))                 // user_data
        put(UInt32(1)); put(UInt32(2)); put(sequence); put(UInt32(36))  // tv_sec, tv_usec, sequence, crtc_id
        return bytes
    }

    @Test func flipEventsArriveThroughDrmHandleEvent() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let events = PageFlipEvents()
        #expect(events.wait(fd: fds[0], timeoutNanoseconds: 0) == (true, nil), "nothing pending")

        events.didRequest()
        let start = ContinuousClock.now
        #expect(events.wait(fd: fds[0], timeoutNanoseconds: 20_000_000) == (false, nil), "no event: a timeout")
        #expect(ContinuousClock.now - start >= .milliseconds(20))
        #expect(events.isPending)

        let event = Self.flipEvent(userData: events.userData, sequence: 4711)
        #expect(write(fds[1], event, event.count) == event.count)
        #expect(events.wait(fd: fds[0], timeoutNanoseconds: 1_000_000_000) == (true, nil))
        #expect(!events.isPending && events.completed == 1 && events.lastSequence == 4711)

        // A flip whose event never comes can be given up on.
        events.didRequest()
        events.abandonPending()
        #expect(!events.isPending)
    }

    @Test func flipWaitWakesWhenTheEventComesLater() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let events = PageFlipEvents()
        events.didRequest()
        let event = Self.flipEvent(userData: events.userData, sequence: 1)
        let writer = fds[1]
        let thread = Thread {
            usleep(30_000)
            _ = write(writer, event, event.count)
        }
        thread.start()
        let start = ContinuousClock.now
        #expect(events.wait(fd: fds[0], timeoutNanoseconds: 5_000_000_000) == (true, nil))
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(25) && waited < .seconds(4), "woken by the event, not the timeout")
    }

    // MARK: errors without a device

    @Test func nonexistentDevicePath() {
        let error = #expect(throws: DisplayError.self) { _ = try DRMBackend(devicePath: "/nonexistent/dri/card7") }
        #expect(error?.description == "no DRM device at /nonexistent/dri/card7: check the path (ls /dev/dri), or use --backend headless")
    }

    @Test func openErrorsSayWhatToDo() {
        #expect(DRMDevice.openError("/dev/dri/card0", errno: EACCES).description
            == "permission denied on /dev/dri/card0: run wskdesk from a VT through a seat (logind/seatd) or add yourself to the 'video' group")
        #expect(DRMDevice.openError("/dev/dri/card0", errno: EPERM).description
            == DRMDevice.openError("/dev/dri/card0", errno: EACCES).description)
        #expect(DRMDevice.openError("/dev/dri/card0", errno: ENODEV).description
            == "no DRM device at /dev/dri/card0: check the path (ls /dev/dri), or use --backend headless")
        #expect(DRMDevice.openError("/dev/dri/card0", errno: EMFILE).description
            == "opening the device failed on /dev/dri/card0: Too many open files")
        #expect(DisplayError.notMaster("/dev/dri/card0").description
            == "another program (an X server or compositor) holds DRM master on /dev/dri/card0: switch to a free VT")
        #expect(DisplayError.noDumbBuffers("/dev/dri/card0", driver: "tegra").description
            == "/dev/dri/card0 (tegra) has no dumb buffers, so it cannot show CPU-drawn frames: use --backend headless")
    }

    @Test(arguments: [
        ("/dev/null", "the character device 1:3"),
        ("/etc/passwd", "a regular file"),
        ("/tmp", "a directory"),
    ])
    func aPathThatIsNoDRMNodeIsRefusedBeforeTheSeatIsAsked(path: String, kind: String) {
        // seatd answers "No such file or directory" for a device type it does
        // not hand out: the seat must not be asked about these at all.
        let asked = Mutex<[String]>([])
        let error = #expect(throws: DisplayError.self) {
            _ = try DRMBackend(devicePath: path, openFD: { path in asked.withLock { $0.append(path) }; return -1 })
        }
        #expect(error?.description
            == "\(path) is not a DRM device (it is \(kind)): pass a card from /dev/dri (ls /dev/dri), or leave --drm-device out")
        #expect(asked.withLock { $0 } == [])
    }

    @Test func aMissingPathIsNotAskedForEither() {
        let error = #expect(throws: DisplayError.self) {
            _ = try DRMBackend(devicePath: "/nonexistent/card0", openFD: { _ in Issue.record("the seat was asked"); return -1 })
        }
        #expect(error?.description == "no DRM device at /nonexistent/card0: check the path (ls /dev/dri), or use --backend headless")
    }

    @Test func deviceNumbersSplitAsGlibcDoes() {
        // makedev(226, 0) and makedev(259, 70000) as glibc encodes them (sys/sysmacros.h).
        #expect(DRMDevice.deviceNumbers(dev_t(226 << 8)) == (226, 0))
        let big: UInt64 = ((259 & 0xfff) << 8) | ((259 & ~0xfff) << 32) | (70000 & 0xff) | ((70000 & ~0xff) << 12)
        #expect(DRMDevice.deviceNumbers(dev_t(big)) == (259, 70000))
    }

    @Test func aDisconnectedConnectorPointsAtTheRealOption() {
        #expect(DisplayError.notConnected("HDMI-A-1", on: "/dev/dri/card0").description
            == "connector HDMI-A-1 on /dev/dri/card0 has no display connected: plug one in, or choose another with --output")
    }

    @Test func sessionOpenerErrorsPassThrough() {
        struct SeatRefused: Error, CustomStringConvertible { var description: String { "seat said no" } }
        let wrapped = #expect(throws: DisplayError.self) {
            _ = try DRMDevice.open("/dev/dri/card0", opener: { _ in throw SeatRefused() })
        }
        #expect(wrapped?.description == "cannot open /dev/dri/card0 through the session: seat said no")
        let own = #expect(throws: DisplayError.self) {
            _ = try DRMDevice.open("/dev/dri/card0", opener: { _ in throw DisplayError("as is") })
        }
        #expect(own?.description == "as is")
    }

    static let noDeviceText = "no DRM device (/dev/dri/card*): use --backend headless, or load your GPU's kernel driver"

    @Test func autoDetectionWithoutADRMDirectory() throws {
        let missing = #expect(throws: DisplayError.self) {
            _ = try DRMBackend.openDevice(path: nil, connector: nil, directory: "/nonexistent/dri")
        }
        #expect(missing?.description == Self.noDeviceText)

        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("wsk-dri-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: empty) }
        let none = #expect(throws: DisplayError.self) {
            _ = try DRMBackend.openDevice(path: nil, connector: nil, directory: empty.path)
        }
        #expect(none?.description == Self.noDeviceText)

        // Something called card0 that is no DRM card (and a non-card name) is skipped.
        _ = FileManager.default.createFile(atPath: empty.appendingPathComponent("card0").path, contents: Data())
        _ = FileManager.default.createFile(atPath: empty.appendingPathComponent("renderD128").path, contents: Data())
        #expect(DRMDevice.cardPaths(in: empty.path) == [empty.appendingPathComponent("card0").path])
        let fake = #expect(throws: DisplayError.self) {
            _ = try DRMBackend.openDevice(path: nil, connector: nil, directory: empty.path)
        }
        #expect(fake?.description == Self.noDeviceText)
    }

    @Test func cardsAreOrderedByNumber() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wsk-dri-order-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["card10", "card2", "card0", "cardX", "controlD64"] {
            _ = FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data())
        }
        #expect(DRMDevice.cardPaths(in: dir.path) == ["card0", "card2", "card10"].map { dir.appendingPathComponent($0).path })
        #expect(DRMDevice.cardPaths(in: "/nonexistent/dri") == nil)
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/dev/dri"), "this machine has /dev/dri"))
    func defaultBackendOnAMachineWithoutDRM() {
        let error = #expect(throws: DisplayError.self) { _ = try DRMBackend() }
        #expect(error?.description == Self.noDeviceText)
        let listing = #expect(throws: DisplayError.self) { _ = try DRMBackend.listOutputs() }
        #expect(listing?.description == Self.noDeviceText)
    }

    @Test func listingAPathThatIsNoCard() {
        let error = #expect(throws: DisplayError.self) { _ = try DRMBackend.listOutputs(devicePath: "/nonexistent/dri/card3") }
        #expect(error?.description == "no DRM device at /nonexistent/dri/card3: check the path (ls /dev/dri), or use --backend headless")
    }

    @Test func outputInfoReadsLikeALine() {
        let info = OutputInfo(device: "/dev/dri/card0", name: "Virtual-1", status: .connected,
                              modes: [Self.modes[0], Self.modes[4]], currentCRTC: 36)
        #expect(info.description == "Virtual-1 connected crtc 36: 1280x800@59.81 (preferred), 1024x768@75.03")
        #expect(info.connected)
    }
}
