"""Helpers of the export tests: a private copy of the source tree (so builds never collide
with other work in gen/), BuildSpecs from it, bounded subprocesses, emulator runs."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from microforge import ROOT
from microforge.config import load_examples, resolve
from microforge.export import BuildSpec, from_config

TREE_PARTS = ("SConstruct", "tools", "micro", "targets", "examples")
IGNORED = shutil.ignore_patterns("gen", "__pycache__", "*.egg-info", ".pytest_cache", "*.pyc",
                                 ".sconsign*")
BUILD_TIMEOUT_S = 600
RUN_TIMEOUT_S = 60
COMPILE_TIMEOUT_S = 120


@dataclasses.dataclass
class Completed:
    returncode: int
    output: str


def run(command: Sequence[str | Path], cwd: Path, timeout: int = BUILD_TIMEOUT_S,
        env: dict[str, str] | None = None, check: bool = True) -> Completed:
    """Runs a command with a time limit; stdout and stderr together."""
    try:
        done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"{command[0]} did not finish within {timeout} s") from error
    output = done.stdout.decode("utf-8", errors="replace")
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} failed ({done.returncode}):\n"
                             f"{output[-6000:]}")
    return Completed(done.returncode, output)


def copy_tree(root: Path) -> Path:
    """Copies the parts of the source tree a build needs into `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for part in TREE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=IGNORED)
        elif source.is_file():
            shutil.copy2(source, root / part)
    return root


def scons(tree: Path, *args: str) -> Completed:
    return run([sys.executable, "-m", "SCons", "-Q", "-j2", *args], cwd=tree)


def spec_for(tree: Path, board: str, example: str = "hello_world", **variables: str) -> BuildSpec:
    config = resolve({"TARGET": board, **variables}, tree, find_tools=False)
    return from_config(config, example)


def spec_anyway(tree: Path, board: str, example: str = "hello_world") -> BuildSpec:
    """The spec even when the example does not list the board's arch yet (warned)."""
    config = resolve({"TARGET": board}, tree, find_tools=False)
    examples = load_examples(tree)
    if not examples[example].supports(board, config.board.arch):
        warnings.warn(f"examples/{example}/example.toml does not list {config.board.arch} "
                      f"(board {board}) yet; the test exports it anyway", UserWarning,
                      stacklevel=2)
    return from_config(config, example, require_support=False)


def offering(spec: BuildSpec, *kinds: str) -> BuildSpec:
    """The spec with export kinds the board data does not list yet (warned, never silent)."""
    missing = [kind for kind in kinds if kind not in spec.exports]
    if missing:
        warnings.warn(f"targets/{spec.board}/board.toml does not list {', '.join(missing)} in "
                      "exports yet; the test adds them", UserWarning, stacklevel=2)
    return dataclasses.replace(spec, exports=tuple(spec.exports) + tuple(missing))


def run_firmware(spec: BuildSpec, elf: Path, cwd: Path) -> Completed:
    """Runs an image in the board's emulator (its run command comes from the build)."""
    assert spec.run_command, f"{spec.board}: no emulator run command"
    command = [word.replace("{elf}", str(elf)) for word in spec.run_command]
    return run(command, cwd=cwd, timeout=RUN_TIMEOUT_S, check=False)


def require_tools(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        raise AssertionError(f"missing tools on PATH: {', '.join(missing)} "
                             "(tools/install.sh installs them)")


def symbol_sizes(elf: Path, prefix: str = "arm-none-eabi-") -> list[tuple[str, str, str]]:
    """(size, type, name) of every code and data symbol, sorted: equal for the same firmware."""
    out = run([f"{prefix}nm", "-S", "--size-sort", elf], cwd=elf.parent).output
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "TtDdBbRr":
            rows.append((parts[1], parts[2], parts[3]))
    return sorted(rows)


def environ(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def compile_all(sources: list[Path], flags: list[str], work: Path,
                compiler: str = "arm-none-eabi-gcc") -> None:
    """Compiles every source to an object (in parallel, two at a time)."""
    require_tools(compiler)
    work.mkdir(parents=True, exist_ok=True)

    def one(index_source: tuple[int, Path]) -> None:
        index, source = index_source
        run([compiler, *flags, "-c", source, "-o", work / f"{index}.o"], cwd=work,
            timeout=COMPILE_TIMEOUT_S)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, enumerate(sources)))
    assert len(list(work.glob("*.o"))) == len(sources)
