"""The quarantine file: known-bad jobs that still run but do not fail the nightly.

```toml
[[quarantine]]
program = "hello_world_bench"   # glob on the program name
board = "qemu_riscv32"          # glob on the board (default "*")
reason = "slow under icount, see #41"
until = 2026-12-31              # optional: the entry stops applying after this day
```
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .jobs import JobError

FIELDS = {"program": str, "board": str, "reason": str, "until": dt.date}


@dataclass(frozen=True)
class Entry:
    program: str
    board: str
    reason: str
    until: dt.date | None = None

    def matches(self, program: str, board: str) -> bool:
        return fnmatch.fnmatchcase(program, self.program) and fnmatch.fnmatchcase(
            board, self.board
        )


@dataclass
class Quarantine:
    entries: list[Entry]
    expired: list[Entry]

    def reason(self, program: str, board: str) -> str | None:
        for entry in self.entries:
            if entry.matches(program, board):
                return entry.reason
        return None


def load_quarantine(path: Path | None, today: dt.date | None = None) -> Quarantine:
    if path is None:
        return Quarantine([], [])
    today = today or dt.date.today()
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise JobError(f"quarantine file {path} does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise JobError(f"{path}: not valid TOML: {err}") from None
    extra = sorted(set(data) - {"quarantine"})
    if extra:
        raise JobError(f"{path}: unknown table {extra[0]!r}; the file has [[quarantine]] tables")
    entries, expired = [], []
    for index, row in enumerate(data.get("quarantine", [])):
        where = f"{path}: quarantine[{index}]"
        for key, value in row.items():
            if key not in FIELDS:
                raise JobError(f"{where}: unknown field {key!r}; fields: {', '.join(FIELDS)}")
            if not isinstance(value, FIELDS[key]) or isinstance(value, dt.datetime):
                wanted = "a date (2026-12-31)" if key == "until" else "a string"
                raise JobError(f"{where}: field {key!r}: expected {wanted}, got {value!r}")
        for key in ("program", "reason"):
            if not row.get(key):
                raise JobError(f"{where}: field {key!r} is required")
        entry = Entry(row["program"], row.get("board", "*"), row["reason"], row.get("until"))
        (expired if entry.until is not None and entry.until < today else entries).append(entry)
    return Quarantine(entries, expired)
