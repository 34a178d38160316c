"""Running a built program: natively on the host, or in the board's emulator (board data).

Every run is bounded by a timeout; a program that outlives it is killed with its process
group. Output is kept in a log file next to the program's other outputs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PASS_TOKEN = "~~~ALL TESTS PASSED~~~"
FAIL_TOKEN = "~~~SOME TESTS FAILED~~~"
CASE_RE = re.compile(r"^MF-CASE (\S+) (PASS|FAIL)", re.MULTILINE)


class RunnerError(Exception):
    """The program cannot be run for this board (no emulator, emulator missing)."""


@dataclass
class RunResult:
    command: list[str]
    returncode: int | None
    output: str
    timed_out: bool
    timeout: int

    @property
    def cases(self) -> tuple[int, int]:
        results = CASE_RE.findall(self.output)
        return (sum(1 for _, r in results if r == "PASS"),
                sum(1 for _, r in results if r == "FAIL"))

    def test_verdict(self) -> str:
        """"" when the output says every test passed, else why not."""
        if self.timed_out:
            return f"timed out after {self.timeout} s"
        if FAIL_TOKEN in self.output:
            return "some tests failed"
        if self.returncode != 0:
            return f"exit code {self.returncode}"
        if PASS_TOKEN not in self.output:
            return f"no '{PASS_TOKEN}' line in the output"
        return ""


def command_for(board_name: str, arch: str, emulator: dict[str, Any], program: Path) -> list[str]:
    """The command that runs `program` for a board."""
    if arch == "host":
        return [str(program)]
    if not emulator:
        raise RunnerError(
            f"{board_name} is a physical board without an emulator: flash "
            f"{program.name} to it and read its serial port (microforge flash / monitor)"
        )
    exe = shutil.which(emulator["program"])
    if exe is None:
        package = emulator.get("debian_package") or {
            "qemu-system-arm": "qemu-system-arm",
            "qemu-system-riscv32": "qemu-system-misc",
        }.get(emulator["program"], "")
        hint = f"; install it with: sudo apt-get install {package}" if package else ""
        raise RunnerError(f"{board_name}: emulator {emulator['program']} not found on PATH{hint}")
    cmd = [exe]
    if emulator.get("machine"):
        cmd += ["-M", emulator["machine"]]
    template = emulator.get("args", [])
    cmd += [a.replace("{elf}", str(program)) for a in template]
    # The console on stdio, no display or monitor: the run is a plain process.
    cmd += ["-display", "none", "-monitor", "none", "-serial", "stdio"]
    if emulator.get("icount_shift") is not None:
        cmd += ["-icount", f"shift={emulator['icount_shift']},sleep=off"]
    if not any("{elf}" in a for a in template):
        cmd += ["-kernel", str(program)]
    return cmd


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def run(command: list[str], timeout: int, log: Path | None = None, stream: bool = False,
        prefix: str = "") -> RunResult:
    """Runs `command` for at most `timeout` seconds; streams lines to stdout if asked."""
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    chunks: list[str] = []
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        return RunResult(command, None, f"cannot start {command[0]}: {exc.strerror}\n", False,
                         timeout)
    assert proc.stdout is not None

    def pump() -> None:
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            chunks.append(line)
            if stream:
                sys.stdout.write(prefix + line)
                sys.stdout.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(proc)
        proc.wait(timeout=10)
    reader.join(timeout=10)
    if proc.poll() is None:
        _kill(proc)
    # Children of the program (an emulator's helpers) must not outlive the run.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    output = "".join(chunks)
    if log is not None:
        log.write_text(output + (f"\n[timed out after {timeout} s]\n" if timed_out else ""))
    return RunResult(command, proc.returncode, output, timed_out, timeout)
