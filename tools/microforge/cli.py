"""The `microforge` command: subcommands dispatched to the package's modules.

Built in: `build` (scons with the same variables and aliases), `list`, `version`.
Other rooms add subcommands in their own modules without editing this file: a module named
in `COMMAND_MODULES` (or registered under the `microforge.commands` entry-point group)
defines

    def register(subparsers: argparse._SubParsersAction) -> None:
        parser = subparsers.add_parser("flash", help="flash an image to a board")
        parser.add_argument(...)
        parser.set_defaults(func=run_flash)       # run_flash(args) -> int exit code

A module that does not exist yet is skipped; one that fails to import is reported, and the
other subcommands still work.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from microforge import ROOT, __version__

#: Modules that may define `register(subparsers)`, in help order.
COMMAND_MODULES = (
    "microforge.runtime.cli",   # run
    "microforge.device.cli",    # flash, monitor
    "microforge.hil.cli",       # farm, nightly
    "microforge.export.cli",    # export
    "microforge.model.cli",     # model inspection
)
ENTRY_POINT_GROUP = "microforge.commands"
BUILD_TIMEOUT_S = 3600


def _find_root(start: Path) -> Path:
    """The source tree holding SConstruct: the current folder or a parent, else the package's."""
    for folder in (start, *start.parents):
        if (folder / "SConstruct").is_file() and (folder / "targets").is_dir():
            return folder
    return ROOT


def _run_scons(args: argparse.Namespace) -> int:
    root = _find_root(Path.cwd())
    command = [sys.executable, "-m", "SCons", "-C", str(root), *args.scons_args]
    try:
        return subprocess.run(command, timeout=args.timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        sys.stderr.write(f"error: scons did not finish within {args.timeout} s\n")
        return 124


def _list(args: argparse.Namespace) -> int:
    args.scons_args = ["-Q", "list"]
    return _run_scons(args)


def _version(args: argparse.Namespace) -> int:
    print(f"microforge {__version__} ({ROOT})")
    return 0


def _register_builtins(subparsers: argparse._SubParsersAction) -> None:
    build = subparsers.add_parser(
        "build", help="build with scons: microforge build TARGET=<board> <alias> ...",
        description="Runs scons in the source tree with the given variables and aliases "
                    "(see `scons -h`).")
    build.add_argument("scons_args", nargs=argparse.REMAINDER,
                       help="VARIABLE=value settings and aliases, passed to scons")
    build.add_argument("--timeout", type=int, default=BUILD_TIMEOUT_S,
                       help="seconds before the build is stopped")
    build.set_defaults(func=_run_scons)
    listing = subparsers.add_parser("list", help="targets, tags and examples, one line each")
    listing.set_defaults(func=_list, timeout=BUILD_TIMEOUT_S)
    version = subparsers.add_parser("version", help="print the version and source tree")
    version.set_defaults(func=_version)


def _registrars() -> list[tuple[str, Callable[[argparse._SubParsersAction], None] | None, str]]:
    """(module name, its register function or None, import error text)."""
    found: list[tuple[str, Callable | None, str]] = []
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue          # that room has no command module yet
            found.append((name, None, f"{type(exc).__name__}: {exc}"))
            continue
        except Exception as exc:  # noqa: BLE001 - a broken module must not break the others
            found.append((name, None, f"{type(exc).__name__}: {exc}"))
            continue
        register = getattr(module, "register", None)
        if callable(register):
            found.append((name, register, ""))
    try:
        points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # noqa: BLE001 - broken metadata must not stop the command
        points = ()
    for point in points:
        try:
            found.append((point.value, point.load(), ""))
        except Exception as exc:  # noqa: BLE001
            found.append((point.value, None, f"{type(exc).__name__}: {exc}"))
    return found


def make_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    parser = argparse.ArgumentParser(
        prog="microforge",
        description="Build, run, flash and test TensorFlow Lite models on microcontrollers.")
    parser.add_argument("--version", action="version", version=f"microforge {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    _register_builtins(subparsers)
    problems = []
    for name, register, error in _registrars():
        if register is None:
            problems.append(f"warning: commands of {name} are unavailable: {error}")
            continue
        try:
            register(subparsers)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"warning: commands of {name} are unavailable: "
                            f"{type(exc).__name__}: {exc}")
    return parser, problems


def main(argv: Sequence[str] | None = None) -> int:
    words = list(argv) if argv is not None else sys.argv[1:]
    if words[:1] == ["build"]:
        # Everything after `build` belongs to scons, options included (-Q, -j2, -c).
        rest = words[1:]
        timeout = BUILD_TIMEOUT_S
        if rest[:1] == ["--timeout"] and len(rest) > 1 and rest[1].isdigit():
            timeout, rest = int(rest[1]), rest[2:]
        return _run_scons(argparse.Namespace(scons_args=rest, timeout=timeout))
    parser, problems = make_parser()
    args = parser.parse_args(words)
    if os.environ.get("MICROFORGE_QUIET_WARNINGS") != "1":
        for problem in problems:
            sys.stderr.write(problem + "\n")
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
