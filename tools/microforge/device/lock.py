"""Exclusive use of boards, probes and ports across processes.

A run locks every resource its board resolves to (probe unique id, console port after following
symlinks such as /dev/serial/by-id/..., mass-storage volume). Two runs on one device therefore
cannot overlap, and two logical boards that resolve to one probe or port are caught: the second
waits (bounded) and then fails naming the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .errors import ConfigError, DeviceBusy


def default_lock_dir() -> Path:
    base = os.environ.get("MICROFORGE_LOCK_DIR") or os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    return Path(base) / "microforge-locks"


def canonical_resource(kind: str, value: str) -> str:
    """One spelling per physical resource: ``probe:<id>``, ``port:<path or url>``, ..."""
    value = value.strip()
    if not value:
        raise ConfigError(f"empty {kind} name")
    if kind == "probe":
        return "probe:" + value.lower()
    if kind == "port":
        if "://" in value:
            scheme, _, rest = value.partition("://")
            return f"port:{scheme.lower()}://{rest.split('?')[0].lower()}"
        return "port:" + os.path.realpath(value)
    if kind == "volume":
        return "volume:" + value
    return f"{kind}:{value}"


def board_resources(
    probe: str | None = None, port: str | None = None, volume: str | None = None
) -> list[str]:
    out = []
    if probe:
        out.append(canonical_resource("probe", probe))
    if port:
        out.append(canonical_resource("port", port))
    if volume:
        out.append(canonical_resource("volume", volume))
    return out


def check_distinct(boards: Mapping[str, Iterable[str]]) -> None:
    """Fail when two boards of a farm resolve to the same resource."""
    owner: dict[str, str] = {}
    clashes = []
    for board, resources in boards.items():
        for resource in resources:
            if resource in owner and owner[resource] != board:
                clashes.append(f"{owner[resource]!r} and {board!r} both use {resource}")
            owner.setdefault(resource, board)
    if clashes:
        raise ConfigError("boards share a device: " + "; ".join(clashes))


def _file_name(resource: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", resource).strip("_")[:200] + ".lock"


@dataclass
class DeviceLock:
    """Holds flock()s on every resource of one board; acquire within ``timeout`` or fail."""

    resources: list[str]
    owner: str
    lock_dir: Path = field(default_factory=default_lock_dir)
    timeout: float = 30.0
    _handles: list[IO[str]] = field(default_factory=list, repr=False)

    def acquire(self) -> DeviceLock:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        try:
            for resource in sorted(set(self.resources)):  # one order everywhere: no deadlock
                self._handles.append(self._lock_one(resource, deadline))
        except BaseException:
            self.release()
            raise
        return self

    def _lock_one(self, resource: str, deadline: float) -> IO[str]:
        path = self.lock_dir / _file_name(resource)
        handle = open(path, "a+")
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(path)
                    handle.close()
                    raise DeviceBusy(
                        f"{resource} is in use by {holder} (waited {self.timeout:.0f} s)"
                    ) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"owner": self.owner, "pid": os.getpid(), "resource": resource}))
        handle.flush()
        return handle

    def release(self) -> None:
        for handle in self._handles:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            finally:
                handle.close()
        self._handles.clear()

    def __enter__(self) -> DeviceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, json.JSONDecodeError):
        return "another process"
    return f"{info.get('owner', '?')} (pid {info.get('pid', '?')})"
