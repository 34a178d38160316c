"""Building a board's programs through scons, bounded in time, with progress and a log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..farm import FarmError

STEP_RE = re.compile(rb"^\[(\d+)/(\d+)\]")
#: Seconds to find out which program of a failed build is broken (one scons call each).
PER_PROGRAM_TIMEOUT = 300.0

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    board: str
    ok: bool
    seconds: float
    log: Path
    config_name: str = ""
    bin_dir: Path | None = None
    message: str = ""
    failed_programs: list[str] = field(default_factory=list)

    def image(self, program: str) -> Path | None:
        if self.bin_dir is None or program in self.failed_programs:
            return None
        elf = self.bin_dir / f"{program}.elf"
        return elf if elf.is_file() else None

    def to_json(self) -> dict[str, object]:
        return {
            "board": self.board, "ok": self.ok, "seconds": round(self.seconds, 1),
            "log": str(self.log), "config": self.config_name, "message": self.message,
            "failed_programs": self.failed_programs,
        }  # fmt: skip


def config_for(root: Path, board: str, build_type: str) -> tuple[str, Path]:
    """(config name, bin folder) the build uses for ``board``."""
    from microforge.build.api import config_for as build_config
    from microforge.config import ConfigError

    try:
        config = build_config(root, TARGET=board, BUILD_TYPE=build_type)
    except ConfigError as err:
        raise FarmError(f"cannot build for {board}: {err}") from None
    return config.name, config.gen_dir / "bin"


def run_scons(
    root: Path,
    arguments: Sequence[str],
    log: Path,
    timeout: float,
    on_step: Callable[[int, int], None] | None = None,
) -> tuple[int | None, str]:
    """scons with ``arguments`` in ``root``; output appended to ``log``.

    Returns (exit status or None on timeout, the last lines of output)."""
    command = [sys.executable, "-m", "SCons", "-Q", "-C", str(root), *arguments]
    log.parent.mkdir(parents=True, exist_ok=True)
    tail: list[bytes] = []
    with open(log, "ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        assert process.stdout is not None

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                out.write(line)
                out.flush()
                tail.append(line)
                del tail[:-20]
                match = STEP_RE.match(line)
                if match and on_step is not None:
                    on_step(int(match.group(1)), int(match.group(2)))

        reader = threading.Thread(target=pump, name="scons output", daemon=True)
        reader.start()
        try:
            status: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            status = None
        reader.join(5)
        if status is None:
            out.write(f"\n[stopped: scons did not finish within {timeout:.0f} s]\n".encode())
    return status, b"".join(tail).decode("utf-8", "replace")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def _target(root: Path, bin_dir: Path, program: str) -> str:
    elf = bin_dir / f"{program}.elf"
    return str(elf.relative_to(root)) if elf.is_relative_to(root) else str(elf)


def build_board(
    root: Path,
    board: str,
    programs: Sequence[str],
    *,
    log: Path,
    build_type: str = "default",
    jobs: int = 2,
    timeout: float = 1800.0,
    progress: Progress | None = None,
) -> BuildResult:
    """Build ``programs`` for ``board``; a broken program does not stop the others (-k)."""
    started = time.monotonic()
    say = progress or (lambda text: None)
    try:
        config_name, bin_dir = config_for(root, board, build_type)
    except FarmError as err:
        return BuildResult(board, False, 0.0, log, message=str(err),
                           failed_programs=list(programs))  # fmt: skip
    shown = [-1]

    def on_step(step: int, total: int) -> None:
        quarter = 4 * step // max(total, 1)
        if quarter > shown[0]:
            shown[0] = quarter
            say(f"build {board}: step {step}/{total}")

    # Each program by its ELF: some (the model runner firmware) have no alias of their own.
    targets = {program: _target(root, bin_dir, program) for program in programs}
    arguments = [f"-j{jobs}", "-k", f"TARGET={board}", f"BUILD_TYPE={build_type}",
                 *targets.values()]  # fmt: skip
    say(f"build {board}: {len(programs)} programs ({config_name})")
    status, tail = run_scons(root, arguments, log, timeout, on_step)
    result = BuildResult(board, status == 0, 0.0, log, config_name, bin_dir)
    if status is None:
        result.message = f"scons did not finish within {timeout:.0f} s"
        result.failed_programs = list(programs)
    elif status != 0:
        # Which programs are broken: each alias alone (a no-op for the ones that built).
        for program in programs:
            left = max(30.0, min(PER_PROGRAM_TIMEOUT, timeout - (time.monotonic() - started)))
            one, _ = run_scons(root, [f"-j{jobs}", f"TARGET={board}",
                                      f"BUILD_TYPE={build_type}", targets[program]], log,
                               left)  # fmt: skip
            if one != 0:
                result.failed_programs.append(program)
        lines = [ln for ln in tail.splitlines() if ln.strip()]
        last = lines[-1][:240] if lines else ""
        result.message = (f"scons failed (status {status}); broken: "
                          f"{', '.join(result.failed_programs) or 'none of the programs'}; "
                          f"{last}").strip("; ")  # fmt: skip
    missing = [p for p in programs if p not in result.failed_programs and result.image(p) is None]
    if missing:
        result.failed_programs += missing
        result.ok = False
        result.message = (result.message + "; " if result.message else "") + (
            f"no image for {', '.join(missing)} in {bin_dir}")
    result.seconds = time.monotonic() - started
    say(f"build {board}: {'done' if result.ok else 'FAILED'} in {result.seconds:.1f} s"
        + ("" if result.ok else f": {result.message}"))  # fmt: skip
    return result
