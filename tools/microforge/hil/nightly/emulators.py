"""Records of the emulators a nightly started, so none outlives its runner.

Emulators run in their own sessions (a terminal's Ctrl-C must not kill a board mid-flash), so a
runner that is killed leaves them behind. Each one is recorded by pid and kernel start time while
it runs; the next runner on the same run directory (``--resume``) stops the ones still alive. The
start time makes sure a recycled pid is never killed by mistake.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any


def start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


class EmulatorRecords:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()

    def add(self, pid: int, **about: Any) -> None:
        started = start_time(pid)
        if started is None:
            return
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            record = {"pid": pid, "start_time": started, "runner": os.getpid(), **about}
            path = self.folder / f"{pid}.json"
            path.write_text(json.dumps(record))

    def remove(self, pid: int) -> None:
        with self._lock, contextlib.suppress(FileNotFoundError):
            (self.folder / f"{pid}.json").unlink()

    def live(self) -> list[dict[str, Any]]:
        """Recorded emulators that are still the same running processes."""
        found = []
        if not self.folder.is_dir():
            return found
        for path in sorted(self.folder.glob("*.json")):
            try:
                record = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                path.unlink(missing_ok=True)
                continue
            if start_time(int(record["pid"])) == record.get("start_time"):
                found.append(record)
            else:
                path.unlink(missing_ok=True)
        return found

    def stop(self, pid: int, timeout: float = 3.0) -> bool:
        """Stop one recorded emulator (its whole process group); True if it was running."""
        for record in self.live():
            if record["pid"] == pid:
                _kill(pid, timeout)
                self.remove(pid)
                return True
        return False

    def reap(self, logs: Path | None = None, timeout: float = 3.0) -> list[dict[str, Any]]:
        """Stop every recorded emulator still running, and every process writing its output
        into ``logs`` (an emulator started just before its runner died, not yet recorded);
        returns what was stopped."""
        stopped = self.live()
        for record in stopped:
            _kill(int(record["pid"]), timeout)
            self.remove(int(record["pid"]))
        if logs is not None:
            for pid in writing_into(logs):
                _kill(pid, timeout)
                stopped.append({"pid": pid, "job": "unrecorded"})
        return stopped


def writing_into(folder: Path) -> list[int]:
    """Processes of this user whose standard output is a file inside ``folder``."""
    inside = str(Path(folder).resolve()) + os.sep
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            target = os.readlink(entry / "fd" / "1")
        except OSError:
            continue
        if target.startswith(inside) and not _is_zombie(int(entry.name)):
            found.append(int(entry.name))
    return found


def _kill(pid: int, timeout: float) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if start_time(pid) is None or _is_zombie(pid):
                return
            time.sleep(0.02)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2 :].startswith("Z")
