#!/usr/bin/env python3
"""Runs the end-to-end scenarios: each boots a real Linux kernel under QEMU
(TCG) with the release wskdesk, drives it through QMP and checks the screen
and the serial log. Tests/e2e/run prepares everything and calls this; see
Tests/e2e/README.md."""

import argparse
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).parent))

from harness.guest import GuestError, Kernel, build_initramfs  # noqa: E402
from harness.machine import Failure, Machine  # noqa: E402
from harness.reference import RenderError, References  # noqa: E402
from harness.scenarios import COMPILED, SCENARIOS, Context  # noqa: E402

GUEST = Path(__file__).parent / "guest"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", help="names to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--wskdesk", help="the release wskdesk binary")
    parser.add_argument("--actors", help="the actors folder (build/actors)")
    parser.add_argument("--crasher", help="crasher.wasm, the kiosk scenario's app")
    parser.add_argument("--vtstate", help="the static vtstate helper")
    parser.add_argument("--touchscreen", help="the static touchscreen helper (a uinput touchscreen in the guest)")
    parser.add_argument("--compiled", help="objects `wskdesk compile` made of the actors (its cache folder), "
                                           "which the compiled scenario copies into the guest's cache")
    parser.add_argument("--cache", help="where the guest kernel is kept between runs")
    parser.add_argument("--out", help="work folder; artifacts go to OUT/artifacts/SCENARIO")
    options = parser.parse_args()

    if options.list:
        for s in SCENARIOS:
            print(f"{s.name:16} {s.display}")
        return 0
    missing = [name for name in ["wskdesk", "actors", "crasher", "vtstate", "touchscreen", "compiled", "cache", "out"] if not getattr(options, name)]
    if missing:
        parser.error("missing " + ", ".join("--" + name for name in missing))
    unknown = set(options.scenarios) - {s.name for s in SCENARIOS}
    if unknown:
        print(f"e2e: no scenario {', '.join(sorted(unknown))} (--list shows them)")
        return 2
    chosen = [s for s in SCENARIOS if not options.scenarios or s.name in options.scenarios]

    out = Path(options.out).resolve()
    artifacts = out / "artifacts"
    shutil.rmtree(artifacts, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        kernel = Kernel(options.cache).ensure()
        initramfs = build_initramfs(
            out / "initramfs.cpio", kernel=kernel, wskdesk=options.wskdesk, actors=options.actors,
            init=GUEST / "init",
            files={"/bin/vtstate": options.vtstate, "/bin/touchscreen": options.touchscreen, "/bin/wskdesk-vt": GUEST / "wskdesk-vt",
                   "/usr/share/wskdesk/e2e/crasher.wasm": options.crasher,
                   **{f"{COMPILED}/{object.name}": object for object in sorted(Path(options.compiled).iterdir())}},
            programs=["/usr/sbin/seatd"])  # the ordinary-user scenarios' seat
    except GuestError as error:
        print(f"e2e: cannot build the guest: {error}")
        return 1
    print(f"e2e: guest {kernel.version}, image {initramfs.stat().st_size >> 20} MiB, "
          f"ready in {time.monotonic() - started:.1f} s", flush=True)

    references = References(wskdesk=Path(options.wskdesk).resolve(), actors=Path(options.actors).resolve(),
                            folder=out / "references")
    failed = []
    try:
        for s in chosen:
            if not run_scenario(s, kernel, initramfs, references, artifacts / s.name, Path(options.crasher).resolve()):
                failed.append(s.name)
    finally:
        references.close()
    took = time.monotonic() - started
    if failed:
        print(f"e2e: {len(failed)} of {len(chosen)} scenarios FAILED ({', '.join(failed)}) in {took:.0f} s; "
              f"artifacts in {artifacts}")
        return 1
    print(f"e2e: all {len(chosen)} scenarios passed in {took:.0f} s")
    return 0


def run_scenario(scenario, kernel, initramfs, references, folder, crasher):
    started = time.monotonic()
    machine = None
    error = None
    try:
        machine = Machine(kernel=kernel, initramfs=initramfs, script=scenario.guest, display=scenario.display,
                          workdir=folder, deadline=started + scenario.timeout)
        context = Context(machine, references, folder, crasher)
        scenario.run(context)
    except (Failure, RenderError) as failure:
        error = str(failure)
    except Exception:  # a bug in the harness: say where
        error = traceback.format_exc().strip()
    finally:
        if machine:
            machine.close()
    took = time.monotonic() - started
    if error is None:
        notes = "".join(f"; {note}" for note in context.notes)
        print(f"e2e: {scenario.name:16} ok      {took:5.1f} s{notes}", flush=True)
        return True
    print(f"e2e: {scenario.name:16} FAILED  {took:5.1f} s: {error}", flush=True)
    if machine:
        tail = machine.lines[-15:]
        print("e2e:   last lines of the serial console:\n" + "\n".join("      " + line for line in tail))
    print(f"e2e:   serial log and screenshots: {folder}", flush=True)
    return False


if __name__ == "__main__":
    sys.exit(main())
