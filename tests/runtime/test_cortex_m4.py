"""The runtime's C tests on an emulated Cortex-M4 (QEMU mps2-an386) through the real build,
in a private copy of the tree: they must pass there too, and on this 32-bit target the arena
each shared model uses must not exceed TFLM's Cortex-M4 figure (test_models checks it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .cbuild import REPO

COPIED = ("SConstruct", "pyproject.toml", "tools", "targets", "micro", "examples")
IGNORED = shutil.ignore_patterns("gen", ".git", "__pycache__", "*.egg-info", ".sconsign*")
BENCH = re.compile(r"^MF-BENCH (\S+) arena_used=(\d+) head=(\d+) tail=(\d+) tflm_m4=(\d+)",
                   re.MULTILINE)


def copy_tree(dest: Path) -> Path:
    tree = dest / "tree"
    tree.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=IGNORED, symlinks=True)
        elif source.is_file():
            shutil.copy2(source, tree / name)
    (dest / "shared").symlink_to(REPO.parent / "shared")
    return tree


@pytest.mark.slow
def test_runtime_tests_on_cortex_m4(tmp_path: Path, shared_models: Path) -> None:
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("needs qemu-system-arm and arm-none-eabi-gcc (tools/install.sh)")
    tree = copy_tree(tmp_path)
    env = dict(os.environ, CCACHE_NOHASHDIR="1", CCACHE_BASEDIR=str(tmp_path))
    env.pop("SCONSFLAGS", None)
    proc = subprocess.run([sys.executable, "-m", "SCons", "-C", str(tree), "-Q", "-j2",
                           "TARGET=qemu_cortex_m4", "test_runtime"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=900, env=env, check=False)
    logs = "\n".join(p.read_text(errors="replace")
                     for p in sorted(tree.glob("gen/qemu_cortex_m4*/test/*.log")))
    figures = {m.group(1): (int(m.group(2)), int(m.group(5))) for m in BENCH.finditer(logs)}
    over = {k: v for k, v in figures.items() if v[0] > v[1]}
    assert figures.keys() == {"hello_world_int8", "hello_world_float", "micro_speech_quantized",
                              "magic_wand", "person_detect"}, proc.stdout[-4000:]
    assert not over, f"arena used > TFLM (used, tflm): {over}; all: {figures}"
    assert proc.returncode == 0, proc.stdout[-6000:]
