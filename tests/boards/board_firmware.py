"""Builds board test firmware straight from board data, and runs it in QEMU.

The compile follows board.toml the way the build does: cpu/fpu/float_abi flags, the board's
defines, cflags and ldflags, its sources, every C file of its `common` folders and its linker
script. Every subprocess is bounded by a timeout.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elftools.elf.elffile import ELFFile

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "targets"
FIRMWARE = Path(__file__).resolve().parent / "firmware"
EMULATED_BOARDS = ("qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32")
REAL_BOARDS = ("sparkfun_edge", "disco_f746ng")
IRQ_COUNTS = {"sparkfun_edge": 32, "disco_f746ng": 98}
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


def symbols(elf: Path) -> dict[str, int]:
    with open(elf, "rb") as handle:
        table = ELFFile(handle).get_section_by_name(".symtab")
        return {sym.name: int(sym["st_value"]) for sym in table.iter_symbols() if sym.name}


def load_segments(elf: Path) -> list[tuple[int, int]]:
    """(physical address, file size) of each PT_LOAD segment with bytes in the file."""
    with open(elf, "rb") as handle:
        return [
            (int(seg["p_paddr"]), int(seg["p_filesz"]))
            for seg in ELFFile(handle).iter_segments()
            if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0
        ]


def entry_point(elf: Path) -> int:
    with open(elf, "rb") as handle:
        return int(ELFFile(handle)["e_entry"])


def objcopy(board: str, elf: Path, kind: str) -> Path:
    out = elf.with_name(elf.stem + (".check.bin" if kind == "binary" else ".check.hex"))
    subprocess.run([tool(board, "objcopy"), "-O", kind, str(elf), str(out)], check=True,
                   timeout=60, capture_output=True)
    return out


def check_vector_table(board: str, elf: Path) -> None:
    """The image's vector table, entry point and size agree with the board's memory map."""
    data = load_board(board)
    flash, ram = data["memory"]["flash"], data["memory"]["ram"]
    syms = symbols(elf)
    binary = objcopy(board, elf, "binary").read_bytes()
    words = struct.unpack_from(f"<{16 + IRQ_COUNTS[board]}I", binary)
    initial_sp, reset = words[0], words[1]
    assert ram["origin"] < initial_sp <= ram["origin"] + ram["size"]
    assert initial_sp == syms["__stack_top"] and initial_sp % 8 == 0
    assert reset & 1, "reset vector must have the Thumb bit set"
    image_end = syms["__mf_image_end"]
    assert flash["origin"] <= (reset & ~1) < image_end
    assert reset == syms["mf_reset_handler"] | 1
    assert entry_point(elf) == reset
    assert len(binary) == image_end - flash["origin"]
    for index, vector in enumerate(words[2:], start=2):
        if vector == 0:
            assert index in (8, 9, 10, 13), f"vector {index} is empty"
            continue
        assert vector & 1, f"vector {index} lacks the Thumb bit"
        assert flash["origin"] <= (vector & ~1) < image_end, f"vector {index} outside the image"
    # The table sits at the start of the image, aligned for VTOR.
    table_bytes = (16 + IRQ_COUNTS[board]) * 4
    assert syms["mf_vector_table"] == flash["origin"]
    assert flash["origin"] % (1 << (table_bytes - 1).bit_length()) == 0


COPIED = ("SConstruct", "pyproject.toml", "tools", "targets", "micro", "examples")
IGNORED = shutil.ignore_patterns("gen", ".git", "__pycache__", "*.egg-info", ".venv",
                                 ".sconsign*", "*.pyc")
SCONS_TIMEOUT_S = 600


def copy_tree(dest: Path) -> Path:
    """A private copy of the buildable tree (scons keeps one database per tree), with
    dest/shared pointing at the shared reference data next to the repository."""
    tree = dest / "tree"
    tree.mkdir(parents=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=IGNORED, symlinks=True)
        elif source.is_file():
            shutil.copy2(source, tree / name)
    shared = REPO.parent / "shared"
    if shared.is_dir():
        (dest / "shared").symlink_to(shared)
    return tree


def scons(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """scons -Q -j2 in `tree`, bounded; stdout and stderr together."""
    env = {k: v for k, v in os.environ.items() if k != "SCONSFLAGS"}
    command = [sys.executable, "-m", "SCons", "-C", str(tree), "-Q", "-j2", *args]
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=SCONS_TIMEOUT_S, env=env, check=False)
