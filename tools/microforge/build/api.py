"""Building from Python (tests, the HIL, the exporters) without knowing SCons.

    from microforge.build import api
    elf = api.build("hello_world", TARGET="qemu_cortex_m4")     # -> Path of the ELF
    api.scons(["TARGET=qemu_cortex_m4", "test_hello_world"])    # any aliases, checked

Everything goes through the same `scons` command line as a user's build.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from microforge import ROOT
from microforge.config import Config, resolve

BUILD_TIMEOUT_S = 1800


class BuildError(Exception):
    """scons failed; the message ends with the last lines of its output."""


def scons(args: list[str], root: Path = ROOT, timeout: int = BUILD_TIMEOUT_S,
          jobs: int | None = None) -> str:
    """Runs scons in `root` with `args`; returns its output, raises BuildError on failure."""
    command = [sys.executable, "-m", "SCons", "-C", str(root), "-Q", *args]
    if jobs is not None:
        command.append(f"-j{jobs}")
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"scons {' '.join(args)} did not finish within {timeout} s") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-25:])
        raise BuildError(f"scons {' '.join(args)} failed ({done.returncode}):\n{tail}")
    return done.stdout


def config_for(root: Path = ROOT, **variables: str) -> Config:
    """The Config a command line with these variables selects (no tools searched)."""
    return resolve(variables, Path(root), find_tools=False)


def program_path(name: str, root: Path = ROOT, **variables: str) -> Path:
    """Where the build puts program `name` for these variables (it may not exist yet)."""
    config = config_for(root, **variables)
    suffix = "" if config.is_host else ".elf"
    return config.gen_dir / "bin" / f"{name}{suffix}"


def build(name: str, root: Path = ROOT, timeout: int = BUILD_TIMEOUT_S, **variables: str) -> Path:
    """Builds program `name` (an example, a test or a benchmark program) and returns its path."""
    scons([f"{k}={v}" for k, v in variables.items()] + [name], root, timeout)
    path = program_path(name, root, **variables)
    if not path.is_file():
        raise BuildError(f"scons built {name} but {path} is missing")
    return path
