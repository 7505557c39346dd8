"""One QEMU guest (TCG): its serial console as a log and a line channel,
QMP on a unix socket for input events and screendumps."""

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

from .image import Image

ABS_MAX = 0x7FFF  # QEMU's absolute axis range is 0...ABS_MAX

DISPLAYS = {
    # -vga std: the Bochs VBE adapter, driven by the bochs DRM driver.
    "bochs": ["-vga", "std"],
    # virtio-gpu: shows CPU writes only after a page flip or DirtyFB.
    "virtio": ["-vga", "none", "-device", "virtio-gpu-pci"],
    # virtio-gpu with two outputs (heads 0 and 1, connectors Virtual-1 and
    # Virtual-2). QEMU reports only head 0 connected until a display sets the
    # size of head 1 (`Machine.set_head`, through its D-Bus display).
    "virtio2": ["-vga", "none", "-device", "virtio-gpu-pci,id=gpu,max_outputs=2"],
}

# Displays whose heads the harness plugs and unplugs: QEMU's D-Bus display
# (-display dbus) on a private bus, whose Console_N.SetUIInfo is what a
# display window resized or closed would say. virtio-gpu turns it into a
# display-change event: the guest's kernel reads the outputs again and sends
# a udev HOTPLUG event, as for a monitor plugged or unplugged.
DBUS_DISPLAYS = {"virtio2"}


class Failure(Exception):
    """A scenario's check failed, or the guest did not do something in time."""


class Machine:
    def __init__(self, *, kernel, initramfs, script, display, workdir, deadline, memory_mb=1536, cpus=2):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.deadline = deadline
        self.serial_path = self.workdir / "serial.log"
        self.lines = []
        self._partial = b""
        self._changed = threading.Condition()
        self._closed = False
        self._qmp = None
        self._shots = 0
        self._last_shot = None
        self.screen_width = 1280
        self.screen_height = 800
        script_path = self.workdir / "scenario.sh"
        script_path.write_text(script)
        self._serial_socket = str(self.workdir / "serial.sock")
        self._qmp_socket = str(self.workdir / "qmp.sock")
        for path in (self._serial_socket, self._qmp_socket):
            if os.path.exists(path):
                os.unlink(path)
        command = [
            "qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-cpu", "max",
            "-smp", str(cpus), "-m", str(memory_mb),
            "-kernel", str(kernel.vmlinuz), "-initrd", str(initramfs),
            "-append", "console=ttyS0,115200 rdinit=/init panic=-1 quiet",
            "-no-reboot", "-display", "none", "-monitor", "none", *DISPLAYS[display],
            "-device", "virtio-keyboard-pci", "-device", "virtio-mouse-pci", "-device", "virtio-tablet-pci",
            "-fw_cfg", f"name=opt/wskdesk/scenario,file={script_path}",
            "-chardev", f"socket,id=serial,path={self._serial_socket},server=on,wait=on",
            "-serial", "chardev:serial",
            "-qmp", f"unix:{self._qmp_socket},server=on,wait=off",
        ]
        self._stderr = open(self.workdir / "qemu.stderr", "wb")
        self._bus = None
        if display in DBUS_DISPLAYS:
            self._bus = PrivateBus(self.workdir, self._stderr)
            command[command.index("-display") + 1] = f"dbus,addr={self._bus.address}"
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr)
        self._serial = self._connect(self._serial_socket)
        self._reader = threading.Thread(target=self._read_serial, daemon=True)
        self._reader.start()
        self._qmp = QMP(self._connect(self._qmp_socket))

    def _connect(self, path):
        while True:
            if self.process.poll() is not None:
                raise Failure(f"QEMU exited ({self.process.returncode}): {self._qemu_errors()}")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                self._check_time("QEMU to open its sockets")
                time.sleep(0.05)

    def _qemu_errors(self):
        self._stderr.flush()
        return (self.workdir / "qemu.stderr").read_text(errors="replace").strip()[-2000:]

    # MARK: Serial console

    def _read_serial(self):
        with open(self.serial_path, "wb") as log:
            while True:
                try:
                    data = self._serial.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    break
                log.write(data)
                log.flush()
                with self._changed:
                    self._partial += data
                    *complete, self._partial = self._partial.split(b"\n")
                    self.lines += [c.decode(errors="replace").rstrip("\r") for c in complete]
                    self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(self, text, *, after=0, what=None):
        """Waits for a serial line containing `text` (from line `after` on);
        returns its index. Fails at the scenario's deadline or if the guest ends."""
        return self.wait_for_any([text], after=after, what=what or repr(text))[0]

    def wait_for_any(self, texts, *, after=0, what=None):
        """Waits for a serial line containing any of `texts` (from line
        `after` on); returns (its index, the text found)."""
        with self._changed:
            while True:
                for i in range(after, len(self.lines)):
                    for text in texts:
                        if text in self.lines[i]:
                            return i, text
                if self._closed:
                    raise Failure(f"the guest ended before printing {what or texts}")
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    raise Failure(f"timed out waiting for {what or texts} on the serial console")
                self._changed.wait(min(remaining, 1.0))

    def lines_with(self, text, after=0):
        with self._changed:
            return [line for line in self.lines[after:] if text in line]

    def send(self, word):
        """A line to the guest's `await`."""
        self._serial.sendall(word.encode() + b"\n")

    def mark(self):
        """The index the next serial line will have (for `wait_for(after=)`)."""
        with self._changed:
            return len(self.lines)

    def _check_time(self, what):
        if time.monotonic() > self.deadline:
            raise Failure(f"timed out waiting for {what}")

    # MARK: Input (QMP input-send-event, to the virtio devices)

    def keys(self, *combos, hold=0.03):
        """Each combination in turn: "a", "shift-2", "ctrl-alt-backspace" (QEMU qcodes)."""
        for combo in combos:
            codes = combo.split("-") if combo != "minus" else ["minus"]
            for code in codes:
                self._send([_key(code, True)])
            time.sleep(hold)
            for code in reversed(codes):
                self._send([_key(code, False)])
            time.sleep(hold)

    def key(self, qcode, down):
        """One key pressed or let go, to hold it across other events."""
        self._send([_key(qcode, down)])

    def type_line(self, text):
        """Types `text` and Return, as on a US keyboard (letters, digits, space, / - . only)."""
        names = {" ": "spc", "/": "slash", "-": "minus", ".": "dot", "_": "shift-minus"}
        self.keys(*[names.get(c, c) for c in text], "ret")

    def move_relative(self, dx, dy):
        """The mouse moved by (dx, dy) counts."""
        self._send([_axis("rel", "x", dx), _axis("rel", "y", dy)])

    def move_to(self, x, y):
        """The tablet on pixel (x, y): the value whose scaled position lands
        in the middle of that pixel (libinput maps the axis onto [0, 1),
        value / (ABS_MAX + 1); ui_server maps [0, 1) onto the width)."""
        ax = round((x + 0.5) * (ABS_MAX + 1) / self.screen_width)
        ay = round((y + 0.5) * (ABS_MAX + 1) / self.screen_height)
        self._send([_axis("abs", "x", min(ax, ABS_MAX)), _axis("abs", "y", min(ay, ABS_MAX))])

    def button(self, down, button="left"):
        """A button pressed or released: "left", "right", "wheel-up", ..."""
        self._send([{"type": "btn", "data": {"down": down, "button": button}}])

    def drag(self, points, step=8, pause=0.02, release=True):
        """Press at the first point, move through the others in steps,
        release (unless told not to: the button stays down)."""
        self.move_to(*points[0])
        time.sleep(pause)
        self.button(True)
        x, y = points[0]
        for tx, ty in points[1:]:
            n = max(1, max(abs(tx - x), abs(ty - y)) // step)
            for i in range(1, n + 1):
                self.move_to(x + (tx - x) * i // n, y + (ty - y) * i // n)
                time.sleep(pause)
            x, y = tx, ty
        if release:
            self.button(False)

    def click(self, x, y):
        self.move_to(x, y)
        time.sleep(0.05)
        self.button(True)
        time.sleep(0.05)
        self.button(False)

    def _send(self, events):
        # QEMU routes each event to the input device that last became active
        # for its kind: keys to the virtio keyboard, relative motion to the
        # mouse, absolute to the tablet, once the guest's driver is loaded.
        # (Naming a device needs it bound to a display console, which
        # -display none has not.)
        self._qmp.command("input-send-event", events=events)

    # MARK: Screen

    def screenshot(self, name, head=None):
        """A screendump, kept as <workdir>/<n>-<name>.png (screendumps in a
        row with the same name replace each other); returns the Image.
        `head`: that output of the display device "gpu" (virtio2), else the
        first console's."""
        if name != self._last_shot:
            self._shots += 1
            self._last_shot = name
        ppm = self.workdir / "screendump.ppm"
        where = {} if head is None else {"device": "gpu", "head": head}
        self._qmp.command("screendump", filename=str(ppm), **where)
        image = Image.read(ppm)
        ppm.unlink()
        image.write_png(self.workdir / f"{self._shots:02d}-{file_name(name)}.png")
        if not head:  # the tablet points on the first head (the primary output)
            self.screen_width, self.screen_height = image.size
        return image

    def set_head(self, head, width, height, x=0, width_mm=0, height_mm=0):
        """Says through the D-Bus display that head `head` shows `width` x
        `height` pixels (0 x 0: none, as if unplugged). Retries until QEMU's
        display is on the bus."""
        if self._bus is None:
            raise Failure("set_head needs a display with a D-Bus display (virtio2)")
        arguments = [str(a) for a in (width_mm, height_mm, x, 0, width, height)]
        while True:
            result = self._bus.call(f"/org/qemu/Display1/Console_{head}", "org.qemu.Display1.Console.SetUIInfo",
                                    ["--", *arguments])
            if result.returncode == 0:
                return
            if "ServiceUnknown" not in result.stderr and "UnknownObject" not in result.stderr:
                raise Failure(f"cannot set head {head} through QEMU's D-Bus display: {result.stderr.strip()}")
            self._check_time(f"QEMU's D-Bus display to show head {head}")
            time.sleep(0.1)

    def wait_for_screen(self, what, check, interval=0.5, head=None):
        """Screendumps until `check(image)` is true; returns that image.
        Fails at the deadline, keeping the last screen."""
        while True:
            image = self.screenshot(what, head)
            if check(image):
                return image
            if time.monotonic() + interval > self.deadline:
                raise Failure(f"timed out waiting for the screen to show {what}")
            time.sleep(interval)

    # MARK: End

    def wait_exit(self, timeout):
        try:
            return self.process.wait(timeout=max(0.1, min(timeout, self.deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            raise Failure("the guest did not power off in time") from None

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for s in (self._serial, self._qmp.socket if self._qmp else None):
            if s:
                s.close()
        self._reader.join(timeout=2)
        if self._bus:
            self._bus.close()
        self._stderr.close()
        for path in (self._serial_socket, self._qmp_socket):
            if os.path.exists(path):
                os.unlink(path)


class PrivateBus:
    """A D-Bus daemon of the machine's own, for QEMU's D-Bus display, and
    gdbus to call it."""

    def __init__(self, workdir, stderr):
        self.path = Path(workdir) / "dbus.sock"
        if self.path.exists():
            self.path.unlink()
        self.address = f"unix:path={self.path}"
        config = Path(workdir) / "dbus.conf"
        config.write_text(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{self.address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
        try:
            self.process = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={config}"],
                                            stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
        except FileNotFoundError:
            raise Failure("dbus-daemon is not installed (scripts/setup --e2e installs it)") from None
        deadline = time.monotonic() + 10
        while not self.path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise Failure("the private D-Bus daemon for QEMU's display did not start")
            time.sleep(0.02)

    def call(self, path, method, arguments):
        try:
            return subprocess.run(["gdbus", "call", "--address", self.address, "--dest", "org.qemu",
                                   "--object-path", path, "--method", method, *arguments],
                                  capture_output=True, text=True, timeout=10)
        except FileNotFoundError:
            raise Failure("gdbus is not installed (scripts/setup --e2e installs libglib2.0-bin)") from None

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


class QMP:
    def __init__(self, sock):
        self.socket = sock
        self._file = sock.makefile("rb")
        self._read()  # the greeting
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        message = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.socket.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise Failure(f"QMP {name}: {reply['error'].get('desc')}")
            # else an asynchronous event: skip it

    def _read(self):
        line = self._file.readline()
        if not line:
            raise Failure("QEMU closed its QMP socket")
        return json.loads(line)


def file_name(text):
    """`text` as a file name: "the app again (trapped)" -> "the-app-again--trapped"."""
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def _key(qcode, down):
    return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": qcode}}}


def _axis(kind, axis, value):
    return {"type": kind, "data": {"axis": axis, "value": value}}
