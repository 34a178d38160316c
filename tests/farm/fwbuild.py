"""Farm test firmware for an emulated board, compiled straight from its board.toml: the board's
CPU flags, defines, flags, its own and common sources and linker script, plus farm_fw.c."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "targets"
SOURCE = Path(__file__).resolve().parent / "firmware" / "farm_fw.c"
COMPILE_TIMEOUT = 120
SCENARIOS = {"pass": 1, "hang": 2, "fault": 3, "garbage": 4, "slow": 5}


def board_toml(name: str) -> dict[str, Any]:
    with open(TARGETS / name / "board.toml", "rb") as handle:
        return tomllib.load(handle)


def compiler(board: dict[str, Any]) -> str:
    with open(TARGETS / "toolchains" / f"{board['toolchain']}.toml", "rb") as handle:
        return str(tomllib.load(handle).get("prefix", "")) + "gcc"


def cpu_flags(board: dict[str, Any]) -> list[str]:
    if board["arch"] == "riscv":
        return [f"-march={board['cpu']}", f"-mabi={board.get('abi') or 'ilp32'}"]
    flags = [f"-mcpu={board['cpu']}", "-mthumb"]
    if board.get("fpu", "none") == "none":
        return [*flags, "-mfloat-abi=soft"]
    return [*flags, f"-mfpu={board['fpu']}", f"-mfloat-abi={board['float_abi']}"]


def build(board_name: str, scenario: str, image_id: str, out: Path,
          spin_rounds: int = 1000) -> Path:  # fmt: skip
    board = board_toml(board_name)
    cc = compiler(board)
    if shutil.which(cc) is None:
        raise RuntimeError(f"{cc} (the {board_name} compiler) is not on PATH")
    sources = [TARGETS / board_name / s for s in board.get("sources", [])]
    for folder in board.get("common", []):
        sources += sorted((TARGETS / "common" / folder).glob("*.c"))
    out.mkdir(parents=True, exist_ok=True)
    elf = out / f"{board_name}-{scenario}-{image_id}.elf"
    cflags = list(board.get("cflags", []))
    command = [
        cc, *cpu_flags(board), "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-g",
        "-ffunction-sections", "-fdata-sections",
        *[f"-D{d}" for d in board.get("defines", [])],
        f'-DIMAGE_ID="{image_id}"', f"-DSCENARIO={SCENARIOS[scenario]}",
        f"-DSPIN_ROUNDS={spin_rounds}u", *cflags, f"-I{TARGETS / 'common' / 'include'}",
        *map(str, sources), str(SOURCE), "-T", str(TARGETS / board_name / board["linker_script"]),
        *[f for f in board.get("ldflags", []) if f not in cflags], "-Wl,--gc-sections",
        "-o", str(elf),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"building {elf.name} failed:\n{done.stdout}{done.stderr}")
    return elf
