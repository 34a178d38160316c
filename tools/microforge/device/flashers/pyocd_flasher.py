"""SWD/JTAG programming through pyOCD's Python API (real probes and the QEMU gdbstub probe)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FlashError
from ..image import load_image
from ..process import run_bounded, tail
from .base import Flasher, FlashReport, Option, register

if TYPE_CHECKING:
    from ..serial_transport import SerialTransport


def run_pyocd_worker(request: dict[str, Any], timeout: float, method: str) -> dict[str, Any]:
    """Run one pyOCD action in a child process bounded by ``timeout``."""
    cmd = [sys.executable, "-m", "microforge.device.flashers.pyocd_worker", json.dumps(request)]
    done = run_bounded(cmd, timeout)
    if done.timed_out:
        raise FlashError(
            f"pyOCD did not finish within {timeout:.0f} s (probe {request['probe']!r})",
            method=method,
            detail=tail(done.stderr),
        )
    lines = done.stdout.strip().splitlines()
    try:
        reply = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        reply = None
    if not isinstance(reply, dict):
        raise FlashError(
            f"pyOCD worker ended with status {done.returncode} and no reply",
            method=method,
            detail=tail(done.stderr + done.stdout),
        )
    if not reply.get("ok"):
        raise FlashError(str(reply.get("error")), method=method, detail=tail(done.stderr))
    return reply


@register
class PyocdFlasher(Flasher):
    method = "pyocd"
    default_timeout = 120.0
    options = {
        "probe": Option(str, "full probe unique id, or qemu:<host>:<port>", required=True),
        "pyocd_target": Option(str, "pyOCD target type, e.g. stm32f746nghx", required=True),
        "pack": Option(str, "path of a local CMSIS pack (.pack) providing the target"),
        "load_address": Option(int, "address of a .bin image"),
        "frequency": Option(int, "SWD clock in Hz"),
        "connect_mode": Option(str, "halt | under-reset | pre-reset | attach", default="halt"),
        "erase": Option(str, "auto | chip | sector", default="auto"),
    }  # fmt: skip

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        pack = self.config.get("pack")
        if pack is not None and not Path(pack).is_file():
            raise FlashError(f"CMSIS pack not found: {pack}", method=self.method)

    def request(self, image: Path, action: str) -> dict[str, Any]:
        return {
            "action": action,
            "image": str(image),
            "probe": self.config["probe"],
            "target": self.config["pyocd_target"],
            "pack": self.config.get("pack"),
            "load_address": self.config.get("load_address"),
            "frequency": self.config.get("frequency"),
            "connect_mode": self.config["connect_mode"],
            "erase": self.config["erase"],
        }

    def flash(self, image: Path, *, console: SerialTransport | None = None) -> FlashReport:
        started = time.monotonic()
        load_image(image, self.config.get("load_address"))  # fail early on a bad image
        reply = run_pyocd_worker(self.request(image, "program"), self.timeout, self.method)
        return FlashReport(
            method=self.method,
            image=str(image),
            bytes_written=int(reply["bytes"]),
            verified=True,
            verify_method="read back through the probe",
            seconds=time.monotonic() - started,
            details={"probe": reply.get("probe"), "target": self.config["pyocd_target"]},
        )
