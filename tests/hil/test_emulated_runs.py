"""End to end on emulated boards: flash through pyOCD's QEMU gdbstub probe (or the gdbstub
directly), read the UART over socket://, parse the protocol, classify the run."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from microforge.device.errors import FlashError
from microforge.device.qemu import EmulatorSpec, QemuMachine
from microforge.device.serial_transport import SerialTransport
from microforge.hil.dut import DutTimeout
from microforge.hil.result import Outcome

from .fwbuild import FIRMWARE, load_board

FW_SOURCE = FIRMWARE / "protocol_fw.c"


def fault_line() -> int:
    for number, line in enumerate(FW_SOURCE.read_text().splitlines(), start=1):
        if "FAULT-LINE" in line:
            return number
    raise AssertionError("FAULT-LINE marker missing")


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("pass", Outcome.PASS),
        ("assert", Outcome.ASSERTION),
        ("fault", Outcome.CRASH),
        ("reset", Outcome.CRASH),
        ("missing_case", Outcome.ASSERTION),
        ("hang", Outcome.TIMEOUT),
        ("silent", Outcome.NO_OUTPUT),
    ],
)
def test_outcomes_on_cortex_m4_through_pyocd(firmware, emulated, scenario, expected) -> None:
    elf, image_id = firmware("qemu_cortex_m4", scenario)
    dut = emulated("qemu_cortex_m4")
    report = dut.flash(elf, image_id=image_id)
    assert report.verified and report.details["via"] == "pyocd"
    result = dut.results(timeout=3 if expected in (Outcome.TIMEOUT, Outcome.NO_OUTPUT) else 20)
    assert result.outcome is expected, result.describe()
    assert result.identity.probe == dut.machine.probe_id
    assert result.identity.port.startswith("socket://127.0.0.1:")
    assert Path(result.log_path).is_file()
    if expected is Outcome.PASS:
        assert [c["name"] for c in result.cases] == ["first", "second"]
        bench = result.benches[0]
        assert bench["name"] == "invoke" and bench["values"]["arena_bytes"] == 2048
        assert bench["values"]["ticks"] > 0
        assert result.summary == {"passed": 2, "failed": 0} and result.exit_code == 0
    if scenario == "assert":
        assert "second failed at protocol_fw.c:77" in result.message
        assert result.exit_code == 1
    if scenario == "fault":
        assert result.fault is not None and result.exit_code == 100
        assert result.fault.function == "load_from"
        assert result.fault.file is not None and result.fault.file.endswith("protocol_fw.c")
        assert result.fault.lineno == fault_line()
        assert "PRECISERR" in result.fault.report
    if scenario == "hang":
        assert "MF-CASE first PASS" in result.last_output


def test_first_line_after_reset_is_in_the_log(firmware, emulated) -> None:
    elf, image_id = firmware("qemu_cortex_m4", "pass")
    dut = emulated("qemu_cortex_m4")
    dut.flash(elf, image_id=image_id)
    result = dut.results(timeout=20)
    log = Path(result.log_path).read_bytes()
    assert log.startswith(f"boot {image_id}\n".encode())  # the very first byte printed
    assert result.sync_offset == len(f"boot {image_id}\n")


def test_undecodable_bytes_reach_the_log_unchanged(firmware, emulated) -> None:
    elf, image_id = firmware("qemu_cortex_m4", "binary")
    dut = emulated("qemu_cortex_m4")
    dut.flash(elf, image_id=image_id)
    result = dut.results(timeout=20)
    assert result.outcome is Outcome.PASS, result.describe()
    assert b"raw \xff\xfe\x80\n" in Path(result.log_path).read_bytes()


def test_a_long_run_loses_no_line(firmware, emulated) -> None:
    elf, image_id = firmware("qemu_cortex_m4", "chatty")
    dut = emulated("qemu_cortex_m4")
    dut.flash(elf, image_id=image_id)
    result = dut.results(timeout=30)
    assert result.outcome is Outcome.PASS, result.describe()
    assert len(result.cases) == 2000


def test_stale_output_of_the_previous_image_cannot_pass_a_new_one(firmware, emulated) -> None:
    old, old_id = firmware("qemu_cortex_m4", "stale")  # prints PASS lines forever
    new, new_id = firmware("qemu_cortex_m4", "fault")
    dut = emulated("qemu_cortex_m4")
    dut.flash(old, image_id=old_id)
    dut.expect_exact("~~~ALL TESTS PASSED~~~", timeout=10)
    dut.flash(new, image_id=new_id)  # the old image keeps printing until pyOCD halts it
    result = dut.results(timeout=20)
    assert result.outcome is Outcome.CRASH, result.describe()
    assert result.image_id == new_id


def test_only_the_flashed_image_sync_counts(firmware, emulated) -> None:
    elf, image_id = firmware("qemu_cortex_m4", "pass")
    dut = emulated("qemu_cortex_m4")
    dut.flash(elf, image_id="not-" + image_id)
    result = dut.results(timeout=3)
    assert result.outcome is Outcome.NO_OUTPUT
    assert "no MF-SYNC line" in result.message


def test_expect_and_its_timeout_message(firmware, emulated) -> None:
    elf, image_id = firmware("qemu_cortex_m4", "hang")
    dut = emulated("qemu_cortex_m4")
    dut.flash(elf, image_id=image_id)
    match = dut.expect(r"MF-SYNC (\w+)", timeout=10)
    assert match.group(1).decode() == image_id
    dut.expect_exact("MF-CASE first PASS", timeout=10)
    started = time.monotonic()
    with pytest.raises(DutTimeout) as err:
        dut.expect_exact("MF-SUMMARY", timeout=0.5)
    assert time.monotonic() - started < 3
    message = str(err.value)
    assert "not seen within 0.5 s" in message and str(dut.log_path) in message
    assert "last bytes" in message


def test_cortex_m7_through_pyocd(firmware, emulated) -> None:
    elf, image_id = firmware("qemu_cortex_m7", "pass")
    dut = emulated("qemu_cortex_m7")
    report = dut.flash(elf, image_id=image_id)
    assert report.details["target"] == "qemu_mps2_an500"
    result = dut.results(timeout=20)
    assert result.outcome is Outcome.PASS, result.describe()


def test_cortex_m4_straight_through_the_gdbstub(firmware, emulated) -> None:
    elf, image_id = firmware("qemu_cortex_m4", "assert")
    dut = emulated("qemu_cortex_m4", via="gdb")
    report = dut.flash(elf, image_id=image_id)
    assert report.details["via"] == "gdb"
    assert dut.results(timeout=20).outcome is Outcome.ASSERTION


@pytest.mark.parametrize(("scenario", "expected"), [("pass", Outcome.PASS),
                                                    ("fault", Outcome.CRASH)])  # fmt: skip
def test_riscv_through_the_gdbstub(firmware, emulated, scenario, expected) -> None:
    elf, image_id = firmware("qemu_riscv32", scenario)
    dut = emulated("qemu_riscv32")
    dut.flash(elf, image_id=image_id)
    result = dut.results(timeout=20)
    assert result.outcome is expected, result.describe()
    if expected is Outcome.CRASH:
        assert result.fault is not None and result.fault.function == "load_from"


def test_boards_run_side_by_side(firmware, emulated) -> None:
    elf_a, id_a = firmware("qemu_cortex_m4", "pass")
    elf_b, id_b = firmware("qemu_cortex_m4", "assert")
    duts = [emulated("qemu_cortex_m4", name="m4-a"), emulated("qemu_cortex_m4", name="m4-b")]
    results = {}

    def run(dut, elf, image_id):
        dut.flash(elf, image_id=image_id)
        results[dut.identity.name] = dut.results(timeout=30)

    threads = [
        threading.Thread(target=run, args=(duts[0], elf_a, id_a)),
        threading.Thread(target=run, args=(duts[1], elf_b, id_b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results["m4-a"].outcome is Outcome.PASS
    assert results["m4-b"].outcome is Outcome.ASSERTION
    assert results["m4-a"].log_path != results["m4-b"].log_path
    assert not re.search(id_b.encode(), Path(results["m4-a"].log_path).read_bytes())


def test_kernel_loaded_machine_starts_after_its_console_opens(firmware, tmp_path) -> None:
    elf, image_id = firmware("qemu_riscv32", "pass")
    board = load_board("qemu_riscv32")
    spec = EmulatorSpec.from_board_data(board["emulator"], board["arch"])
    with QemuMachine(spec, tmp_path, name="rv-kernel", kernel=elf, max_runtime=60) as machine:
        with SerialTransport(machine.serial_url, log_path=tmp_path / "rv.log") as console:
            machine.run()
            assert console.wait_for_eof(20)
            assert console.received().startswith(f"boot {image_id}\n".encode())
        assert machine.wait(10) == 0


def test_a_failed_flash_is_a_flash_error_not_a_console_timeout(firmware, emulated) -> None:
    elf, image_id = firmware("qemu_cortex_m4", "pass")
    dut = emulated("qemu_cortex_m4", pyocd_target="no_such_target")
    with pytest.raises(FlashError, match="no_such_target"):
        dut.flash(elf, image_id=image_id)
    started = time.monotonic()
    result = dut.results(timeout=30)
    assert time.monotonic() - started < 1  # no waiting for a console that cannot speak
    assert result.outcome is Outcome.FLASH_ERROR
    assert "no_such_target" in result.message
    assert result.identity.probe == dut.machine.probe_id and result.log_path
