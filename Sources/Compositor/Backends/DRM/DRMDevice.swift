import CDRM

#if canImport(Glibc)
import Glibc
#endif

/// An open DRM card: its fd and the libdrm calls wskdesk makes on it.
/// Closed exactly once, by whoever holds it (`close()`).
package struct DRMDevice {
    package let fd: Int32
    package let path: String
    /// Set when the session layer opened the fd and must close it too.
    private let closer: (@Sendable (Int32) -> Void)?
    /// We called drmSetMaster, so we drop it again.
    package private(set) var becameMaster = false

    private init(fd: Int32, path: String, closer: (@Sendable (Int32) -> Void)?) {
        self.fd = fd
        self.path = path
        self.closer = closer
    }

    /// Opens `path` with `opener` (the session layer), or read-write and
    /// close-on-exec directly.
    package static func open(
        _ path: String, opener: ((String) throws -> Int32)? = nil, closer: (@Sendable (Int32) -> Void)? = nil
    ) throws(DisplayError) -> DRMDevice {
        guard let opener else {
            let fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw openError(path, errno: errno) }
            return DRMDevice(fd: fd, path: path, closer: closer)
        }
        let fd: Int32
        do {
            fd = try opener(path)
        } catch let error as DisplayError {
            throw error
        } catch {
            throw DisplayError("cannot open \(path) through the session: \(error)")
        }
        guard fd >= 0 else { throw DisplayError("cannot open \(path) through the session: it returned fd \(fd)") }
        return DRMDevice(fd: fd, path: path, closer: closer)
    }

    /// The character devices' major number of DRM (Linux's DRM_MAJOR).
    static let major: UInt64 = 226

    /// Refuses a path that exists but is no DRM device node, before anyone
    /// opens it: a seat would answer "No such file or directory" for a
    /// device type it does not hand out (seatd does), and a direct open of
    /// /dev/null would be taken for a GPU that cannot set modes.
    package static func checkIsDRMNode(_ path: String) throws(DisplayError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            // Missing, or not ours to look at: open(2) says which.
            if errno == ENOENT || errno == ENOTDIR { throw .noSuchDevice(path) }
            return
        }
        let (major, minor) = deviceNumbers(info.st_rdev)
        switch info.st_mode & S_IFMT {
        case S_IFCHR where major == Self.major: return
        case S_IFCHR: throw .notDRMDevice(path, kind: "the character device \(major):\(minor)")
        case S_IFREG: throw .notDRMDevice(path, kind: "a regular file")
        case S_IFDIR: throw .notDRMDevice(path, kind: "a directory")
        case S_IFBLK: throw .notDRMDevice(path, kind: "a block device")
        default: throw .notDRMDevice(path, kind: "neither a file nor a device")
        }
    }

    /// glibc's major() and minor(), which are macros Swift does not import.
    package static func deviceNumbers(_ rdev: dev_t) -> (major: UInt64, minor: UInt64) {
        let value = UInt64(rdev)
        return (((value >> 8) & 0xfff) | ((value >> 32) & 0xffff_f000), (value & 0xff) | ((value >> 12) & 0xffff_ff00))
    }

    /// What a failed open(2) of `path` means to the user.
    package static func openError(_ path: String, errno code: Int32) -> DisplayError {
        switch code {
        case ENOENT, ENODEV, ENXIO: .noSuchDevice(path)
        case EACCES, EPERM: .permissionDenied(path)
        default: .failed("opening the device", on: path, errno: code)
        }
    }

    /// Drops master if we took it, then closes the fd.
    package func close() {
        if becameMaster { _ = drmDropMaster(fd) }
        if let closer { closer(fd) } else { _ = Glibc.close(fd) }
    }

    /// "/dev/dri/card0", "/dev/dri/card1", ... in numeric order; nil when
    /// `directory` does not exist.
    package static func cardPaths(in directory: String = "/dev/dri") -> [String]? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var cards: [(Int, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix("card"), let number = Int(name.dropFirst(4)), number >= 0 else { continue }
            cards.append((number, "\(directory)/\(name)"))
        }
        return cards.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The kernel driver's name: "virtio_gpu", "bochs-drm", "i915".
    package var driverName: String {
        guard let version = drmGetVersion(fd) else { return "unknown driver" }
        defer { drmFreeVersion(version) }
        guard let name = version.pointee.name else { return "unknown driver" }
        return String(cString: name)
    }

    package var supportsDumbBuffers: Bool {
        var value: UInt64 = 0
        return drmGetCap(fd, UInt64(DRM_CAP_DUMB_BUFFER), &value) == 0 && value != 0
    }

    /// Whether this fd is DRM master now (a seat can take it away).
    package var isMaster: Bool { drmIsMaster(fd) != 0 }

    /// Makes this fd DRM master, or confirms it already is (the first
    /// opener and a logind/seatd session get it without asking).
    package mutating func becomeMaster() throws(DisplayError) {
        if isMaster { return }
        guard drmSetMaster(fd) == 0 else { throw .notMaster(path) }
        becameMaster = true
    }

    /// The card's KMS resources, probing each connector; nil when the card
    /// cannot set modes (a render-only GPU). The raw modes (for
    /// drmModeSetCrtc) are keyed by connector id, in the same order as
    /// the connector's `modes`.
    package func readResources() -> (KMSResources, rawModes: [UInt32: [drmModeModeInfo]])? {
        guard let res = drmModeGetResources(fd) else { return nil }
        defer { drmModeFreeResources(res) }
        let crtcIDs = Self.array(res.pointee.crtcs, res.pointee.count_crtcs)
        let encoders = Self.array(res.pointee.encoders, res.pointee.count_encoders).compactMap { id -> EncoderState? in
            guard let encoder = drmModeGetEncoder(fd, id) else { return nil }
            defer { drmModeFreeEncoder(encoder) }
            return EncoderState(id: id, possibleCRTCs: encoder.pointee.possible_crtcs,
                                currentCRTC: encoder.pointee.crtc_id)
        }
        var rawModes: [UInt32: [drmModeModeInfo]] = [:]
        var connectors: [ConnectorState] = []
        for id in Self.array(res.pointee.connectors, res.pointee.count_connectors) {
            guard let connector = drmModeGetConnector(fd, id) else { continue }
            defer { drmModeFreeConnector(connector) }
            let c = connector.pointee
            let raw = Self.array(c.modes, c.count_modes)
            rawModes[id] = raw
            let status: ConnectionStatus = switch c.connection {
            case DRM_MODE_CONNECTED: .connected
            case DRM_MODE_DISCONNECTED: .disconnected
            default: .unknown
            }
            let properties = connectorProperties(id)
            connectors.append(ConnectorState(
                id: id, name: ConnectorName.name(type: c.connector_type, typeID: c.connector_type_id),
                status: status, modes: raw.map(Self.displayMode),
                encoderIDs: Self.array(c.encoders, c.count_encoders), currentEncoderID: c.encoder_id,
                type: c.connector_type, widthMM: Int(c.mmWidth), heightMM: Int(c.mmHeight),
                identity: properties.edid.flatMap(EDID.identity), dpmsProperty: properties.dpms))
        }
        return (KMSResources(crtcIDs: crtcIDs, connectors: connectors, encoders: encoders), rawModes)
    }

    /// The connector's EDID bytes (its "EDID" blob) and the id of its
    /// "DPMS" property, when it has them.
    package func connectorProperties(_ connector: UInt32) -> (edid: [UInt8]?, dpms: UInt32?) {
        guard let list = drmModeObjectGetProperties(fd, connector, UInt32(DRM_MODE_OBJECT_CONNECTOR)) else { return (nil, nil) }
        defer { drmModeFreeObjectProperties(list) }
        var edid: [UInt8]?, dpms: UInt32?
        let ids = Self.array(list.pointee.props, Int32(list.pointee.count_props))
        let values = Self.array(list.pointee.prop_values, Int32(list.pointee.count_props))
        for (id, value) in zip(ids, values) {
            guard let property = drmModeGetProperty(fd, id) else { continue }
            defer { drmModeFreeProperty(property) }
            let name = withUnsafeBytes(of: property.pointee.name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            switch name {
            case "DPMS": dpms = id
            case "EDID" where value != 0 && value <= UInt64(UInt32.max):
                guard let blob = drmModeGetPropertyBlob(fd, UInt32(value)) else { continue }
                defer { drmModeFreePropertyBlob(blob) }
                if let data = blob.pointee.data, blob.pointee.length > 0 {
                    edid = Array(UnsafeRawBufferPointer(start: data, count: Int(blob.pointee.length)))
                }
            default: break
            }
        }
        return (edid, dpms)
    }

    /// Sets a connector property (DPMS); an errno value on failure.
    package func setConnectorProperty(_ connector: UInt32, property: UInt32, value: UInt64) -> Int32? {
        drmModeConnectorSetProperty(fd, connector, property, value) == 0 ? nil : errno
    }

    package static func displayMode(_ m: drmModeModeInfo) -> DisplayMode {
        DisplayMode(
            width: Int(m.hdisplay), height: Int(m.vdisplay),
            refreshMilliHertz: DisplayMode.refreshMilliHertz(
                clockKHz: m.clock, htotal: m.htotal, vtotal: m.vtotal, vscan: m.vscan,
                flags: m.flags, fallbackHertz: m.vrefresh),
            isPreferred: m.type & UInt32(DRM_MODE_TYPE_PREFERRED) != 0,
            isInterlaced: m.flags & UInt32(DRM_MODE_FLAG_INTERLACE) != 0)
    }

    /// libdrm's own name for a connector type, to check `ConnectorName` against.
    package static func libdrmConnectorTypeName(_ type: UInt32) -> String? {
        drmModeGetConnectorTypeName(type).map { String(cString: $0) }
    }

    /// A CRTC as it is now, to put back later.
    package func saveCRTC(_ id: UInt32, connectors: [UInt32]) -> SavedCRTC? {
        guard let crtc = drmModeGetCrtc(fd, id) else { return nil }
        defer { drmModeFreeCrtc(crtc) }
        let c = crtc.pointee
        return SavedCRTC(id: id, framebuffer: c.buffer_id, x: c.x, y: c.y,
                         mode: c.mode_valid != 0 ? c.mode : nil, connectors: connectors)
    }

    /// Shows `framebuffer` on `crtc` driving `connectors` in `mode`; with
    /// no framebuffer, turns the CRTC off. Returns an errno value on failure.
    package func setCRTC(_ crtc: UInt32, framebuffer: UInt32, x: UInt32 = 0, y: UInt32 = 0,
                         connectors: [UInt32], mode: drmModeModeInfo?) -> Int32? {
        var connectorIDs = connectors
        var modeInfo = mode ?? drmModeModeInfo()
        return connectorIDs.withUnsafeMutableBufferPointer { ids in
            withUnsafeMutablePointer(to: &modeInfo) { modePointer in
                let result = framebuffer == 0 || mode == nil
                    ? drmModeSetCrtc(fd, crtc, 0, 0, 0, nil, 0, nil)
                    : drmModeSetCrtc(fd, crtc, framebuffer, x, y, ids.baseAddress, Int32(ids.count), modePointer)
                return result == 0 ? nil : errno
            }
        }
    }

    /// Puts a saved CRTC back; an errno value on failure.
    package func restore(_ saved: SavedCRTC) -> Int32? {
        guard let mode = saved.mode, saved.framebuffer != 0, !saved.connectors.isEmpty else {
            return setCRTC(saved.id, framebuffer: 0, connectors: [], mode: nil)
        }
        return setCRTC(saved.id, framebuffer: saved.framebuffer, x: saved.x, y: saved.y,
                       connectors: saved.connectors, mode: mode)
    }

    private static func array<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int32) -> [T] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
    }
}

/// A CRTC's configuration before wskdesk took it: what `restore()` puts back.
package struct SavedCRTC {
    package let id: UInt32
    package let framebuffer: UInt32
    package let x: UInt32
    package let y: UInt32
    /// nil: the CRTC was off.
    package let mode: drmModeModeInfo?
    /// The connectors it drove.
    package let connectors: [UInt32]
}
