"""Builds board test firmware straight from board data, and runs it in QEMU.

The compile follows board.toml the way the build does: cpu/fpu/float_abi flags, the board's
defines, cflags and ldflags, its sources, every C file of its `common` folders and its linker
script. Every subprocess is bounded by a timeout.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "targets"
FIRMWARE = Path(__file__).resolve().parent / "firmware"
EMULATED_BOARDS = ("qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32")
COMPILE_TIMEOUT_S = 120
RUN_TIMEOUT_S = 60

WARNINGS = ["-std=c11", "-Wall", "-Wextra", "-Werror"]
COMMON_CFLAGS = ["-O2", "-g", "-ffunction-sections", "-fdata-sections", "-fno-common"]


def load_board(name: str) -> dict[str, Any]:
    with open(TARGETS / name / "board.toml", "rb") as handle:
        return tomllib.load(handle)


def toolchain_prefix(board: dict[str, Any]) -> str:
    with open(TARGETS / "toolchains" / f"{board['toolchain']}.toml", "rb") as handle:
        return tomllib.load(handle).get("prefix", "")


def cpu_flags(board: dict[str, Any], arch_entry: dict[str, Any] | None = None) -> list[str]:
    data = dict(board)
    if arch_entry:
        data.update(arch_entry)
    if board["arch"] == "arm":
        flags = [f"-mcpu={data['cpu']}", "-mthumb"]
        fpu = data.get("fpu", "none")
        if fpu != "none":
            flags += [f"-mfpu={fpu}", f"-mfloat-abi={data['float_abi']}"]
        else:
            flags += ["-mfloat-abi=soft"]
        return flags
    if board["arch"] == "riscv":
        return [f"-march={data['cpu']}", f"-mabi={data.get('abi') or 'ilp32'}"]
    return []


def board_sources(name: str, board: dict[str, Any]) -> list[Path]:
    sources = [TARGETS / name / rel for rel in board.get("sources", [])]
    for common in board.get("common", []):
        sources += sorted((TARGETS / "common" / common).glob("*.c"))
    return sources


@dataclass(frozen=True)
class LinkResult:
    elf: Path
    returncode: int
    output: str


def compile_firmware(
    board_name: str,
    mains: list[Path],
    out_dir: Path,
    name: str,
    defines: tuple[str, ...] = (),
    extra_ldflags: tuple[str, ...] = (),
    check: bool = True,
) -> LinkResult:
    """Compiles and links one firmware image; with check=False a failed link is returned."""
    board = load_board(board_name)
    cc = toolchain_prefix(board) + "gcc"
    if shutil.which(cc) is None:
        raise RuntimeError(f"{cc} is not on PATH: install the board's toolchain")
    out_dir.mkdir(parents=True, exist_ok=True)
    elf = out_dir / f"{name}.elf"
    command = [cc, *cpu_flags(board), *WARNINGS, *COMMON_CFLAGS]
    command += [f"-D{d}" for d in [*board.get("defines", []), *defines]]
    command += board.get("cflags", [])
    command += [f"-I{TARGETS / 'common' / 'include'}", f"-I{FIRMWARE}"]
    command += [str(p) for p in board_sources(board_name, board)]
    command += [str(p) for p in mains]
    command += ["-T", str(TARGETS / board_name / board["linker_script"])]
    # One command compiles and links, so flags in both cflags and ldflags appear once.
    cflags = board.get("cflags", [])
    command += [f for f in board.get("ldflags", []) if f not in cflags]
    command += ["-Wl,--gc-sections", *extra_ldflags]
    command += ["-o", str(elf)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S, check=False
    )
    output = done.stdout + done.stderr
    if check and done.returncode != 0:
        raise AssertionError(f"build of {name} for {board_name} failed:\n{output}")
    return LinkResult(elf=elf, returncode=done.returncode, output=output)


def qemu_command(board_name: str, elf: Path, serial: str = "stdio") -> list[str]:
    """The command line documented in board.toml: machine args, icount, image, console."""
    emulator = load_board(board_name)["emulator"]
    command = [emulator["program"], "-M", emulator["machine"], *emulator.get("args", [])]
    command += ["-display", "none", "-monitor", "none"]
    if emulator.get("icount_shift") is not None:
        command += ["-icount", f"shift={emulator['icount_shift']},sleep=off"]
    command += ["-kernel", str(elf), "-serial", serial]
    return command


@dataclass(frozen=True)
class RunResult:
    returncode: int
    output: str
    stderr: str


def run_qemu(board_name: str, elf: Path, timeout: float = RUN_TIMEOUT_S) -> RunResult:
    """Runs the image with the console on stdio; the firmware ends the run itself."""
    command = qemu_command(board_name, elf)
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=timeout, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired as err:
        raise AssertionError(f"{board_name}: {elf.name} did not exit within {timeout} s") from err
    return RunResult(
        returncode=done.returncode,
        output=done.stdout.decode("utf-8", errors="replace"),
        stderr=done.stderr.decode("utf-8", errors="replace"),
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tool(board_name: str, name: str) -> str:
    path = shutil.which(toolchain_prefix(load_board(board_name)) + name)
    if path is None:
        raise RuntimeError(f"{name} for {board_name} is not on PATH")
    return path


def source_line(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not found in {path}")

