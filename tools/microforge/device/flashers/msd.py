"""Drag-and-drop programming: copy the image to the probe's mass-storage volume (ST-LINK's
DIS_F746NG, DAPLink's MAINTENANCE/...), wait for the probe to program and re-enumerate, check
FAIL.TXT, then verify by reading the flash back through pyOCD.

The volume is "not a real file system": the file is written in one go and synced, nothing is
read back from the volume itself, and the probe's own verdict (FAIL.TXT) is checked after the
volume comes back.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..image import image_kind, load_image
from .base import Flasher, FlashReport, Option, register
from .pyocd_flasher import check_pack, run_pyocd_worker

if TYPE_CHECKING:
    from ..serial_transport import SerialTransport

FAIL_FILE = "FAIL.TXT"
MOUNT_ROOTS = ("/media", "/run/media", "/mnt", "/Volumes")


def _unescape_mount(field: str) -> str:
    """/proc/mounts escapes space, tab, newline and backslash as octal."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mounted_volumes() -> dict[str, str]:
    """mount point -> device, from /proc/mounts (empty where there is none)."""
    try:
        text = Path("/proc/mounts").read_text()
    except OSError:
        return {}
    mounts = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            mounts[_unescape_mount(parts[1])] = _unescape_mount(parts[0])
    return mounts


def find_volume(label: str) -> Path | None:
    """The mount point of the volume labelled ``label``, or None."""
    by_label = Path("/dev/disk/by-label") / label
    mounts = mounted_volumes()
    if by_label.exists():
        device = os.path.realpath(by_label)
        for mount_point, mounted in mounts.items():
            if os.path.realpath(mounted) == device:
                return Path(mount_point)
    for mount_point in mounts:
        if Path(mount_point).name == label:
            return Path(mount_point)
    for root in MOUNT_ROOTS:
        base = Path(root)
        candidates = [base / label]
        if base.is_dir():
            try:
                candidates += [user / label for user in base.iterdir() if user.is_dir()]
            except OSError:
                pass
        for candidate in candidates:
            if candidate.is_dir():
                return candidate
    return None


@register
class MsdFlasher(Flasher):
    method = "msd"
    default_timeout = 90.0
    options = {
        "volume": Option(str, "volume label of the probe's drive", default="DIS_F746NG"),
        "volume_path": Option(str, "mount point to use instead of looking up the label"),
        "remount": Option(bool, "wait for the drive to leave and come back", default=True),
        "settle": Option(float, "seconds to wait after the drive is back", default=1.0),
        "appear_timeout": Option(float, "seconds to wait for the drive to show up", default=10.0),
        "load_address": Option(int, "flash address of a .bin image", default=0x08000000),
        "verify": Option(str, "pyocd (read back through the probe) | none", default="pyocd"),
        "probe": Option(str, "probe unique id for the read-back"),
        "pyocd_target": Option(str, "pyOCD target type for the read-back"),
        "pyocd_pack": Option(str, "name of the CMSIS pack providing that target"),
        "pack_path": Option(str, "path of that pack (.pack file) on this host"),
    }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        verify = self.config["verify"]
        if verify not in ("pyocd", "none"):
            raise self._fail(f"verify must be 'pyocd' or 'none', got {verify!r}")
        if verify == "pyocd":
            missing = [k for k in ("probe", "pyocd_target") if not self.config.get(k)]
            if missing:
                raise self._fail(
                    f"read-back verify needs {' and '.join(missing)} "
                    "(or set verify = 'none' to trust the drive)"
                )
            check_pack(self.config, self.method)

    def _mount(self, deadline: float) -> Path:
        explicit = self.config.get("volume_path")
        while True:
            path = Path(explicit) if explicit else find_volume(self.config["volume"])
            if path is not None and path.is_dir():
                return path
            if time.monotonic() >= deadline:
                where = explicit or f"volume labelled {self.config['volume']!r}"
                raise self._fail(f"{where} not found (is the probe connected and mounted?)")
            time.sleep(0.2)

    def flash(self, image: Path, *, console: SerialTransport | None = None) -> FlashReport:
        started = time.monotonic()
        deadline = started + self.timeout
        image = Path(image)
        kind = image_kind(image) if image.is_file() else ""
        if kind not in ("bin", "hex"):
            raise self._fail(f"{image}: the drive takes a .bin or .hex image")
        loaded = load_image(image, self.config["load_address"])
        mount = self._mount(min(deadline, started + self.config["appear_timeout"]))
        target = mount / image.name
        try:
            with open(target, "wb") as handle:
                handle.write(image.read_bytes())
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as err:
            raise self._fail(f"cannot write {target}: {err}") from err
        if self.config["remount"]:
            mount = self._await_remount(mount, deadline)
        time.sleep(self.config["settle"])
        failure = mount / FAIL_FILE
        if failure.exists():
            try:
                reason = failure.read_text(errors="replace").strip()
            except OSError as err:
                reason = f"(unreadable: {err})"
            raise self._fail(f"the probe refused the image: {reason or 'FAIL.TXT present'}")
        verified, how = False, "none (trusted the drive)"
        if self.config["verify"] == "pyocd":
            request = {
                "action": "verify",
                "image": str(image),
                "probe": self.config["probe"],
                "target": self.config["pyocd_target"],
                "pack": self.config.get("pack_path"),
                "pack_name": self.config.get("pyocd_pack"),
                "load_address": self.config["load_address"],
            }
            left = max(5.0, deadline - time.monotonic())
            run_pyocd_worker(request, left, self.method)
            verified, how = True, "read back through pyOCD"
        return FlashReport(
            method=self.method,
            image=str(image),
            bytes_written=loaded.size,
            verified=verified,
            verify_method=how,
            seconds=time.monotonic() - started,
            details={"volume": str(mount)},
        )

    def _await_remount(self, mount: Path, deadline: float) -> Path:
        """The probe programs, then the drive disappears and returns; wait for both."""
        explicit = self.config.get("volume_path")
        was_mount = os.path.ismount(mount)
        gone = False
        while time.monotonic() < deadline:
            current = Path(explicit) if explicit else find_volume(self.config["volume"])
            present = current is not None and (
                os.path.ismount(current) if was_mount else current.is_dir()
            )
            if not present:
                gone = True
            elif gone and current is not None:
                return current
            time.sleep(0.1)
        if not gone:
            raise self._fail(
                f"{mount} never re-enumerated after the copy (probe busy or not an MSD probe?)"
            )
        raise self._fail(f"{mount} did not come back within {self.timeout:.0f} s")
