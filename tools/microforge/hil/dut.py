"""The device under test: one board with its flasher, its console and its lock.

```python
with open_emulated_dut(board_data, workdir, name="m4-0") as dut:
    dut.flash(elf, image_id="3f2a9c01")
    dut.expect_exact("MF-SYNC 3f2a9c01", timeout=5)
    result = dut.results(timeout=60)
```

The console is opened before the flasher resets the board, so the first line is never lost. The
host only trusts output after the ``MF-SYNC <image-id>`` line of the image it just flashed, so
output of a previous image or a previous run cannot satisfy a new test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..device.errors import ConfigError, DeviceError, FlashError, TransportError
from ..device.flashers import Flasher, FlashReport, flasher_from_board
from ..device.lock import DeviceLock, board_resources, default_lock_dir
from ..device.qemu import EmulatorSpec, QemuMachine
from ..device.serial_transport import SerialTransport
from .protocol import ProtocolParser, Sync, Transcript, decode
from .result import (
    BoardIdentity,
    Outcome,
    RunResult,
    classify,
    classify_program,
    decode_fault_line,
    transcript_rows,
)

#: After a summary or verdict, how long to wait for the closing lines or the end of the link.
VERDICT_GRACE = 1.0


class DutTimeout(AssertionError):
    """An expected pattern did not arrive in time (message: last bytes seen and the log path)."""


class Dut:
    def __init__(
        self,
        identity: BoardIdentity,
        transport: SerialTransport,
        flasher: Flasher | None = None,
        *,
        elf: Path | None = None,
        machine: QemuMachine | None = None,
        lock: DeviceLock | None = None,
    ) -> None:
        self.identity = identity
        self.transport = transport
        self.flasher = flasher
        self.elf = elf
        self.machine = machine
        self.lock = lock
        self._reset_mark = 0
        self._cursor = 0
        self._image: Path | None = None
        self._image_id: str | None = None
        self._flash_report: FlashReport | None = None
        self._flash_error: FlashError | None = None
        self._console_error: TransportError | None = None
        self._started = time.monotonic()
        self._open = False

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self) -> Dut:
        """Lock the board's devices and open its console (once; opening again is a no-op)."""
        if self._open:
            return self
        if self.lock is not None:
            self.lock.acquire()
        try:
            self.transport.open()
        except DeviceError:
            self.close()
            raise
        self._open = True
        self._reset_mark = self._cursor = self.transport.mark()
        return self

    def close(self) -> None:
        self._open = False
        try:
            self.transport.close()
        finally:
            try:
                if self.machine is not None:
                    self.machine.stop()
            finally:
                if self.lock is not None:
                    self.lock.release()

    def __enter__(self) -> Dut:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def log_path(self) -> Path:
        return self.transport.log_path

    # -- flashing ----------------------------------------------------------------------------
    def flash(self, image: Path | str, *, image_id: str | None = None) -> FlashReport:
        """Program ``image`` and start it; output from here on belongs to this image."""
        if self.flasher is None:
            raise ConfigError(f"{self.identity.board}: no flasher configured")
        image = Path(image)
        self._image, self._image_id = image, image_id
        self._flash_report, self._flash_error = None, None
        self._console_error = None
        self._started = time.monotonic()
        self._reset_mark = self._cursor = self.transport.mark()
        if self.elf is None and image.suffix.lower() in (".elf", ".axf", ""):
            self.elf = image
        try:
            self._flash_report = self.flasher.flash(image, console=self.transport)
        except FlashError as err:
            self._flash_error = err
            raise
        except TransportError as err:
            self._console_error = err
            raise
        return self._flash_report

    # -- expectations ------------------------------------------------------------------------
    def expect(self, pattern: str | bytes, timeout: float) -> re.Match[bytes]:
        """Wait for ``pattern`` (a regex) after the previous match; raise DutTimeout."""
        raw = pattern.encode() if isinstance(pattern, str) else pattern
        match = self.transport.wait_for(re.compile(raw), self._cursor, timeout)
        if match is None:
            raise DutTimeout(self._timeout_message(f"pattern {raw!r}", timeout))
        self._cursor = match.end()
        return match

    def expect_exact(self, text: str | bytes, timeout: float) -> re.Match[bytes]:
        raw = text.encode() if isinstance(text, str) else text
        match = self.transport.wait_for(re.compile(re.escape(raw)), self._cursor, timeout)
        if match is None:
            raise DutTimeout(self._timeout_message(f"text {raw!r}", timeout))
        self._cursor = match.end()
        return match

    def _timeout_message(self, what: str, timeout: float) -> str:
        seen = self.transport.received(self._cursor)
        ended = " (the console link ended)" if self.transport.eof else ""
        return (
            f"{self.identity.name or self.identity.board}: {what} not seen within "
            f"{timeout:g} s{ended}; {len(seen)} bytes since the last match, last bytes: "
            f"{decode(seen[-160:])!r}; log: {self.log_path}"
        )

    # -- the run's result --------------------------------------------------------------------
    def results(
        self, timeout: float, *, sync_timeout: float | None = None, require_sync: bool = True
    ) -> RunResult:
        """Follow the run to its end (or ``timeout``) and classify it.

        ``require_sync=False`` is for programs that do not print ``MF-SYNC`` (an example's
        application, a benchmark): everything after the reset counts, and the run is judged by
        how it ends (exit code, ``MF-EXIT``, fault) rather than by a summary.
        """
        if not require_sync:
            return self._program_results(timeout)
        if self._flash_error is not None:
            return self._result(
                Outcome.FLASH_ERROR, str(self._flash_error), Transcript(), exit_code=None
            )
        if self._console_error is not None:
            message = f"the console failed while flashing: {self._console_error}"
            return self._result(Outcome.NO_OUTPUT, message, Transcript(), exit_code=None)
        now = time.monotonic()
        deadline = now + timeout
        sync_deadline = now + (timeout if sync_timeout is None else min(sync_timeout, timeout))
        transcript = Transcript()
        parser = ProtocolParser(self._reset_mark)
        consumed = self._reset_mark
        grace_until: float | None = None
        while True:
            chunk = self.transport.received(consumed)
            consumed += len(chunk)
            link_closed = self.transport.eof
            events = parser.feed(chunk)
            if link_closed and self.transport.mark() == consumed:
                events += parser.flush()
            for event in events:
                if transcript.sync is None:
                    if isinstance(event, Sync) and self._image_id in (None, event.image_id):
                        transcript.add(event)
                else:
                    transcript.add(event)
            now = time.monotonic()
            if transcript.sync is None and now >= sync_deadline:
                break
            if transcript.ended:
                break
            if transcript.summary is not None or transcript.verdict is not None:
                # The closing lines (verdict, MF-EXIT) or the emulator's exit follow at once.
                grace_until = grace_until or now + VERDICT_GRACE
                if now >= grace_until:
                    break
            if link_closed and self.transport.mark() == consumed:
                break
            if now >= deadline:
                break
            limit = min(deadline, grace_until or deadline)
            if transcript.sync is None:
                limit = min(limit, sync_deadline)
            self.transport.wait_for_growth(consumed, max(0.0, min(limit - now, 0.5)))
        if self.machine is not None and transcript.ended and not self.transport.eof:
            # A fault or exit line: the emulator exits right after; keep its exit code.
            self.transport.wait_for_eof(VERDICT_GRACE)
        exit_code = self._exit_code(self.transport.eof)
        if exit_code is None and transcript.exit is not None:
            exit_code = transcript.exit.code
        outcome, message = classify(
            transcript,
            finished=transcript.finished,
            link_closed=self.transport.eof,
            exit_code=exit_code,
            bytes_after_reset=consumed - self._reset_mark,
        )
        return self._result(outcome, message, transcript, exit_code=exit_code)

    def _program_results(self, timeout: float) -> RunResult:
        if self._flash_error is not None:
            return self._result(
                Outcome.FLASH_ERROR, str(self._flash_error), Transcript(), exit_code=None
            )
        if self._console_error is not None:
            message = f"the console failed while flashing: {self._console_error}"
            return self._result(Outcome.NO_OUTPUT, message, Transcript(), exit_code=None)
        deadline = time.monotonic() + timeout
        transcript = Transcript()
        parser = ProtocolParser(self._reset_mark)
        consumed = self._reset_mark
        while True:
            chunk = self.transport.received(consumed)
            consumed += len(chunk)
            link_closed = self.transport.eof
            events = parser.feed(chunk)
            if link_closed and self.transport.mark() == consumed:
                events += parser.flush()
            for event in events:
                transcript.add(event)
            now = time.monotonic()
            if transcript.ended or now >= deadline:
                break
            if link_closed and self.transport.mark() == consumed:
                break
            self.transport.wait_for_growth(consumed, max(0.0, min(deadline - now, 0.5)))
        if self.machine is not None and transcript.ended and not self.transport.eof:
            # A fault or exit line: the emulator exits right after; keep its exit code.
            self.transport.wait_for_eof(VERDICT_GRACE)
        exit_code = self._exit_code(self.transport.eof)
        if exit_code is None and transcript.exit is not None:
            exit_code = transcript.exit.code
        outcome, message = classify_program(
            transcript,
            link_closed=self.transport.eof,
            exit_code=exit_code,
            bytes_after_reset=consumed - self._reset_mark,
        )
        return self._result(outcome, message, transcript, exit_code=exit_code)

    def _exit_code(self, link_closed: bool) -> int | None:
        if self.machine is None:
            return None
        if link_closed:
            return self.machine.wait(2.0)
        return self.machine.poll()

    def _result(
        self, outcome: Outcome, message: str, transcript: Transcript, exit_code: int | None
    ) -> RunResult:
        cases, benches = transcript_rows(transcript)
        fault = None
        if transcript.fault is not None:
            fault = decode_fault_line(transcript.fault.line, self.elf)
        summary = None
        if transcript.summary is not None:
            summary = {"passed": transcript.summary.passed, "failed": transcript.summary.failed}
        return RunResult(
            outcome=outcome,
            identity=self.identity,
            log_path=str(self.log_path),
            message=message,
            image=str(self._image or ""),
            image_id=self._image_id or (transcript.sync.image_id if transcript.sync else ""),
            cases=cases,
            benches=benches,
            summary=summary,
            fault=fault,
            exit_code=exit_code,
            seconds=round(time.monotonic() - self._started, 3),
            flash=self._flash_report.to_json() if self._flash_report else None,
            last_output=decode(self.transport.tail(200)),
            sync_offset=transcript.sync.offset if transcript.sync else None,
        )


def open_emulated_dut(
    board: Mapping[str, Any],
    workdir: Path,
    *,
    name: str = "",
    lock_dir: Path | None = None,
    flash_overrides: Mapping[str, Any] | None = None,
    max_runtime: float = 600.0,
    log_path: Path | None = None,
    die_with_parent: bool = False,
) -> Dut:
    """Start an emulated board (halted, console on a loopback socket) and open its DUT.

    ``board`` is the board's data (board.toml as a dict): ``name``, ``arch``, ``[emulator]``,
    ``[flash]`` (method ``qemu``) and ``[serial]``.
    """
    board_name = str(board.get("name") or "board")
    unit = name or board_name
    emulator = board.get("emulator")
    if not isinstance(emulator, Mapping) or not emulator:
        raise ConfigError(f"{board_name}: not an emulated board (no [emulator] table)")
    spec = EmulatorSpec.from_board_data(emulator, str(board.get("arch", "arm")))
    flash_table = dict(board.get("flash") or {"method": "qemu"})
    machine = QemuMachine(spec, workdir, name=unit, max_runtime=max_runtime,
                          die_with_parent=die_with_parent).start()
    try:
        running = {"probe": machine.probe_id}
        if flash_table.get("method", "qemu") == "qemu":
            running.update(arch=spec.arch, machine=spec.machine)
        flasher = flasher_from_board(flash_table, {**running, **(flash_overrides or {})})
        serial_data = board.get("serial") or {}
        transport = SerialTransport(
            machine.serial_url,
            log_path=log_path or workdir / f"{unit}.console.log",
            baudrate=int(serial_data.get("baud", 115200)),
        )
        identity = BoardIdentity(board_name, unit, machine.probe_id, machine.serial_url)
        lock = None
        if lock_dir is not None:
            lock = DeviceLock(board_resources(machine.probe_id, machine.serial_url), unit, lock_dir)
        dut = Dut(identity, transport, flasher, machine=machine, lock=lock)
        return dut.open()
    except BaseException:
        machine.stop()
        raise


def open_dut(
    board: Mapping[str, Any],
    workdir: Path,
    *,
    port: str,
    probe: str | None = None,
    name: str = "",
    method: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    lock_dir: Path | None = None,
    lock_timeout: float = 60.0,
    log_path: Path | None = None,
) -> Dut:
    """Open a real board: its console on ``port`` (device path or pyserial URL), its flasher
    from the board's ``[flash]`` table (or ``method``, an alternative) completed with the farm's
    probe id or port, and locks on every device it resolves to."""
    board_name = str(board.get("name") or "board")
    unit = name or board_name
    flash_table = dict(board.get("flash") or {})
    chosen = method or str(flash_table.get("method", ""))
    extra: dict[str, Any] = {}
    if probe is not None and chosen in ("pyocd", "msd"):
        extra["probe"] = probe
    if chosen in ("svl", "asb", "esptool"):
        extra["port"] = port
    flasher = flasher_from_board(flash_table, {**extra, **(overrides or {})}, method=chosen)
    serial_data = board.get("serial") or {}
    transport = SerialTransport(
        port,
        log_path=log_path or workdir / f"{unit}.console.log",
        baudrate=int(serial_data.get("baud", 115200)),
        dtr=serial_data.get("dtr"),
        rts=serial_data.get("rts"),
    )
    identity = BoardIdentity(board_name, unit, probe or "", port)
    volume = flasher.config.get("volume_path") or (
        flasher.config.get("volume") if chosen == "msd" else None
    )
    lock = DeviceLock(board_resources(probe, port, volume), unit, lock_dir or default_lock_dir(),
                      timeout=lock_timeout)  # fmt: skip
    return Dut(identity, transport, flasher, lock=lock).open()
