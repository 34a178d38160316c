"""The Ambiq secure bootloader (ASB/SBL) wired update, host side (Apollo3, e.g. SparkFun Edge).

The application (linked for 0xC000) is wrapped twice: an OTA blob (128-byte header, magic 0xCB
"non-secure", CRC-32 install check) and a wired-update blob (96-byte header: image type 6,
option "install after download", staging address 0x20000). Every host message is the CRC-32
(little endian) of its body followed by the body; body word 0 is (total length << 16) | type.
The loader answers HELLO with an 88-byte STATUS and every other command with a 20-byte ACK.

The board must be in the loader when the update starts: on the Edge, button 14 held through a
reset (a fixture or an operator); ``enter = "dtr"`` pulses DTR for boards wired for automatic
entry. Verification: every message is CRC-checked by the loader, which also checks the CRC-32 of
the whole image before installing it; the application's MF-SYNC line confirms the result.
"""

from __future__ import annotations

import contextlib
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import serial

from ..image import load_image
from .base import Flasher, FlashReport, Option, register

if TYPE_CHECKING:
    from ..serial_transport import SerialTransport

MSG_HELLO, MSG_STATUS, MSG_OTADESC, MSG_UPDATE = 0, 1, 2, 3
MSG_ABORT, MSG_RECOVER, MSG_RESET, MSG_ACK, MSG_DATA = 4, 5, 6, 7, 8
ACK_STATUS = {
    0: "success", 1: "failure", 2: "invalid info0", 3: "CRC error", 4: "security error",
    5: "image too big", 6: "invalid address", 7: "invalid operation", 8: "invalid parameter",
    9: "invalid image", 10: "sequence error", 11: "internal error",
}  # fmt: skip
STATUS_LENGTH = 88
ACK_LENGTH = 20
MAX_MESSAGE = 8192
DATA_CHUNK = MAX_MESSAGE - 12

MAGIC_NONSECURE = 0xCB
OTA_HEADER = 128
WIRED_HEADER = 96
IMAGE_TYPE_NONSECURE = 6
OPTION_INSTALL = 0x1
FLASH_KEY = 0x12344321
APP_ADDRESS = 0xC000
STAGING_ADDRESS = 0x20000
SPLIT_SIZE = 0x48000
OTA_DESCRIPTOR = 0xFE000
SECURITY_WORD = 0x10008080  # CRC install check on; no authentication, no encryption


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def ota_blob(app: bytes, load_address: int = APP_ADDRESS, version: int = 0) -> bytes:
    """The OTA image: 128-byte header then the application padded to 4 bytes."""
    app = app + b"\x00" * (-len(app) % 4)
    header = bytearray(OTA_HEADER)
    struct.pack_into("<I", header, 0, (MAGIC_NONSECURE << 24) | (OTA_HEADER + len(app)))
    struct.pack_into("<I", header, 8, SECURITY_WORD)
    struct.pack_into("<I", header, 112, load_address)
    struct.pack_into("<I", header, 116, version & 0x7FFF)
    struct.pack_into("<II", header, 120, 0xFFFFFFFF, 0xFFFFFFFF)
    blob = header + app
    struct.pack_into("<I", blob, 4, crc32(bytes(blob[8:])))
    return bytes(blob)


def wired_blocks(
    blob: bytes, staging: int = STAGING_ADDRESS, options: int = OPTION_INSTALL
) -> list[bytes]:
    """The wired-update blocks: each a 96-byte header and up to SPLIT_SIZE bytes of blob."""
    blocks = []
    for index, start in enumerate(range(0, len(blob), SPLIT_SIZE)):
        piece = blob[start : start + SPLIT_SIZE]
        header = bytearray(WIRED_HEADER)
        struct.pack_into("<I", header, 0, 0x08000800)  # auth/enc key indices 8, algos off
        header[80] = IMAGE_TYPE_NONSECURE
        header[81] = options if index == 0 else 0
        struct.pack_into("<III", header, 84, FLASH_KEY, staging + start, len(piece))
        blocks.append(bytes(header) + piece)
    return blocks


def message(kind: int, *words: int, payload: bytes = b"") -> bytes:
    """CRC-32 then body; the length in word 0 counts the CRC too."""
    length = 4 + 4 + 4 * len(words) + len(payload)
    body = struct.pack("<I", (length << 16) | kind) + struct.pack(f"<{len(words)}I", *words)
    body += payload
    return struct.pack("<I", crc32(body)) + body


@register
class AsbFlasher(Flasher):
    method = "asb"
    default_timeout = 120.0
    uses_console_port = True
    options = {
        "port": Option(str, "serial port or pyserial URL of the board's UART"),
        "baud": Option(int, "loader baud rate (Edge: 921600)", default=921600),
        "load_address": Option(int, "application address", default=APP_ADDRESS),
        "staging_address": Option(int, "where the loader stores the blob", default=STAGING_ADDRESS),
        "ota_descriptor": Option(int, "OTA descriptor page (0xFFFFFFFF: skip)",
                                 default=OTA_DESCRIPTOR),
        "enter": Option(str, "none (board already in the loader) | dtr", default="none"),
        "magic": Option(int, "OTA image magic (0xCB: non-secure)", default=MAGIC_NONSECURE),
        "image_type": Option(int, "wired image type (6: non-secure)",
                             default=IMAGE_TYPE_NONSECURE),
        "options": Option(int, "wired options (bit 0: install after download)",
                          default=OPTION_INSTALL),
        "boot_pad": Option(int, "pad held through reset to stay in the loader"),
        "attempts": Option(int, "connection attempts", default=3),
        "reply_timeout": Option(float, "seconds to wait for each reply", default=5.0),
    }  # fmt: skip

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        if self.config["magic"] != MAGIC_NONSECURE or (
            self.config["image_type"] != IMAGE_TYPE_NONSECURE
        ):
            raise self._fail(
                "only non-secure images (magic 0xCB, image type 6) are supported, got "
                f"magic 0x{self.config['magic']:x}, type {self.config['image_type']}"
            )

    def payload(self, image: Path) -> list[bytes]:
        loaded = load_image(image, self.config["load_address"])
        start, app = loaded.flat()
        if start != self.config["load_address"]:
            raise self._fail(
                f"{image} starts at 0x{start:x}, not at the load address "
                f"0x{self.config['load_address']:x}"
            )
        blob = ota_blob(app, self.config["load_address"])
        return wired_blocks(blob, self.config["staging_address"], self.config["options"])

    @contextlib.contextmanager
    def _port(self, console: SerialTransport | None) -> Iterator[Any]:
        if console is not None and self.config.get("port") in (None, console.url):
            with console.borrowed() as port:
                port.baudrate = self.config["baud"]
                yield port
            return
        url = self.config.get("port")
        if not url:
            raise self._fail("no serial port given (set 'port' or pass the console)")
        try:
            port = serial.serial_for_url(url, baudrate=self.config["baud"], timeout=0.05)
        except (serial.SerialException, ValueError, OSError) as err:
            raise self._fail(f"cannot open {url}: {err}") from err
        try:
            yield port
        finally:
            port.close()

    def flash(self, image: Path, *, console: SerialTransport | None = None) -> FlashReport:
        started = time.monotonic()
        blocks = self.payload(image)
        failures = []
        with self._port(console) as port:
            port.timeout = 0.05
            for attempt in range(self.config["attempts"]):
                if time.monotonic() - started >= self.timeout:
                    break
                self._enter(port)
                try:
                    self._update(port, blocks, started + self.timeout)
                except _Refused as err:
                    failures.append(f"attempt {attempt + 1}: {err}")
                    if err.fatal:
                        break
                    continue
                return FlashReport(
                    method=self.method,
                    image=str(image),
                    bytes_written=sum(len(b) for b in blocks),
                    verified=True,
                    verify_method="message and image CRC-32 checked by the loader",
                    seconds=time.monotonic() - started,
                    details={"blocks": len(blocks), "attempts": attempt + 1},
                )
        pad = self.config.get("boot_pad")
        hint = f" (is pad {pad} held through a reset to stay in it?)" if pad is not None else ""
        raise self._fail(f"the Ambiq bootloader did not take the image{hint}", "\n".join(failures))

    def _enter(self, port: Any) -> None:
        if self.config["enter"] == "dtr":
            with contextlib.suppress(serial.SerialException, OSError, ValueError):
                port.dtr = True
                time.sleep(0.005)
                port.dtr = False
                port.rts = False
            time.sleep(0.1)
        with contextlib.suppress(serial.SerialException, OSError):
            port.reset_input_buffer()

    def _read(self, port: Any, count: int, deadline: float) -> bytes:
        data = bytearray()
        while len(data) < count and time.monotonic() < deadline:
            try:
                data += port.read(count - len(data))
            except serial.SerialException as err:
                raise _Refused(f"serial link failed: {err}", fatal=True) from err
        return bytes(data)

    def _command(self, port: Any, packet: bytes, reply_length: int, what: str) -> bytes:
        try:
            port.write(packet)
            port.flush()
        except (serial.SerialException, OSError) as err:
            raise _Refused(f"write failed: {err}", fatal=True) from err
        reply = self._read(port, reply_length, time.monotonic() + self.config["reply_timeout"])
        if len(reply) != reply_length:
            raise _Refused(f"no answer to {what} ({len(reply)} of {reply_length} bytes)")
        return reply

    def _acked(self, port: Any, packet: bytes, what: str) -> None:
        reply = self._command(port, packet, ACK_LENGTH, what)
        _, word, acked, status, seq = struct.unpack("<5I", reply)
        if word & 0xFFFF != MSG_ACK:
            raise _Refused(f"{what}: expected an ACK, got message type {word & 0xFFFF}")
        if status != 0:
            reason = ACK_STATUS.get(status, f"status {status}")
            raise _Refused(f"{what} refused: {reason} (seq 0x{seq:x})", fatal=True)

    def _update(self, port: Any, blocks: list[bytes], deadline: float) -> None:
        status = self._command(port, message(MSG_HELLO), STATUS_LENGTH, "HELLO")
        if struct.unpack_from("<I", status, 4)[0] & 0xFFFF != MSG_STATUS:
            raise _Refused("HELLO was not answered with STATUS")
        if self.config["ota_descriptor"] != 0xFFFFFFFF:
            self._acked(port, message(MSG_OTADESC, self.config["ota_descriptor"]), "OTADESC")
        for block in reversed(blocks):  # the loader expects the last piece first
            self._acked(port, message(MSG_UPDATE, len(block), crc32(block), 0), "UPDATE")
            for offset in range(0, len(block), DATA_CHUNK):
                if time.monotonic() >= deadline:
                    raise _Refused(f"timed out after {self.timeout:.0f} s", fatal=True)
                chunk = block[offset : offset + DATA_CHUNK]
                self._acked(port, message(MSG_DATA, offset, payload=chunk), f"DATA @{offset}")
        self._acked(port, message(MSG_RESET, 1), "RESET")


class _Refused(Exception):
    def __init__(self, text: str, fatal: bool = False) -> None:
        super().__init__(text)
        self.fatal = fatal
