import CLibInput
import CLogSinks
import CUDev
import Foundation
import Logging
import Synchronization
import Threads

#if canImport(Glibc)
    import Glibc
#endif

/// How input devices are opened and closed: libinput's `open_restricted` and
/// `close_restricted`. Direct `open(2)` by default (root, or the `input`
/// group); the session layer passes libseat's here.
public struct DeviceAccess: Sendable {
    /// Returns a file descriptor, or a negative errno.
    public var open: @Sendable (_ path: String, _ flags: Int32) -> Int32
    public var close: @Sendable (_ fd: Int32) -> Void

    public init(open: @escaping @Sendable (String, Int32) -> Int32, close: @escaping @Sendable (Int32) -> Void) {
        self.open = open
        self.close = close
    }

    public static let direct = DeviceAccess(
        open: { path, flags in
            let fd = Glibc.open(path, flags | O_CLOEXEC)
            return fd >= 0 ? fd : -errno
        },
        close: { fd in _ = Glibc.close(fd) })
}

/// Which devices libinput reads.
public enum InputDevices: Sendable, Equatable {
    /// Every input device of a seat, found and hot-plugged through udev.
    case seat(String)
    /// Exactly these device nodes (`/dev/input/event3`), no hot-plug.
    case paths([String])
}

/// libinput could not be set up at all.
public struct InputDeviceError: Error, CustomStringConvertible {
    public let description: String
}

/// libinput: keyboards, mice, touchpads, touch screens and tablets, turned
/// into `DeviceEvent`s on a thread of its own that polls libinput's fd.
/// Pointer motion comes with libinput's acceleration; scroll in whole steps;
/// a tablet's pen drives the pointer; touch screens' fingers go to ui_server
/// as touch events, which maps them to their output.
public final class LibInputSource: @unchecked Sendable {
    // `li`, `devices`, `touchDevices`, `scroll` and `leds` belong to the poll
    // thread once it runs (before that, to the thread in init); other threads
    // reach it only through `commands` and the pipe `wakeFD`.
    private var li: OpaquePointer?
    private let interface: UnsafeMutablePointer<libinput_interface>
    /// A pipe: other threads write a byte to `wakeFD.write` to wake the poll.
    private let wakeFD: (read: Int32, write: Int32)
    private let access: DeviceAccess
    /// Takes each event; returns the keyboard lights when the event changed them.
    private let handler: @Sendable (DeviceEvent) -> KeyboardLEDs?
    let logger: Logger
    public let devicesWanted: InputDevices

    private var devices: [OpaquePointer: String] = [:]
    /// Touchscreens, numbered as they are added (from 1; 0 is a script's).
    private var touchDevices: [OpaquePointer: TouchDevice] = [:]
    private var lastTouchID: UInt32 = 0
    private var scroll = ScrollAccumulator()
    private var leds: KeyboardLEDs = []
    private var tornDown = false

    private enum Command { case stop, suspend, resume, leds(KeyboardLEDs) }
    private let commands = Mutex<[Command]>([])
    private let openErrors = Mutex<[String: Int32]>([:])
    private let thread = ServiceThread(name: "libinput")

    /// Opens libinput on `devices`. Devices that fail to open are logged and
    /// left out; only a libinput that cannot start at all is an error.
    /// `handler` gets each event on the poll thread and returns the keyboard
    /// lights when the event changed them (`InputPipeline.handle`), which
    /// are then set on every keyboard.
    public init(devices: InputDevices, access: DeviceAccess = .direct, logger: Logger,
                handler: @escaping @Sendable (DeviceEvent) -> KeyboardLEDs?) throws(InputDeviceError)
    {
        self.devicesWanted = devices
        self.access = access
        self.handler = handler
        self.logger = logger
        interface = .allocate(capacity: 1)
        interface.initialize(to: libinput_interface(open_restricted: openRestricted, close_restricted: closeRestricted))
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            }
        }
        wakeFD = (fds[0], fds[1])
        guard wakeFD.read >= 0 else {
            teardown()
            throw InputDeviceError(description: "cannot create a pipe for libinput: \(String(cString: strerror(errno)))")
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        switch devices {
        case .seat(let seat):
            guard let udev = udev_new() else {
                teardown()
                throw InputDeviceError(description: "cannot start udev for seat \(seat)")
            }
            li = libinput_udev_create_context(interface, me, udev)
            udev_unref(udev)
            guard let li else {
                teardown()
                throw InputDeviceError(description: "cannot create a libinput context for seat \(seat)")
            }
            configureLogging(li)
            guard libinput_udev_assign_seat(li, seat) == 0 else {
                teardown()
                throw InputDeviceError(description: "libinput cannot use seat '\(seat)' (is udev running? /run/udev)")
            }
        case .paths(let paths):
            li = libinput_path_create_context(interface, me)
            guard let li else {
                teardown()
                throw InputDeviceError(description: "cannot create a libinput context")
            }
            configureLogging(li)
            for path in paths where libinput_path_add_device(li, path) == nil {
                let code = openErrors.withLock { $0[path] }
                let reason: String
                if let code {
                    reason = String(cString: strerror(code)) + (code == EACCES ? " (run as root or in the input group)" : "")
                } else if !FileManager.default.fileExists(atPath: path) {
                    reason = "no such device"
                } else {
                    reason = "libinput cannot use it (not an evdev device, or udev has not set it up)"
                }
                logger.error("input device \(path): \(reason)")
            }
        }
    }

    deinit {
        if !thread.hasStarted { teardown() }
    }

    private func configureLogging(_ li: OpaquePointer) {
        wsk_libinput_set_log_sink(li, libinputLogSink)
        libinput_log_set_priority(li, LIBINPUT_LOG_PRIORITY_INFO)
    }

    /// Idempotent: a failed init tears down, and deinit may come after.
    private func teardown() {
        guard !tornDown else { return }
        tornDown = true
        if let li { libinput_unref(li) }  // closes the devices through `access`
        li = nil
        if wakeFD.read >= 0 {
            Glibc.close(wakeFD.read)
            Glibc.close(wakeFD.write)
        }
        interface.deinitialize(count: 1)
        interface.deallocate()
    }

    // MARK: Control, from any thread

    /// Starts the poll thread. The initial devices are reported from it.
    public func start() {
        thread.start { _ in self.run() }  // holds the source until the loop ends
    }

    /// Ends the poll thread, closes every device and waits for it.
    public func stop() {
        guard thread.isRunning else {
            thread.join()  // a second stop returns once the first has
            return
        }
        post(.stop)
        thread.stop()
    }

    /// Closes the devices until `resume()` (the session was paused: another
    /// VT has the seat).
    public func suspend() { post(.suspend) }
    public func resume() { post(.resume) }

    /// Lights the keyboards' LEDs (from another thread).
    public func setLEDs(_ leds: KeyboardLEDs) { post(.leds(leds)) }

    private func post(_ command: Command) {
        commands.withLock { $0.append(command) }
        var one: UInt8 = 1
        _ = write(wakeFD.write, &one, 1)
    }

    // MARK: The poll thread

    private func run() {
        defer { teardown() }
        guard let li else { return }
        drain(li)
        if devices.isEmpty {
            switch devicesWanted {
            case .seat(let seat):
                logger.notice("no input devices on \(seat): running without input (devices need root or the input group; udev must have tagged them)")
            case .paths:
                logger.notice("none of the input devices could be opened: running without input")
            }
        }
        var fds = [pollfd(fd: libinput_get_fd(li), events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeFD.read, events: Int16(POLLIN), revents: 0)]
        while true {
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                logger.error("libinput poll failed: \(String(cString: strerror(errno))); input stops")
                return
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                var bytes = [UInt8](repeating: 0, count: 64)
                while read(wakeFD.read, &bytes, bytes.count) > 0 {}
                for command in commands.withLock({ list in defer { list.removeAll() }; return list }) {
                    switch command {
                    case .stop: return
                    case .suspend: libinput_suspend(li)
                    case .resume:
                        if libinput_resume(li) != 0 { logger.error("libinput could not resume its devices") }
                    case .leds(let new): setLEDsNow(new)
                    }
                }
                drain(li)
            }
            if fds[0].revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 { drain(li) }
        }
    }

    private func drain(_ li: OpaquePointer) {
        if libinput_dispatch(li) != 0 { logger.debug("libinput_dispatch: \(String(cString: strerror(errno)))") }
        while let event = libinput_get_event(li) {
            process(event)
            libinput_event_destroy(event)
        }
    }

    private func process(_ event: OpaquePointer) {
        let type = libinput_event_get_type(event)
        let device = libinput_event_get_device(event)!
        switch type {
        case LIBINPUT_EVENT_DEVICE_ADDED:
            deviceAdded(device)
        case LIBINPUT_EVENT_DEVICE_REMOVED:
            // libinput has already released whatever the device held; a
            // finger still down on a touchscreen ends here.
            let name = devices.removeValue(forKey: device) ?? describe(device)
            if let touch = touchDevices.removeValue(forKey: device) {
                deliver(.touch(.cancel(device: touch.id)))
                deliver(.touch(.frame(device: touch.id)))
            }
            logger.info("input device removed: \(name)")
        case LIBINPUT_EVENT_KEYBOARD_KEY:
            let key = libinput_event_get_keyboard_event(event)!
            let pressed = libinput_event_keyboard_get_key_state(key) == LIBINPUT_KEY_STATE_PRESSED
            // With two keyboards, only the first press and the last release count.
            let held = libinput_event_keyboard_get_seat_key_count(key)
            guard pressed ? held == 1 : held == 0 else { return }
            deliver(.key(code: libinput_event_keyboard_get_key(key), pressed: pressed))
        case LIBINPUT_EVENT_POINTER_MOTION:
            let pointer = libinput_event_get_pointer_event(event)!
            deliver(.pointerMotion(dx: libinput_event_pointer_get_dx(pointer), dy: libinput_event_pointer_get_dy(pointer)))
        case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE:
            let pointer = libinput_event_get_pointer_event(event)!
            deliver(.pointerMotionAbsolute(
                x: libinput_event_pointer_get_absolute_x_transformed(pointer, 1),
                y: libinput_event_pointer_get_absolute_y_transformed(pointer, 1)))
        case LIBINPUT_EVENT_POINTER_BUTTON:
            let pointer = libinput_event_get_pointer_event(event)!
            let pressed = libinput_event_pointer_get_button_state(pointer) == LIBINPUT_BUTTON_STATE_PRESSED
            let held = libinput_event_pointer_get_seat_button_count(pointer)
            guard pressed ? held == 1 : held == 0 else { return }
            deliver(.pointerButton(button: libinput_event_pointer_get_button(pointer), pressed: pressed))
        case LIBINPUT_EVENT_POINTER_SCROLL_WHEEL:
            let pointer = libinput_event_get_pointer_event(event)!
            let (x, y) = axes(pointer) { libinput_event_pointer_get_scroll_value_v120(pointer, $0) }
            if let steps = scroll.wheel(v120: x, y) { deliver(.pointerScroll(dx: steps.dx, dy: steps.dy)) }
        case LIBINPUT_EVENT_POINTER_SCROLL_FINGER, LIBINPUT_EVENT_POINTER_SCROLL_CONTINUOUS:
            let pointer = libinput_event_get_pointer_event(event)!
            let (x, y) = axes(pointer) { libinput_event_pointer_get_scroll_value(pointer, $0) }
            if let steps = scroll.continuous(x, y) { deliver(.pointerScroll(dx: steps.dx, dy: steps.dy)) }
        case LIBINPUT_EVENT_TOUCH_DOWN, LIBINPUT_EVENT_TOUCH_MOTION:
            guard let info = touchDevices[device] else { return }
            let touch = libinput_event_get_touch_event(event)!
            // The seat slot is never negative (a single-touch device's finger
            // has one too), and names the finger until it lifts.
            let slot = UInt32(clamping: libinput_event_touch_get_seat_slot(touch))
            // [0, 1] of the device after libinput's calibration matrix.
            let x = libinput_event_touch_get_x_transformed(touch, 1)
            let y = libinput_event_touch_get_y_transformed(touch, 1)
            deliver(.touch(type == LIBINPUT_EVENT_TOUCH_DOWN
                ? .down(info, slot: slot, x: x, y: y) : .motion(device: info.id, slot: slot, x: x, y: y)))
        case LIBINPUT_EVENT_TOUCH_UP:
            guard let info = touchDevices[device] else { return }
            let touch = libinput_event_get_touch_event(event)!
            deliver(.touch(.up(device: info.id, slot: UInt32(clamping: libinput_event_touch_get_seat_slot(touch)))))
        case LIBINPUT_EVENT_TOUCH_CANCEL:
            // libinput cancels finger by finger (a palm); the protocol, like
            // Wayland's wl_touch.cancel, cancels the device's every finger:
            // the pipeline passes on the first cancel, and drops the rest
            // and whatever those fingers still do.
            guard let info = touchDevices[device] else { return }
            deliver(.touch(.cancel(device: info.id)))
        case LIBINPUT_EVENT_TOUCH_FRAME:
            guard let info = touchDevices[device] else { return }
            deliver(.touch(.frame(device: info.id)))
        case LIBINPUT_EVENT_TABLET_TOOL_AXIS, LIBINPUT_EVENT_TABLET_TOOL_PROXIMITY:
            let tool = libinput_event_get_tablet_tool_event(event)!
            deliver(.pointerMotionAbsolute(x: libinput_event_tablet_tool_get_x_transformed(tool, 1),
                                           y: libinput_event_tablet_tool_get_y_transformed(tool, 1)))
        case LIBINPUT_EVENT_TABLET_TOOL_TIP:
            let tool = libinput_event_get_tablet_tool_event(event)!
            deliver(.pointerMotionAbsolute(x: libinput_event_tablet_tool_get_x_transformed(tool, 1),
                                           y: libinput_event_tablet_tool_get_y_transformed(tool, 1)))
            let down = libinput_event_tablet_tool_get_tip_state(tool) == LIBINPUT_TABLET_TOOL_TIP_DOWN
            deliver(.pointerButton(button: Self.buttonLeft, pressed: down))
        case LIBINPUT_EVENT_TABLET_TOOL_BUTTON:
            let tool = libinput_event_get_tablet_tool_event(event)!
            deliver(.pointerButton(button: libinput_event_tablet_tool_get_button(tool),
                                   pressed: libinput_event_tablet_tool_get_button_state(tool) == LIBINPUT_BUTTON_STATE_PRESSED))
        default:
            break  // gestures, switches, pads, the legacy axis event
        }
    }

    /// Linux BTN_LEFT.
    static let buttonLeft: UInt32 = 0x110

    private func axes(_ pointer: OpaquePointer, _ value: (libinput_pointer_axis) -> Double) -> (Double, Double) {
        let h = LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL
        let v = LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL
        return (libinput_event_pointer_has_axis(pointer, h) != 0 ? value(h) : 0,
                libinput_event_pointer_has_axis(pointer, v) != 0 ? value(v) : 0)
    }

    private func deviceAdded(_ device: OpaquePointer) {
        let name = describe(device)
        devices[device] = name
        var kinds: [String] = []
        for (capability, kind) in [(LIBINPUT_DEVICE_CAP_KEYBOARD, "keyboard"), (LIBINPUT_DEVICE_CAP_POINTER, "pointer"),
                                   (LIBINPUT_DEVICE_CAP_TOUCH, "touch"), (LIBINPUT_DEVICE_CAP_TABLET_TOOL, "tablet")]
        where libinput_device_has_capability(device, capability) != 0 {
            kinds.append(kind)
        }
        // Touchpads: tap to click, as users of other desktops expect.
        if libinput_device_config_tap_get_finger_count(device) > 0 {
            _ = libinput_device_config_tap_set_enabled(device, LIBINPUT_CONFIG_TAP_ENABLED)
            kinds.append("tap to click")
        }
        logger.info("input device added: \(name) [\(kinds.joined(separator: ", "))]")
        if libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_TOUCH) != 0 { touchscreenAdded(device, name: name) }
        updateLEDs(device)
    }

    /// Numbers a touchscreen and logs what its output mapping goes by: its
    /// size, udev's output hint, and the calibration libinput applies (udev's
    /// `LIBINPUT_CALIBRATION_MATRIX`, already in the coordinates it reports).
    private func touchscreenAdded(_ device: OpaquePointer, name: String) {
        lastTouchID &+= 1
        var width = 0.0, height = 0.0
        let sized = libinput_device_get_size(device, &width, &height) == 0
        let hint = libinput_device_get_output_name(device).map { String(cString: $0) } ?? ""
        let info = TouchDevice(
            id: lastTouchID, widthMM: sized ? UInt32(clamping: Int(width.rounded())) : 0,
            heightMM: sized ? UInt32(clamping: Int(height.rounded())) : 0, outputHint: hint)
        touchDevices[device] = info
        var matrix = [Float](repeating: 0, count: 6)
        let calibrated = libinput_device_config_calibration_has_matrix(device) != 0
            && libinput_device_config_calibration_get_matrix(device, &matrix) != 0
        let calibration = calibrated
            ? "calibration matrix \(matrix.map { String(format: "%g", $0) }.joined(separator: " "))"
            : "no calibration matrix (identity)"
        let size = sized ? "\(info.widthMM)x\(info.heightMM) mm" : "size unknown"
        logger.info("touch device \(info.id): \(name), \(size), output hint \(hint.isEmpty ? "none" : hint), \(calibration)")
    }

    /// Hands an event on; sets the keyboard lights if it changed them.
    private func deliver(_ event: DeviceEvent) {
        if let lights = handler(event) { setLEDsNow(lights) }
    }

    private func setLEDsNow(_ new: KeyboardLEDs) {
        leds = new
        for device in devices.keys { updateLEDs(device) }
    }

    private func updateLEDs(_ device: OpaquePointer) {
        guard libinput_device_has_capability(device, LIBINPUT_DEVICE_CAP_KEYBOARD) != 0 else { return }
        libinput_device_led_update(device, libinput_led(rawValue: leds.rawValue))
    }

    private func describe(_ device: OpaquePointer) -> String {
        let name = libinput_device_get_name(device).map { String(cString: $0) } ?? "?"
        let node = libinput_device_get_sysname(device).map { String(cString: $0) } ?? "?"
        return "\(name) (\(node))"
    }

    // MARK: Callbacks from libinput (on whichever thread called into it)

    fileprivate func open(_ path: String, flags: Int32) -> Int32 {
        let fd = access.open(path, flags)
        openErrors.withLock { $0[path] = fd < 0 ? -fd : nil }
        if fd < 0 { logger.debug("open \(path): \(String(cString: strerror(-fd)))") }
        return fd
    }

    fileprivate func close(_ fd: Int32) { access.close(fd) }
}

private func source(_ userData: UnsafeMutableRawPointer?) -> LibInputSource {
    Unmanaged<LibInputSource>.fromOpaque(userData!).takeUnretainedValue()
}

private let openRestricted: @convention(c) (UnsafePointer<CChar>?, Int32, UnsafeMutableRawPointer?) -> Int32 = {
    path, flags, userData in
    guard let path else { return -EINVAL }
    return source(userData).open(String(cString: path), flags: flags)
}

private let closeRestricted: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { fd, userData in
    source(userData).close(fd)
}

/// The shim calls this with libinput's user data: the `LibInputSource`.
private let libinputLogSink: wsk_log_sink = { context, priority, line in
    guard let context, let line else { return }
    let logger = Unmanaged<LibInputSource>.fromOpaque(context).takeUnretainedValue().logger
    let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
    switch priority {
    case Int32(LIBINPUT_LOG_PRIORITY_ERROR.rawValue)...: logger.warning("libinput: \(text)")
    case Int32(LIBINPUT_LOG_PRIORITY_INFO.rawValue)...: logger.debug("libinput: \(text)")
    default: logger.trace("libinput: \(text)")
    }
}
