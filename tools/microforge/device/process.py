"""Child processes with a hard time limit: the whole process group is killed on expiry."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Completed:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool


def run_bounded(
    cmd: Sequence[str],
    timeout: float,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Completed:
    """Run ``cmd`` for at most ``timeout`` seconds; never leaves the child behind."""
    try:
        process = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as err:
        return Completed(None, "", f"cannot start {cmd[0]}: {err}", False)
    try:
        out, err = process.communicate(timeout=timeout)
        return Completed(process.returncode, _text(out), _text(err), False)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        out, err = process.communicate(timeout=5)
        return Completed(None, _text(out), _text(err), True)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=2)
            return
        except subprocess.TimeoutExpired:
            continue


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "replace")


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
