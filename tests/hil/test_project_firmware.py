"""The project's own test firmware (built by SCons from examples/hello_world and micro/testing)
on emulated boards, through the DUT: pyOCD's gdbstub probe on Arm, the gdbstub on RISC-V."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from microforge.hil.result import Outcome

from .fwbuild import REPO

BUILD_TIMEOUT = 600


def scons_build(board: str, program: str) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-j2", "-C", str(REPO), f"TARGET={board}", program],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"scons failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    elf = REPO / "gen" / f"{board}_default" / "bin" / f"{program}.elf"
    assert elf.is_file(), f"scons did not produce {elf}"
    return elf


@pytest.mark.parametrize("board", ["qemu_cortex_m4", "qemu_riscv32"])
def test_hello_world_tests_pass_on_the_emulated_board(emulated, board: str) -> None:
    elf = scons_build(board, "hello_world_test")
    dut = emulated(board)
    dut.flash(elf)  # the image id is whatever the firmware syncs with after this reset
    result = dut.results(timeout=60)
    assert result.outcome is Outcome.PASS, result.describe()
    assert result.summary is not None and result.summary["passed"] == len(result.cases) > 0
    assert result.image_id and result.exit_code == 0
