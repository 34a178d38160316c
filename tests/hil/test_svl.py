"""SVL flashing against the loader's device side on a loopback link, through the DUT."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from microforge.device.errors import DeviceBusy, FlashError
from microforge.device.flashers import create_flasher
from microforge.device.flashers.svl import crc16, encode_packet
from microforge.device.serial_transport import SerialTransport
from microforge.hil.dut import Dut, open_dut
from microforge.hil.result import BoardIdentity, Outcome

from .fwbuild import load_board
from .svl_device import SvlDevice

FAST = {"reset": "none", "settle": 0.0, "packet_timeout": 1.0}


def app_image(tmp_path: Path, image_id: str, size: int) -> Path:
    """A "program" whose execution (by the device double) prints protocol lines."""
    text = (
        f"MF-SYNC {image_id}\nMF-CASE boots PASS\nMF-SUMMARY passed=1 failed=0\n"
        "~~~ALL TESTS PASSED~~~\n"
    ).encode()
    body = text + b"#" * (size - len(text))
    path = tmp_path / f"{image_id}.bin"
    path.write_bytes(body)
    return path


def test_crc_and_fixed_packets_match_the_loader() -> None:
    assert crc16(b"123456789") == 0xFEE8
    assert encode_packet(0x02).hex() == "000302800f"  # BL
    assert encode_packet(0x06).hex() == "0003060014"  # DONE
    assert encode_packet(0x03).hex() == "000303000a"  # NEXT
    assert encode_packet(0x05).hex() == "000305001e"  # RETRY
    assert encode_packet(0x01, b"\x06").hex() == "000401068617"  # VERSION 6


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"\xfe"])
def test_flash_through_the_console_then_the_application_runs(
    tmp_path: Path, garbage: bytes
) -> None:
    device = SvlDevice(garbage=garbage, refuse_frames=frozenset({2}))
    image = app_image(tmp_path, "svl5001", 5001)  # three frames, not a multiple of 4
    transport = SerialTransport(device.url, log_path=tmp_path / "edge.console.log")
    identity = BoardIdentity("sparkfun_edge", "edge-1", "", device.url)
    with Dut(identity, transport, create_flasher("svl", FAST)) as dut:
        report = dut.flash(image, image_id="svl5001")
        result = dut.results(timeout=10)
    device.join()
    assert result.outcome is Outcome.PASS, result.describe()
    assert report.details["frames"] == 3 and report.details["retries"] == 1
    assert report.details["loader_version"] == 6
    padded = image.read_bytes() + b"\xff" * 3
    assert bytes(device.flash) == padded
    assert device.frame_lengths == [2048, 2048, 908]
    assert all(length % 4 == 0 for length in device.frame_lengths)
    # The loader's protocol bytes are not console output; the application's lines are.
    log = (tmp_path / "edge.console.log").read_bytes()
    assert log.startswith(b"MF-SYNC svl5001\n")


def test_a_frame_refused_again_and_again_is_a_flash_error(tmp_path: Path) -> None:
    device = SvlDevice(refuse_frames=frozenset({1}), refuse_always=True)
    flasher = create_flasher("svl", {**FAST, "port": device.url, "attempts": 1})
    with pytest.raises(FlashError, match="refused 4 times"):
        flasher.flash(app_image(tmp_path, "x", 100))
    device.join()


def test_a_silent_loader_fails_in_bounded_time(tmp_path: Path) -> None:
    device = SvlDevice(silent=True)
    flasher = create_flasher(
        "svl", {**FAST, "port": device.url, "attempts": 2, "packet_timeout": 0.3}
    )
    started = time.monotonic()
    with pytest.raises(FlashError, match="no VERSION packet") as err:
        flasher.flash(app_image(tmp_path, "x", 100))
    assert time.monotonic() - started < 3
    assert "attempt 2" in str(err.value)
    device.join()


def test_a_loader_that_stalls_mid_image_fails_in_bounded_time(tmp_path: Path) -> None:
    device = SvlDevice(stall_after=1)
    flasher = create_flasher(
        "svl", {**FAST, "port": device.url, "attempts": 1, "packet_timeout": 0.3}
    )
    started = time.monotonic()
    with pytest.raises(FlashError, match="went quiet after frame 1 of 2"):
        flasher.flash(app_image(tmp_path, "x", 3000))
    assert time.monotonic() - started < 3
    device.join()


def test_an_image_linked_elsewhere_is_refused_before_talking(tmp_path: Path) -> None:
    hexfile = tmp_path / "app.hex"
    hexfile.write_text(":0400000001020304F2\n:00000001FF\n")  # 4 bytes at address 0
    flasher = create_flasher("svl", {**FAST, "port": "socket://127.0.0.1:9"})
    with pytest.raises(FlashError, match="starts at 0x0; the SVL writes at 0x10000"):
        flasher.flash(hexfile)


def test_open_dut_from_board_data_with_the_svl_alternative(tmp_path: Path) -> None:
    device = SvlDevice(garbage=b"\x00")
    image = app_image(tmp_path, "edge42", 300)
    board = load_board("sparkfun_edge")
    with open_dut(
        board, tmp_path, port=device.url, name="edge-7", method="svl", overrides=FAST,
        lock_dir=tmp_path / "locks",
    ) as dut:  # fmt: skip
        assert dut.flasher is not None and dut.flasher.config["load_address"] == 0x10000
        with pytest.raises(DeviceBusy):  # the same port cannot be opened by a second run
            open_dut(board, tmp_path, port=device.url, name="edge-8", method="svl",
                     lock_dir=tmp_path / "locks", lock_timeout=0.2)  # fmt: skip
        dut.flash(image, image_id="edge42")
        result = dut.results(timeout=10)
    device.join()
    assert result.outcome is Outcome.PASS, result.describe()
    assert result.identity.name == "edge-7" and result.identity.port == device.url
