"""ESP32 programming through esptool (serial ROM loader; esptool verifies the written hash)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TransportError
from ..process import run_bounded, tail
from .base import Flasher, FlashReport, Option, register

if TYPE_CHECKING:
    from ..serial_transport import SerialTransport

VERIFIED_MARKERS = ("hash of data verified", "verification successful")


@register
class EsptoolFlasher(Flasher):
    method = "esptool"
    default_timeout = 180.0
    uses_console_port = True
    options = {
        "port": Option(str, "serial port or pyserial URL of the chip's UART"),
        "chip": Option(str, "esptool chip name", default="esp32"),
        "baud": Option(int, "baud rate while flashing", default=460800),
        "load_address": Option(int, "flash offset of the application image", default=0x10000),
        "flash_mode": Option(str, "keep | qio | qout | dio | dout", default="keep"),
        "flash_freq": Option(str, "keep | 80m | 40m | ...", default="keep"),
        "flash_size": Option(str, "keep | detect | 4MB | ...", default="keep"),
        "connect_attempts": Option(int, "esptool connection attempts", default=3),
        "before": Option(str, "esptool reset before: default-reset | no-reset | ...",
                         default="default-reset"),
        "reset_line": Option(str, "console control line that resets the chip", default="rts"),
        "bootloader_address": Option(int, "flash offset of the second-stage bootloader"),
        "bootloader_image": Option(str, "bootloader .bin to write with the application"),
        "partition_table_address": Option(int, "flash offset of the partition table"),
        "partition_table_image": Option(str, "partition table .bin to write with it"),
    }  # fmt: skip

    def command(self, port: str, image: Path, after: str) -> list[str]:
        c = self.config
        return [
            sys.executable, "-m", "esptool", "--chip", c["chip"], "--port", port,
            "--baud", str(c["baud"]), "--before", c["before"], "--after", after,
            "--connect-attempts", str(c["connect_attempts"]),
            "write-flash", "--flash-mode", c["flash_mode"], "--flash-freq", c["flash_freq"],
            "--flash-size", c["flash_size"], *self.extra_images(),
            hex(c["load_address"]), str(image),
        ]  # fmt: skip

    def extra_images(self) -> list[str]:
        """Offset/file pairs for the bootloader and partition table, when both are given."""
        out = []
        for part in ("bootloader", "partition_table"):
            path = self.config.get(f"{part}_image")
            if path is None:
                continue
            address = self.config.get(f"{part}_address")
            if address is None:
                raise self._fail(f"{part}_image needs {part}_address")
            if not Path(path).is_file():
                raise self._fail(f"{part} image not found: {path}")
            out += [hex(address), str(path)]
        return out

    def flash(self, image: Path, *, console: SerialTransport | None = None) -> FlashReport:
        started = time.monotonic()
        image = Path(image)
        if not image.is_file():
            raise self._fail(f"image not found: {image}")
        if image.suffix.lower() != ".bin":
            raise self._fail(f"{image}: esptool writes .bin images (make one with elf2image)")
        port = self.config.get("port") or (console.url if console else None)
        if not port:
            raise self._fail("no serial port given (set 'port' or pass the console)")
        shares_console = console is not None and port == console.url
        if shares_console:
            # The console keeps its place; esptool takes the port, the chip stays in the
            # loader until the console is back, then a reset pulse starts the application.
            with console.released():
                done = run_bounded(self.command(port, image, "no-reset"), self.timeout)
            self._check(done, port)
            try:
                # Boot from flash: the strapping line released, then a reset pulse.
                other = "dtr" if self.config["reset_line"] == "rts" else "rts"
                console.set_line(other, False)
                console.pulse(self.config["reset_line"], active=0.1)
            except TransportError as err:
                raise self._fail(f"flashed, but cannot reset the chip: {err}") from err
        else:
            done = run_bounded(self.command(port, image, "hard-reset"), self.timeout)
            self._check(done, port)
        return FlashReport(
            method=self.method,
            image=str(image),
            bytes_written=image.stat().st_size,
            verified=True,
            verify_method="esptool flash hash check",
            seconds=time.monotonic() - started,
            details={"chip": self.config["chip"], "port": port,
                     "offset": hex(self.config["load_address"])},
        )  # fmt: skip

    def _check(self, done: Any, port: str) -> None:
        output = done.stdout + done.stderr
        if done.timed_out:
            raise self._fail(
                f"esptool did not finish within {self.timeout:.0f} s on {port}", tail(output)
            )
        if done.returncode != 0:
            raise self._fail(f"esptool failed on {port} (status {done.returncode})", tail(output))
        if not any(marker in output.lower() for marker in VERIFIED_MARKERS):
            raise self._fail("esptool did not report a verified flash hash", tail(output))
