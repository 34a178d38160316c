"""The SparkFun Variable Loader (SVL) serial bootloader, host side.

Packets in both directions: LEN (2 bytes, big endian, = 1 + payload + 2), CMD, payload, CRC-16
(big endian) over CMD + payload; CRC-16 with polynomial 0x8005, initial value 0, MSB first,
no final xor. After a reset the loader measures the baud rate on one 0x55 byte, answers VERSION,
waits for BL, then asks for frames (NEXT / RETRY) until DONE, and resets into the application at
0x10000. Frames must be a multiple of 4 bytes (the image is padded); the loader's UART start-up
can put one garbage byte on the line before VERSION (tolerated).

The protocol has no read-back: every frame is CRC-checked and acknowledged by the loader, and the
application's MF-SYNC line after the reset confirms the image.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import serial

from ..errors import FlashError
from ..image import load_image
from .base import Flasher, FlashReport, Option, register

if TYPE_CHECKING:
    from ..serial_transport import SerialTransport

CMD_VERSION = 0x01
CMD_BL = 0x02
CMD_NEXT = 0x03
CMD_FRAME = 0x04
CMD_RETRY = 0x05
CMD_DONE = 0x06
COMMAND_NAMES = {1: "VERSION", 2: "BL", 3: "NEXT", 4: "FRAME", 5: "RETRY", 6: "DONE"}

FRAME_SIZE = 2048
APP_ADDRESS = 0x10000
BAUD_PROBE = b"\x55"
MAX_RETRIES = 4
#: Loader answers are VERSION (LEN 4) or NEXT / RETRY (LEN 3).
REPLY_LENGTHS = (3, 4)


def crc16(data: bytes) -> int:
    """CRC-16, polynomial 0x8005, initial 0, MSB first, no final xor (CRC-16/UMTS)."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def encode_packet(command: int, payload: bytes = b"") -> bytes:
    body = bytes((command,)) + payload
    return (len(body) + 2).to_bytes(2, "big") + body + crc16(body).to_bytes(2, "big")


@dataclass(frozen=True)
class Packet:
    command: int
    payload: bytes

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.command, f"0x{self.command:02x}")


def decode_packet(data: bytes) -> Packet | None:
    """A packet from exactly its bytes, or None when length or CRC do not check."""
    if len(data) < 5 or int.from_bytes(data[:2], "big") != len(data) - 2:
        return None
    if crc16(data[2:]) != 0:  # CRC over CMD + payload + CRC is zero
        return None
    return Packet(data[2], bytes(data[3:-2]))


class SvlLink:
    """Packet I/O on an open pyserial port, every read bounded."""

    def __init__(self, port: Any, method: str = "svl") -> None:
        self.port = port
        self.method = method
        self._pending = bytearray()
        port.timeout = 0.05

    def _read_exact(self, count: int, deadline: float) -> bytes:
        while len(self._pending) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                chunk = self.port.read(count - len(self._pending))
            except serial.SerialException as err:
                raise FlashError(f"serial link failed: {err}", method=self.method) from err
            self._pending += chunk
        data = bytes(self._pending[:count])
        del self._pending[:count]
        return data

    def send(self, command: int, payload: bytes = b"") -> None:
        try:
            self.port.write(encode_packet(command, payload))
            self.port.flush()
        except (serial.SerialException, OSError) as err:
            raise FlashError(f"serial write failed: {err}", method=self.method) from err

    def receive(self, timeout: float, skip_noise: int = 0) -> Packet | None:
        """The next loader packet, or None on timeout. Up to ``skip_noise`` leading garbage
        bytes are dropped (the loader's UART start-up glitch)."""
        deadline = time.monotonic() + timeout
        header = self._read_exact(2, deadline)
        while len(header) == 2:
            length = int.from_bytes(header, "big")
            if length in REPLY_LENGTHS:
                rest = self._read_exact(length, deadline)
                if len(rest) < length:
                    return None
                packet = decode_packet(header + rest)
                if packet is not None:
                    return packet
                if skip_noise <= 0:
                    raise FlashError(
                        f"packet with a bad CRC from the loader: {(header + rest).hex()}",
                        method=self.method,
                    )
                self._pending[:0] = header[1:] + rest
            elif skip_noise <= 0:
                raise FlashError(
                    f"unexpected bytes from the loader: {header.hex()} (length {length})",
                    method=self.method,
                )
            else:
                self._pending[:0] = header[1:]
            skip_noise -= 1
            header = self._read_exact(2, deadline)
        return None

    def discard_input(self) -> None:
        self._pending.clear()
        with contextlib.suppress(serial.SerialException, OSError):
            self.port.reset_input_buffer()


@register
class SvlFlasher(Flasher):
    method = "svl"
    default_timeout = 120.0
    uses_console_port = True
    options = {
        "port": Option(str, "serial port or pyserial URL of the board's UART"),
        "baud": Option(int, "loader baud rate (57600..921600)", default=115200),
        "load_address": Option(int, "application address the loader writes", default=APP_ADDRESS),
        "attempts": Option(int, "connection attempts, each after a reset", default=3),
        "reset": Option(str, "how to reset into the loader: dtr | none", default="dtr"),
        "settle": Option(float, "seconds between reset and the baud probe", default=0.15),
        "packet_timeout": Option(float, "seconds to wait for each loader packet", default=1.0),
    }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        if self.config["load_address"] != APP_ADDRESS:
            raise self._fail(
                f"the SVL writes applications at 0x{APP_ADDRESS:x}, "
                f"not 0x{self.config['load_address']:x}"
            )
        if self.config["reset"] not in ("dtr", "none"):
            raise self._fail(f"reset must be 'dtr' or 'none', got {self.config['reset']!r}")

    def payload(self, image: Path) -> bytes:
        loaded = load_image(image, self.config["load_address"])
        start, data = loaded.flat()
        if start != self.config["load_address"]:
            raise self._fail(
                f"{image} starts at 0x{start:x}; the SVL writes at 0x{APP_ADDRESS:x} "
                "(link the application for the SVL)"
            )
        return data + b"\xff" * (-len(data) % 4)

    @contextlib.contextmanager
    def _port(self, console: SerialTransport | None) -> Iterator[tuple[Any, bool]]:
        """(open port, opened here) from the console transport or from ``port``."""
        if console is not None and self.config.get("port") in (None, console.url):
            with console.borrowed() as port:
                port.baudrate = self.config["baud"]
                yield port, False
            return
        url = self.config.get("port")
        if not url:
            raise self._fail("no serial port given (set 'port' or pass the console)")
        try:
            port = serial.serial_for_url(url, baudrate=self.config["baud"], timeout=0.05)
        except (serial.SerialException, ValueError, OSError) as err:
            raise self._fail(f"cannot open {url}: {err}") from err
        try:
            yield port, True
        finally:
            port.close()

    def flash(self, image: Path, *, console: SerialTransport | None = None) -> FlashReport:
        started = time.monotonic()
        data = self.payload(image)
        deadline = started + self.timeout
        with self._port(console) as (port, opened_here):
            link = SvlLink(port, self.method)
            failures: list[str] = []
            for attempt in range(self.config["attempts"]):
                if time.monotonic() >= deadline:
                    break
                self._reset(port, fresh_open=opened_here and attempt == 0)
                try:
                    version, retries = self._session(link, data, deadline)
                except _AttemptFailed as err:
                    failures.append(f"attempt {attempt + 1}: {err}")
                    continue
                return FlashReport(
                    method=self.method,
                    image=str(image),
                    bytes_written=len(data),
                    verified=True,
                    verify_method="each frame CRC-16 checked and acknowledged by the loader",
                    seconds=time.monotonic() - started,
                    details={"loader_version": version, "frames": -(-len(data) // FRAME_SIZE),
                             "retries": retries, "attempts": attempt + 1},
                )  # fmt: skip
        raise self._fail(
            "the SVL bootloader did not take the image",
            detail="\n".join(failures) or f"no attempt within {self.timeout:.0f} s",
        )

    def _reset(self, port: Any, fresh_open: bool) -> None:
        """Reset the board into the loader (the Edge resets on a DTR edge)."""
        if self.config["reset"] == "dtr" and not fresh_open:
            with contextlib.suppress(serial.SerialException, OSError, ValueError):
                port.dtr = False
                time.sleep(0.05)
                port.dtr = True
        time.sleep(self.config["settle"])

    def _session(self, link: SvlLink, data: bytes, deadline: float) -> tuple[int, int]:
        """One attempt: baud probe, version, bootload loop. Returns (version, retries)."""
        wait = self.config["packet_timeout"]
        link.discard_input()
        link.port.write(BAUD_PROBE)
        version = link.receive(min(wait, _left(deadline)), skip_noise=2)
        if version is None:
            raise _AttemptFailed("no VERSION packet after the baud probe")
        if version.command != CMD_VERSION or len(version.payload) != 1:
            raise _AttemptFailed(f"expected VERSION, got {version.name}")
        link.send(CMD_BL)
        frames = -(-len(data) // FRAME_SIZE)
        current = 0
        retries = total_retries = 0
        while True:
            packet = link.receive(min(wait, _left(deadline)))
            if packet is None:
                raise _AttemptFailed(f"loader went quiet after frame {current} of {frames}")
            if packet.command == CMD_NEXT:
                current += 1
                retries = 0
            elif packet.command == CMD_RETRY:
                retries += 1
                total_retries += 1
                if retries >= MAX_RETRIES:
                    raise _AttemptFailed(f"frame {current} refused {retries} times")
            else:
                raise _AttemptFailed(f"unexpected {packet.name} packet during bootload")
            if current > frames:
                link.send(CMD_DONE)
                return version.payload[0], total_retries
            if current == 0:
                raise _AttemptFailed("RETRY before the first frame")
            chunk = data[(current - 1) * FRAME_SIZE : current * FRAME_SIZE]
            link.send(CMD_FRAME, chunk)


class _AttemptFailed(Exception):
    pass


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
