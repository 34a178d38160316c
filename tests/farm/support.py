"""Helpers of the farm tests: the command, jobs files, a private copy of the tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from . import fwbuild

REPO = fwbuild.REPO
BOARDS = ("qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32")
TOOLS = ("arm-none-eabi-gcc", "riscv64-unknown-elf-gcc", "qemu-system-arm", "qemu-system-riscv32")
COPIED = ("SConstruct", "pyproject.toml", "tools", "targets", "micro", "examples")
IGNORED = shutil.ignore_patterns("gen", ".git", "__pycache__", "*.egg-info", ".venv",
                                 ".sconsign*", "*.pyc", "nightly")  # fmt: skip
NIGHTLY_TIMEOUT = 600
#: Loop rounds of the "slow" firmware: long enough to stop it mid-run (about 2-4 s).
SLOW_ROUNDS = 300_000_000


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the emulated farm needs {', '.join(missing)} on PATH", pytrace=False)


def microforge(*args: str, timeout: float = NIGHTLY_TIMEOUT,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run([sys.executable, "-m", "microforge.cli", *args], capture_output=True,
                          text=True, timeout=timeout, check=False, cwd=cwd)  # fmt: skip


def only_run_dir(out: Path) -> Path:
    runs = sorted((out / "runs").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


FirmwareBuilder = Callable[..., tuple[Path, str]]


def write_jobs(path: Path, jobs: list[dict[str, Any]]) -> Path:
    lines = []
    for job in jobs:
        lines.append("[[job]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in job.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def firmware_job(farm_firmware: FirmwareBuilder, board: str, scenario: str, *,
                 program: str | None = None, timeout: float = 30) -> dict[str, Any]:  # fmt: skip
    elf, image_id = farm_firmware(board, scenario)
    return {"program": program or scenario, "example": "farm_fw", "kind": "test",
            "board": board, "image": str(elf), "image_id": image_id, "timeout": timeout}


def copy_tree(dest: Path, shared: Path) -> Path:
    """A private copy of the committed tree (scons keeps one database per tree; others' edits in
    progress stay out), with dest/shared pointing at the shared reference models. Without git,
    the working tree is copied."""
    tree = dest / "tree"
    tree.mkdir(parents=True)
    archive = dest / "tree.tar"
    done = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive),
                           "HEAD", *COPIED], capture_output=True, text=True, timeout=120,
                          check=False) if shutil.which("git") else None  # fmt: skip
    if done is not None and done.returncode == 0:
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
        archive.unlink()
    else:
        for name in COPIED:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, tree / name, ignore=IGNORED, symlinks=True)
            elif source.is_file():
                shutil.copy2(source, tree / name)
    (dest / "shared").symlink_to(shared.parent.parent)
    return tree


@dataclass
class NightlyRun:
    tree: Path
    out: Path
    run_dir: Path
    process: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.run_dir / "summary.json").read_text())


def emulators_under(folder: Path) -> list[int]:
    """Running emulators whose log is inside ``folder`` (their output goes to the log)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "cmdline").read_bytes().startswith(b"qemu-system-"):
                continue
            log = os.readlink(entry / "fd" / "1")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and log.startswith(str(folder)):
            found.append(int(entry.name))
    return found
