"""Programming an emulated board: through pyOCD and the gdbstub probe (Arm), or straight through
the gdbstub (any architecture: write the loadable segments, read them back, set the entry)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..gdb_remote import GdbRemote, GdbRemoteError
from ..image import Image, load_image
from ..pyocd_qemu import MACHINE_TARGETS
from .base import Flasher, FlashReport, Option, register
from .pyocd_flasher import run_pyocd_worker

if TYPE_CHECKING:
    from ..serial_transport import SerialTransport

VIA = ("pyocd", "gdb")
THUMB_BIT = 1 << 24


@register
class QemuFlasher(Flasher):
    method = "qemu"
    default_timeout = 60.0
    options = {
        "probe": Option(str, "the machine's gdbstub, qemu:<host>:<port>", required=True),
        "arch": Option(str, "arm | riscv", default="arm"),
        "machine": Option(str, "QEMU machine (picks the pyOCD target on Arm)", default=""),
        "via": Option(str, "pyocd (Arm default) | gdb", default=""),
        "pyocd_target": Option(str, "pyOCD target type (default: from the machine)"),
        "load_address": Option(int, "address of a .bin image"),
    }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        probe = self.config["probe"]
        host, _, port = probe.removeprefix("qemu:").rpartition(":")
        if not probe.startswith("qemu:") or not host or not port.isdigit():
            raise ConfigError(f"qemu flasher: probe must be qemu:<host>:<port>, got {probe!r}")
        self.host, self.port = host, int(port)
        via = self.config["via"] or ("pyocd" if self.config["arch"] == "arm" else "gdb")
        if via not in VIA:
            raise ConfigError(f"qemu flasher: via must be one of {VIA}, got {via!r}")
        if via == "pyocd" and self.config["arch"] != "arm":
            raise ConfigError("qemu flasher: pyOCD programs Arm machines only; use via = 'gdb'")
        self.via = via
        self.pyocd_target = ""
        if via == "pyocd":
            machine = self.config["machine"]
            target = self.config.get("pyocd_target") or MACHINE_TARGETS.get(machine)
            if not target:
                raise ConfigError(
                    f"qemu flasher: no pyOCD target for machine {machine!r}; "
                    f"known: {', '.join(MACHINE_TARGETS)} (or set pyocd_target)"
                )
            self.pyocd_target = target

    def flash(self, image: Path, *, console: SerialTransport | None = None) -> FlashReport:
        started = time.monotonic()
        loaded = load_image(image, self.config.get("load_address"))
        if self.via == "pyocd":
            target = self.pyocd_target
            request = {
                "action": "program",
                "image": str(image),
                "probe": self.config["probe"],
                "target": target,
                "load_address": self.config.get("load_address"),
            }
            reply = run_pyocd_worker(request, self.timeout, self.method)
            details = {"via": "pyocd", "target": target, "probe": self.config["probe"]}
            verify = "read back through pyOCD"
        else:
            self._load_through_gdb(loaded)
            details = {"via": "gdb", "probe": self.config["probe"]}
            verify = "read back through the gdbstub"
            reply = {"bytes": loaded.size}
        return FlashReport(
            method=self.method,
            image=str(image),
            bytes_written=int(reply["bytes"]),
            verified=True,
            verify_method=verify,
            seconds=time.monotonic() - started,
            details=details,
        )

    def _load_through_gdb(self, image: Image) -> None:
        gdb = GdbRemote(self.host, self.port, timeout=min(10.0, self.timeout))
        deadline = time.monotonic() + self.timeout
        try:
            gdb.connect()
            for segment in image.segments:
                gdb.write_memory(segment.address, segment.data)
                if time.monotonic() > deadline:
                    raise self._fail(f"timed out after {self.timeout:.0f} s writing the image")
            for segment in image.segments:
                readback = gdb.read_memory(segment.address, len(segment.data))
                if readback != segment.data:
                    raise self._fail(f"verify failed in segment at 0x{segment.address:08x}")
            self._set_entry(gdb, image)
            gdb.detach()  # QEMU resumes the guest when its debugger detaches
        except GdbRemoteError as err:
            raise self._fail(f"gdbstub at {self.host}:{self.port}: {err}") from err
        finally:
            gdb.close()

    def _set_entry(self, gdb: GdbRemote, image: Image) -> None:
        if self.config["arch"] == "arm":
            # Cortex-M: initial SP and reset vector from the image's vector table.
            table = min(image.segments, key=lambda s: s.address)
            if len(table.data) < 8:
                raise self._fail("image too small to hold a vector table")
            stack = int.from_bytes(table.data[0:4], "little")
            reset = int.from_bytes(table.data[4:8], "little")
            if not reset & 1:
                raise self._fail(f"reset vector 0x{reset:08x} lacks the Thumb bit")
            gdb.write_register("sp", stack)
            gdb.write_register("pc", reset & ~1)
            gdb.write_register("xpsr", THUMB_BIT)
            return
        entry = image.entry
        if entry is None:
            entry = self.config.get("load_address")
        if entry is None:
            raise self._fail("image has no entry point and no load_address is set")
        gdb.write_register("pc", entry)


def flasher_config_for_machine(
    flash_table: dict[str, Any], probe_id: str, arch: str, machine: str
) -> dict[str, Any]:
    """Board ``[flash]`` data completed with a running machine's probe."""
    config = {k: v for k, v in flash_table.items() if k != "method"}
    config.update({"probe": probe_id, "arch": arch, "machine": machine})
    return config
