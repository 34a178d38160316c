"""The pytest plugin as a user runs it: `dut` on each farm unit, --board and --farm, multi-DUT
tests, timeouts that show the last bytes and the log, flash errors reported as such."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

INNER = '''
import pytest
from microforge.device.errors import FlashError

HANG, HANG_ID = {hang!r}, {hang_id!r}
PASS_M4, PASS_M4_ID = {pass_m4!r}, {pass_m4_id!r}
PASS_RV, PASS_RV_ID = {pass_rv!r}, {pass_rv_id!r}


def test_every_unit(dut):
    assert dut.board in ("qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32")
    assert dut.unit.name == dut.board and dut.transport.is_open


@pytest.mark.boards("qemu_cortex_m4")
def test_a_timeout_shows_the_last_bytes(dut):
    dut.flash(HANG, image_id=HANG_ID)
    dut.expect_exact("MF-CASE first PASS", timeout=20)
    dut.expect(r"MF-SUMMARY passed=\\d+", timeout=1)


@pytest.mark.boards("qemu_cortex_m4")
def test_two_boards_at_once(dut, dut_factory):
    other = dut_factory("qemu_riscv32")
    dut.flash(PASS_M4, image_id=PASS_M4_ID)
    other.flash(PASS_RV, image_id=PASS_RV_ID)
    first, second = dut.results(30), other.results(30)
    assert first.passed and second.passed, (first.describe(), second.describe())
    assert first.identity.port != second.identity.port
    assert (first.identity.board, second.identity.board) == ("qemu_cortex_m4", "qemu_riscv32")
    third = dut_factory()
    assert third.board == "qemu_cortex_m4" and third.log_path != dut.log_path


@pytest.mark.boards("qemu_cortex_m7")
def test_a_bad_image_is_a_flash_error(dut, tmp_path):
    bad = tmp_path / "bad.elf"
    bad.write_bytes(b"\\x7fELF" + bytes(60))
    with pytest.raises(FlashError):
        dut.flash(bad)
    result = dut.results(5)
    assert result.outcome.value == "flash_error", result.describe()
'''


def run_pytest(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    junit = folder / "junit.xml"
    junit.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "microforge.hil.pytest_plugin",
         "-p", "no:cacheprovider", "--rootdir", str(folder), "-o", "addopts=", "-rA",
         f"--junitxml={junit}", str(folder / "test_inner.py"), *args],
        capture_output=True, text=True, timeout=600, cwd=folder, check=False,
    )  # fmt: skip
    cases = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            state = "passed"
            for tag in ("failure", "error", "skipped"):
                element = case.find(tag)
                if element is not None:
                    state = (tag, element.get("message", ""), element.text or "")
            cases[case.get("name")] = state
    return done, cases


@pytest.fixture(scope="module")
def inner(farm_firmware, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("plugin")
    hang, hang_id = farm_firmware("qemu_cortex_m4", "hang")
    pass_m4, pass_m4_id = farm_firmware("qemu_cortex_m4", "pass")
    pass_rv, pass_rv_id = farm_firmware("qemu_riscv32", "pass")
    (folder / "test_inner.py").write_text(INNER.format(
        hang=str(hang), hang_id=hang_id, pass_m4=str(pass_m4), pass_m4_id=pass_m4_id,
        pass_rv=str(pass_rv), pass_rv_id=pass_rv_id))  # fmt: skip
    return folder


def test_device_tests_on_the_emulated_farm(inner: Path) -> None:
    done, cases = run_pytest(inner)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert {name for name in cases if name.startswith("test_every_unit")} == {
        "test_every_unit[qemu_cortex_m4]", "test_every_unit[qemu_cortex_m7]",
        "test_every_unit[qemu_riscv32]"}  # fmt: skip
    assert all(cases[f"test_every_unit[{b}]"] == "passed"
               for b in ("qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32"))  # fmt: skip
    assert cases["test_two_boards_at_once[qemu_cortex_m4]"] == "passed"
    assert cases["test_a_bad_image_is_a_flash_error[qemu_cortex_m7]"] == "passed"
    kind, message, text = cases["test_a_timeout_shows_the_last_bytes[qemu_cortex_m4]"]
    assert kind == "failure"
    assert "qemu_cortex_m4: pattern b'MF-SUMMARY passed=\\\\d+' not seen within 1 s" in message
    assert "1 bytes since the last match, last bytes: '\\n'" in message
    assert "log: " in message and "qemu_cortex_m4.console.log" in message
    # The failure report carries the console: its log and everything it said last.
    assert "microforge console of qemu_cortex_m4" in done.stdout
    section = done.stdout[done.stdout.index("microforge console of qemu_cortex_m4"):]
    assert "MF-SYNC" in section and "MF-CASE first PASS" in section
    log = Path(section.split("log: ", 1)[1].split("\n", 1)[0])
    assert log.is_file() and b"MF-CASE first PASS" in log.read_bytes()


def test_board_selection(inner: Path) -> None:
    done, cases = run_pytest(inner, "--board", "qemu_rv32", "-k", "every_unit or two_boards")
    assert done.returncode == 0, done.stdout[-3000:]
    assert cases["test_every_unit[qemu_riscv32]"] == "passed"
    assert len([n for n in cases if n.startswith("test_every_unit")]) == 1
    kind, message, _ = cases["test_two_boards_at_once[no-board]"]
    assert kind == "skipped"
    assert "no unit of farm emulated fits this device test (marked for qemu_cortex_m4)" in message


def test_bad_board_or_farm_is_a_usage_error(inner: Path) -> None:
    done, _ = run_pytest(inner, "--board", "qemu_cortex_m9")
    assert done.returncode == 4
    assert "no enabled unit or board 'qemu_cortex_m9'" in done.stderr
    farm = inner / "farm.toml"
    farm.write_text('[[unit]]\nname = "a"\nboard = "qemu_cortex_m4"\nspeed = 3\n')
    done, _ = run_pytest(inner, "--farm", str(farm))
    assert done.returncode == 4
    assert f"{farm}: unit[0] (a): unknown field 'speed'" in done.stderr
