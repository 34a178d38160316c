"""The results store: one JSON line per finished attempt, written and fsynced as it ends.

A runner killed at any moment loses nothing it reported: every line on disk is complete except
possibly the last one, which ``repair()`` cuts off before the store is appended to again.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class StoreError(Exception):
    """The results file cannot be read or written."""


class ResultStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def repair(self) -> int:
        """Cut an unfinished last line (a write the runner did not complete); bytes dropped."""
        if not self.path.exists():
            return 0
        with open(self.path, "rb+") as handle:
            data = handle.read()
            keep = data.rfind(b"\n") + 1
            dropped = len(data) - keep
            if dropped:
                handle.truncate(keep)
                handle.flush()
                os.fsync(handle.fileno())
        return dropped

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True, default=str)
        if "\n" in line:
            raise StoreError("a record must fit on one line")
        with self._lock:
            new = not self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as handle:
                handle.write(line.encode() + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            if new:
                fsync_dir(self.path.parent)

    def records(self) -> list[dict[str, Any]]:
        return list(self._iter())

    def _iter(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, "rb") as handle:
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        for number, raw in enumerate(complete.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as err:
                raise StoreError(f"{self.path}:{number}: not a JSON record: {err}") from None
            if not isinstance(record, dict):
                raise StoreError(f"{self.path}:{number}: not a JSON object")
            yield record


def fsync_dir(folder: Path) -> None:
    """Make a new directory entry durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` in one step: readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)
