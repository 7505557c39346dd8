"""Reference renders: the same wskdesk binary on the host's headless
backend, at the guest's screen size, replaying an input script that does
what the scenario does through QEMU. Headless and KMS compose the same
pixels, so the guest's screen must equal these exactly."""

import hashlib
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .image import Image


class RenderError(Exception):
    """The headless reference could not be made."""


class References:
    def __init__(self, *, wskdesk, actors, folder, size=(1280, 800)):
        self.wskdesk = wskdesk
        self.actors = actors
        self.folder = Path(folder)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.size = size
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._made = {}
        self._lock = threading.Lock()

    def render(self, args=(), script=(), delay=2.0, settled=None, size=None):
        """A future Image: wskdesk `args` with `script` (input-script lines),
        screenshot `delay` seconds after the script ends. `settled` maps log
        lines to how often each must have been logged by then (a view
        complete, a filter applied); if not, the render is tried again with
        a longer delay. Renders once per distinct request, in the background.
        `size`: the headless output's, (w, h) or a --size value such as
        "1280x800,1024x768" for several (default: the guest screen's)."""
        settled = dict(settled or {})
        size = size or self.size
        key = hashlib.sha256(repr((tuple(args), tuple(script), delay, sorted(settled.items()), size)).encode()).hexdigest()[:16]
        with self._lock:
            if key not in self._made:
                self._made[key] = self._pool.submit(self._render, key, list(args), list(script), delay, settled, size)
            return self._made[key]

    def _render(self, key, args, script, delay, settled, size):
        png = self.folder / f"{key}.png"
        log = self.folder / f"{key}.log"
        script_file = self.folder / f"{key}.txt"
        # Input waits until the apps show their windows, as it does in the guest.
        lines = ["wait 1000", *script] if script else []
        script_file.write_text("".join(line + "\n" for line in lines))
        for attempt in range(3):
            command = [str(self.wskdesk), "run", "--backend", "headless", "--size", size if isinstance(size, str) else "%dx%d" % size,
                       "--actors", str(self.actors), "--input-script", str(script_file),
                       "--screenshot", str(png), "--screenshot-delay", str(delay * 2 ** attempt), *args]
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
            log.write_text(" ".join(command) + "\n" + result.stdout + result.stderr)
            if result.returncode != 0 or not png.exists():
                raise RenderError(f"the headless reference failed ({result.returncode}); see {log}")
            before_stop = result.stderr.split("[wskdesk] stopping")[0]
            missing = {text: n for text, n in settled.items() if before_stop.count(text) < n}
            if not missing:
                return Image.read(png)
        raise RenderError(f"the headless reference never logged {missing} before its screenshot; see {log}")

    def close(self):
        self._pool.shutdown(wait=True)
