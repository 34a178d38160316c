"""Ambiq wired update against the loader's device side on a loopback link, through the DUT."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from microforge.device.errors import FlashError
from microforge.device.flashers import create_flasher
from microforge.device.flashers.asb import message, ota_blob, wired_blocks
from microforge.device.serial_transport import SerialTransport
from microforge.hil.dut import Dut
from microforge.hil.result import BoardIdentity, Outcome

from .asb_device import AsbDevice


def app_image(tmp_path: Path, image_id: str, size: int) -> Path:
    text = (
        f"MF-SYNC {image_id}\nMF-CASE boots PASS\nMF-SUMMARY passed=1 failed=0\n"
        "~~~ALL TESTS PASSED~~~\n"
    ).encode()
    path = tmp_path / f"{image_id}.bin"
    path.write_bytes(text + b"#" * (size - len(text)))
    return path


def test_blob_layout() -> None:
    app = bytes(range(250)) + b"\x01\x02\x03"  # 253 bytes: padded to 256
    blob = ota_blob(app)
    assert len(blob) == 128 + 256
    w0, crc, security = struct.unpack_from("<III", blob, 0)
    assert w0 == (0xCB << 24) | len(blob) and security == 0x10008080
    assert crc == zlib.crc32(blob[8:]) & 0xFFFFFFFF
    assert struct.unpack_from("<4I", blob, 112) == (0xC000, 0, 0xFFFFFFFF, 0xFFFFFFFF)
    (block,) = wired_blocks(blob)
    assert struct.unpack_from("<I", block, 0)[0] == 0x08000800
    assert block[80:82] == bytes((6, 1))
    assert struct.unpack_from("<III", block, 84) == (0x12344321, 0x20000, len(blob))
    assert block[96:] == blob
    hello = message(0)
    assert hello[4:] == struct.pack("<I", 8 << 16)
    assert hello[:4] == struct.pack("<I", zlib.crc32(hello[4:]) & 0xFFFFFFFF)


def test_large_images_are_split_with_options_on_the_first_piece_only() -> None:
    blocks = wired_blocks(bytes(0x48000 + 100))
    assert [len(b) - 96 for b in blocks] == [0x48000, 100]
    assert [b[81] for b in blocks] == [1, 0]
    assert struct.unpack_from("<I", blocks[1], 88)[0] == 0x20000 + 0x48000


def test_wired_update_through_the_console_then_the_application_runs(tmp_path: Path) -> None:
    device = AsbDevice()
    image = app_image(tmp_path, "asb20001", 20001)  # three DATA messages
    transport = SerialTransport(device.url, log_path=tmp_path / "edge.console.log")
    identity = BoardIdentity("sparkfun_edge", "edge-asb", "", device.url)
    with Dut(identity, transport, create_flasher("asb", {})) as dut:
        report = dut.flash(image, image_id="asb20001")
        result = dut.results(timeout=10)
    device.join()
    assert result.outcome is Outcome.PASS, result.describe()
    assert device.install_error == ""
    assert device.installed is not None
    assert device.installed[:20001] == image.read_bytes()
    assert device.messages == [0, 2, 3, 8, 8, 8, 6]  # HELLO OTADESC UPDATE DATA*3 RESET
    assert report.details["blocks"] == 1


def test_a_refused_data_message_is_a_flash_error_naming_the_reason(tmp_path: Path) -> None:
    device = AsbDevice(nack_data_status=5)
    flasher = create_flasher("asb", {"port": device.url})
    with pytest.raises(FlashError, match="image too big"):
        flasher.flash(app_image(tmp_path, "big", 64))
    device.join()
