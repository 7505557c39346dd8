"""The scenarios: each boots a guest, drives it through QEMU and checks its
real screen (QMP screendumps) and its serial log. Screens are compared
pixel for pixel with a headless render of the same thing on the host
(`reference.py`); a few checks stand on their own so that a bug shared by
both backends still shows."""

import shlex
import time
from pathlib import Path

from .image import Image, bounding_box
from .machine import Failure, file_name

SCENARIOS = []

CRASHER = "/usr/share/wskdesk/e2e/crasher.wasm"
COMPILED = "/usr/share/wskdesk/e2e/compiled"  # objects compiled on the host (`wskdesk compile`)

# Where the default desktop puts things on a 1280x800 screen (Policy and
# Decorations: margin 24, border 1, title bar 22; paint's ui.rs). Paint's
# surface is at (25, 47), fractal's at (691, 47); fractal, created last,
# has the focus.
PAINT_TITLE_BAR = (25, 25, 640, 22)
FRACTAL_TITLE_BAR = (691, 25, 560, 22)
TITLE_UNFOCUSED, TITLE_FOCUSED = 0x505860, 0x335C99
PAINT_CANVAS = (25, 75, 640, 432)
PAINT_STATUS = (25, 507, 640, 20)
FILTERS_BUTTON = (500, 60)
FILTER_MENU_Y = 75              # the top of the Filters menu on screen; rows are 20 high
FRACTAL_VIEW = (691, 47, 560, 420)
DEMO = (691, 47, 320, 200)      # demo's surface when started after paint

CURSOR = (12, 18)               # the arrow's size; its tip is its top left

WHITE, BLACK = 0xFFFFFF, 0x000000


class Scenario:
    def __init__(self, name, run, *, guest, display="bochs", timeout=90):
        self.name = name
        self.run = run
        self.guest = guest
        self.display = display
        self.timeout = timeout


def scenario(name, *, guest, display="bochs", timeout=90):
    def register(run):
        SCENARIOS.append(Scenario(name, run, guest=guest, display=display, timeout=timeout))
        return run
    return register


def desktop(*args):
    """Guest script: wskdesk with `args` in the background until the harness
    says stop, then SIGTERM and its exit status."""
    words = " ".join(shlex.quote(a) for a in args)
    return f"""
wskdesk_bg {words}
await stop
kill -TERM $WSKDESK_PID
wait $WSKDESK_PID
say "wskdesk exited $?"
await end
"""


class Context:
    """What a scenario works with: the machine, the references, checks."""

    def __init__(self, machine, references, artifacts, crasher):
        self.machine = machine
        self.references = references
        self.artifacts = artifacts
        self.crasher = crasher  # the kiosk test app, on the host
        self.notes = []  # what the scenario measured, printed with its result

    def note(self, text):
        self.notes.append(text)

    def check(self, condition, message):
        if not condition:
            raise Failure(message)

    def reference(self, args=(), script=(), delay=2.0, views=None, settled=None, size=None):
        """The headless render (a future Image). `views`: fractal views it
        must have completed (default: 1 for the default desktop, else 0).
        `size`: the headless output's (default: the guest screen's)."""
        settled = dict(settled or {})
        views = (0 if args else 1) if views is None else views
        if views:
            settled["fractal: view complete"] = views
        return self.references.render(args, script, delay, settled, size)

    def input_ready(self, after=0):
        """wskdesk has opened the virtio keyboard, mouse and tablet (since
        line `after`): from here on injected events reach it."""
        for device in ["Keyboard", "Mouse", "Tablet"]:
            self.machine.wait_for(f"input device added: QEMU Virtio {device}", after=after,
                                  what=f"wskdesk to open the virtio {device.lower()}")

    def same_screen(self, what, reference, ignore=None, head=None):
        """Waits until the guest's screen (or that head's: `Machine.screenshot`)
        equals `reference` (a future Image) pixel for pixel, but for the
        rectangle `ignore` (x, y, w, h); on a timeout keeps the expected image
        and a diff."""
        expected = reference.result()
        best = None

        def matches(image):
            nonlocal best
            differences = image.differences(expected)
            if ignore:
                x, y, w, h = ignore
                differences = [p for p in differences if not (x <= p[0] < x + w and y <= p[1] < y + h)]
            if best is None or len(differences) <= len(best[1]):
                best = (image, differences)
            return not differences

        try:
            return self.machine.wait_for_screen(what, matches, head=head)
        except Failure:
            image, differences = best
            expected.write_png(self.artifacts / f"expected-{file_name(what)}.png")
            image.diff_image(expected).write_png(self.artifacts / f"diff-{file_name(what)}.png")
            raise Failure(f"the screen never showed {what}: at best {len(differences)} pixels differed from the "
                          f"headless reference, within {bounding_box(differences)} "
                          f"(expected-{file_name(what)}.png, diff-{file_name(what)}.png)") from None

    def stop_wskdesk(self, desktop):
        """SIGTERM: wskdesk must end cleanly (exit status 0) and give the
        screen back to the console: it no longer shows `desktop`."""
        self.machine.send("stop")
        line = self.machine.lines[self.machine.wait_for("e2e: wskdesk exited", what="wskdesk to exit")]
        self.check(line.endswith("exited 0"), f"wskdesk did not end cleanly on SIGTERM: {line!r}")
        self.wait_for_console(desktop, "the console after wskdesk")
        self.machine.send("end")
        self.machine.wait_exit(20)

    def wait_for_console(self, desktop, what):
        """Waits until the screen no longer shows `desktop`: the text
        console, mostly black, differs from most pixels it had drawn."""
        drawn = desktop.width * desktop.height - desktop.count(BLACK)
        return self.machine.wait_for_screen(what, lambda image: len(image.differences(desktop)) > drawn // 2)

    def log_has(self, text, after=0):
        return bool(self.machine.lines_with(text, after))


def default_desktop_checks(t, screen):
    """What the default desktop must show, said without the reference:
    both windows' title bars where Policy puts them, paint's blank canvas,
    the Mandelbrot set in fractal's view."""
    for name, (x, y, w, h), colour in [("paint", PAINT_TITLE_BAR, TITLE_UNFOCUSED),
                                       ("fractal", FRACTAL_TITLE_BAR, TITLE_FOCUSED)]:
        t.check(screen.count(colour, (x + w // 2, y, w // 4, h)) > w // 4 * h * 0.9,
                f"no {name} title bar at {x},{y}")
    t.check(screen.count(WHITE, (PAINT_CANVAS[0] + 10, PAINT_CANVAS[1] + 10, 100, 100)) == 100 * 100,
            "paint's canvas is not white")
    fx, fy, fw, fh = FRACTAL_VIEW
    t.check(screen.count(BLACK, (fx + fw // 2, fy + fh // 3, 60, 60)) > 1000,
            "the fractal window shows no Mandelbrot set (no black in its middle)")


# MARK: The desktop on both drivers


def desktop_comes_up(t, driver):
    t.machine.wait_for(f"on /dev/dri/card0 ({driver})", what=f"wskdesk to drive card0 through {driver}")
    t.input_ready()
    screen = t.same_screen("the default desktop", t.reference())
    default_desktop_checks(t, screen)
    t.stop_wskdesk(screen)


@scenario("desktop-bochs", guest=desktop())
def desktop_bochs(t):
    """Paint and fractal come up via KMS on bochs exactly as headless draws them."""
    desktop_comes_up(t, "bochs-drm")


@scenario("desktop-virtio", guest=desktop(), display="virtio")
def desktop_virtio(t):
    """The same on virtio-gpu, which shows only what is flipped or marked dirty."""
    desktop_comes_up(t, "virtio_gpu")


# MARK: Pointer


@scenario("pointer", guest=desktop())
def pointer(t):
    """The cursor goes exactly where the tablet points, the last pixel
    included, and follows the mouse's relative motion (libinput accelerates it: direction and rough
    distance are checked, then the exact screen for where it went)."""
    t.input_ready()
    t.same_screen("the default desktop", t.reference())
    # The tablet reaches the last pixel: its axis maps onto the whole width.
    corner = (t.machine.screen_width - 1, t.machine.screen_height - 1)
    t.machine.move_to(*corner)
    t.same_screen("the cursor in the bottom right pixel", t.reference(script=[f"move {corner[0]} {corner[1]}"]))
    start = (1000, 650)
    t.machine.move_to(*start)
    at_start = t.same_screen("the cursor moved by the tablet", t.reference(script=[f"move {start[0]} {start[1]}"]))

    for _ in range(10):
        t.machine.move_relative(6, -4)
        time.sleep(0.03)
    time.sleep(0.5)
    moved = t.machine.screenshot("relative-motion")
    # The cursor left `start` and appeared elsewhere: what differs outside
    # the old cursor's box is the new cursor.
    away = [(x, y) for x, y in moved.differences(at_start)
            if not (start[0] <= x < start[0] + CURSOR[0] and start[1] <= y < start[1] + CURSOR[1])]
    box = bounding_box(away)
    t.check(box is not None, "relative motion did not move the cursor")
    x, y = box[0], box[1]
    dx, dy = x - start[0], y - start[1]
    # Acceleration scales the motion, not its direction: dy/dx stays -2/3.
    t.check(dx > 0 and dy < 0, f"the cursor moved by ({dx}, {dy}) for a mouse motion of (+60, -40)")
    t.check(30 <= dx <= 300 and 0.55 <= -dy / dx <= 0.8, f"the cursor moved by ({dx}, {dy}) for (+60, -40)")
    screen = t.same_screen(f"the cursor at {x},{y}", t.reference(script=[f"move {start[0]} {start[1]}", f"move {x} {y}"]))
    t.stop_wskdesk(screen)


# MARK: Paint


def stroke_script(points):
    """The input script for a drag through `points`, one move per step the
    harness sends (`Machine.drag` uses the same steps)."""
    lines = [f"move {points[0][0]} {points[0][1]}", "press"]
    x, y = points[0]
    for tx, ty in points[1:]:
        n = max(1, max(abs(tx - x), abs(ty - y)) // 8)
        lines += [f"move {x + (tx - x) * i // n} {y + (ty - y) * i // n}" for i in range(1, n + 1)]
        x, y = tx, ty
    return lines + ["release"]


STROKE = [(150, 200), (450, 200), (450, 420)]


@scenario("paint", guest=desktop(), timeout=120)
def paint(t):
    """A drag leaves a stroke exactly where dragged; a filter picked from
    the menu (invert) changes the canvas."""
    t.input_ready()
    t.machine.wait_for("paint: ready", what="paint to load its plugins")
    t.same_screen("the default desktop", t.reference())
    t.machine.drag(STROKE)
    script = stroke_script(STROKE)
    drawn = t.same_screen("the stroke", t.reference(script=script))
    for x, y in [(300, 200), (450, 300), (150, 200)]:
        t.check(drawn[x, y] == BLACK, f"no black ink at {x},{y} on the stroke")

    invert_row = 3  # Box blur, Edge detect, Grayscale, Invert, ...
    menu = [FILTERS_BUTTON, (550, FILTER_MENU_Y + 20 * invert_row + 10)]
    mark = t.machine.mark()
    for x, y in menu:
        t.machine.click(x, y)
        time.sleep(0.5)
    applied = t.machine.lines[t.machine.wait_for(" applied in ", after=mark, what="paint to apply a filter")]
    t.check("paint: Invert applied" in applied, f"the menu's fourth row applied another filter: {applied}")
    clicks = [f"click {x} {y}" for x, y in menu]
    reference = t.reference(script=script + [clicks[0], "wait 300", clicks[1]], settled={"paint: Invert applied": 1})
    # The status bar says how long the filter took: that differs.
    inverted = t.same_screen("the inverted canvas", reference, ignore=PAINT_STATUS)
    t.check(inverted[300, 200] == WHITE and inverted[200, 300] == BLACK,
            "after invert the stroke is not white on black")
    t.stop_wskdesk(inverted)


# MARK: Fractal


@scenario("fractal", guest=desktop(), display="virtio", timeout=120)
def fractal(t):
    """The fractal view renders as headless renders it, and again after a
    real wheel step zooms in where the pointer is."""
    t.input_ready()
    t.note(f"fractal view {view_time(t)} ms interpreted")
    screen = t.same_screen("the default desktop", t.reference())
    default_desktop_checks(t, screen)
    fx, fy, fw, fh = FRACTAL_VIEW
    point = (fx + fw // 2 - 60, fy + fh // 2)
    mark = t.machine.mark()
    t.machine.move_to(*point)
    time.sleep(0.2)
    t.machine.button(True, "wheel-up")
    t.machine.button(False, "wheel-up")
    t.machine.wait_for("fractal: view complete", after=mark, what="the zoomed fractal view")
    zoomed = t.same_screen("the zoomed fractal", t.reference(script=[f"move {point[0]} {point[1]}", "scroll -1"], views=2))
    t.check(zoomed.differences(screen, FRACTAL_VIEW), "the wheel did not change the fractal view")
    t.stop_wskdesk(zoomed)


COMPILED_DESKTOP = f"""
mkdir -p /tmp/cache/wskdesk
cp -r {COMPILED} /tmp/cache/wskdesk/compiled
""" + desktop()


def view_time(t, after=0):
    """The milliseconds of the first "fractal: view complete in N ms" after line `after`."""
    line = t.machine.lines[t.machine.wait_for("fractal: view complete", after=after, what="a fractal view")]
    return int(line.split("view complete in ", 1)[1].split(" ms", 1)[0])


@scenario("fractal-compiled", guest=COMPILED_DESKTOP, timeout=120)
def fractal_compiled(t):
    """Actors compiled ahead of time on the host (`wskdesk compile`, as for
    a kiosk image) run compiled on a machine without wasm2c or a C compiler:
    the desktop shows what headless shows, and the fractal's view time is
    reported (the interpreter's, for comparison, in the fractal scenario)."""
    t.input_ready()
    took = view_time(t)
    screen = t.same_screen("the default desktop", t.reference())
    for module in ["paint", "fractal", "mandelbrot"]:
        t.check(t.log_has(f"{module} runs compiled"), f"{module} did not run compiled: no \"{module} runs compiled\" in the log")
        t.check(not t.log_has(f"{module} runs on the interpreter"), f"{module} ran on the interpreter")
    t.note(f"fractal view {took} ms compiled")
    t.stop_wskdesk(screen)


# MARK: Keyboard


def keyboard(t, layout, expected):
    """Keys typed on the virtio keyboard reach the focused app as text
    through xkbcommon and `layout`: demo logs each key's text; in paint,
    Ctrl with the key labelled Y is Ctrl+Z (undo) on a German keyboard and
    Ctrl+Y (redo: nothing to redo) on a US one."""
    t.input_ready()
    t.same_screen("paint and demo", t.reference(args=["--app", "paint", "--app", "demo"]))
    demo_click = (DEMO[0] + 160, DEMO[1] + 150)
    t.machine.click(*demo_click)
    time.sleep(0.3)
    mark = t.machine.mark()
    t.machine.keys("y", "z", "shift-2", "alt_r-q")
    t.machine.wait_for(f"key {expected[-1]}", after=mark, what=f"demo to log the key {expected[-1]!r}")
    logged = [line.split("] key ", 1)[1] for line in t.machine.lines_with("actor=demo", mark) if "] key " in line]
    t.check(logged == expected, f"demo got the keys {logged}, expected {expected} ({layout} layout)")

    t.machine.drag(STROKE)
    time.sleep(0.5)
    t.machine.keys("ctrl-y")
    undone = layout == "de"
    script = [f"click {demo_click[0]} {demo_click[1]}"] + stroke_script(STROKE)
    script += ["key ctrl+z"] if undone else ["key ctrl+y"]
    args = ["--app", "paint", "--app", "demo", "--keyboard-layout", layout]
    screen = t.same_screen("paint after Ctrl and the key labelled Y", t.reference(args=args, script=script))
    ink = screen[300, 200]
    t.check(ink == (WHITE if undone else BLACK),
            f"Ctrl+(key labelled Y) on {layout}: the stroke was {'kept' if ink == BLACK else 'undone'}")
    t.stop_wskdesk(screen)


@scenario("keyboard-us", guest=desktop("--app", "paint", "--app", "demo", "--keyboard-layout", "us"))
def keyboard_us(t):
    keyboard(t, "us", ["y", "z", "@", "q"])


@scenario("keyboard-de", guest=desktop("--app", "paint", "--app", "demo", "--keyboard-layout", "de"), display="virtio")
def keyboard_de(t):
    keyboard(t, "de", ["z", "y", '"', "@"])


# MARK: Kiosk

CRASHER_COLOUR = 0xC04080


def crasher_shown(image):
    return image.count(CRASHER_COLOUR, (0, 0, 400, 300)) == 400 * 300


@scenario("kiosk", guest=desktop("--kiosk", CRASHER, "--kiosk-hang-timeout", "3"), timeout=120)
def kiosk(t):
    """A kiosk app that traps is shown again after the backoff (0.5 s, then
    1 s); one that stops reading its events is restarted after the hang
    timeout (3 s here) and the next backoff (2 s)."""
    t.input_ready()
    shown = t.same_screen("the kiosk app", t.reference(args=["--kiosk", str(t.crasher)]))
    failures = [("t", "trapped: unreachable", 0, 0.5), ("t", "trapped: unreachable", 0, 1.0),
                ("h", "left its events unread for 3.0 s", 3.0, 2.0)]
    for key, reason, detection, backoff in failures:
        mark = t.machine.mark()
        sent = time.monotonic()
        t.machine.keys(key)
        t.machine.wait_for("kiosk: started crasher", after=mark, what=f"the kiosk to restart the app ({reason})")
        t.machine.wait_for_screen(f"the app again ({reason})", crasher_shown, interval=0.1)
        took = time.monotonic() - sent
        t.check(t.log_has(f"kiosk: crasher {reason}", mark), f"the log does not say: crasher {reason}")
        t.check(t.log_has(f"kiosk: restarting crasher in {backoff} s", mark),
                f"the kiosk did not back off {backoff} s after: {reason}")
        least = detection + backoff
        t.check(least <= took <= least + 10, f"the app was back {took:.2f} s after {reason}; expected {least} s and a little")
    t.stop_wskdesk(shown)


# MARK: Kiosk paint

# Paint's window as actors/paint/src/ui.rs documents it, for any size: the
# toolbar is the top 28 rows, the status line the bottom 20, the canvas all
# between, edge to edge. Swatch i is at (4 + 24 i, 4), 20 x 20: black, white,
# red first. The buttons follow from x 252, 4 apart, each its label's width
# (8 px a character) plus 12: Eraser, Clear, Undo, Redo, Filters at
# 468..535 (its menu opens below it, y 28, a 20-pixel row per filter), File.
KIOSK_TOOLBAR, KIOSK_STATUS = 28, 20
KIOSK_BAR, KIOSK_STATUS_BACK = 0xD8D8D8, 0x303030   # their backgrounds (ui.rs BAR, STATUS_BACK)
KIOSK_SWATCHES = [BLACK, WHITE, 0xE53935]
KIOSK_FILTERS_BUTTON = (500, 14)
KIOSK_INVERT_ROW = (500, KIOSK_TOOLBAR + 20 * 3 + 10)  # Box blur, Edge detect, Grayscale, Invert, ...
KIOSK_STROKE = [(200, 300), (900, 300), (900, 700)]
KIOSK_POINTER_REST = (1100, 2)  # on the toolbar, right of the buttons: the cursor hides no canvas
# plugins/invert: every channel c becomes 255 - c.
INVERT = bytes(255 - c for c in range(256))


def kiosk_paint_layout(image):
    """What is not where paint's layout puts it on a screen it fills, or None."""
    w, h = image.size
    for i, colour in enumerate(KIOSK_SWATCHES):
        if image[4 + 24 * i + 10, 14] != colour:
            return f"swatch {i} is not at {4 + 24 * i},4 (the toolbar is not at 0,0)"
    # The toolbar's and the status line's right ends are bare (buttons and text sit left).
    if image.count(KIOSK_BAR, (w - 40, 0, 40, KIOSK_TOOLBAR)) != 40 * KIOSK_TOOLBAR:
        return "the toolbar does not reach the right edge"
    canvas_bottom = h - KIOSK_STATUS - 1
    if image.count(WHITE, (w - 1, KIOSK_TOOLBAR, 1, canvas_bottom - KIOSK_TOOLBAR + 1)) != canvas_bottom - KIOSK_TOOLBAR + 1:
        return "the canvas does not reach the right edge"
    if image.count(WHITE, (0, canvas_bottom, w, 1)) != w:
        return f"the canvas does not reach down to the status line (row {canvas_bottom})"
    if image.count(KIOSK_STATUS_BACK, (w - 40, h - KIOSK_STATUS, 40, KIOSK_STATUS)) != 40 * KIOSK_STATUS:
        return "no status line along the bottom edge"
    return None


@scenario("kiosk-paint", guest=desktop("--kiosk", "paint"), timeout=180)
def kiosk_paint(t):
    """`--kiosk paint` fills the screen as paint's layout says (toolbar at
    0,0, the canvas to the right edge and down to the status line along the
    bottom) and has the filters the desktop gives it: Invert, picked from
    its menu, inverts every canvas pixel."""
    m = t.machine
    t.input_ready()
    ready = m.lines[m.wait_for("paint: ready", what="paint to load its plugins")]
    filters = int(ready.split("paint: ready, ", 1)[1].split()[0])
    t.check(filters > 0, f"kiosk paint has no filters: {ready!r}")

    seen = None

    def fills_screen(image):
        nonlocal seen
        seen = kiosk_paint_layout(image)
        return seen is None

    try:
        m.wait_for_screen("paint filling the screen", fills_screen)
    except Failure:
        raise Failure(f"kiosk paint does not fill the {m.screen_width}x{m.screen_height} screen: {seen}") from None
    w, h = m.screen_width, m.screen_height
    canvas = (0, KIOSK_TOOLBAR, w, h - KIOSK_TOOLBAR - KIOSK_STATUS)

    def pointer_at_rest(image):
        """The cursor is drawn over the bare toolbar at KIOSK_POINTER_REST, so nowhere on the canvas."""
        x, y = KIOSK_POINTER_REST
        return image.count(KIOSK_BAR, (x, y, CURSOR[0], CURSOR[1])) < CURSOR[0] * CURSOR[1]

    m.drag(KIOSK_STROKE)
    m.move_to(*KIOSK_POINTER_REST)
    drawn = m.wait_for_screen("the stroke", lambda image: pointer_at_rest(image)
                              and all(image[x, y] == BLACK for x, y in KIOSK_STROKE))
    before = drawn.crop(canvas)
    mark = m.mark()
    for x, y in [KIOSK_FILTERS_BUTTON, KIOSK_INVERT_ROW]:
        m.click(x, y)
        time.sleep(0.5)
    applied = m.lines[m.wait_for(" applied in ", after=mark, what="paint to apply a filter")]
    t.check("paint: Invert applied" in applied, f"the menu's fourth row applied another filter: {applied}")
    m.move_to(*KIOSK_POINTER_REST)
    expected = Image(before.width, before.height, before.rgb.translate(INVERT))
    last = None

    def inverted_canvas(image):
        nonlocal last
        last = image.crop(canvas)
        return last == expected

    try:
        inverted = m.wait_for_screen("the inverted canvas", inverted_canvas)
    except Failure:
        differences = last.differences(expected)
        raise Failure(f"after Invert {len(differences)} canvas pixels are not the inverse of what they were, "
                      f"within {bounding_box(differences)} of the canvas") from None
    t.stop_wskdesk(inverted)


@scenario("paint-files", guest="mkdir -p /tmp/pictures\n" + desktop("--kiosk", "paint", "--file-root", "/tmp/pictures"),
          timeout=180)
def paint_files(t):
    """Save As and Open through the runtime's file chooser, by the keyboard
    on a real VT: Ctrl+Shift+S then Enter save the picture as drawing.png in
    the one folder offered; Ctrl+O then Enter open it again."""
    m = t.machine
    t.input_ready()
    m.wait_for("paint: ready", what="paint to load its plugins")
    m.drag(KIOSK_STROKE)
    mark = m.mark()
    m.keys("ctrl-shift-s")
    m.wait_for("file chooser open for paint", after=mark, what="the file chooser to open for Save As")
    m.keys("ret")
    saved = m.lines[m.wait_for("paint: saved drawing.png", after=mark, what="paint to save through the chooser")]
    t.check("bytes)" in saved, f"unexpected save line: {saved!r}")
    # Cleared, then opened again: the stroke comes back from the file.
    m.keys("c")
    m.move_to(*KIOSK_POINTER_REST)
    m.wait_for_screen("the cleared canvas", lambda image: all(image[x, y] == WHITE for x, y in KIOSK_STROKE))
    mark = m.mark()
    m.keys("ctrl-o", "y")  # y: discard the (unsaved) clearing
    m.wait_for("file chooser open for paint", after=mark, what="the file chooser to open for Open")
    m.keys("ret")
    opened = m.lines[m.wait_for("paint: opened drawing.png", after=mark, what="paint to open the saved file")]
    t.note(opened.split("paint: ", 1)[1])
    m.move_to(*KIOSK_POINTER_REST)
    shown = m.wait_for_screen("the stroke, read back from drawing.png",
                              lambda image: all(image[x, y] == BLACK for x, y in KIOSK_STROKE))
    t.stop_wskdesk(shown)


# MARK: The console on a VT

VT_SESSION = (Path(__file__).parent.parent / "guest" / "vt-session.sh").read_text()


def wait_for_file(t, name, what):
    """Asks the guest for the files in /tmp until `name` is there; returns them."""
    m = t.machine
    while True:
        mark = m.mark()
        m.send("files")
        files = m.lines[m.wait_for("e2e: files:", after=mark, what="the guest to list /tmp")].split()[2:]
        if name in files:
            return files
        if time.monotonic() + 0.5 > m.deadline:
            raise Failure(f"{what}: no /tmp/{name} (files: {files})")
        time.sleep(0.5)


def vt_state(line):
    """The fields of a vtstate line: {"display": "text", "keyboard": "unicode", "lines": "icanon,echo"}."""
    return dict(field.split("=", 1) for field in line.split() if "=" in field)


def vt(t, signal):
    """wskdesk started from a shell on tty1 and ended by `signal`: the VT is
    back in text mode with its keyboard mode, the shell's terminal modes are
    its own, and what was typed while wskdesk ran never reached the shell,
    though what is typed before and after does."""
    m = t.machine
    before = vt_state(m.lines[m.wait_for("e2e: before: /dev/tty1", what="tty1's state before")])
    t.check(before["display"] == "text", f"tty1 did not start in text mode: {before}")
    m.type_line("touch /tmp/typed-before")
    wait_for_file(t, "typed-before", "keys typed on tty1 before wskdesk did not reach its shell")

    mark = m.mark()
    m.type_line("wskdesk-vt")
    m.wait_for("holding the console /dev/tty1", after=mark, what="wskdesk to take tty1")
    t.input_ready()
    desktop = t.same_screen("the desktop on tty1", t.reference())
    m.type_line("touch /tmp/leaked")
    time.sleep(0.5)
    m.send(f"kill {signal}")
    m.wait_for(f"wskdesk ended by SIG{signal}", after=mark, what=f"wskdesk to end by SIG{signal}")
    after = vt_state(m.lines[m.wait_for("e2e: after: /dev/tty1", after=mark, what="tty1's state after")])
    t.check(after["display"] == "text", f"after SIG{signal} tty1 is not in text mode: {after}")
    t.check(after["keyboard"] == before["keyboard"],
            f"after SIG{signal} tty1's keyboard mode is {after['keyboard']}, not {before['keyboard']} again")
    # The shell waits at its prompt in its line editor: no canonical mode,
    # no echo. Terminal modes put back over the editor's echo every key twice.
    t.check(after["lines"] == "-icanon,-echo",
            f"after SIG{signal} tty1's modes are {after['lines']}, not those of the shell's line editor")

    m.type_line("touch /tmp/typed-after")
    files = wait_for_file(t, "typed-after", f"keys typed on tty1 after SIG{signal} did not reach its shell")
    t.check("leaked" not in files, f"keys typed into wskdesk reached tty1's shell after SIG{signal}: /tmp/leaked exists")
    t.wait_for_console(desktop, f"tty1 after SIG{signal}")
    m.send("end")
    m.wait_exit(20)


# MARK: Switching VTs

PAINT_AND_DEMO = ["--app", "paint", "--app", "demo"]
HELD_STROKE = [(150, 200), (300, 200)]      # dragged in paint, the button still down at the switch
STROKE_AFTER = [(150, 350), (450, 350)]     # dragged after coming back
DEMO_CLICK = (DEMO[0] + 160, DEMO[1] + 150)  # focuses demo and leaves a red dot


def active_vt(t, number, what):
    """Waits until VT `number` is the active one; returns the guest's
    "vt:" line fields for ttyN (active, display, keyboard, lines)."""
    m = t.machine
    while True:
        mark = m.mark()
        m.send(f"vt {number}")
        state = vt_state(m.lines[m.wait_for("e2e: vt: active=", after=mark, what="the guest to report the active VT")])
        if state["active"] == f"tty{number}":
            return state
        if time.monotonic() + 0.5 > m.deadline:
            raise Failure(f"{what}: the active VT is {state['active']}, not tty{number}")
        time.sleep(0.5)


def drm_master(t):
    """Whether a client of card0 is DRM master now (debugfs's clients list;
    wskdesk's fd is the one the seat opened)."""
    m = t.machine
    mark = m.mark()
    m.send("drm")
    clients = m.lines[m.wait_for("e2e: drm:", after=mark, what="the guest to list card0's clients")].split()[2:]
    t.check(clients, "card0 has no clients: wskdesk's DRM fd is gone")
    return any(client.endswith(":y") for client in clients)


def demo_keys(t, after):
    """The keys demo logged after line `after` (repeats too), in order."""
    return [line.split("] key ", 1)[1] for line in t.machine.lines_with("actor=demo", after) if "] key " in line]


def devices_back(t, after):
    """libinput has opened the virtio devices again after line `after`."""
    for device in ["Keyboard", "Mouse", "Tablet"]:
        t.machine.wait_for(f"input device added: QEMU Virtio {device}", after=after,
                           what=f"wskdesk to open the virtio {device.lower()} again")


@scenario("vt-switch", guest="VT2_SHELL=1\n" + VT_SESSION, timeout=150)
def vt_switch(t):
    """VT switching pauses and resumes output and input: Ctrl+Alt+F2 (the
    binding, through the seat) shows VT 2's shell with DRM master dropped;
    keys typed there reach that shell and not wskdesk's apps; the button
    held in paint at the switch is let go; Ctrl+Alt+F1 (the kernel's own
    keymap on the text VT) gives master back, the mode is set again and the
    desktop is back pixel for pixel; input works again. Then a switch from
    outside (chvt) while a key repeats stops the repeat."""
    m = t.machine
    m.wait_for("e2e: before: /dev/tty1", what="the shell on tty1")
    mark = m.mark()
    m.type_line("wskdesk-vt " + " ".join(PAINT_AND_DEMO))
    m.wait_for("holding the console /dev/tty1", after=mark, what="wskdesk to take tty1")
    t.input_ready()
    desktop = t.same_screen("paint and demo on tty1", t.reference(args=PAINT_AND_DEMO))

    # Away by wskdesk's own binding, with paint's button held down.
    m.drag(HELD_STROKE, release=False)
    time.sleep(0.3)
    away = m.mark()
    m.keys("ctrl-alt-f2")
    m.wait_for("switching away from our VT", after=away, what="wskdesk to give up the seat on Ctrl+Alt+F2")
    tty2 = active_vt(t, 2, "after Ctrl+Alt+F2")
    t.check(tty2["display"] == "text", f"VT 2 is not in text mode: {tty2}")
    t.check(not drm_master(t), "wskdesk is still DRM master on VT 2")
    t.wait_for_console(desktop, "VT 2's console")
    # Paint has the focus: were they not held back, the click would leave a
    # red dot in demo and the c (clear) typed here would clear the canvas.
    m.click(*DEMO_CLICK)
    m.type_line("touch /tmp/on-vt2")
    wait_for_file(t, "on-vt2", "keys typed on VT 2 did not reach its shell")

    # Back by the kernel's keymap: the desktop as it was, the stroke ended.
    back = m.mark()
    m.keys("ctrl-alt-f1")
    m.wait_for("back on our VT", after=back, what="wskdesk to get the seat back on Ctrl+Alt+F1")
    active_vt(t, 1, "after Ctrl+Alt+F1")
    m.wait_for(" set again", after=back, what="wskdesk to set the mode again")
    t.check(drm_master(t), "wskdesk is not DRM master again after Ctrl+Alt+F1")
    devices_back(t, back)
    held = stroke_script(HELD_STROKE)  # its release: the one wskdesk sent when it switched away
    t.same_screen("the desktop again after VT 2", t.reference(args=PAINT_AND_DEMO, script=held))
    t.check(not t.log_has("presenting a frame failed", mark), "a frame failed while switching VTs")

    # Input works again: a stroke (no line from where the held one ended),
    # a click that focuses demo, a key it logs without Ctrl or Alt.
    m.drag(STROKE_AFTER)
    time.sleep(0.3)
    m.click(*DEMO_CLICK)
    time.sleep(0.3)
    typed = m.mark()
    m.keys("q")
    m.wait_for("] key q", after=typed, what="demo to log the key q after coming back")
    keys = demo_keys(t, back)
    t.check(keys == ["q"], f"after coming back demo got the keys {keys}, expected ['q']")
    script = held + stroke_script(STROKE_AFTER) + [f"click {DEMO_CLICK[0]} {DEMO_CLICK[1]}"]
    t.same_screen("a stroke and a click after coming back", t.reference(args=PAINT_AND_DEMO, script=script))

    # A switch from outside while demo's key repeats: the repeat stops.
    pressed = m.mark()
    m.key("a", True)
    deadline = time.monotonic() + 10
    while len(demo_keys(t, pressed)) < 5:
        t.check(time.monotonic() < deadline, "holding a key in demo did not repeat it")
        time.sleep(0.1)
    outside = m.mark()
    m.send("chvt 2")
    switched = m.wait_for("switching away from our VT", after=outside, what="wskdesk to give up the seat on chvt 2")
    m.wait_for("chvt 2 done", after=outside, what="chvt 2 to finish")
    time.sleep(1.0)  # 25 repeats, were it still repeating
    m.key("a", False)
    m.keys("ret")  # VT 2's shell got the kernel's own repeats: end that line
    m.type_line("touch /tmp/on-vt2-again")  # demo has the focus now
    wait_for_file(t, "on-vt2-again", "keys typed on VT 2 after chvt did not reach its shell")
    late = demo_keys(t, switched + 1)
    # One repeat may have been on its way when the seat was disabled.
    t.check(late in ([], ["a"]), f"after the VT was switched away demo got the keys {late}")
    back = m.mark()
    m.send("chvt 1")
    m.wait_for("back on our VT", after=back, what="wskdesk to get the seat back on chvt 1")
    devices_back(t, back)
    t.same_screen("the desktop again after chvt", t.reference(args=PAINT_AND_DEMO, script=script))
    typed = m.mark()
    m.keys("q")
    m.wait_for("] key q", after=typed, what="demo to log the key q after chvt 1")
    keys = demo_keys(t, back)
    t.check(keys == ["q"], f"after chvt 1 demo got the keys {keys}, expected ['q'] (a stuck repeat?)")

    m.send("kill TERM")
    m.wait_for("wskdesk ended by SIGTERM", after=back, what="wskdesk to end by SIGTERM")
    after = vt_state(m.lines[m.wait_for("e2e: after: /dev/tty1", after=back, what="tty1's state after")])
    t.check(after["display"] == "text", f"after VT switches and SIGTERM tty1 is not in text mode: {after}")
    m.send("end")
    m.wait_exit(20)


@scenario("vt-sigterm", guest=VT_SESSION)
def vt_sigterm(t):
    vt(t, "TERM")


@scenario("vt-sigkill", guest=VT_SESSION)
def vt_sigkill(t):
    vt(t, "KILL")


# MARK: An ordinary user's seat (seatd)

# Guest script: an ordinary user, `kiosk` (uid 1000), in the group seatd
# serves (video, as Debian runs `seatd -g video`), logged in on tty1: it owns
# tty1, its controlling terminal. The DRM and input devices are root's alone.
# `as_user ARGS...` starts `wskdesk run ARGS` as that user on tty1, its log
# on the serial console and its pid in $WSKDESK_PID; `start_seatd` starts
# seatd as root, its pid in $SEATD_PID.
USER_ON_TTY1 = r"""
echo "kiosk:x:1000:1000::/tmp/kiosk:/bin/sh" >>/etc/passwd
echo "video:x:44:kiosk" >>/etc/group
echo "kiosk:x:1000:" >>/etc/group
mkdir -p /tmp/kiosk && chown 1000:1000 /tmp/kiosk
chown 1000 /dev/tty1
chown 0:0 /dev/dri/* /dev/input/event* && chmod 600 /dev/dri/* /dev/input/event*
say "devices: $(ls -ln /dev/dri/card0 /dev/input/event0 | awk '{ printf "%s %s:%s ", $NF, $1, $3 }')"

as_user() {
    setsid -c su kiosk -c "exec wskdesk run --log-file /tmp/kiosk/wskdesk.log $*" </dev/tty1 >/dev/console 2>&1 &
    WSKDESK_PID=$!
}

start_seatd() {
    /usr/sbin/seatd -g video -l info >/dev/console 2>&1 &
    SEATD_PID=$!
    i=0
    while [ ! -S /run/seatd.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    say "seatd: $(ls -ln /run/seatd.sock | awk '{ print $1, $3 ":" $4 }')"
}

# `exited`: wait for wskdesk, then report its exit status and tty1's modes.
exited() {
    wait $WSKDESK_PID
    say "wskdesk exited $?"
    say "after: $(vtstate /dev/tty1)"
}

# `uid` on the serial line: report the user wskdesk runs as.
report_uid() {
    await uid
    say "wskdesk uid: $(awk '/^Uid:/ { print $2 }' /proc/$WSKDESK_PID/status)"
}
"""


def users_desktop(t):
    """Waits until seatd has given the user's wskdesk the seat and the
    default desktop is up; returns its screen."""
    t.machine.wait_for("Opened client 1 on seat0", what="seatd to give wskdesk the seat")
    t.input_ready()
    runs_as_the_user(t)
    return t.same_screen("the default desktop", t.reference())


def runs_as_the_user(t):
    m = t.machine
    m.send("uid")
    line = m.lines[m.wait_for("e2e: wskdesk uid:", what="the guest to report wskdesk's user")]
    t.check(line.split()[-1] == "1000", f"wskdesk does not run as the ordinary user (uid 1000): {line!r}")
    devices = m.lines[m.wait_for("e2e: devices:", what="the guest to list the devices")]
    t.check(devices.count("crw-------") == 2 and devices.count(":0") == 2, f"the devices are not root's alone: {devices!r}")


@scenario("user-seatd", guest=USER_ON_TTY1 + """
start_seatd
as_user
report_uid
await stop
kill -TERM $WSKDESK_PID
exited
await end
""", timeout=120)
def user_seatd(t):
    """An ordinary user in seatd's group gets the seat through seatd: the
    desktop comes up as headless draws it, a drag in paint leaves its stroke,
    and SIGTERM ends it cleanly with tty1 back in text mode."""
    m = t.machine
    m.wait_for("is ours (libseat's seatd backend)", what="wskdesk to get the seat from seatd")
    t.input_ready()
    runs_as_the_user(t)
    screen = t.same_screen("the default desktop", t.reference())
    default_desktop_checks(t, screen)
    m.wait_for("paint: ready", what="paint to load its plugins")
    m.drag(STROKE)
    drawn = t.same_screen("the stroke", t.reference(script=stroke_script(STROKE)))
    for x, y in [(300, 200), (450, 300)]:
        t.check(drawn[x, y] == BLACK, f"no black ink at {x},{y} on the stroke")
    t.stop_wskdesk(drawn)
    after = vt_state(m.lines[m.wait_for("e2e: after: /dev/tty1", what="tty1's state after")])
    t.check(after["display"] == "text", f"after SIGTERM tty1 is not in text mode: {after}")


@scenario("user-sigkill", guest=USER_ON_TTY1 + """
say "before: $(vtstate /dev/tty1)"
start_seatd
as_user
report_uid
await kill
kill -KILL $WSKDESK_PID
wait $WSKDESK_PID
say "wskdesk exited $?"
i=0
while pidof wskdesk >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
say "after: $(vtstate /dev/tty1)"
await end
""", timeout=120)
def user_sigkill(t):
    """SIGKILL of the ordinary user's wskdesk, which then restores nothing
    itself: tty1 is back in text mode with its keyboard mode of before, and
    the console shows again (seatd, which holds the VT for the seat, and
    the console guard give it back)."""
    m = t.machine
    before = vt_state(m.lines[m.wait_for("e2e: before: /dev/tty1", what="tty1's state before")])
    desktop = users_desktop(t)
    mark = m.mark()
    m.send("kill")
    line = m.lines[m.wait_for("e2e: wskdesk exited", after=mark, what="wskdesk to end by SIGKILL")]
    t.check(line.endswith("exited 137"), f"wskdesk did not end by SIGKILL: {line!r}")
    after = vt_state(m.lines[m.wait_for("e2e: after: /dev/tty1", after=mark, what="tty1's state after")])
    t.check(after["display"] == "text", f"after SIGKILL tty1 is not in text mode: {after}")
    t.check(after["keyboard"] == before["keyboard"],
            f"after SIGKILL tty1's keyboard mode is {after['keyboard']}, not {before['keyboard']} again")
    t.wait_for_console(desktop, "the console after SIGKILL")
    m.send("end")
    m.wait_exit(20)


@scenario("user-no-seatd", guest=USER_ON_TTY1 + """
as_user
exited
await end
""")
def user_no_seatd(t):
    """The same user with no seatd (and no logind): wskdesk says at once
    that seatd is not running and how to start it, names what logind said,
    and exits with an error, tty1 in text mode."""
    m = t.machine
    line = m.lines[m.wait_for("e2e: wskdesk exited", what="wskdesk to give up")]
    t.check(line.endswith("exited 1"), f"wskdesk without a seat: {line!r}, expected exit status 1")
    said = m.lines_with("no seat for wskdesk:")
    t.check(said, "wskdesk did not say it has no seat")
    for words in ["seatd is not running (libseat: Could not connect to socket /run/seatd.sock: No such file or directory)", "start it, e.g. `sudo systemctl enable --now seatd`",
                  "logind gave no session (libseat: "]:
        t.check(words in said[0], f"the message does not say {words!r}: {said[0]!r}")
    t.check(not t.log_has("within 5 s"), "wskdesk waited for a seat that could not come")
    after = vt_state(m.lines[m.wait_for("e2e: after: /dev/tty1", what="tty1's state after")])
    t.check(after["display"] == "text", f"tty1 is not in text mode: {after}")
    m.send("end")
    m.wait_exit(20)


@scenario("seatd-killed", guest=USER_ON_TTY1 + """
start_seatd
as_user
report_uid
await kill-seatd
kill -KILL $SEATD_PID
exited
await end
""", timeout=120)
def seatd_killed(t):
    """seatd killed under the user's wskdesk: it says it lost the seat and
    exits with status 3 (for systemd's Restart=always), tty1 is back in text
    mode, and nothing else is logged as an error on the way out."""
    m = t.machine
    desktop = users_desktop(t)
    mark = m.mark()
    m.send("kill-seatd")
    line = m.lines[m.wait_for("e2e: wskdesk exited", after=mark, what="wskdesk to exit once seatd is gone")]
    t.check(line.endswith("exited 3"), f"after seatd died: {line!r}, expected exit status 3")
    t.check(t.log_has("lost the seat: seatd went away", mark), "wskdesk did not say it lost the seat")
    errors = [l for l in m.lines[mark:] if (" error " in l and "lost the seat" not in l) or "restoring CRTC" in l]
    t.check(not errors, f"errors logged on the way out: {errors}")
    after = vt_state(m.lines[m.wait_for("e2e: after: /dev/tty1", after=mark, what="tty1's state after")])
    t.check(after["display"] == "text", f"after seatd died tty1 is not in text mode: {after}")
    t.wait_for_console(desktop, "the console after seatd died")
    m.send("end")
    m.wait_exit(20)


# MARK: Outputs: two heads, rotation, touch, blanking, hotplug

DEMO_ONLY = ["--app", "demo"]
DEMO_ALONE = (25, 47, 320, 200)       # demo's surface when it is the only app
DEMO_TITLE_BAR = (25, 25, 320, 22)    # focused: TITLE_FOCUSED
DOT = 0xFF0000                        # demo's 5x5 dot, centred where it was clicked
PANEL = (1280, 800)                   # bochs's and virtio's first head
SECOND_HEAD = (1024, 768)             # what virtio2's second head is given (`Machine.set_head`)
TOUCH_AXIS = 32768                    # the touchscreen helper's axis: 0...32767


class Derived:
    """A future Image made from another: `same_screen` takes it as a reference."""

    def __init__(self, future, make):
        self.future = future
        self.make = make

    def result(self):
        return self.make(self.future.result())


def panel_pixel(degrees, x, y, panel=PANEL):
    """The panel pixel showing logical pixel (x, y) on an output turned
    `degrees` (Sources/Compositor/Core/OutputLayout.swift, Rotation.panelPixel)."""
    pw, ph = panel
    return {0: (x, y), 90: (pw - 1 - y, x), 180: (pw - 1 - x, ph - 1 - y), 270: (y, ph - 1 - x)}[degrees]


def logical_size(degrees, panel=PANEL):
    return (panel[1], panel[0]) if degrees in (90, 270) else panel


def title_bars(image, color=TITLE_FOCUSED):
    """How many pixels of a title bar `image` shows (any rotation)."""
    return image.count(color)


# Guest script: a uinput touchscreen (guest/touchscreen.c) made and recorded
# in the udev database before wskdesk starts, then commands on the serial
# line: `run DEGREES [SECONDS]` starts wskdesk with demo on Virtual-1 turned
# that much (no --output rule for 0; blanking after SECONDS idle, if given), `tap X Y` touches the
# screen at (X, Y) axis units, `stop` ends wskdesk, `end` the script.
OUTPUT_SERIES = r"""
mkfifo /tmp/touch
touchscreen /tmp/touch-ready </tmp/touch >/dev/console 2>&1 &
exec 3>/tmp/touch
i=0
while [ ! -s /tmp/touch-ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
input_db
say "touchscreen at $(cat /tmp/touch-ready)"
while read -r word a b </dev/console; do
    case "$word" in
    run)
        set -- --app demo
        [ "$a" != 0 ] && set -- "$@" --output "Virtual-1 rotate=$a"
        [ -n "$b" ] && set -- "$@" --idle-blank "$b"
        wskdesk_bg "$@" ;;
    tap) echo "tap $a $b" >&3 ;;
    stop)
        kill -TERM $WSKDESK_PID
        wait $WSKDESK_PID
        say "wskdesk exited $?" ;;
    end) break ;;
    esac
done
"""


def start_rotated(t, degrees, idle_blank=None):
    """wskdesk with demo on bochs's Virtual-1 turned `degrees`; waits until
    it reads input."""
    m = t.machine
    mark = m.mark()
    m.send(f"run {degrees}" + (f" {idle_blank}" if idle_blank else ""))
    # An error at start (a rule it does not take) fails at once, not at the deadline.
    i, found = m.wait_for_any(["input device added: QEMU Virtio Tablet", " error wskdesk: "], after=mark,
                              what="wskdesk to start and open the tablet")
    t.check(found != " error wskdesk: ", f"wskdesk did not start turned {degrees}: {m.lines[i]}")
    t.input_ready(after=mark)
    return mark


def stop_series_run(t):
    m = t.machine
    mark = m.mark()
    m.send("stop")
    line = m.lines[m.wait_for("e2e: wskdesk exited", after=mark, what="wskdesk to exit")]
    t.check(line.endswith("exited 0"), f"wskdesk did not end cleanly on SIGTERM: {line!r}")


def end_series(t):
    t.machine.send("end")
    t.machine.wait_exit(20)


def rotated_reference(t, degrees, script=()):
    """The headless render of demo at the turned output's logical size,
    turned onto the panel as the guest's final copy must turn it."""
    logical = t.reference(args=DEMO_ONLY, script=script, size=logical_size(degrees))
    return Derived(logical, lambda image: image.turned(degrees))


@scenario("rotation", guest=OUTPUT_SERIES, timeout=150)
def rotation(t):
    """`--output "Virtual-1 rotate=N"` on bochs, N = 0, 90, 180, 270: the
    panel shows exactly what headless draws at the turned size, turned N
    degrees clockwise (Image.turned, by the maths of Rotation.panelPixel)."""
    t.machine.wait_for("e2e: touchscreen at /dev/input/", what="the touchscreen helper")
    for degrees in (0, 90, 180, 270):
        start_rotated(t, degrees)
        t.same_screen(f"demo turned {degrees}", rotated_reference(t, degrees))
        stop_series_run(t)
    end_series(t)


def tap_panel(t, px, py, panel=PANEL):
    """A touch in the middle of panel pixel (px, py) (the touchscreen covers the panel)."""
    ax = min(round((px + 0.5) * TOUCH_AXIS / panel[0]), TOUCH_AXIS - 1)
    ay = min(round((py + 0.5) * TOUCH_AXIS / panel[1]), TOUCH_AXIS - 1)
    mark = t.machine.mark()
    t.machine.send(f"tap {ax} {ay}")
    t.machine.wait_for(f"touchscreen: tap {ax} {ay}", after=mark, what="the touchscreen helper to tap")


def new_dot(t, degrees, before, what):
    """Waits for a new dot of demo's on the panel; returns its centre in
    logical coordinates and the logical screen."""
    back = (360 - degrees) % 360
    found = None

    def dotted(image):
        nonlocal found
        logical = image.turned(back)
        dots = [p for p in logical.differences(before) if logical[p] == DOT]
        box = bounding_box(dots)
        if box and box[2] == 5 and box[3] == 5:
            found = ((box[0] + 2, box[1] + 2), logical)
            return True
        return False

    t.machine.wait_for_screen(what, dotted)
    return found


@scenario("touch", guest=OUTPUT_SERIES, timeout=180)
def touch(t):
    """A uinput touchscreen in the guest (libinput sees it as one: udev's
    ID_INPUT_TOUCHSCREEN, INPUT_PROP_DIRECT) taps demo, which knows only the
    pointer: pointer emulation presses where the finger went, and demo
    leaves its 5x5 dot centred there. In every rotation the touch is mapped
    through it and lands within 1 px of the logical point aimed at."""
    m = t.machine
    m.wait_for("e2e: touchscreen at /dev/input/", what="the touchscreen helper")
    dx, dy, dw, dh = DEMO_ALONE
    targets = [(dx + 40, dy + 50), (dx + dw - 30, dy + dh - 20)]
    misses = []
    for degrees in (0, 90, 180, 270):
        mark = start_rotated(t, degrees)
        m.wait_for("e2e touchscreen", after=mark, what="wskdesk to open the touchscreen")
        before = t.same_screen(f"demo turned {degrees}", rotated_reference(t, degrees)).turned((360 - degrees) % 360)
        for x, y in targets:
            tap_panel(t, *panel_pixel(degrees, x, y))
            (cx, cy), before = new_dot(t, degrees, before, f"a dot at {x},{y} turned {degrees}")
            if abs(cx - x) > 1 or abs(cy - y) > 1:
                misses.append(f"{degrees}: aimed at {x},{y}, landed at {cx},{cy}")
        stop_series_run(t)
    t.check(not misses, "touches missed by more than 1 px: " + "; ".join(misses))
    end_series(t)


@scenario("blank", guest=OUTPUT_SERIES, timeout=120)
def blank(t):
    """`--idle-blank 3`: after 3 s without input the outputs blank (bochs:
    DPMS off where wskdesk can, which QEMU's VGA shows as black, else a black
    frame); a key wakes the screen and reaches no app, the next key does;
    the screen is the desktop again. A touch wakes it too without pressing
    in demo."""
    m = t.machine
    lit = t.reference(args=DEMO_ONLY)  # rendered meanwhile
    m.wait_for("e2e: touchscreen at /dev/input/", what="the touchscreen helper")
    mark = start_rotated(t, 0, idle_blank=3)
    m.wait_for("outputs blanked after 3 s idle", after=mark, what="wskdesk to blank the outputs")
    dark = m.wait_for_screen("the blanked screen", lambda image: is_dark(image, PANEL))
    t.note("blanked: " + ("panel off (DPMS)" if dark.size != PANEL else "black frame"))

    woken = m.mark()
    m.keys("q")
    m.wait_for("outputs woken by a key", after=woken, what="a key to wake the screen")
    m.keys("w")
    m.wait_for("] key w", after=woken, what="demo to get the key after the waking one")
    keys = demo_keys(t, woken)
    t.check(keys == ["w"], f"demo got the keys {keys} around the wake-up, expected only ['w'] (the waking q swallowed)")
    awake_and_showing(t, "demo after a key woke it", lit)

    m.wait_for("outputs blanked after 3 s idle", after=woken, what="wskdesk to blank the outputs again")
    touched = m.mark()
    tap_panel(t, DEMO_ALONE[0] + 100, DEMO_ALONE[1] + 100)
    m.wait_for("outputs woken by a touch", after=touched, what="a touch to wake the screen")
    awake_and_showing(t, "demo after a touch woke it, without a dot", lit)
    stop_series_run(t)
    end_series(t)


def is_dark(image, panel):
    """A blanked screen: a black frame of the panel's size (no DPMS), or the
    panel switched off by DPMS, which bochs does by disabling the mode: QEMU
    then shows its own 640x480 placeholder, one line of grey text on black
    ("Guest has not initialized the display")."""
    black = image.count(BLACK)
    if image.size == panel:
        return black == image.width * image.height
    return black > 0.99 * image.width * image.height


def awake_and_showing(t, what, reference):
    """Waits until the screen equals `reference`, keeping it awake with Shift
    (a key demo neither logs nor draws) so that the 3 s idle cannot blank it
    again while the guest redraws."""
    m = t.machine
    expected = reference.result()
    while True:
        m.keys("shift")
        image = m.screenshot(what)
        if image == expected:
            return image
        if time.monotonic() + 0.5 > m.deadline:
            expected.write_png(t.artifacts / f"expected-{file_name(what)}.png")
            image.diff_image(expected).write_png(t.artifacts / f"diff-{file_name(what)}.png")
            raise Failure(f"the screen never showed {what}: {len(image.differences(expected))} pixels differ "
                          f"(expected-{file_name(what)}.png, diff-{file_name(what)}.png)")
        time.sleep(0.3)


# Two heads on virtio-gpu: Virtual-1 (1280x800) and Virtual-2, whose size
# the harness gives QEMU's display before the guest's driver asks.
TWO_HEADS_REFERENCE_SIZE = "%dx%d,%dx%d" % (*PANEL, *SECOND_HEAD)


def heads(image):
    """The two panels' parts of a headless screenshot of the extended desktop."""
    return image.crop((0, 0, *PANEL)), image.crop((PANEL[0], 0, *SECOND_HEAD))


def drag_to_second_head(t):
    """Demo's title bar grabbed near its left end with the tablet (which
    points on the primary output only), carried to the first head's right
    edge, then across it with a little slow mouse motion: demo ends wholly
    on the second head, its left edge a few tens of pixels past the first
    head's (libinput's acceleration makes the distance inexact)."""
    m = t.machine
    grab = 10
    y = DEMO_TITLE_BAR[1] + 10
    m.drag([(DEMO_TITLE_BAR[0] + grab, y), (PANEL[0] - 1, y)], release=False)
    time.sleep(0.2)
    for _ in range(6):
        m.move_relative(15, 0)
        time.sleep(0.05)
    time.sleep(0.3)
    m.button(False)


@scenario("two-heads", guest=desktop(*DEMO_ONLY), display="virtio2", timeout=150)
def two_heads(t):
    """virtio-gpu with two outputs: one desktop across both, each head
    showing exactly its part of what headless draws for the same two sizes;
    demo dragged from the first across the edge shows on the second."""
    m = t.machine
    m.set_head(1, *SECOND_HEAD, x=PANEL[0])
    t.input_ready()
    reference = t.reference(args=DEMO_ONLY, size=TWO_HEADS_REFERENCE_SIZE)
    first = t.same_screen("head 1", Derived(reference, lambda image: heads(image)[0]), head=0)
    second = t.same_screen("head 2", Derived(reference, lambda image: heads(image)[1]), head=1)
    t.check(title_bars(first) > 300 and title_bars(second) == 0, "demo's title bar is not on the first head alone")
    drag_to_second_head(t)
    m.wait_for_screen("demo on head 2", lambda image: title_bars(image) > 300, head=1)
    t.check(title_bars(m.screenshot("head 1 without demo", head=0)) == 0, "demo's title bar is still on the first head")
    t.stop_wskdesk(first)


# The second head turned by a rule; the first marked primary (it would be
# anyway, as the leftmost), so demo starts there.
HOTPLUG_RULES = ["--output", "Virtual-1 primary", "--output", "Virtual-2 rotate=90"]


@scenario("hotplug", guest=desktop(*DEMO_ONLY, *HOTPLUG_RULES), display="virtio2", timeout=180)
def hotplug(t):
    """Monitors unplugged and plugged again, as QEMU's display says them to
    virtio-gpu (the kernel sends udev HOTPLUG events): demo, dragged onto
    the second head, moves to the first when the second goes; the second
    comes back lit with its rule's rotation; the first head never stops."""
    m = t.machine
    m.set_head(1, *SECOND_HEAD, x=PANEL[0])
    t.input_ready()
    size = "%dx%d,%dx%d" % (*PANEL, *SECOND_HEAD)
    headless_rules = [rule.replace("Virtual-", "HEADLESS-") for rule in HOTPLUG_RULES]
    reference = t.reference(args=[*DEMO_ONLY, *headless_rules], size=size)
    turned = (PANEL[0], 0, SECOND_HEAD[1], SECOND_HEAD[0])  # Virtual-2's logical rectangle, turned 90
    second = Derived(reference, lambda image: image.crop(turned).turned(90))
    t.same_screen("head 2 turned 90", second, head=1)
    drag_to_second_head(t)
    m.wait_for_screen("demo on head 2", lambda image: title_bars(image) > 300, head=1)

    unplugged = m.mark()
    m.set_head(1, 0, 0)
    m.wait_for("hotplug event on", after=unplugged, what="wskdesk to hear of the unplug")
    m.wait_for_screen("demo back on head 1", lambda image: title_bars(image) > 300, head=0)
    # The pointer, kept on the first head at the edge, would show its arrow
    # over the edge on the second once that is back: away from the edge.
    m.move_to(PANEL[0] // 2, PANEL[1] // 2)

    plugged = m.mark()
    m.set_head(1, *SECOND_HEAD, x=PANEL[0])
    m.wait_for("hotplug event on", after=plugged, what="wskdesk to hear of the plug")
    # Lit again, turned as its rule says, with nothing on it: the bare
    # background of the first picture's second head.
    t.same_screen("head 2 again turned 90", second, head=1)
    first = m.screenshot("head 1 at the end", head=0)
    t.check(title_bars(first) > 300, "demo left the first head when the second came back")
    t.stop_wskdesk(first)
