"""`microforge flash` and `microforge monitor`.

microforge flash --board disco_f746ng --probe 066DFF495351 gen/.../hello_world.bin
microforge flash --board qemu_cortex_m4 gen/.../hello_world      # emulated: shows its console
microforge monitor /dev/ttyACM0 --log run.log --until '~~~ALL TESTS PASSED~~~'
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .errors import DeviceError
from .flashers import FLASHERS, flasher_from_board
from .serial_transport import SerialTransport

#: farm-specific keys a command-line option fills in, per method
PROBE_METHODS = ("pyocd", "msd")
PORT_METHODS = ("svl", "asb", "esptool")


def parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (lambda t: int(t, 0), float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text


def board_data(name: str) -> dict[str, Any]:
    from microforge import ROOT
    from microforge.config.board import load_boards

    boards = load_boards(ROOT)
    if name in boards.broken:
        raise DeviceError(f"board {name!r} is broken: {boards.broken[name]}")
    real = boards.by_alias().get(name, name)
    if real not in boards.boards:
        known = sorted(boards.boards)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DeviceError(f"unknown board {name!r}{hint}; boards: {', '.join(known)}")
    return dict(boards.boards[real].data)


def stream(transport: SerialTransport, deadline: float, until: re.Pattern[bytes] | None) -> bool:
    """Copy console bytes to stdout until the link ends, ``until`` matches, or the deadline."""
    shown = 0
    out = sys.stdout.buffer
    while True:
        data = transport.received(shown)
        if data:
            out.write(data)
            out.flush()
            shown += len(data)
        if until is not None and transport.wait_for(until, 0, 0) is not None:
            return True
        left = deadline - time.monotonic()
        if left <= 0 or (transport.eof and transport.mark() == shown):
            return False
        transport.wait_for_growth(shown, min(left, 0.5))


def run_flash(args: argparse.Namespace) -> int:
    board = board_data(args.board)
    flash = dict(board.get("flash") or {})
    method = args.method or flash.get("method")
    if not method or method == "none":
        raise DeviceError(f"board {args.board!r} has no flash method")
    overrides: dict[str, Any] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise DeviceError(f"--set takes KEY=VALUE, got {item!r}")
        overrides[key] = parse_value(value)
    if board.get("emulator"):
        return _flash_emulated(board, args, overrides)
    if args.probe and method in PROBE_METHODS:
        overrides.setdefault("probe", args.probe)
    if args.port and method in PORT_METHODS:
        overrides.setdefault("port", args.port)
    overrides.setdefault("timeout", args.timeout)
    flasher = flasher_from_board(flash, overrides, method=method)
    report = flasher.flash(args.image)
    print(
        f"flashed {report.image} with {report.method}: {report.bytes_written} bytes in "
        f"{report.seconds:.1f} s, verified: {report.verify_method if report.verified else 'no'}"
    )
    return 0


def _flash_emulated(board: dict[str, Any], args: argparse.Namespace, overrides: dict) -> int:
    from microforge.hil.dut import open_emulated_dut

    workdir = Path(tempfile.mkdtemp(prefix=f"microforge-{board['name']}-"))
    deadline = time.monotonic() + args.timeout
    with open_emulated_dut(board, workdir, flash_overrides=overrides, log_path=args.log) as dut:
        report = dut.flash(args.image)
        sys.stderr.write(
            f"flashed {report.image} through {report.details.get('via')} "
            f"({dut.identity.probe}); console {dut.identity.port}, log {dut.log_path}\n"
        )
        until = re.compile(args.until.encode()) if args.until else None
        stream(dut.transport, deadline, until)
        assert dut.machine is not None
        code = dut.machine.wait(2.0) if dut.transport.eof else None
    if code is None:
        sys.stderr.write("the emulated board was stopped (it did not exit by itself)\n")
        return 124
    return code


def run_monitor(args: argparse.Namespace) -> int:
    log = args.log or Path(tempfile.mkdtemp(prefix="microforge-monitor-")) / "console.log"
    transport = SerialTransport(
        args.port, log_path=log, baudrate=args.baud, dtr=args.dtr, rts=args.rts
    )
    until = re.compile(args.until.encode()) if args.until else None
    with transport:
        sys.stderr.write(f"console {args.port} at {args.baud} baud, log {log}\n")
        try:
            found = stream(transport, time.monotonic() + args.timeout, until)
        except KeyboardInterrupt:
            return 130
    if until is not None and not found:
        sys.stderr.write(f"{args.until!r} not seen within {args.timeout:g} s\n")
        return 1
    return 0


def _line_state(text: str) -> bool:
    return parse_value(text) in (True, 1)


def register(subparsers: argparse._SubParsersAction) -> None:
    flash = subparsers.add_parser(
        "flash",
        help="flash an image to a board (emulated boards: then show the console)",
        description="Programs IMAGE with the board's [flash] method "
        f"({', '.join(sorted(FLASHERS))}), verifies it and starts it.",
    )
    flash.add_argument("image", type=Path, help="ELF, .bin or .hex")
    flash.add_argument("--board", "-b", required=True, help="board name (targets/<board>)")
    flash.add_argument("--method", help="use one of the board's alternative methods instead")
    flash.add_argument("--probe", help="full probe unique id (pyocd, msd)")
    flash.add_argument("--port", help="serial port or pyserial URL (svl, asb, esptool)")
    flash.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a [flash] key, e.g. --set pack=/packs/Keil.STM32F7xx_DFP.pack",
    )  # fmt: skip
    flash.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    flash.add_argument("--log", type=Path, help="console log file (emulated boards)")
    flash.add_argument("--until", help="emulated boards: stop when this regex is seen")
    flash.set_defaults(func=_guarded(run_flash))

    monitor = subparsers.add_parser(
        "monitor",
        help="show a board's console, logging every byte",
        description="Reads PORT (a device path, socket://host:port, rfc2217://host:port, ...).",
    )
    monitor.add_argument("port", help="device path or pyserial URL")
    monitor.add_argument("--baud", type=int, default=115200)
    monitor.add_argument("--log", type=Path, help="log file (default: a new temporary file)")
    monitor.add_argument("--timeout", type=float, default=3600.0, help="seconds (default 3600)")
    monitor.add_argument("--until", help="exit 0 when this regex is seen, else 1 at the timeout")
    monitor.add_argument("--dtr", type=_line_state, help="DTR state while open (0/1)")
    monitor.add_argument("--rts", type=_line_state, help="RTS state while open (0/1)")
    monitor.set_defaults(func=_guarded(run_monitor))


def _guarded(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except DeviceError as err:
            sys.stderr.write(f"error: {err}\n")
            return 2

    return run
