"""The outcome of one run on one board, in one taxonomy.

| outcome       | meaning                                                                       |
|---------------|-------------------------------------------------------------------------------|
| `pass`        | the run synced, every case passed, the summary and verdict agree              |
| `assertion`   | the firmware reported a failed case (or a summary/verdict that says so)        |
| `crash`       | the firmware faulted (decoded fault attached), reset, or died mid-run         |
| `timeout`     | it synced but did not finish in time                                          |
| `no_output`   | nothing usable after reset: no sync line for this image within the time limit |
| `flash_error` | the image never got onto the board                                            |

Every result names the board, the probe and the port, and the console log's path.
"""

from __future__ import annotations

import json
import signal
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .protocol import Transcript, decode

#: Exit codes the board support uses for faults (docs/architecture.md).
CRASH_EXIT_CODES = {100: "fault", 101: "stack guard overwritten"}


class Outcome(StrEnum):
    PASS = "pass"
    ASSERTION = "assertion"
    CRASH = "crash"
    TIMEOUT = "timeout"
    NO_OUTPUT = "no_output"
    FLASH_ERROR = "flash_error"


@dataclass(frozen=True)
class BoardIdentity:
    """Which physical (or emulated) board a result belongs to."""

    board: str  # the board name (targets/<board>)
    name: str = ""  # the farm's name for this unit, e.g. "edge-3"
    probe: str = ""  # full probe unique id, or qemu:<host>:<port>
    port: str = ""  # console URL or device path

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class FaultInfo:
    """A fault line and, when the decoder could read the ELF, its decoded report."""

    line: str
    registers: dict[str, int] = field(default_factory=dict)
    report: str = ""
    function: str | None = None
    file: str | None = None
    lineno: int | None = None
    decode_error: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunResult:
    outcome: Outcome
    identity: BoardIdentity
    log_path: str
    message: str = ""
    image: str = ""
    image_id: str = ""
    cases: list[dict[str, Any]] = field(default_factory=list)
    benches: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, int] | None = None
    fault: FaultInfo | None = None
    exit_code: int | None = None
    seconds: float = 0.0
    flash: dict[str, Any] | None = None
    last_output: str = ""
    sync_offset: int | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return data

    def to_jsonl(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    def describe(self) -> str:
        who = self.identity.name or self.identity.board
        text = f"{who}: {self.outcome.value}"
        if self.message:
            text += f": {self.message}"
        text += f"\n  log: {self.log_path}"
        if self.identity.probe or self.identity.port:
            text += f"\n  probe: {self.identity.probe or '-'}  port: {self.identity.port or '-'}"
        if self.fault is not None and self.fault.report:
            text += "\n" + "\n".join("  " + line for line in self.fault.report.splitlines())
        if self.outcome in (Outcome.TIMEOUT, Outcome.NO_OUTPUT) and self.last_output:
            text += f"\n  last bytes: {self.last_output!r}"
        return text


def decode_fault_line(line: str, elf: Path | None) -> FaultInfo:
    """Decode an MF-FAULT line with the board fault decoder (addr2line on the ELF)."""
    from . import fault as fault_decoder

    record = fault_decoder.parse_fault_line(line)
    if record is None:
        return FaultInfo(line=line, decode_error="not an MF-FAULT line")
    info = FaultInfo(line=record.line, registers=dict(record.registers))
    try:
        report = fault_decoder.decode_fault(record, elf)
    except fault_decoder.FaultDecodeError as err:
        info.decode_error = str(err)
        report = fault_decoder.decode_fault(record, None)
    info.report = report.text()
    info.function, info.file, info.lineno = report.function, report.file, report.line
    return info


def classify(
    transcript: Transcript,
    *,
    finished: bool,
    link_closed: bool,
    exit_code: int | None,
    bytes_after_reset: int,
) -> tuple[Outcome, str]:
    """Pick the outcome of a run from what the board said and how the run ended.

    ``finished``: the transcript reached its end (summary, verdict, fault or reset) in time.
    ``link_closed``: the console ended (emulator exit, port lost). ``exit_code``: the emulator's
    exit status when it has one.
    """
    if transcript.sync is None:
        if bytes_after_reset == 0:
            return Outcome.NO_OUTPUT, "no output after reset"
        return Outcome.NO_OUTPUT, f"{bytes_after_reset} bytes after reset but no MF-SYNC line"
    if transcript.fault is not None:
        return Outcome.CRASH, f"fault: {transcript.fault.line.strip()}"
    if transcript.resyncs:
        again = transcript.resyncs[0]
        return Outcome.CRASH, f"board reset during the run (MF-SYNC again at byte {again.offset})"
    failed = transcript.failed_cases
    if failed:
        first = failed[0]
        where = f" at {first.location}" if first.location else ""
        more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
        return Outcome.ASSERTION, f"{first.name} failed{where}: {first.message}{more}".rstrip(": ")
    summary, verdict = transcript.summary, transcript.verdict
    if summary is not None and summary.failed > 0:
        return Outcome.ASSERTION, f"summary reports {summary.failed} failed"
    if verdict is not None and not verdict.passed:
        return Outcome.ASSERTION, "SOME TESTS FAILED"
    if summary is None and verdict is None:
        if link_closed or exit_code is not None:
            return Outcome.CRASH, f"the board stopped{_how(exit_code)} before its summary"
        return Outcome.TIMEOUT, "no summary or verdict within the time limit"
    if not finished and not link_closed:
        return Outcome.TIMEOUT, "the run did not finish within the time limit"
    if summary is not None:
        reported = len([c for c in transcript.cases if c.passed])
        if transcript.cases and reported != summary.passed:
            return (
                Outcome.ASSERTION,
                f"output incomplete: summary says passed={summary.passed} "
                f"but {reported} MF-CASE PASS lines arrived",
            )
        if summary.passed == 0 and verdict is None and not transcript.benches:
            return Outcome.ASSERTION, "no test case ran"
    if exit_code in CRASH_EXIT_CODES:
        return Outcome.CRASH, f"exit code {exit_code} ({CRASH_EXIT_CODES[exit_code]})"
    if exit_code not in (None, 0):
        return Outcome.ASSERTION, f"tests passed but the firmware exited with code {exit_code}"
    if transcript.malformed:
        bad = transcript.malformed[0]
        return Outcome.ASSERTION, f"malformed protocol line at byte {bad.offset}: {bad.reason}"
    return Outcome.PASS, ""


def _how(exit_code: int | None) -> str:
    """How a run ended, for messages: ' with exit code 3', ' (the emulator was killed by ...)'."""
    if exit_code is None:
        return ""
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        return f" (the emulator was killed by {name})"
    return f" with exit code {exit_code}"


def classify_program(
    transcript: Transcript,
    *,
    link_closed: bool,
    exit_code: int | None,
    bytes_after_reset: int,
) -> tuple[Outcome, str]:
    """The outcome of a program that does not print MF-SYNC (an application, a benchmark).

    It is judged by how it ends: its exit code (emulator exit or ``MF-EXIT``), a fault line,
    or failed ``MF-CASE`` lines it printed. A program still running at the time limit timed out.
    """
    if transcript.fault is not None:
        return Outcome.CRASH, f"fault: {transcript.fault.line.strip()}"
    if exit_code is not None and exit_code < 0:
        return Outcome.CRASH, f"the run ended{_how(exit_code)}"
    if exit_code in CRASH_EXIT_CODES:
        return Outcome.CRASH, f"exit code {exit_code} ({CRASH_EXIT_CODES[exit_code]})"
    if exit_code is None:
        if bytes_after_reset == 0:
            return Outcome.NO_OUTPUT, "no output after reset"
        if link_closed:
            return Outcome.CRASH, f"the console ended after {bytes_after_reset} bytes, no exit"
        return Outcome.TIMEOUT, (
            f"still running at the time limit ({bytes_after_reset} bytes after reset)"
        )
    failed = transcript.failed_cases
    if exit_code != 0:
        return Outcome.ASSERTION, f"the program exited with code {exit_code}"
    if failed:
        first = failed[0]
        return Outcome.ASSERTION, f"{first.name} failed: {first.message}".rstrip(": ")
    if transcript.summary is not None and transcript.summary.failed > 0:
        return Outcome.ASSERTION, f"summary reports {transcript.summary.failed} failed"
    if transcript.malformed:
        bad = transcript.malformed[0]
        return Outcome.ASSERTION, f"malformed protocol line at byte {bad.offset}: {bad.reason}"
    return Outcome.PASS, ""


def transcript_rows(transcript: Transcript) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cases = [
        {
            "name": c.name,
            "passed": c.passed,
            "location": c.location,
            "message": c.message,
        }
        for c in transcript.cases
    ]
    benches = [{"name": b.name, "values": dict(b.values)} for b in transcript.benches]
    return cases, benches


def printable_tail(data: bytes, count: int = 200) -> str:
    return decode(data[-count:])
