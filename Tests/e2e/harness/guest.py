"""The guest: a Debian kernel unpacked into a cache folder (never installed
on the host), and an initramfs holding busybox, wskdesk with every library
ldd lists, the actors, the kernel modules the scenarios need with their
dependencies, and xkb data."""

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

# Drivers the scenarios use: bochs (-vga std) and virtio-gpu, virtio input
# devices read through evdev, fw_cfg to receive the scenario's script,
# uinput for the touch scenario's touchscreen (guest/touchscreen.c).
MODULES = ["bochs", "virtio-gpu", "virtio_pci", "virtio_input", "evdev", "qemu_fw_cfg", "uinput"]

# Data files wskdesk reads at run time: xkb keymaps (needed), compose
# tables and libinput's device quirks (copied when the host has them).
DATA_DIRS = ["/usr/share/X11/xkb", "/usr/share/X11/locale", "/usr/share/libinput"]


class GuestError(Exception):
    pass


def log(message):
    print(f"e2e: {message}", flush=True)


class Kernel:
    """vmlinuz and modules of Debian's current linux-image-*-amd64, unpacked
    into `cache` (kept between runs)."""

    def __init__(self, cache):
        self.cache = Path(cache)

    def ensure(self):
        done = sorted(self.cache.glob("linux-image-*/ready"))
        if done:
            self.root = done[-1].parent
        else:
            self.root = self._fetch()
        self.version = next((self.root / "lib/modules").iterdir()).name
        self.vmlinuz = self.root / "boot" / f"vmlinuz-{self.version}"
        return self

    def _fetch(self):
        package = self._package_name()
        root = self.cache / package
        download = self.cache / "download"
        shutil.rmtree(download, ignore_errors=True)
        download.mkdir(parents=True)
        log(f"downloading {package} (the guest kernel, unpacked into {self.cache}, not installed)")
        command = ["apt-get", "download", "-q", package]
        if os.geteuid() == 0:
            command[2:2] = ["-o", "APT::Sandbox::User=root"]  # _apt cannot write into root's cache
        if subprocess.run(command, cwd=download, capture_output=True).returncode != 0:
            _sudo(["apt-get", "update", "-qq"])  # the package lists may be stale
            _run(command, cwd=download)
        debs = list(download.glob("*.deb"))
        shutil.rmtree(root, ignore_errors=True)
        _run(["dpkg-deb", "-x", str(debs[0]), str(root)])
        version = next((root / "lib/modules").iterdir()).name
        _run([_depmod(), "-b", str(root), version])
        shutil.rmtree(download)
        (root / "ready").touch()
        return root

    @staticmethod
    def _package_name():
        # The kernel the linux-image-amd64 metapackage points at today.
        out = _run(["apt-cache", "depends", "linux-image-amd64"]).stdout
        found = re.findall(r"Depends: (linux-image-[0-9][^\s]*-amd64)\b", out)
        if not found:
            raise GuestError("apt knows no linux-image-amd64 (is this Debian with its main archive?)")
        return found[0]

    def module_closure(self, names):
        """Module files for `names` and everything they depend on, each
        after its dependencies (the order to insmod them)."""
        base = self.root / "lib/modules" / self.version
        deps = {}
        for line in (base / "modules.dep").read_text().splitlines():
            path, _, rest = line.partition(":")
            deps[path] = rest.split()
        by_name = {Path(p).name.removesuffix(".ko").replace("-", "_"): p for p in deps}
        order, seen = [], set()

        def visit(path):
            if path in seen:
                return
            seen.add(path)
            for dep in deps[path]:
                visit(dep)
            order.append(path)

        for name in names:
            path = by_name.get(name.replace("-", "_"))
            if path is None:
                if name in (base / "modules.builtin").read_text():
                    continue
                raise GuestError(f"kernel {self.version} has no module {name}")
            visit(path)
        return [base / p for p in order]


class Initramfs:
    """An uncompressed cpio (newc) archive built in memory, written once.
    Uncompressed: TCG would spend seconds inflating it."""

    def __init__(self):
        self.entries = {}

    def directory(self, path):
        path = "/" + path.strip("/")
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self.entries.setdefault("/".join(parts[:i]), ("dir", 0o755, b""))

    def file(self, path, data, mode=0o644):
        self.directory(os.path.dirname(path))
        self.entries[path.strip("/")] = ("file", mode, data)

    def copy(self, host_path, guest_path=None):
        """A host file (symlinks followed) at `guest_path` (default: the same path)."""
        host = Path(host_path)
        mode = stat.S_IMODE(host.stat().st_mode)
        self.file(guest_path or str(host_path), host.read_bytes(), mode)

    def copy_tree(self, host_dir, guest_dir=None):
        host_dir = Path(host_dir)
        guest_dir = guest_dir or str(host_dir)
        for root, _, files in os.walk(host_dir, followlinks=True):
            relative = os.path.relpath(root, host_dir)
            for name in files:
                target = os.path.normpath(os.path.join(guest_dir, relative, name))
                self.copy(os.path.join(root, name), target)

    def symlink(self, path, target):
        self.directory(os.path.dirname(path))
        self.entries[path.strip("/")] = ("link", 0o777, target.encode())

    def write(self, path):
        kinds = {"dir": stat.S_IFDIR, "file": stat.S_IFREG, "link": stat.S_IFLNK}
        with open(path, "wb") as out:
            for inode, (name, (kind, mode, data)) in enumerate(sorted(self.entries.items()), start=1):
                _cpio_entry(out, inode, name, kinds[kind] | mode, data)
            _cpio_entry(out, 0, "TRAILER!!!", 0, b"")


def _cpio_entry(out, inode, name, mode, data):
    encoded = name.encode() + b"\0"
    fields = [inode, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
    header = b"070701" + b"".join(b"%08X" % f for f in fields)
    out.write(header + encoded + b"\0" * (-(len(header) + len(encoded)) % 4))
    out.write(data + b"\0" * (-len(data) % 4))


def shared_libraries(binary):
    """Every library the dynamic loader maps for `binary`, the loader included."""
    out = _run(["ldd", str(binary)]).stdout
    libs = []
    for line in out.splitlines():
        line = line.strip()
        if "=> not found" in line:
            raise GuestError(f"{binary}: {line}")
        match = re.match(r"(?:\S+ => )?(/\S+) \(0x", line)
        if match:
            libs.append(match.group(1))
    return libs


def build_initramfs(path, *, kernel, wskdesk, actors, init, files, programs=()):
    """Writes the guest image to `path`. `files` maps guest paths to host
    files (static helpers, scripts, test apps); `programs` are host
    binaries copied to the same path with every library they load."""
    image = Initramfs()
    for name in ["dev", "proc", "sys", "run", "tmp", "root", "etc"]:
        image.directory(name)
    image.copy("/bin/busybox", "/bin/busybox")
    applets = _run(["/bin/busybox", "--list"]).stdout.split()
    for applet in applets:
        if applet != "busybox":
            image.symlink(f"/bin/{applet}", "busybox")
    image.file("/init", Path(init).read_bytes(), 0o755)
    for guest_path, host_path in files.items():
        image.copy(host_path, guest_path)

    image.copy(wskdesk, "/usr/bin/wskdesk")
    lib_dirs = []
    for lib in shared_libraries(wskdesk):
        image.copy(lib)
        lib_dirs.append(os.path.dirname(lib))
    for program in programs:
        if not os.path.exists(program):
            raise GuestError(f"{program} missing: scripts/setup --e2e installs it")
        image.copy(program)
        for lib in shared_libraries(program):
            image.copy(lib)
            lib_dirs.append(os.path.dirname(lib))
    image.file("/etc/ld-library-path", (":".join(dict.fromkeys(lib_dirs)) + "\n").encode())
    image.copy_tree(actors, "/usr/share/wskdesk/actors")
    if not os.path.isdir(DATA_DIRS[0]):
        raise GuestError(f"{DATA_DIRS[0]} missing: install xkb-data (scripts/setup does)")
    for data in DATA_DIRS:
        if os.path.isdir(data):
            image.copy_tree(data)

    modules = kernel.module_closure(MODULES)
    for module in modules:
        image.copy(module, f"/lib/modules/{module.name}")
    image.file("/etc/modules", "".join(f"{m.name}\n" for m in modules).encode())
    image.file("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    image.file("/etc/group", b"root:x:0:\n")
    image.write(path)
    return path


def _depmod():
    for candidate in ["depmod", "/sbin/depmod", "/usr/sbin/depmod"]:
        found = shutil.which(candidate)
        if found:
            return found
    raise GuestError("depmod not found: install kmod (Tests/e2e/run does)")


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise GuestError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def _sudo(command):
    return _run(command if os.geteuid() == 0 else ["sudo", *command])
