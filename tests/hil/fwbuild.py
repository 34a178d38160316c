"""Builds the HIL test firmware for an emulated board straight from its board.toml: the board's
cpu flags, defines, flags, sources, common folders and linker script, plus a test main."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "targets"
FIRMWARE = Path(__file__).resolve().parent / "firmware"
COMPILE_TIMEOUT = 120

SCENARIOS = {
    "pass": 1,
    "assert": 2,
    "fault": 3,
    "hang": 4,
    "silent": 5,
    "reset": 6,
    "stale": 7,
    "binary": 8,
    "missing_case": 9,
    "chatty": 10,
}


def load_board(name: str) -> dict[str, Any]:
    with open(TARGETS / name / "board.toml", "rb") as handle:
        return tomllib.load(handle)


def _prefix(board: dict[str, Any]) -> str:
    with open(TARGETS / "toolchains" / f"{board['toolchain']}.toml", "rb") as handle:
        return str(tomllib.load(handle).get("prefix", ""))


def _cpu_flags(board: dict[str, Any]) -> list[str]:
    if board["arch"] == "arm":
        flags = [f"-mcpu={board['cpu']}", "-mthumb"]
        if board.get("fpu", "none") != "none":
            return flags + [f"-mfpu={board['fpu']}", f"-mfloat-abi={board['float_abi']}"]
        return flags + ["-mfloat-abi=soft"]
    return [f"-march={board['cpu']}", f"-mabi={board.get('abi') or 'ilp32'}"]


def build(board_name: str, scenario: str, image_id: str, out_dir: Path) -> Path:
    """The ELF of ``scenario`` for ``board_name``, printing ``MF-SYNC <image_id>``."""
    board = load_board(board_name)
    cc = _prefix(board) + "gcc"
    if shutil.which(cc) is None:
        raise RuntimeError(f"{cc} is not on PATH (the {board_name} toolchain)")
    sources = [TARGETS / board_name / s for s in board.get("sources", [])]
    for common in board.get("common", []):
        sources += sorted((TARGETS / "common" / common).glob("*.c"))
    out_dir.mkdir(parents=True, exist_ok=True)
    elf = out_dir / f"{board_name}-{scenario}-{image_id}.elf"
    cflags = board.get("cflags", [])
    command = [
        cc, *_cpu_flags(board), "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-g",
        "-ffunction-sections", "-fdata-sections",
        *[f"-D{d}" for d in board.get("defines", [])],
        f"-DIMAGE_ID=\"{image_id}\"", f"-DSCENARIO={SCENARIOS[scenario]}",
        *cflags, f"-I{TARGETS / 'common' / 'include'}",
        *[str(s) for s in sources], str(FIRMWARE / "protocol_fw.c"),
        "-T", str(TARGETS / board_name / board["linker_script"]),
        *[f for f in board.get("ldflags", []) if f not in cflags],
        "-Wl,--gc-sections", "-o", str(elf),
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"building {elf.name} failed:\n{done.stdout}{done.stderr}")
    return elf


def to_bin(board_name: str, elf: Path) -> Path:
    board = load_board(board_name)
    objcopy = _prefix(board) + "objcopy"
    out = elf.with_suffix(".bin")
    subprocess.run(
        [objcopy, "-O", "binary", str(elf), str(out)], check=True, timeout=COMPILE_TIMEOUT
    )
    return out
