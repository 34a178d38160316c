"""Fixtures of the farm tests: test firmware built from the emulated boards' own sources, and
one full emulated nightly on a private copy of the tree (built once per session)."""

from __future__ import annotations

import fcntl
import json
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import fwbuild
from .support import (
    NIGHTLY_TIMEOUT,
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
def full_nightly(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 shared_models: Path) -> NightlyRun:  # fmt: skip
    """`microforge nightly` on the three emulated boards, from a clean copy of the tree: run
    once per test session (pytest-xdist workers share it through a lock)."""
    require_tools()
    base = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):
        base = base.parent  # the session's folder, shared by its workers
    with open(base / "full-nightly.lock", "w") as lock:
        deadline = time.monotonic() + NIGHTLY_TIMEOUT + 120
        while True:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail("another worker's full nightly did not finish in time")
                time.sleep(0.5)
        folder = base / "full-nightly"
        record = folder / "process.json"
        if not record.exists():
            if folder.exists():
                shutil.rmtree(folder)  # a worker died building it: start again
            folder.mkdir()
            tree = copy_tree(folder, shared_models)
            started = time.monotonic()
            done = microforge("nightly", "--root", str(tree), "--out", str(folder / "nightly"),
                              "-j", "2", cwd=folder)  # fmt: skip
            seconds = time.monotonic() - started
            sys.stderr.write(f"\nfull emulated nightly: {seconds:.1f} s\n")
            record.write_text(json.dumps({"returncode": done.returncode, "stdout": done.stdout,
                                          "stderr": done.stderr, "seconds": seconds}))
    data = json.loads(record.read_text())
    process = subprocess.CompletedProcess(["microforge", "nightly"], data["returncode"],
                                          data["stdout"], data["stderr"])  # fmt: skip
    out = folder / "nightly"
    return NightlyRun(folder / "tree", out, only_run_dir(out), process, data["seconds"])
