"""The build's file lists, without SCons: what the runtime, a board and the runner are made
of. The SCons tree and the IDE exporters both take their lists from here."""

from __future__ import annotations

from pathlib import Path

from microforge.config import Config, overlay
from microforge.config.variants import SOURCE_SUFFIXES

#: micro/runner files with a main(); every other runner file goes into libmicroforge.so.
RUNNER_PROGRAMS = ("run_model.c", "board_runner.c")
#: micro/runner files of the runner firmware for boards (its main first).
BOARD_RUNNER_SOURCES = ("board_runner.c", "mf_runner.c")
#: micro/runner files only for the shared library (the ctypes API).
RUNNER_LIBRARY_ONLY = ("host_api.c",)


def sources_in(folder: Path) -> list[Path]:
    """The C and assembly files of one folder (not its subfolders), sorted."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SOURCE_SUFFIXES)


def runtime_sources(config: Config) -> list[Path]:
    """micro/core/*.c, then the kernels after the variant overlay."""
    root = config.root
    return sources_in(root / "micro" / "core") + [k.path for k in overlay(root, config.variants)]


def board_sources(config: Config) -> tuple[list[Path], list[Path]]:
    """The board's sources (its own, its targets/common/<dir> ones, platform.c) and the
    include folders they need."""
    board = config.board
    common_root = config.root / "targets" / "common"
    include = [board.folder] + [board.folder / d for d in board.include_dirs]
    sources = [board.folder / s for s in board.sources]
    for name in board.common:
        folder = common_root / name
        include += [folder, folder / "include"]
        sources += sources_in(folder)
    platform = common_root / "platform.c"
    if platform.is_file():
        sources.append(platform)
    return sources, [p for p in include if p.is_dir()]


def testing_sources(root: Path) -> list[Path]:
    return sources_in(root / "micro" / "testing")


def runner_library_sources(root: Path) -> list[Path]:
    """micro/runner files linked into the host shared library."""
    return [p for p in sources_in(root / "micro" / "runner") if p.name not in RUNNER_PROGRAMS]


def runner_program_sources(root: Path) -> list[Path]:
    """run_model.c first, then the runner files it shares with the library."""
    folder = root / "micro" / "runner"
    main = folder / "run_model.c"
    if not main.is_file():
        return []
    return [main] + [p for p in sources_in(folder)
                     if p.name not in RUNNER_PROGRAMS and p.name not in RUNNER_LIBRARY_ONLY]


def board_runner_sources(root: Path) -> list[Path]:
    """board_runner.c first, then mf_runner.c: the runner firmware for boards (the model and
    its inputs are generated sources added per firmware)."""
    folder = root / "micro" / "runner"
    found = [folder / name for name in BOARD_RUNNER_SOURCES]
    return found if all(p.is_file() for p in found) else []
