"""Running a test program and reading its protocol lines (docs/architecture.md)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SANITIZER_MARKS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "SUMMARY: UndefinedBehaviorSanitizer")
CASE = re.compile(r"^MF-CASE (\S+) (PASS|FAIL)(?: (.*))?$")
SUMMARY = re.compile(r"^MF-SUMMARY passed=(\d+) failed=(\d+)$")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    cases: dict[str, str] = field(default_factory=dict)   # name -> "PASS" or the failure text
    summary: tuple[int, int] | None = None
    benches: list[str] = field(default_factory=list)

    @property
    def sanitizer_report(self) -> str:
        text = self.stdout + self.stderr
        hits = [line for line in text.splitlines() if any(m in line for m in SANITIZER_MARKS)]
        return "\n".join(hits)

    def describe(self) -> str:
        failed = {k: v for k, v in self.cases.items() if v != "PASS"}
        return (f"exit {self.returncode}; failed cases: {failed}\n--- stdout (tail)\n"
                f"{self.stdout[-3000:]}\n--- stderr (tail)\n{self.stderr[-3000:]}")


def run_program(path: Path, args: list[str] | None = None, timeout: float = 120) -> Run:
    try:
        proc = subprocess.run([str(path), *(args or [])], capture_output=True, text=True,
                              timeout=timeout, errors="replace")
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        raise AssertionError(f"{path.name} timed out after {timeout} s; output so far:\n{out}") \
            from exc
    run = Run(proc.returncode, proc.stdout, proc.stderr)
    for line in proc.stdout.splitlines():
        if m := CASE.match(line):
            run.cases[m.group(1)] = "PASS" if m.group(2) == "PASS" else (m.group(3) or "")
        elif m := SUMMARY.match(line):
            run.summary = (int(m.group(1)), int(m.group(2)))
        elif line.startswith("MF-BENCH "):
            run.benches.append(line)
    return run
