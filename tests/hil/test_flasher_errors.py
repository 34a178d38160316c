"""Flashers fail fast and clearly, always with FlashError (or ConfigError for bad data)."""

from __future__ import annotations

import socket
import time
import zipfile
from pathlib import Path

import pytest
from microforge.device.errors import ConfigError, FlashError
from microforge.device.flashers import FLASHERS, create_flasher, flasher_from_board

from .fwbuild import load_board


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "app.bin"
    path.write_bytes(b"\x00\x10\x00\x20\x09\x00\x00\x00" + bytes(56))
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_method_of_the_board_schema_has_a_flasher() -> None:
    assert set(FLASHERS) == {"pyocd", "qemu", "esptool", "svl", "asb", "msd"}


def test_unknown_method_and_keys_are_named_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="unknown flash method 'pyocdd'.*did you mean 'pyocd'"):
        create_flasher("pyocdd", {})
    with pytest.raises(ConfigError, match="'pyocd_targt' \\(did you mean 'pyocd_target'"):
        create_flasher("pyocd", {"probe": "x", "pyocd_target": "t", "pyocd_targt": "t"})
    with pytest.raises(ConfigError, match="needs 'pyocd_target'"):
        create_flasher("pyocd", {"probe": "x"})
    with pytest.raises(ConfigError, match="load_address must be int"):
        create_flasher("svl", {"load_address": "0x10000"})
    with pytest.raises(ConfigError, match="timeout must be a positive number"):
        create_flasher("msd", {"verify": "none", "timeout": 0})


def test_absent_probe_is_a_bounded_flash_error(image: Path) -> None:
    flasher = create_flasher(
        "pyocd",
        {"probe": "0123456789ABCDEF0000", "pyocd_target": "stm32f767zi",
         "load_address": 0x08000000, "timeout": 30},
    )  # fmt: skip
    started = time.monotonic()
    with pytest.raises(FlashError, match="probe '0123456789ABCDEF0000' not found") as err:
        flasher.flash(image)
    assert time.monotonic() - started < 30
    assert err.value.method == "pyocd"


def test_a_probe_that_hangs_is_cut_off_at_the_time_limit(image: Path) -> None:
    # A listener that accepts the connection but never answers: the worker blocks in pyOCD.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        flasher = create_flasher(
            "pyocd",
            {"probe": f"qemu:127.0.0.1:{port}", "pyocd_target": "qemu_mps2_an386",
             "load_address": 0, "timeout": 4},
        )  # fmt: skip
        started = time.monotonic()
        with pytest.raises(FlashError) as err:
            flasher.flash(image)
        assert time.monotonic() - started < 12
    assert "did not answer" in str(err.value) or "did not finish" in str(err.value)


def test_missing_pack_and_bad_image_are_flash_errors(tmp_path: Path, image: Path) -> None:
    with pytest.raises(FlashError, match="CMSIS pack \\(Keil.STM32F7xx_DFP\\) not found"):
        create_flasher(
            "pyocd",
            {
                "probe": "x",
                "pyocd_target": "stm32f746nghx",
                "pyocd_pack": "Keil.STM32F7xx_DFP",
                "pack_path": str(tmp_path / "no.pack"),
            },
        )
    flasher = create_flasher("pyocd", {"probe": "x", "pyocd_target": "t"})
    with pytest.raises(FlashError, match="needs a load address"):
        flasher.flash(image)
    with pytest.raises(FlashError, match="image not found"):
        flasher.flash(tmp_path / "missing.elf")
    broken = tmp_path / "broken.elf"
    broken.write_bytes(b"\x7fELF" + bytes(10))
    with pytest.raises(FlashError, match="malformed ELF"):
        flasher.flash(broken)


def test_emulator_gdbstub_gone_is_a_flash_error(image: Path) -> None:
    port = closed_port()
    for via in ("gdb", "pyocd"):
        flasher = create_flasher(
            "qemu", {"probe": f"qemu:127.0.0.1:{port}", "via": via, "load_address": 0,
                     "machine": "mps2-an386", "timeout": 20},
        )  # fmt: skip
        with pytest.raises(FlashError, match="connect|refused"):
            flasher.flash(image)


def test_esptool_absent_port_is_a_bounded_flash_error(image: Path) -> None:
    flasher = create_flasher("esptool", {"port": "/dev/ttyMF-absent", "timeout": 60})
    started = time.monotonic()
    with pytest.raises(FlashError, match="esptool failed on /dev/ttyMF-absent") as err:
        flasher.flash(image)
    assert time.monotonic() - started < 60
    assert "ttyMF-absent" in err.value.detail


def test_esptool_silent_chip_is_cut_off(image: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"socket://127.0.0.1:{silent.getsockname()[1]}"
        flasher = create_flasher("esptool", {"port": url, "timeout": 5, "connect_attempts": 1})
        started = time.monotonic()
        with pytest.raises(FlashError, match="esptool"):
            flasher.flash(image)
        assert time.monotonic() - started < 15


def test_serial_loaders_on_an_absent_port_fail_clearly(image: Path) -> None:
    url = f"socket://127.0.0.1:{closed_port()}"
    with pytest.raises(FlashError, match="cannot open"):
        create_flasher("svl", {"port": url}).flash(image)
    with pytest.raises(FlashError, match="cannot open"):
        create_flasher("asb", {"port": url, "load_address": 0}).flash(image)
    with pytest.raises(FlashError, match="cannot open"):
        create_flasher("svl", {"port": "/dev/ttyMF-absent"}).flash(image)


def test_msd_without_the_drive_fails_in_bounded_time(tmp_path: Path, image: Path) -> None:
    flasher = create_flasher(
        "msd", {"volume": "MF_NO_SUCH_DRIVE", "verify": "none", "appear_timeout": 1.0}
    )
    started = time.monotonic()
    with pytest.raises(FlashError, match="MF_NO_SUCH_DRIVE.*not found"):
        flasher.flash(image)
    assert time.monotonic() - started < 5
    with pytest.raises(FlashError, match="read-back verify needs probe and pyocd_target"):
        create_flasher("msd", {"volume_path": str(tmp_path)})
    elf = tmp_path / "app.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(FlashError, match="takes a .bin or .hex"):
        create_flasher("msd", {"volume_path": str(tmp_path), "verify": "none"}).flash(elf)


def test_real_board_data_picks_each_board_flasher() -> None:
    edge = load_board("sparkfun_edge")["flash"]
    asb = flasher_from_board(edge, {"port": "/dev/ttyUSB0"})
    assert asb.method == "asb" and asb.config["baud"] == 921600
    assert asb.config["staging_address"] == 0x20000 and asb.config["boot_pad"] == 14
    assert "svl_baud" in asb.ignored_keys
    svl = flasher_from_board(edge, {"port": "/dev/ttyUSB0"}, method="svl")
    assert svl.config["load_address"] == 0x10000  # svl_load_address wins over load_address
    pyocd = flasher_from_board(edge, {"probe": "0240000034544E45"}, method="pyocd")
    assert pyocd.config["pyocd_target"] == "ama3b1kk_kbr"
    disco = flasher_from_board(load_board("disco_f746ng")["flash"], {"probe": "066DFF495351"})
    assert disco.method == "msd" and disco.config["volume"] == "DIS_F746NG"
    assert disco.config["pyocd_pack"] == "Keil.STM32F7xx_DFP"
    esp = flasher_from_board(load_board("esp32")["flash"], {"port": "/dev/ttyUSB1"})
    assert esp.method == "esptool" and esp.config["bootloader_address"] == 0x1000
    with pytest.raises(ConfigError, match="does not take 'prob'"):
        flasher_from_board(load_board("disco_f746ng")["flash"], {"prob": "066DFF"})
    with pytest.raises(ConfigError, match="unknown flash method 'svll'"):
        flasher_from_board(edge, method="svll")


def test_a_target_from_a_pack_names_the_pack(emulated, image: Path, tmp_path: Path) -> None:
    machine = emulated("qemu_cortex_m4").machine  # a probe that is there
    config = {"probe": machine.probe_id, "pyocd_target": "stm32f746nghx",
              "pyocd_pack": "Keil.STM32F7xx_DFP", "load_address": 0x08000000}  # fmt: skip
    with pytest.raises(FlashError, match="comes from the CMSIS pack Keil.STM32F7xx_DFP"):
        create_flasher("pyocd", config).flash(image)
    pack = tmp_path / "Keil.STM32F7xx_DFP.2.16.0.pack"
    with zipfile.ZipFile(pack, "w") as archive:  # a pack without that device
        archive.writestr("Keil.STM32F7xx_DFP.pdsc", "<package></package>")
    with pytest.raises(FlashError, match=f"the pack {pack} does not provide it"):
        create_flasher("pyocd", {**config, "pack_path": str(pack)}).flash(image)
    with pytest.raises(FlashError, match="is not the Keil.STM32F7xx_DFP pack"):
        create_flasher("pyocd", {**config, "pack_path": str(image)})
