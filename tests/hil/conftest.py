"""Fixtures for the hardware-in-the-loop tests: test firmware built from the emulated boards'
own support code, and emulated boards started as farm members."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from microforge.hil.dut import Dut, open_emulated_dut

from . import fwbuild

REQUIRED_TOOLS = {
    "qemu_cortex_m4": ("arm-none-eabi-gcc", "qemu-system-arm"),
    "qemu_cortex_m7": ("arm-none-eabi-gcc", "qemu-system-arm"),
    "qemu_riscv32": ("riscv64-unknown-elf-gcc", "qemu-system-riscv32"),
}


def require_tools(board: str) -> None:
    missing = [tool for tool in REQUIRED_TOOLS[board] if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{board} tests need {', '.join(missing)} on PATH", pytrace=False)


FirmwareBuilder = Callable[..., tuple[Path, str]]


@pytest.fixture(scope="session")
def firmware(tmp_path_factory: pytest.TempPathFactory) -> FirmwareBuilder:
    """build(board, scenario) -> (elf, image_id): one build per board and scenario per session,
    each with its own random image id."""
    out = tmp_path_factory.mktemp("hil-firmware")
    cache: dict[tuple[str, str], tuple[Path, str]] = {}

    def build(board: str, scenario: str) -> tuple[Path, str]:
        require_tools(board)
        if (board, scenario) not in cache:
            image_id = secrets.token_hex(4)
            cache[board, scenario] = (fwbuild.build(board, scenario, image_id, out), image_id)
        return cache[board, scenario]

    return build


@pytest.fixture
def emulated(tmp_path: Path) -> Iterator[Callable[..., Dut]]:
    """open(board, **overrides) -> an open DUT on a fresh emulator, closed after the test."""
    opened: list[Dut] = []

    def open_board(board: str, name: str = "", **flash_overrides: object) -> Dut:
        require_tools(board)
        dut = open_emulated_dut(
            fwbuild.load_board(board),
            tmp_path,
            name=name or board,
            lock_dir=tmp_path / "locks",
            flash_overrides=flash_overrides,
            max_runtime=120,
        )
        opened.append(dut)
        return dut

    yield open_board
    for dut in opened:
        dut.close()
