#if canImport(Glibc)
import Glibc
#endif

/// Every way opening a DRM output can fail in the user's environment, each
/// one line saying what to do. Tests pin these texts; the Compositor README
/// lists them.
extension DisplayError {
    package static let noDRMDevice = DisplayError(
        "no DRM device (/dev/dri/card*): use --backend headless, or load your GPU's kernel driver")

    package static func noSuchDevice(_ path: String) -> DisplayError {
        DisplayError("no DRM device at \(path): check the path (ls /dev/dri), or use --backend headless")
    }

    /// `path` exists but is no DRM device node (`kind`: "a regular file",
    /// "the character device 1:3"): nothing to ask a seat for.
    package static func notDRMDevice(_ path: String, kind: String) -> DisplayError {
        DisplayError("\(path) is not a DRM device (it is \(kind)): pass a card from /dev/dri (ls /dev/dri), or leave --drm-device out")
    }

    package static func permissionDenied(_ path: String) -> DisplayError {
        DisplayError("permission denied on \(path): run wskdesk from a VT through a seat (logind/seatd) or add yourself to the 'video' group")
    }

    package static func notMaster(_ path: String) -> DisplayError {
        DisplayError("another program (an X server or compositor) holds DRM master on \(path): switch to a free VT")
    }

    package static func notKMS(_ path: String) -> DisplayError {
        DisplayError("\(path) cannot set display modes (a render-only GPU?): pick another /dev/dri/card*, or use --backend headless")
    }

    package static func noDumbBuffers(_ path: String, driver: String) -> DisplayError {
        DisplayError("\(path) (\(driver)) has no dumb buffers, so it cannot show CPU-drawn frames: use --backend headless")
    }

    package static func noConnectedDisplay(_ path: String, connectors: [ConnectorState]) -> DisplayError {
        DisplayError("no connected display on \(path) (connectors: \(ConnectorState.list(connectors))): plug in a monitor, or use --backend headless")
    }

    package static func noSuchConnector(_ name: String, on path: String, connectors: [ConnectorState]) -> DisplayError {
        DisplayError("no connector '\(name)' on \(path): available: \(ConnectorState.list(connectors))")
    }

    package static func notConnected(_ name: String, on path: String) -> DisplayError {
        DisplayError("connector \(name) on \(path) has no display connected: plug one in, or choose another with --output")
    }

    package static func noModes(_ name: String, on path: String) -> DisplayError {
        DisplayError("connector \(name) on \(path) reports no display modes: check the cable and that the monitor is on")
    }

    package static func noSuchMode(_ request: ModeRequest, connector: String, modes: [DisplayMode]) -> DisplayError {
        DisplayError("mode \(request) is not offered by \(connector): available: \(ModeChoice.list(modes))")
    }

    package static func noCRTC(_ name: String, on path: String) -> DisplayError {
        DisplayError("no free CRTC can drive \(name) on \(path): drive fewer outputs, or choose another connector")
    }

    package static func lostMaster(_ path: String) -> DisplayError {
        DisplayError("lost DRM master on \(path) (switched to another VT?): switch back to wskdesk's VT", isOutputAway: true)
    }

    /// A libdrm call or system call failed with `code` (an errno value).
    package static func failed(_ what: String, on path: String, errno code: Int32) -> DisplayError {
        DisplayError("\(what) failed on \(path): \(errnoDescription(code))")
    }
}

/// "Invalid argument (EINVAL)"-style text for an errno value.
package func errnoDescription(_ code: Int32) -> String {
    let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO", EBADF: "EBADF",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY",
        ENODEV: "ENODEV", EINVAL: "EINVAL", ENOSPC: "ENOSPC", ENOSYS: "ENOSYS", EOPNOTSUPP: "EOPNOTSUPP",
    ]
    let text = strerror(code).map { String(cString: $0) } ?? "error \(code)"
    return names[code].map { "\(text) (\($0))" } ?? text
}
