import Foundation
import Testing

import Compositor

/// What of `DRMDisplay` runs without a GPU: CRTCs for several heads, the
/// monitors it reports, EDID identities from hostile bytes, which udev
/// events are hotplugs, and flip events of several heads on one fd.
@Suite struct DRMDisplayTests {
    static let modes = [
        DisplayMode(width: 1024, height: 768, refreshMilliHertz: 60_004),
        DisplayMode(width: 1280, height: 800, refreshMilliHertz: 59_810, isPreferred: true),
    ]

    // MARK: CRTCs for several heads

    /// Two CRTCs, three connected connectors whose encoders can use either;
    /// the console drives Virtual-2 on CRTC 31.
    static let threeHeads = KMSResources(
        crtcIDs: [30, 31],
        connectors: [
            ConnectorState(id: 50, name: "Virtual-1", status: .connected, modes: modes, encoderIDs: [40]),
            ConnectorState(id: 51, name: "Virtual-2", status: .connected, modes: modes, encoderIDs: [41], currentEncoderID: 41),
            ConnectorState(id: 52, name: "Virtual-3", status: .connected, modes: modes, encoderIDs: [42]),
        ],
        encoders: [
            EncoderState(id: 40, possibleCRTCs: 0b11), EncoderState(id: 41, possibleCRTCs: 0b11, currentCRTC: 31),
            EncoderState(id: 42, possibleCRTCs: 0b11),
        ])

    /// Lights `names` one after another as DRMDisplay does: each plan
    /// excludes the CRTCs of the heads lit before it.
    static func lightInOrder(_ names: [String], on resources: KMSResources) throws -> [String: UInt32] {
        var taken: [String: UInt32] = [:]
        for name in names {
            let plan = try OutputChoice.plan(resources, connector: name, mode: nil, device: "/dev/dri/card0",
                                             excludedCRTCs: Set(taken.values))
            taken[plan.connectorName] = plan.crtcID
        }
        return taken
    }

    @Test func eachHeadGetsItsOwnCRTC() throws {
        let crtcs = try Self.lightInOrder(["Virtual-1", "Virtual-2"], on: Self.threeHeads)
        // Virtual-1 avoids 31 (busy with Virtual-2), and Virtual-2 keeps the one it has.
        #expect(crtcs == ["Virtual-1": 30, "Virtual-2": 31])
    }

    @Test func aHeadNeverTakesTheCRTCOfAnotherEvenTheOneDrivingItNow() throws {
        // Virtual-3 first takes 30; Virtual-2, driven by 31 now, keeps 31;
        // with Virtual-2 lit first, Virtual-3 must not get 31.
        #expect(try Self.lightInOrder(["Virtual-3", "Virtual-2"], on: Self.threeHeads) == ["Virtual-3": 30, "Virtual-2": 31])
        #expect(try Self.lightInOrder(["Virtual-2", "Virtual-3"], on: Self.threeHeads) == ["Virtual-2": 31, "Virtual-3": 30])
    }

    @Test func aThirdHeadWithoutACRTCIsRefusedPlainly() throws {
        let error = #expect(throws: DisplayError.self) {
            _ = try Self.lightInOrder(["Virtual-1", "Virtual-2", "Virtual-3"], on: Self.threeHeads)
        }
        #expect(error?.description
            == "no free CRTC can drive Virtual-3 on /dev/dri/card0: drive fewer outputs, or choose another connector")
    }

    @Test func aModeChosenAlreadyIsKept() throws {
        let plan = try OutputChoice.plan(Self.threeHeads, connector: "virtual-1", mode: nil, device: "d", modeIndex: 0)
        #expect(plan.modeIndex == 0 && plan.mode == Self.modes[0])
        let preferred = try OutputChoice.plan(Self.threeHeads, connector: "Virtual-1", mode: nil, device: "d")
        #expect(preferred.modeIndex == 1)
    }

    // MARK: monitors

    @Test func connectorsBecomeMonitors() {
        let panel = ConnectorState(id: 60, name: "eDP-1", status: .connected, modes: Self.modes, encoderIDs: [],
                                   type: 14, widthMM: 302, heightMM: 188, identity: "BOE 0x0747")
        let monitor = panel.monitor
        #expect(monitor == Monitor(connector: "eDP-1", identity: "BOE 0x0747", modes: [Self.modes[1], Self.modes[0]],
                                   widthMM: 302, heightMM: 188, isBuiltIn: true))
        #expect(monitor.key == "eDP-1 BOE 0x0747")
        for (type, builtIn) in [(7 as UInt32, true), (16, true), (11, false), (15, false), (0, false)] {
            let connector = ConnectorState(id: 1, name: "X-1", status: .connected, modes: [], encoderIDs: [], type: type)
            #expect(connector.isBuiltIn == builtIn, "type \(type)")
        }
    }

    // MARK: EDID

    /// An EDID base block as a monitor sends it: header, manufacturer,
    /// product, serial, a detailed timing and a monitor name descriptor.
    static func edid(manufacturer: String = "GSM", product: UInt16 = 0x5b09, serial: UInt32 = 16_843_009,
                     name: [UInt8]? = Array("LG TV".utf8), nameAt offset: Int = 72) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 128)
        bytes[0..<8] = [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]
        let letters = manufacturer.utf8.map { UInt16($0) - 64 }
        let packed = letters[0] << 10 | letters[1] << 5 | letters[2]
        bytes[8] = UInt8(packed >> 8)
        bytes[9] = UInt8(packed & 0xFF)
        bytes[10] = UInt8(product & 0xFF)
        bytes[11] = UInt8(product >> 8)
        for i in 0..<4 { bytes[12 + i] = UInt8((serial >> (8 * UInt32(i))) & 0xFF) }
        bytes[18] = 1; bytes[19] = 3  // EDID 1.3
        bytes[54] = 0x02; bytes[55] = 0x3A  // a detailed timing: pixel clock 148.5 MHz
        if let name {
            bytes[offset..<(offset + 5)] = [0, 0, 0, 0xFC, 0]
            var text = Array(name.prefix(13))
            if text.count < 13 { text.append(0x0A) }
            while text.count < 13 { text.append(0x20) }
            bytes[(offset + 5)..<(offset + 18)] = text[...]
        }
        var sum: UInt8 = 0
        for byte in bytes[0..<127] { sum &+= byte }
        bytes[127] = 0 &- sum
        return bytes
    }

    @Test func edidIdentityHasMakerProductSerialAndName() {
        #expect(EDID.identity(Self.edid()) == "GSM 0x5b09 #16843009 LG TV")
        #expect(EDID.identity(Self.edid(nameAt: 108)) == "GSM 0x5b09 #16843009 LG TV", "the name in the last descriptor")
        #expect(EDID.identity(Self.edid(manufacturer: "DEL", product: 0x00a1, serial: 0, name: nil)) == "DEL 0x00a1",
                "no serial, no name")
        // An extension block after the base block changes nothing.
        #expect(EDID.identity(Self.edid() + [UInt8](repeating: 0x02, count: 128)) == "GSM 0x5b09 #16843009 LG TV")
    }

    /// The EDID QEMU's virtio-gpu gives Virtual-1 (its base block, read
    /// from /sys/class/drm/card0-Virtual-1/edid in the e2e guest).
    static let qemuEDID: [UInt8] = """
        00 ff ff ff ff ff ff 00 49 14 34 12 00 00 00 00 2a 18 01 04 a5 20 14 78 06 ee 91 a3 54 4c 99 26
        0f 50 54 21 08 00 e1 c0 d1 c0 d1 00 a9 40 b3 00 95 00 81 80 81 40 ea 29 00 c0 51 20 1c 30 40 26
        44 40 45 cb 10 00 00 18 00 00 00 f7 00 0a 00 40 82 00 28 20 00 00 00 00 00 00 00 00 00 fd 00 32
        7d 1e a0 ff 01 0a 20 20 20 20 20 20 00 00 00 fc 00 51 45 4d 55 20 4d 6f 6e 69 74 6f 72 0a 01 3a
        """.split(whereSeparator: \.isWhitespace).map { UInt8($0, radix: 16)! }

    @Test func qemusEDID() {
        #expect(Self.qemuEDID.count == 128)
        #expect(EDID.identity(Self.qemuEDID) == "RHT 0x1234 QEMU Monitor")
    }

    @Test func edidNameKeepsPrintableASCIIOnly() {
        let hostile: [UInt8] = [0x1B, 0x5B, 0x32, 0x4A, 0x4C, 0x47, 0x07, 0xC3, 0xA9, 0x54, 0x56, 0x7F, 0x20]
        #expect(EDID.identity(Self.edid(name: hostile)) == "GSM 0x5b09 #16843009 [2JLGTV")
        #expect(EDID.identity(Self.edid(name: [0x01, 0x02, 0x20, 0x20])) == "GSM 0x5b09 #16843009", "nothing printable: no name")
    }

    @Test func edidThatIsNoneIsNil() {
        let good = Self.edid()
        #expect(EDID.identity(Array(good.prefix(127))) == nil, "truncated")
        #expect(EDID.identity([]) == nil)
        var badHeader = good
        badHeader[7] = 0xFF
        #expect(EDID.identity(badHeader) == nil, "bad header")
        var badMaker = good
        badMaker[8] = 0; badMaker[9] = 0  // letter 0 is no letter
        #expect(EDID.identity(badMaker) == nil, "manufacturer not three letters")
        var highBit = good
        highBit[8] |= 0x80
        #expect(EDID.identity(highBit) == nil, "reserved bit set")
    }

    // MARK: hotplug events

    @Test func onlyHotplugChangesOfOurCardCount() {
        let hotplug = ["HOTPLUG": "1", "SUBSYSTEM": "drm", "DEVNAME": "dri/card0"]
        func counts(_ action: String?, _ properties: [String: String], _ devnode: String?) -> Bool {
            HotplugFilter.isHotplug(action: action, properties: properties, devnode: devnode, ours: "/dev/dri/card0")
        }
        #expect(counts("change", hotplug, "/dev/dri/card0"))
        #expect(counts("change", hotplug.merging(["CONNECTOR": "36"]) { $1 }, "/dev/dri/card0"), "one connector's change")
        #expect(!counts("change", hotplug, "/dev/dri/card1"), "another card")
        #expect(!counts("change", hotplug, "/dev/dri/renderD128"), "the render node")
        #expect(!counts("change", hotplug, nil), "a connector's own device has no node")
        #expect(!counts("add", hotplug, "/dev/dri/card0"))
        #expect(!counts("remove", hotplug, "/dev/dri/card0"))
        #expect(!counts(nil, hotplug, "/dev/dri/card0"))
        #expect(!counts("change", ["HOTPLUG": "0"], "/dev/dri/card0"))
        #expect(!counts("change", ["LEASE": "1"], "/dev/dri/card0"), "a lease change is no hotplug")
    }

    // MARK: flip events of several heads on one fd

    @Test func aHeadWaitingForItsFlipCountsAnothersToo() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let reader = FlipEventReader(fd: fds[0])
        let left = PageFlipEvents(), right = PageFlipEvents()
        left.didRequest()
        right.didRequest()
        // The right head's flip completes first; the left one waits and reads both.
        for (record, sequence) in [(right, UInt32(7)), (left, UInt32(8))] {
            let event = DRMBackendTests.flipEvent(userData: record.userData, sequence: sequence)
            #expect(write(fds[1], event, event.count) == event.count)
        }
        #expect(reader.wait(left, timeoutNanoseconds: 1_000_000_000) == (true, nil))
        #expect(!reader.isPending(right), "the right head's flip was counted on its own record")
        #expect(right.completed == 1 && right.lastSequence == 7 && left.completed == 1 && left.lastSequence == 8)
        // Nothing is left on the fd for the right head to wait for.
        #expect(reader.wait(right, timeoutNanoseconds: 0) == (true, nil))
    }
}
