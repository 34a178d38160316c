"""Fixtures of the farm tests: test firmware built from the emulated boards' own sources, and
one full emulated nightly on a private copy of the tree (built once per session)."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

import pytest

from . import fwbuild
from .support import (
    SLOW_ROUNDS,
    FirmwareBuilder,
    NightlyRun,
    copy_tree,
    microforge,
    only_run_dir,
    require_tools,
)


@pytest.fixture(scope="session")
def farm_firmware(tmp_path_factory: pytest.TempPathFactory) -> FirmwareBuilder:
    """build(board, scenario) -> (elf, image id), once per board and scenario per session."""
    require_tools()
    out = tmp_path_factory.mktemp("farm-firmware")
    cache: dict[tuple[str, str], tuple[Path, str]] = {}

    def build(board: str, scenario: str) -> tuple[Path, str]:
        if (board, scenario) not in cache:
            image_id = secrets.token_hex(4)
            rounds = SLOW_ROUNDS if scenario == "slow" else 1000
            cache[board, scenario] = (fwbuild.build(board, scenario, image_id, out, rounds),
                                      image_id)  # fmt: skip
        return cache[board, scenario]

    return build


@pytest.fixture(scope="session")
def full_nightly(tmp_path_factory: pytest.TempPathFactory, shared_models: Path) -> NightlyRun:
    """`microforge nightly` on the three emulated boards, from a clean copy of the tree."""
    require_tools()
    base = tmp_path_factory.mktemp("full-nightly")
    tree = copy_tree(base, shared_models)
    out = base / "nightly"
    env_root = ["--root", str(tree)]
    started = time.monotonic()
    done = microforge("nightly", *env_root, "--out", str(out), "-j", "2", cwd=base)
    seconds = time.monotonic() - started
    sys.stderr.write(f"\nfull emulated nightly: {seconds:.1f} s\n")
    return NightlyRun(tree, out, only_run_dir(out), done, seconds)
