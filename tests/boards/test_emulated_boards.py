"""The emulated boards run real firmware: console, exit codes, faults, ticks, link checks."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import serial
from board_firmware import (
    EMULATED_BOARDS,
    FIRMWARE,
    TARGETS,
    compile_firmware,
    free_port,
    load_board,
    qemu_command,
    run_qemu,
    source_line,
    tool,
)
from microforge.hil.fault import decode_text, find_fault

FAULT_EXIT_CODE = 100
BAD_ADDRESS = 0xF0000000

Build = Callable[..., Path]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Builds each (board, firmware, defines) once per module."""
    root = tmp_path_factory.mktemp("board_fw")
    cache: dict[tuple[str, str, tuple[str, ...]], Path] = {}

    def _build(board: str, main: str, *defines: str) -> Path:
        key = (board, main, defines)
        if key not in cache:
            name = Path(main).stem + "".join(f"_{d.replace('=', '-')}" for d in defines)
            cache[key] = compile_firmware(board, [FIRMWARE / main], root / board, name,
                                          defines=defines).elf
        return cache[key]

    return _build


def expected_console(board: str) -> str:
    lines = ["MF-SYNC console"]
    lines += [f"line {i} sum={(i * 2654435761) % 2**32}" for i in range(500)]
    text = "\n".join(lines) + "\n"
    text += "".join(chr(ord("a") + i % 26) for i in range(300))
    text += f"\nticks_per_second={load_board(board)['ticks']['ticks_per_second']}\nend\n"
    return text


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_console_output_is_complete(build: Build, board: str) -> None:
    result = run_qemu(board, build(board, "console.c"))
    assert result.output == expected_console(board), result.stderr
    assert result.returncode == 0


@pytest.mark.parametrize("board", EMULATED_BOARDS)
@pytest.mark.parametrize("code", [1, 42, 200])
def test_exit_code_passes_through(build: Build, board: str, code: int) -> None:
    result = run_qemu(board, build(board, "console.c", f"EXIT_CODE={code}"))
    assert result.returncode == code
    assert result.output.endswith("end\n")


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_console_over_tcp_socket(build: Build, board: str) -> None:
    """The HIL's way: QEMU serves the UART on a TCP port and holds the guest until we connect."""
    elf = build(board, "console.c", "EXIT_CODE=3")
    port = free_port()
    command = qemu_command(board, elf, serial=f"tcp:127.0.0.1:{port},server=on,wait=on")
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    received = bytearray()
    try:
        deadline = time.monotonic() + 15
        port_handle = None
        while port_handle is None:
            try:
                port_handle = serial.serial_for_url(f"socket://127.0.0.1:{port}", timeout=0.5)
            except serial.SerialException:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        with port_handle:
            while time.monotonic() < deadline:
                try:
                    # One byte per call: pyserial drops what a call has gathered when the
                    # peer disconnects during it.
                    chunk = port_handle.read(1)
                except serial.SerialException:
                    break  # QEMU exited and closed the socket
                received += chunk
        returncode = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
    assert received.decode() == expected_console(board)
    assert returncode == 3


def check_decoded(output: str, elf: Path, function: str, marker: str) -> None:
    report = decode_text(output, elf)
    assert report is not None, output
    assert report.function == function, report.text()
    assert report.file is not None and Path(report.file).name == "fault.c", report.text()
    assert report.line == source_line(FIRMWARE / "fault.c", marker), report.text()


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_undefined_instruction_is_reported_and_decoded(build: Build, board: str) -> None:
    elf = build(board, "fault.c", "FAULT_KIND=1")
    result = run_qemu(board, elf)
    assert result.returncode == FAULT_EXIT_CODE
    assert "not reached" not in result.output
    record = find_fault(result.output)
    assert record is not None, result.output
    if record.arch == "arm":
        assert re.search(r"^MF-FAULT pc=0x[0-9a-f]{8} lr=0x[0-9a-f]{8} xpsr=0x[0-9a-f]{8} "
                         r"cfsr=0x[0-9a-f]{8} hfsr=0x[0-9a-f]{8} mmfar=0x[0-9a-f]{8} "
                         r"bfar=0x[0-9a-f]{8}$", result.output, re.M)
        assert record.registers["cfsr"] & (1 << 16)  # UNDEFINSTR
    else:
        assert record.registers["mcause"] == 2  # illegal instruction
    marker = f"FAULT-LINE undefined {record.arch}"
    check_decoded(result.output, elf, "fault_undefined_instruction", marker)


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_load_from_unmapped_address_is_reported_and_decoded(build: Build, board: str) -> None:
    elf = build(board, "fault.c", "FAULT_KIND=2", f"BAD_ADDRESS={BAD_ADDRESS:#x}u")
    result = run_qemu(board, elf)
    assert result.returncode == FAULT_EXIT_CODE
    report = decode_text(result.output, elf)
    assert report is not None, result.output
    assert report.fault_address == BAD_ADDRESS, report.text()
    assert not report.stack_overflow
    check_decoded(result.output, elf, "fault_bad_load", "FAULT-LINE load")


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_stack_overflow_hits_the_guard(build: Build, board: str) -> None:
    elf = build(board, "fault.c", "FAULT_KIND=3")
    result = run_qemu(board, elf)
    assert result.returncode == FAULT_EXIT_CODE, result.output
    report = decode_text(result.output, elf)
    assert report is not None, result.output
    assert report.stack_overflow, report.text()
    assert "stack overflow" in report.text()
    if report.record.arch == "riscv":
        assert report.function == "fault_recurse"  # RISC-V traps keep the exact pc


@pytest.mark.parametrize("board", [b for b in EMULATED_BOARDS if "cortex" in b])
def test_fault_on_the_process_stack_with_fpu_context(build: Build, board: str) -> None:
    """EXC_RETURN says PSP and an extended (FP) frame: the report must still find the pc."""
    elf = build(board, "fault.c", "FAULT_KIND=4")
    result = run_qemu(board, elf)
    assert result.returncode == FAULT_EXIT_CODE, result.output
    record = find_fault(result.output)
    assert record is not None and record.registers["cfsr"] & (1 << 16), result.output
    assert record.registers["xpsr"] & 0x1FF == 0  # thread mode
    check_decoded(result.output, elf, "fault_on_process_stack", "FAULT-LINE psp")


def run_ticks(board: str, elf: Path) -> tuple[int, int]:
    result = run_qemu(board, elf)
    assert result.returncode == 0, result.output + result.stderr
    match = re.fullmatch(r"loop=(\d+) empty=(\d+)\n", result.output)
    assert match, result.output
    return int(match.group(1)), int(match.group(2))


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_icount_ticks_are_exact_and_repeatable(build: Build, board: str) -> None:
    short, long = 10_000, 1_000_000
    short_elf = build(board, "ticks.c", f"LOOP_ITERATIONS={short}u")
    long_elf = build(board, "ticks.c", f"LOOP_ITERATIONS={long}u")
    first = run_ticks(board, long_elf)
    assert run_ticks(board, long_elf) == first  # identical run to run
    short_loop, short_empty = run_ticks(board, short_elf)
    long_loop, long_empty = first
    assert short_empty == long_empty
    # Two instructions per iteration; the timer-based conversion is exact to +-1 per read.
    assert abs((long_loop - short_loop) - 2 * (long - short)) <= 2
    overhead = short_loop - 2 * short - short_empty
    assert 0 <= overhead <= 16, overhead


def read_symbol(board: str, elf: Path, name: str) -> int:
    done = subprocess.run([tool(board, "nm"), str(elf)], capture_output=True, text=True,
                          timeout=30, check=True)
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise AssertionError(f"{name} not in {elf}")


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_too_much_static_ram_fails_the_link_saying_by_how_much(
    build: Build, board: str, tmp_path: Path
) -> None:
    ram = load_board(board)["memory"]["ram"]
    small = 1024
    fits = compile_firmware(board, [FIRMWARE / "oversize.c"], tmp_path, "fits",
                            defines=(f"OVERSIZE_RAM={small}",))
    used = read_symbol(board, fits.elf, "__heap_end") - ram["origin"]
    excess = 4096
    big = ram["size"] - used + small + excess
    result = compile_firmware(board, [FIRMWARE / "oversize.c"], tmp_path, "too_big",
                              defines=(f"OVERSIZE_RAM={big}",), check=False)
    assert result.returncode != 0
    match = re.search(r"region `RAM' overflowed by (\d+) bytes", result.output)
    assert match, result.output
    assert abs(int(match.group(1)) - excess) <= 16, result.output


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_too_large_image_fails_the_link(board: str, tmp_path: Path) -> None:
    flash = load_board(board)["memory"]["flash"]
    result = compile_firmware(board, [FIRMWARE / "oversize.c"], tmp_path, "too_big",
                              defines=(f"OVERSIZE_FLASH={flash['size'] + 4096}",), check=False)
    assert result.returncode != 0
    match = re.search(r"region `FLASH' overflowed by (\d+) bytes", result.output)
    assert match, result.output
    assert int(match.group(1)) >= 4096


def linker_regions(script: Path) -> dict[str, tuple[int, int]]:
    text = script.read_text()
    regions = {}
    for name, origin, length in re.findall(
        r"^\s*(\w+)\s*\([rwx]+\)\s*:\s*ORIGIN\s*=\s*(0x[0-9A-Fa-f]+)\s*,\s*LENGTH\s*=\s*(\w+)",
        text, re.M,
    ):
        size = int(length[:-1]) * {"K": 1024, "M": 1024 * 1024}[length[-1]] \
            if length[-1] in "KM" else int(length, 0)
        regions[name.lower()] = (int(origin, 16), size)
    return regions


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_board_data_agrees_with_firmware(board: str) -> None:
    data = load_board(board)
    shift = data["emulator"]["icount_shift"]
    assert f"MF_QEMU_ICOUNT_SHIFT={shift}" in data["defines"]
    assert data["ticks"]["icount_shift"] == shift
    assert data["ticks"]["ticks_per_second"] == 10**9 >> shift
    assert data["ticks"]["fault_exit_code"] == FAULT_EXIT_CODE
    regions = linker_regions(TARGETS / board / data["linker_script"])
    for name, region in data["memory"].items():
        assert regions[name] == (region["origin"], region["size"]), name
