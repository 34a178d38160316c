"""The MF-FAULT decoder: parsing, naming causes, addr2line lookups, errors, command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from board_firmware import FIRMWARE, compile_firmware, run_qemu, source_line
from microforge.hil.fault import (
    FaultDecodeError,
    decode_fault,
    decode_text,
    find_fault,
    locate,
    parse_fault_line,
)

ARM_LINE = ("MF-FAULT pc=0x000004a2 lr=0x000004a3 xpsr=0x61000000 cfsr=0x00010000 "
            "hfsr=0x40000000 mmfar=0x00000000 bfar=0x00000000")
RISCV_LINE = ("MF-FAULT mcause=0x00000005 mepc=0x80000344 mtval=0xf0000000 ra=0x80000184 "
              "sp=0x804100f0")


def test_parses_the_arm_line() -> None:
    record = parse_fault_line(ARM_LINE + "\r\n")
    assert record is not None and record.arch == "arm"
    assert record.pc == 0x4A2 and record.return_address == 0x4A3
    assert record.registers["cfsr"] == 0x10000 and record.registers["hfsr"] == 0x40000000


def test_parses_the_riscv_line() -> None:
    record = parse_fault_line(RISCV_LINE)
    assert record is not None and record.arch == "riscv"
    assert record.pc == 0x80000344 and record.return_address == 0x80000184
    assert record.registers["mtval"] == 0xF0000000


def test_finds_a_line_after_a_partial_one_and_undecodable_bytes() -> None:
    log = b"MF-SYNC x\nhalf a li\xff\xfe" + ARM_LINE.encode() + b"\nafter\n"
    record = find_fault(log)
    assert record is not None and record.registers["pc"] == 0x4A2


@pytest.mark.parametrize("line", ["MF-FAULTY pc=0x1", "MF-CASE x PASS", "", "pc=0x1 lr=0x2"])
def test_other_lines_are_not_faults(line: str) -> None:
    assert parse_fault_line(line) is None


def test_a_line_without_registers_keeps_its_message() -> None:
    record = parse_fault_line("MF-FAULT stack guard overwritten")
    assert record is not None and record.arch == "unknown"
    assert record.message == "stack guard overwritten"
    report = decode_fault(record)
    assert report.stack_overflow
    assert "stack guard overwritten" in report.kind


def test_names_arm_causes_without_an_elf() -> None:
    report = decode_fault(parse_fault_line(ARM_LINE))
    assert report.kind == "Arm fault in thread mode"
    assert any(c.startswith("UNDEFINSTR") for c in report.causes)
    assert any(c.startswith("HFSR FORCED") for c in report.causes)
    assert report.fault_address is None and report.location is None


def test_fault_address_only_when_the_valid_bit_says_so() -> None:
    precise = ARM_LINE.replace("cfsr=0x00010000", "cfsr=0x00008200").replace(
        "bfar=0x00000000", "bfar=0x40001234")
    assert decode_fault(parse_fault_line(precise)).fault_address == 0x40001234
    imprecise = precise.replace("cfsr=0x00008200", "cfsr=0x00000400")
    report = decode_fault(parse_fault_line(imprecise))
    assert report.fault_address is None
    assert any(c.startswith("IMPRECISERR") for c in report.causes)


def test_failed_stacking_is_said_as_such() -> None:
    line = ("MF-FAULT pc=0x00000000 lr=0x00000000 xpsr=0x00000000 cfsr=0x00000092 "
            "hfsr=0x40000000 mmfar=0x200000bc bfar=0x00000000")
    report = decode_fault(parse_fault_line(line))
    assert "could not be stacked" in report.text()
    assert report.fault_address == 0x200000BC


def test_names_riscv_causes() -> None:
    report = decode_fault(parse_fault_line(RISCV_LINE))
    assert report.kind == "RISC-V trap: load access fault"
    assert report.fault_address == 0xF0000000


def test_missing_or_broken_elf_is_a_clear_error(tmp_path: Path) -> None:
    record = parse_fault_line(ARM_LINE)
    with pytest.raises(FaultDecodeError, match="no such ELF file"):
        decode_fault(record, tmp_path / "absent.elf")
    junk = tmp_path / "junk.elf"
    junk.write_bytes(b"not an elf at all")
    with pytest.raises(FaultDecodeError, match="not a readable ELF file"):
        decode_fault(record, junk)


@pytest.fixture(scope="module")
def faulting_firmware(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An M4 image that faults on a load from an unmapped address, and its console log."""
    out = tmp_path_factory.mktemp("fault_decoder")
    elf = compile_firmware("qemu_cortex_m4", [FIRMWARE / "fault.c"], out, "fault",
                           defines=("FAULT_KIND=2",)).elf
    result = run_qemu("qemu_cortex_m4", elf)
    log = out / "console.log"
    log.write_text(result.output)
    return elf, log


def test_addr2line_missing_is_a_clear_error(faulting_firmware: tuple[Path, Path]) -> None:
    elf, log = faulting_firmware
    with pytest.raises(FaultDecodeError, match="cannot run"):
        decode_text(log.read_text(), elf, tool="/nonexistent/addr2line")


def test_locate_names_function_file_and_line(faulting_firmware: tuple[Path, Path]) -> None:
    elf, log = faulting_firmware
    record = find_fault(log.read_text())
    assert record is not None
    [location] = locate(elf, [record.pc & ~1])
    assert location.function == "fault_bad_load"
    assert location.line == source_line(FIRMWARE / "fault.c", "FAULT-LINE load")
    [nowhere] = locate(elf, [0x3FFFFF00])
    assert not nowhere.known and str(nowhere) == "(no symbol)"


def test_command_line(faulting_firmware: tuple[Path, Path], tmp_path: Path) -> None:
    elf, log = faulting_firmware
    command = [sys.executable, "-m", "microforge.hil.fault"]
    done = subprocess.run([*command, str(elf), str(log)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "fault_bad_load at" in done.stdout and "PRECISERR" in done.stdout
    assert "fault address: 0xf0000000" in done.stdout
    piped = subprocess.run([*command, str(elf)], input=log.read_text(), capture_output=True,
                           text=True, timeout=60, check=False)
    assert piped.returncode == 0 and piped.stdout == done.stdout
    clean = tmp_path / "clean.log"
    clean.write_text("MF-SYNC x\n~~~ALL TESTS PASSED~~~\n")
    none = subprocess.run([*command, str(elf), str(clean)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert none.returncode == 1 and "no MF-FAULT line" in none.stderr
    missing = subprocess.run([*command, str(tmp_path / "absent.elf"), str(log)],
                             capture_output=True, text=True, timeout=60, check=False)
    assert missing.returncode == 2 and "no such ELF file" in missing.stderr
