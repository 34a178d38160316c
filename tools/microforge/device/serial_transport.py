"""A board's console: any pyserial URL (``/dev/ttyACM0``, ``socket://``, ``rfc2217://``).

A reader thread takes every byte as it arrives, appends it to the run's log file (flushed at
once, bytes kept exactly as received, undecodable ones included) and to an in-memory buffer the
host can wait on. The transport never interprets what it reads.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import serial

from .errors import TransportError

#: Idle poll interval of the reader (it reads non-blocking: a blocking multi-byte read of a
#: socket:// port drops the bytes it holds when the peer closes).
IDLE_POLL = 0.005


class SerialTransport:
    """One console link, opened before the board is reset and read until closed."""

    def __init__(
        self,
        url: str,
        *,
        log_path: Path,
        baudrate: int = 115200,
        dtr: bool | None = None,
        rts: bool | None = None,
        open_timeout: float = 5.0,
        exclusive: bool = True,
    ) -> None:
        self.url = url
        self.log_path = Path(log_path)
        self.baudrate = baudrate
        self.dtr = dtr
        self.rts = rts
        self.open_timeout = open_timeout
        self.exclusive = exclusive
        self._port: Any = None
        self._log: IO[bytes] | None = None
        self._buffer = bytearray()
        self._changed = threading.Condition()
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()
        self._eof = False
        self._error: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self) -> SerialTransport:
        if self._port is not None:
            return self  # already open: keep the link (and the board) as they are
        if self._log is None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            # One log per run: byte offsets in results are offsets in this file.
            self._log = open(self.log_path, "wb", buffering=0)
        self._port = self._open_port()
        self._start_reader()
        return self

    def _open_port(self) -> Any:
        deadline = time.monotonic() + self.open_timeout
        last_error: Exception | None = None
        while True:
            try:
                # pyserial's RFC 2217 client refuses a write timeout.
                write_timeout = None if self.url.lower().startswith("rfc2217:") else 2.0
                port = serial.serial_for_url(
                    self.url,
                    baudrate=self.baudrate,
                    timeout=0,
                    write_timeout=write_timeout,
                    do_not_open=True,
                )
                # Set the control lines before opening so the open itself does not pulse them.
                if self.dtr is not None:
                    port.dtr = self.dtr
                if self.rts is not None:
                    port.rts = self.rts
                if self.exclusive and hasattr(port, "exclusive"):
                    with contextlib.suppress(ValueError, AttributeError):
                        port.exclusive = True
                port.open()
                return port
            except (serial.SerialException, ValueError, OSError) as err:
                last_error = err
            if time.monotonic() >= deadline:
                raise TransportError(f"cannot open console {self.url}: {last_error}")
            time.sleep(0.1)

    def _start_reader(self) -> None:
        self._stop.clear()
        with self._changed:
            self._eof = False
            self._error = None
        self._reader = threading.Thread(
            target=self._read_loop, name=f"console {self.url}", daemon=True
        )
        self._reader.start()

    def _stop_reader(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._reader is not None:
            self._reader.join(timeout)
            if self._reader.is_alive():
                raise TransportError(f"console reader for {self.url} did not stop")
        self._reader = None

    def close(self) -> None:
        """Stop reading and release the port (bounded)."""
        try:
            self._stop_reader()
        finally:
            if self._port is not None:
                with contextlib.suppress(Exception):
                    self._port.close()
                self._port = None
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self) -> SerialTransport:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._port is not None

    # -- reading -----------------------------------------------------------------------------
    def _read_loop(self) -> None:
        port = self._port
        while not self._stop.is_set():
            try:
                data = port.read(65536)
            except (serial.SerialException, OSError) as err:
                self._finish(str(err))
                return
            if data:
                self._append(data)
            else:
                self._stop.wait(IDLE_POLL)

    def _append(self, data: bytes) -> None:
        if self._log is not None:
            self._log.write(data)
            self._log.flush()
        with self._changed:
            self._buffer += data
            self._changed.notify_all()

    def _finish(self, error: str) -> None:
        with self._changed:
            self._eof = True
            self._error = error
            self._changed.notify_all()

    @property
    def eof(self) -> bool:
        """The far end closed the link (e.g. the emulator exited) or the port failed."""
        with self._changed:
            return self._eof

    @property
    def error(self) -> str | None:
        with self._changed:
            return self._error

    def mark(self) -> int:
        """The current end of the received bytes; later waits can start from here."""
        with self._changed:
            return len(self._buffer)

    def received(self, start: int = 0, end: int | None = None) -> bytes:
        with self._changed:
            return bytes(self._buffer[start:end])

    def tail(self, count: int = 256) -> bytes:
        with self._changed:
            return bytes(self._buffer[-count:])

    def wait_for(
        self, pattern: re.Pattern[bytes] | bytes, start: int, timeout: float
    ) -> re.Match[bytes] | None:
        """First match of ``pattern`` at or after byte ``start``, waiting up to ``timeout``.

        Returns None on timeout or when the link ended without a match.
        """
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                match = regex.search(self._buffer, start)
                if match is not None:
                    return match
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    return None
                self._changed.wait(left)

    def wait_for_growth(self, size: int, timeout: float) -> bool:
        """Wait until more than ``size`` bytes arrived; False on timeout or end of link."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._buffer) <= size:
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    return False
                self._changed.wait(left)
            return True

    def wait_for_eof(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    # -- writing and control lines ------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if self._port is None:
            raise TransportError(f"console {self.url} is not open")
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as err:
            raise TransportError(f"write to {self.url} failed: {err}") from err

    def set_line(self, line: str, state: bool) -> None:
        """Drive a control line (``dtr`` or ``rts``) and keep it so."""
        if line not in ("dtr", "rts"):
            raise TransportError(f"unknown control line {line!r} (dtr or rts)")
        setattr(self, line, state)
        if self._port is not None:
            try:
                setattr(self._port, line, state)
            except (serial.SerialException, OSError, ValueError) as err:
                raise TransportError(f"cannot drive {line} on {self.url}: {err}") from err

    def pulse(self, line: str, active: float = 0.1, settle: float = 0.0) -> None:
        """Assert then release a control line (``dtr`` or ``rts``), e.g. to reset a board."""
        if line not in ("dtr", "rts"):
            raise TransportError(f"unknown control line {line!r} (dtr or rts)")
        if self._port is None:
            raise TransportError(f"console {self.url} is not open")
        try:
            setattr(self._port, line, True)
            time.sleep(active)
            setattr(self._port, line, False)
        except (serial.SerialException, OSError, ValueError) as err:
            raise TransportError(f"cannot drive {line} on {self.url}: {err}") from err
        if settle:
            time.sleep(settle)

    # -- sharing the port with a flasher -----------------------------------------------------
    @contextlib.contextmanager
    def borrowed(self) -> Iterator[Any]:
        """Hand the open port to a flasher that speaks its own protocol on the console line.

        The reader pauses while borrowed (the flasher's bytes are not console output) and resumes
        on the same open port afterwards, so the first lines after the flasher's reset are kept.
        """
        if self._port is None:
            raise TransportError(f"console {self.url} is not open")
        self._stop_reader()
        port = self._port
        try:
            yield port
        finally:
            if port.is_open:
                with contextlib.suppress(Exception):
                    port.timeout = 0
                    if port.baudrate != self.baudrate:
                        port.baudrate = self.baudrate
                self._start_reader()

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """Close the port for a tool that opens it itself (e.g. esptool), then reopen it."""
        self._stop_reader()
        if self._port is not None:
            with contextlib.suppress(Exception):
                self._port.close()
            self._port = None
        try:
            yield
        finally:
            self._port = self._open_port()
            self._start_reader()
