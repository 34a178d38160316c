"""Mass-storage flashing: copy, wait for the drive to re-enumerate, check FAIL.TXT, verify by
reading the flash back through pyOCD. The drive's firmware is played by a thread that watches a
folder and programs an emulated board through its gdbstub, as an ST-LINK programs over SWD."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from microforge.device.errors import FlashError
from microforge.device.flashers import create_flasher
from microforge.device.gdb_remote import GdbRemote
from microforge.device.qemu import EmulatorSpec, QemuMachine
from microforge.device.serial_transport import SerialTransport
from microforge.hil.dut import Dut
from microforge.hil.result import BoardIdentity, Outcome

from . import fwbuild


class DriveFirmware(threading.Thread):
    """Watches the drive; a copied .bin makes the drive vanish, get programmed into the
    emulator at address 0, and come back - with FAIL.TXT when the image is refused."""

    def __init__(self, drive: Path, machine: QemuMachine, *, corrupt: bool = False,
                 refuse: str = "") -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.drive, self.machine, self.corrupt, self.refuse = drive, machine, corrupt, refuse
        self.stop = threading.Event()
        self.programmed = 0

    def run(self) -> None:
        while not self.stop.wait(0.05):
            images = [p for p in self.drive.glob("*.bin") if time.time() - p.stat().st_mtime > 0.1]
            if not images:
                continue
            data = images[0].read_bytes()
            busy = self.drive.with_name(self.drive.name + ".busy")
            self.drive.rename(busy)  # the volume leaves while the probe programs
            (busy / images[0].name).unlink()
            if self.refuse:
                (busy / "FAIL.TXT").write_text(self.refuse)
            else:
                if self.corrupt:
                    data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
                gdb = GdbRemote("127.0.0.1", self.machine.gdb_port)
                gdb.connect()
                gdb.write_memory(0, data)
                gdb.close()
                self.programmed += 1
            time.sleep(0.2)
            busy.rename(self.drive)  # and comes back


@pytest.fixture
def board(tmp_path: Path, firmware):
    elf, image_id = firmware("qemu_cortex_m4", "pass")
    image = fwbuild.to_bin("qemu_cortex_m4", elf)
    spec = EmulatorSpec.from_board_data(fwbuild.load_board("qemu_cortex_m4")["emulator"], "arm")
    machine = QemuMachine(spec, tmp_path, name="disco-sim", max_runtime=120).start()
    # QEMU serves nothing until its console is connected.
    console = SerialTransport(machine.serial_url, log_path=tmp_path / "disco.console.log").open()
    drive = tmp_path / "DIS_F746NG"
    drive.mkdir()
    yield machine, console, drive, image, image_id
    console.close()
    machine.stop()


def flasher_for(machine: QemuMachine, drive: Path):
    return create_flasher(
        "msd",
        {"volume_path": str(drive), "settle": 0.1, "load_address": 0, "probe": machine.probe_id,
         "pyocd_target": "qemu_mps2_an386", "timeout": 30},
    )  # fmt: skip


def test_copy_remount_verify_then_run(tmp_path: Path, board) -> None:
    machine, console, drive, image, image_id = board
    drive_fw = DriveFirmware(drive, machine)
    drive_fw.start()
    identity = BoardIdentity("disco_f746ng", "disco-sim", machine.probe_id, machine.serial_url)
    try:
        with Dut(identity, console, flasher_for(machine, drive)) as dut:
            report = dut.flash(image, image_id=image_id)
            result = dut.results(timeout=20)
    finally:
        drive_fw.stop.set()
        drive_fw.join(5)
    assert drive_fw.programmed == 1
    assert report.verified and report.verify_method == "read back through pyOCD"
    assert result.outcome is Outcome.PASS, result.describe()


def test_fail_txt_is_a_flash_error_with_the_probe_reason(board) -> None:
    machine, _, drive, image, _ = board
    drive_fw = DriveFirmware(drive, machine, refuse="The hex file cannot be decoded.")
    drive_fw.start()
    try:
        with pytest.raises(FlashError, match="refused the image: The hex file cannot be decoded"):
            flasher_for(machine, drive).flash(image)
    finally:
        drive_fw.stop.set()
        drive_fw.join(5)


def test_a_silently_bad_write_is_caught_by_the_read_back(board) -> None:
    machine, _, drive, image, _ = board
    drive_fw = DriveFirmware(drive, machine, corrupt=True)
    drive_fw.start()
    try:
        with pytest.raises(FlashError, match="verify failed at 0x00000064"):
            flasher_for(machine, drive).flash(image)
    finally:
        drive_fw.stop.set()
        drive_fw.join(5)


def test_a_drive_that_never_re_enumerates_is_reported(board) -> None:
    machine, _, drive, image, _ = board
    flasher = create_flasher(
        "msd", {"volume_path": str(drive), "verify": "none", "timeout": 1.0, "load_address": 0}
    )
    with pytest.raises(FlashError, match="never re-enumerated"):
        flasher.flash(image)
