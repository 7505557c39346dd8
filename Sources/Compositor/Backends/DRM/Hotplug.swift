import CUDev
import Logging
import Threads

#if canImport(Glibc)
import Glibc
#endif

/// Which udev events mean "monitors may have come or gone on our card".
package enum HotplugFilter {
    /// The kernel sends `change` with HOTPLUG=1 on the card's node when a
    /// connector's state changed (a cable, a TV switched off, a virtual
    /// display resized); other cards' events and other actions are not ours.
    package static func isHotplug(action: String?, properties: [String: String], devnode: String?,
                                  ours: String) -> Bool {
        action == "change" && properties["HOTPLUG"] == "1" && devnode == ours
    }
}

/// A udev monitor on subsystem "drm" in a thread of its own, calling
/// `handler` for each hotplug event of one card. From udevd when it runs
/// (/run/udev/control), else straight from the kernel's uevents.
final class HotplugMonitor: Sendable {
    private let thread: ServiceThread

    /// How often the thread looks whether it should stop, between events.
    static let stopCheckMilliseconds: Int32 = 200

    private init(thread: ServiceThread) { self.thread = thread }

    /// nil when udev cannot be used: said once in the log, and wskdesk goes
    /// on with the monitors it has.
    static func start(devicePath: String, logger: Logger, handler: @escaping @Sendable () -> Void) -> HotplugMonitor? {
        let unavailable = { (why: String) in
            logger.notice("udev is unavailable (\(why)): monitors plugged in or unplugged later are not noticed")
        }
        guard let udev = udev_new() else {
            unavailable("udev_new failed")
            return nil
        }
        let source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel"
        guard let monitor = udev_monitor_new_from_netlink(udev, source) else {
            udev_unref(udev)
            unavailable("no netlink socket for \(source) events")
            return nil
        }
        guard udev_monitor_filter_add_match_subsystem_devtype(monitor, "drm", nil) == 0,
              udev_monitor_enable_receiving(monitor) == 0 else {
            let code = errno
            udev_monitor_unref(monitor)
            udev_unref(udev)
            unavailable("listening for \(source) events failed: \(errnoDescription(code))")
            return nil
        }
        let ours = canonicalPath(devicePath)
        let handles = UDevHandles(udev: udev, monitor: monitor)
        let thread = ServiceThread(name: "drm-hotplug")
        thread.start { thread in
            defer { handles.release() }
            let fd = udev_monitor_get_fd(handles.monitor)
            while thread.isRunning {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, HotplugMonitor.stopCheckMilliseconds)
                if ready < 0 && errno != EINTR {
                    logger.warning("udev monitor: \(errnoDescription(errno)); monitors plugged in later are not noticed")
                    return
                }
                guard ready > 0 else { continue }
                var hotplug = false
                while let device = udev_monitor_receive_device(handles.monitor) {
                    if HotplugFilter.isHotplug(action: HotplugMonitor.text(udev_device_get_action(device)),
                                               properties: HotplugMonitor.properties(device),
                                               devnode: HotplugMonitor.text(udev_device_get_devnode(device)), ours: ours) {
                        hotplug = true
                    }
                    udev_device_unref(device)
                }
                // Several events in one read (a replug) are one change to look at.
                if hotplug {
                    logger.info("hotplug event on \(ours)")
                    handler()
                }
            }
        }
        logger.debug("watching \(source) events for hotplugs on \(ours)")
        return HotplugMonitor(thread: thread)
    }

    /// Ends the thread and waits for it (at most `stopCheckMilliseconds`).
    func stop() { thread.stop() }

    private static func text(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func properties(_ device: OpaquePointer) -> [String: String] {
        var result: [String: String] = [:]
        var entry = udev_device_get_properties_list_entry(device)
        while let current = entry {
            if let name = udev_list_entry_get_name(current) {
                result[String(cString: name)] = text(udev_list_entry_get_value(current)) ?? ""
            }
            entry = udev_list_entry_get_next(current)
        }
        return result
    }

    /// The path with symlinks resolved (/dev/dri/by-path/... -> /dev/dri/card0),
    /// as udev names the node.
    private static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// udev's handles, used by the monitor thread only, freed when it ends.
private final class UDevHandles: @unchecked Sendable {
    let udev: OpaquePointer
    let monitor: OpaquePointer

    init(udev: OpaquePointer, monitor: OpaquePointer) {
        self.udev = udev
        self.monitor = monitor
    }

    func release() {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }
}
