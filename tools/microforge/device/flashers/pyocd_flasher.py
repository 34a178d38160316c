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


def check_pack(config: dict[str, Any], method: str) -> None:
    """A given pack path must exist and should be the named pack."""
    path, name = config.get("pack_path"), config.get("pyocd_pack")
    if path is None:
        return
    if not Path(path).is_file():
        needed = f" ({name})" if name else ""
        raise FlashError(f"CMSIS pack{needed} not found: {path}", method=method)
    if name and name.lower() not in Path(path).name.lower():
        raise FlashError(f"pack_path {path} is not the {name} pack the board needs", method=method)


@register
class PyocdFlasher(Flasher):
    method = "pyocd"
    default_timeout = 120.0
    options = {
        "probe": Option(str, "full probe unique id, or qemu:<host>:<port>", required=True),
        "pyocd_target": Option(str, "pyOCD target type, e.g. stm32f746nghx", required=True),
        "pyocd_pack": Option(str, "name of the CMSIS pack providing the target (for messages)"),
        "pack_path": Option(str, "path of that pack (.pack file) on this host"),
        "load_address": Option(int, "address of a .bin image"),
        "frequency": Option(int, "SWD clock in Hz"),
        "connect_mode": Option(str, "halt | under-reset | pre-reset | attach", default="halt"),
        "erase": Option(str, "auto | chip | sector", default="auto"),
    }  # fmt: skip

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        check_pack(self.config, self.method)

    def request(self, image: Path, action: str) -> dict[str, Any]:
        return {
            "action": action,
            "image": str(image),
            "probe": self.config["probe"],
            "target": self.config["pyocd_target"],
            "pack": self.config.get("pack_path"),
            "pack_name": self.config.get("pyocd_pack"),
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
