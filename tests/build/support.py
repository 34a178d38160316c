"""Helpers for the build tests: a private copy of the source tree and a bounded scons run."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("SConstruct", "pyproject.toml", "tools", "targets", "micro", "examples")
IGNORED = shutil.ignore_patterns("gen", ".git", "__pycache__", "*.egg-info", ".venv",
                                 ".sconsign*", "*.pyc")
SCONS_TIMEOUT_S = 600
CC_RE = re.compile(r"^\[\d+/\d+\] CC (\S+)$", re.MULTILINE)
LD_RE = re.compile(r"^\[\d+/\d+\] LD (\S+)$", re.MULTILINE)


def _from_git(tree: Path) -> bool:
    """Extracts the committed tree (HEAD): files others are editing right now stay out."""
    if os.environ.get("MF_BUILD_TESTS_FROM") == "worktree" or not (ROOT / ".git").exists():
        return False
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD",
                                  *COPIED], capture_output=True, timeout=120, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        try:
            tar.extractall(tree, filter="data")
        except TypeError:           # Python before 3.11.4: no extraction filters
            tar.extractall(tree)  # noqa: S202 - our own repository's archive
    return True


def copy_tree(dest: Path) -> Path:
    """A copy of the buildable tree in dest/tree, with dest/shared linked to ../shared.

    The copy is the committed tree (git HEAD), so work in progress in the shared checkout
    cannot break these tests; MF_BUILD_TESTS_FROM=worktree copies the working tree instead.
    """
    tree = dest / "tree"
    tree.mkdir(parents=True)
    if not _from_git(tree):
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, tree / name, ignore=IGNORED, symlinks=True)
            elif source.is_file():
                shutil.copy2(source, tree / name)
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (dest / "shared").symlink_to(shared)
    return tree


def scons(tree: Path, *args: str, timeout: int = SCONS_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Runs scons in `tree` (-Q, -j2); output is stdout and stderr together."""
    env = dict(os.environ)
    env.pop("SCONSFLAGS", None)
    # The copies live in different folders: let ccache share objects between them.
    env.setdefault("CCACHE_NOHASHDIR", "1")
    env.setdefault("CCACHE_BASEDIR", str(tree.parent))
    command = [sys.executable, "-m", "SCons", "-C", str(tree), "-Q", "-j2", *args]
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, env=env, check=False)


def compiled(output: str) -> list[str]:
    return CC_RE.findall(output)


def linked(output: str) -> list[str]:
    return LD_RE.findall(output)


def edit(path: Path, text: str) -> None:
    """Rewrites a file and moves its time stamp forward, so a timestamp-based check sees it
    even within the same second as the last build."""
    before = path.stat().st_mtime if path.exists() else time.time()
    path.write_text(text)
    later = max(before, time.time()) + 2
    os.utime(path, (later, later))
