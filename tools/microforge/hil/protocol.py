"""The board output protocol (docs/architecture.md), parsed from raw console bytes.

```
MF-SYNC <image-id>                 first line after reset
MF-CASE <name> PASS
MF-CASE <name> FAIL <file>:<line> <message>
MF-BENCH <name> <key>=<value> ...
MF-SUMMARY passed=<n> failed=<n>
~~~ALL TESTS PASSED~~~             or ~~~SOME TESTS FAILED~~~
MF-FAULT pc=0x... lr=0x... ...     (or MF-FAULT <text>)
MF-EXIT code=<n>                   real boards, after main returns (emulators exit instead)
```

The parser never opens a port: it is fed bytes and returns events with their byte offsets.
Lines end at LF, CRLF or a lone CR. Bytes that are not UTF-8 are kept (shown as \\xNN).
Control bytes or line noise in front of a token (a UART start-up glitch, a reset mid-line) do
not hide the token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TFLM_PASSED = "~~~ALL TESTS PASSED~~~"
TFLM_FAILED = "~~~SOME TESTS FAILED~~~"

_TOKEN = re.compile(r"(MF-(?:SYNC|CASE|BENCH|SUMMARY|FAULT|EXIT)\b|~~~(?:ALL|SOME) TESTS)")
_SYNC = re.compile(r"MF-SYNC (\S+)\s*$")
_CASE_PASS = re.compile(r"MF-CASE (\S+) PASS\s*$")
_CASE_FAIL = re.compile(r"MF-CASE (\S+) FAIL(?: (\S+?):(\d+))?(?: (.*?))?\s*$")
_BENCH = re.compile(r"MF-BENCH (\S+)((?: \S+=\S*)*)\s*$")
_SUMMARY = re.compile(r"MF-SUMMARY passed=(\d+) failed=(\d+)\s*$")
_FAULT = re.compile(r"MF-FAULT(?: (.*?))?\s*$")
_EXIT = re.compile(r"MF-EXIT code=(-?\d+)\s*$")
_FAULT_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(0[xX][0-9a-fA-F]+|\d+)")


@dataclass(frozen=True)
class Event:
    offset: int  # byte offset of the line start in the console stream
    line: str  # the decoded line (without its end)


@dataclass(frozen=True)
class Text(Event):
    """A line that is not part of the protocol."""


@dataclass(frozen=True)
class Sync(Event):
    image_id: str


@dataclass(frozen=True)
class Case(Event):
    name: str
    passed: bool
    file: str = ""
    lineno: int = 0
    message: str = ""

    @property
    def location(self) -> str:
        return f"{self.file}:{self.lineno}" if self.file else ""


@dataclass(frozen=True)
class Bench(Event):
    name: str
    values: dict[str, int | float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary(Event):
    passed: int
    failed: int


@dataclass(frozen=True)
class Verdict(Event):
    """TFLM's closing line."""

    passed: bool


@dataclass(frozen=True)
class Fault(Event):
    fields: dict[str, int] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class Exit(Event):
    """A real board's main() returned with this code."""

    code: int


@dataclass(frozen=True)
class Malformed(Event):
    """A protocol token whose line does not follow the format."""

    reason: str = ""


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def _number(text: str) -> int | float | str:
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_line(raw: bytes, offset: int = 0) -> Event:
    """Classify one line (without its line end)."""
    line = decode(raw)
    match = _TOKEN.search(line)
    if match is None:
        return Text(offset, line)
    # Only noise may precede a token: control bytes, undecodable bytes, spaces.
    prefix = line[: match.start()]
    if _visible(prefix):
        return Text(offset, line)
    body = line[match.start() :]
    if body.startswith("~~~"):
        if body.strip() == TFLM_PASSED:
            return Verdict(offset, line, True)
        if body.strip() == TFLM_FAILED:
            return Verdict(offset, line, False)
        return Text(offset, line)
    token = match.group(1)
    if token == "MF-SYNC":
        if m := _SYNC.match(body):
            return Sync(offset, line, m.group(1))
        return Malformed(offset, line, "MF-SYNC needs one image id")
    if token == "MF-CASE":
        if m := _CASE_PASS.match(body):
            return Case(offset, line, m.group(1), True)
        if m := _CASE_FAIL.match(body):
            return Case(
                offset,
                line,
                m.group(1),
                False,
                m.group(2) or "",
                int(m.group(3) or 0),
                m.group(4) or "",
            )
        return Malformed(offset, line, "MF-CASE needs '<name> PASS' or '<name> FAIL ...'")
    if token == "MF-BENCH":
        if m := _BENCH.match(body):
            values: dict[str, int | float | str] = {}
            for pair in m.group(2).split():
                key, _, value = pair.partition("=")
                values[key] = _number(value)
            return Bench(offset, line, m.group(1), values)
        return Malformed(offset, line, "MF-BENCH needs '<name> <key>=<value> ...'")
    if token == "MF-SUMMARY":
        if m := _SUMMARY.match(body):
            return Summary(offset, line, int(m.group(1)), int(m.group(2)))
        return Malformed(offset, line, "MF-SUMMARY needs 'passed=<n> failed=<n>'")
    if token == "MF-EXIT":
        if m := _EXIT.match(body):
            return Exit(offset, line, int(m.group(1)))
        return Malformed(offset, line, "MF-EXIT needs 'code=<n>'")
    m = _FAULT.match(body)
    text = (m.group(1) if m else "") or ""
    fields = {k.lower(): int(v, 0) for k, v in _FAULT_FIELD.findall(text)}
    return Fault(offset, line, fields, text)


def _visible(prefix: str) -> bool:
    """True when ``prefix`` holds real characters (not noise) before a token."""
    cleaned = re.sub(r"\\x[0-9a-f]{2}", "", prefix)
    return any(ch.isprintable() and not ch.isspace() for ch in cleaned)


class LineSplitter:
    """Cuts a byte stream into lines, remembering each line's start offset."""

    def __init__(self, offset: int = 0) -> None:
        self._pending = bytearray()
        self._start = offset
        self._skip_lf = False

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        lines: list[tuple[int, bytes]] = []
        for byte in data:
            if self._skip_lf:
                self._skip_lf = False
                if byte == 0x0A:
                    self._start += 1
                    continue
            if byte in (0x0A, 0x0D):
                lines.append((self._start, bytes(self._pending)))
                self._start += len(self._pending) + 1
                self._pending.clear()
                self._skip_lf = byte == 0x0D
            else:
                self._pending.append(byte)
        return lines

    def flush(self) -> list[tuple[int, bytes]]:
        """The unterminated last line, if any (at end of stream)."""
        if not self._pending:
            return []
        line = (self._start, bytes(self._pending))
        self._start += len(self._pending)
        self._pending.clear()
        return [line]


class ProtocolParser:
    """Feed console bytes, get protocol events."""

    def __init__(self, offset: int = 0) -> None:
        self._splitter = LineSplitter(offset)

    def feed(self, data: bytes) -> list[Event]:
        return [parse_line(raw, at) for at, raw in self._splitter.feed(data) if raw.strip()]

    def flush(self) -> list[Event]:
        return [parse_line(raw, at) for at, raw in self._splitter.flush() if raw.strip()]


def parse(data: bytes, offset: int = 0) -> list[Event]:
    """Every event in a complete piece of output."""
    parser = ProtocolParser(offset)
    return parser.feed(data) + parser.flush()


@dataclass
class Transcript:
    """The protocol events of one run, from its sync line on."""

    sync: Sync | None = None
    cases: list[Case] = field(default_factory=list)
    benches: list[Bench] = field(default_factory=list)
    summary: Summary | None = None
    verdict: Verdict | None = None
    fault: Fault | None = None
    exit: Exit | None = None
    malformed: list[Malformed] = field(default_factory=list)
    resyncs: list[Sync] = field(default_factory=list)  # MF-SYNC seen again: the board reset
    text_lines: int = 0

    def add(self, event: Event) -> None:
        if self.resyncs:
            return  # the board reset: what follows belongs to another run
        if isinstance(event, Sync):
            if self.sync is None:
                self.sync = event
            else:
                self.resyncs.append(event)
        elif isinstance(event, Case):
            self.cases.append(event)
        elif isinstance(event, Bench):
            self.benches.append(event)
        elif isinstance(event, Summary):
            self.summary = event
        elif isinstance(event, Verdict):
            self.verdict = event
        elif isinstance(event, Fault):
            if self.fault is None:
                self.fault = event
        elif isinstance(event, Exit):
            if self.exit is None:
                self.exit = event
        elif isinstance(event, Malformed):
            self.malformed.append(event)
        else:
            self.text_lines += 1

    @property
    def finished(self) -> bool:
        """The firmware said its last word: a summary, a verdict, an exit, a fault, or a reset."""
        return (
            self.summary is not None
            or self.verdict is not None
            or self.exit is not None
            or self.fault is not None
            or bool(self.resyncs)
        )

    @property
    def ended(self) -> bool:
        """Nothing more will come: an exit line, a fault, or a reset."""
        return self.exit is not None or self.fault is not None or bool(self.resyncs)

    @property
    def failed_cases(self) -> list[Case]:
        return [c for c in self.cases if not c.passed]
