"""The SConstruct's counterpart: resolve the Config, define the tree, report."""

from __future__ import annotations

import atexit
import fcntl
import os
import sys
import time
from pathlib import Path
from typing import Any

from SCons.Node.FS import File
from SCons.Script import (
    BUILD_TARGETS,
    COMMAND_LINE_TARGETS,
    DefaultEnvironment,
    Exit,
    GetBuildFailures,
    GetLaunchDir,
    GetOption,
    Help,
    Progress,
    SConsignFile,
    SetOption,
)

from microforge.config import Config, ConfigError, load_examples, resolve
from microforge.config.resolve import VARIABLES

from .listing import help_text, kernels_text, list_text
from .output import Output
from .tree import Tree

EXAMPLE_ALIAS_FORMS = ("{}", "{}_bin", "run_{}", "test_{}", "size_{}")


def fail(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    Exit(2)


def _jobs_given() -> bool:
    words = sys.argv[1:] + os.environ.get("SCONSFLAGS", "").split()
    return any(w == "-j" or w.startswith("-j") or w.startswith("--jobs") for w in words)


def configure(arguments: dict[str, str], root: str) -> Config:
    """Resolves the command line into a Config, or stops with a clear message."""
    # An empty default environment: SCons' global functions then do not probe every
    # compiler on the machine.
    DefaultEnvironment(tools=[])
    try:
        config = resolve(dict(arguments), Path(root), launch_dir=Path(GetLaunchDir()))
    except ConfigError as exc:
        if GetOption("help"):
            Help(help_text([], [], arguments.get("TARGET", "host")), append=False)
        fail(str(exc))
        raise
    SetOption("no_progress", True)
    if config.fast:
        SetOption("implicit_cache", 1)
    if not _jobs_given():
        SetOption("num_jobs", os.cpu_count() or 1)
    for note in config.notes:
        print(f"note: {note}")
    return config


def check_targets(tree: Tree, root: Path) -> None:
    """Unknown aliases fail before any compile, with a close match and the valid names."""
    from microforge.config.errors import suggest

    config = tree.config
    if config.tool_error and not COMMAND_LINE_TARGETS:
        fail(config.tool_error)
    known = {a for a in tree.alias_names if not a.startswith("_")}
    for target in COMMAND_LINE_TARGETS:
        if target in tree.alias_names:
            continue
        if "/" in target or os.sep in target or "." in target or (root / target).exists():
            continue
        if config.tool_error:
            fail(config.tool_error)
        for example in tree.examples.values():
            if target in [form.format(example.name) for form in EXAMPLE_ALIAS_FORMS]:
                if config.library_only:
                    fail(f"TARGET={config.board.name} builds only the runtime library (the "
                         f"board has no linker script): scons TARGET={config.board.name} lib")
                where = ", ".join(example.data["boards"] or example.data["arch"])
                fail(f'example "{example.name}" does not support TARGET={config.board.name}'
                     f" ({config.board.arch}); it supports: {where}")
        fail(f'unknown alias or example "{target}"{suggest(target, known)}; '
             f"valid: {', '.join(sorted(known))} (see scons -h)")


LOCK_TIMEOUT_S = 900
_LOCKS: list[Any] = []      # held open (and so locked) until the process ends


def lock_output_dir(config: Config) -> None:
    """One scons at a time per output folder (bounded wait): parallel builds of the same
    configuration would race on its objects and its signature database."""
    config.gen_dir.mkdir(parents=True, exist_ok=True)
    handle = open(config.gen_dir / ".lock", "w")  # noqa: SIM115 - held for the whole run
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                fail(f"another build of gen/{config.name} has held it for {LOCK_TIMEOUT_S} s")
            if not told:
                print(f"waiting for another build of gen/{config.name} to finish")
                told = True
            time.sleep(0.2)
    _LOCKS.append(handle)


def build(config: Config) -> Tree:
    output = Output(root=config.root, verbose=config.verbose)
    try:
        tree = Tree(config, output)
        tree.listings(lambda: list_text(config.root, load_examples(config.root)),
                      lambda: kernels_text(config, tree.kernels))
        tree.define()
    except ConfigError as exc:
        fail(str(exc))
        raise
    Help(help_text([(a.name, a.help) for a in tree.aliases], sorted(
        e.name for e in tree.examples.values()
        if e.supports(config.board.name, config.board.arch)), config.board.name), append=False)
    if GetOption("help"):
        return tree
    check_targets(tree, config.root)
    lock_output_dir(config)
    # The signature database lives with the objects it describes.
    SConsignFile(str(config.gen_dir / ".sconsign"))
    roots = [tree.env.Alias(t)[0] if t in tree.alias_names else t for t in BUILD_TARGETS]
    roots = [r if not isinstance(r, str) else tree.env.Entry(r) for r in roots]
    output.collect_steps(roots, File, tree.run_nodes)
    Progress(output.count)
    if not GetOption("clean"):
        atexit.register(_summary, output)
    return tree


def _summary(output: Output) -> None:
    failures: list[Any] = list(GetBuildFailures())
    text = output.summary(failures)
    if text:
        print(text)


__all__ = ["VARIABLES", "build", "configure"]
