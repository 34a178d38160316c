"""The README stays in step with the tree: every board, board field, variable and example."""

from __future__ import annotations

import re

from microforge.config.board import BOARD_FIELDS, board_folders
from microforge.config.example import example_folders
from microforge.config.resolve import VARIABLE_NAMES

from .support import ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.S)
    assert match, title
    return match.group(1)


def test_two_commands_for_a_fresh_machine() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", section("Two commands on a fresh Debian 12 machine"),
                        re.S)
    assert len(blocks) == 2
    assert "./tools/install.sh" in blocks[0] and "run_hello_world" in blocks[0]
    assert "pytest -n 2" in blocks[1]
    assert "pytest -n 2" in (ROOT / ".ci" / "run").read_text()


def test_every_board_is_in_the_targets_table() -> None:
    table = section("Targets")
    for folder in board_folders(ROOT):
        assert f"| `{folder.name}` |" in table, folder.name


def test_every_board_field_is_documented() -> None:
    text = section("Adding a board")
    for name in BOARD_FIELDS:
        assert re.search(rf"^\[?{name}[\] .=]", text, re.MULTILINE), name


def test_every_variable_and_example_is_mentioned() -> None:
    for name in VARIABLE_NAMES:
        assert f"`{name}" in README, name
    table = section("Examples")
    for folder in example_folders(ROOT):
        assert f"| `{folder.name}` |" in table, folder.name


def test_migration_table_covers_the_tflm_spellings() -> None:
    table = section("Coming from TFLM's Makefile")
    for spelling in ("TARGET=sparkfun_edge hello_world_bin", "TARGET=esp",
                     'TARGET=mbed TAGS="CMSIS disco_f746ng"', "OPTIMIZED_KERNEL_DIR=cmsis_nn",
                     "TARGET_ARCH=", "make -f tensorflow/lite/micro/tools/make/Makefile"):
        assert spelling in table, spelling
