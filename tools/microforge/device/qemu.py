"""Emulated boards as farm members: one QEMU process per board.

The UART is a loopback TCP socket that QEMU serves and pyserial reads through ``socket://``; the
gdbstub is a second socket. Both are bound and put in listening state here (port 0, so the kernel
picks a free port without a race) and handed to QEMU as file descriptors. QEMU holds the guest
until the console client is connected, so no output is lost.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, EmulatorError

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class EmulatorSpec:
    """The ``[emulator]`` table of a board, plus the board's architecture."""

    program: str
    machine: str
    arch: str = "arm"
    args: tuple[str, ...] = ()
    icount_shift: int | None = None

    @classmethod
    def from_board_data(cls, emulator: Mapping[str, Any], arch: str) -> EmulatorSpec:
        for key in ("program", "machine"):
            if not isinstance(emulator.get(key), str) or not emulator.get(key):
                raise ConfigError(f"[emulator] needs a non-empty string {key!r}")
        args = emulator.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ConfigError("[emulator] args must be a list of strings")
        shift = emulator.get("icount_shift")
        if shift is not None and (not isinstance(shift, int) or not 0 <= shift <= 10):
            raise ConfigError(f"[emulator] icount_shift must be an integer 0..10, got {shift!r}")
        return cls(
            program=emulator["program"],
            machine=emulator["machine"],
            arch=arch,
            args=tuple(args),
            icount_shift=shift,
        )


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    sock.listen(1)
    return sock


@dataclass
class QemuMachine:
    """One QEMU process with its console on ``serial_url`` and its gdbstub on ``gdb_port``.

    The CPU starts stopped (``-S``): an image is programmed through the gdbstub (a flasher), or
    loaded with ``kernel`` and started with ``run()``, in both cases after the console is open.
    (Opening a pyserial port discards what arrived before, so a guest that ran as soon as the
    console connected could lose its first bytes.)
    """

    spec: EmulatorSpec
    workdir: Path
    name: str = "qemu"
    kernel: Path | None = None
    max_runtime: float = 600.0
    #: End QEMU when the thread that started it goes away (a killed runner leaves none behind);
    #: only for code that stops its emulators in the thread that started them.
    die_with_parent: bool = False
    serial_port: int = 0
    gdb_port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _watchdog: threading.Timer | None = field(default=None, repr=False)
    _stderr_path: Path | None = field(default=None, repr=False)

    @property
    def serial_url(self) -> str:
        return f"socket://{LOOPBACK}:{self.serial_port}"

    @property
    def probe_id(self) -> str:
        """The pyOCD unique id of this machine's gdbstub probe."""
        return f"qemu:{LOOPBACK}:{self.gdb_port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self, serial_fd: int, gdb_fd: int) -> list[str]:
        spec = self.spec
        cmd = [
            spec.program, "-M", spec.machine, "-display", "none", "-monitor", "none",
            "-nodefaults",
            "-chardev", f"socket,id=mfcon,fd={serial_fd},server=on,wait=on,nodelay=on",
            "-serial", "chardev:mfcon",
            "-chardev", f"socket,id=mfgdb,fd={gdb_fd},server=on,wait=off,nodelay=on",
            "-gdb", "chardev:mfgdb",
        ]  # fmt: skip
        extra = list(spec.args)
        if spec.arch == "arm" and not any("semihosting" in a for a in extra):
            extra += ["-semihosting-config", "enable=on,target=native"]
        if spec.arch == "riscv" and "-bios" not in extra:
            extra += ["-bios", "none"]
        if spec.icount_shift is not None and "-icount" not in extra:
            extra += ["-icount", f"shift={spec.icount_shift},sleep=off"]
        cmd += extra
        cmd.append("-S")
        if self.kernel is not None:
            cmd += ["-kernel", str(self.kernel)]
        return cmd

    def start(self) -> QemuMachine:
        if self._process is not None:
            raise EmulatorError(f"{self.name}: already started")
        if shutil.which(self.spec.program) is None:
            raise EmulatorError(f"{self.name}: emulator {self.spec.program!r} is not on PATH")
        self.workdir.mkdir(parents=True, exist_ok=True)
        serial_sock, gdb_sock = _listening_socket(), _listening_socket()
        self.serial_port = serial_sock.getsockname()[1]
        self.gdb_port = gdb_sock.getsockname()[1]
        cmd = self.command(serial_sock.fileno(), gdb_sock.fileno())
        if self.die_with_parent and shutil.which("setpriv"):
            cmd = ["setpriv", "--pdeathsig", "KILL", "--", *cmd]  # kept across exec
        self._stderr_path = self.workdir / f"{self.name}.qemu.log"
        try:
            with open(self._stderr_path, "wb") as stderr:
                stderr.write(("$ " + shlex.join(cmd) + "\n").encode())
                stderr.flush()
                self._process = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=stderr,
                    stderr=stderr,
                    pass_fds=(serial_sock.fileno(), gdb_sock.fileno()),
                    start_new_session=True,
                )
        except OSError as err:
            raise EmulatorError(f"{self.name}: cannot start {cmd[0]}: {err}") from err
        finally:
            serial_sock.close()
            gdb_sock.close()
        self._watchdog = threading.Timer(self.max_runtime, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def run(self, timeout: float = 5.0) -> None:
        """Start a CPU that waits at reset (after ``kernel`` loading); the console must be open."""
        from .gdb_remote import GdbRemote, GdbRemoteError

        gdb = GdbRemote(LOOPBACK, self.gdb_port, timeout=timeout)
        try:
            gdb.connect()
            gdb.detach()  # QEMU resumes the guest when its debugger leaves
        except GdbRemoteError as err:
            raise EmulatorError(f"{self.name}: cannot start the guest: {err}") from err
        finally:
            gdb.close()

    def _expire(self) -> None:
        self.stop()

    def poll(self) -> int | None:
        """The exit code if QEMU has ended, else None."""
        return self._process.poll() if self._process else None

    def wait(self, timeout: float) -> int | None:
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def exit_code(self) -> int | None:
        return self.poll()

    def log_text(self) -> str:
        if self._stderr_path is None or not self._stderr_path.exists():
            return ""
        return self._stderr_path.read_text(errors="replace")

    @property
    def log_path(self) -> Path | None:
        return self._stderr_path

    def stop(self, timeout: float = 3.0) -> int | None:
        """End QEMU (and anything it started), bounded by ``timeout``."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        process = self._process
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                return process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue
        return process.poll()

    def __enter__(self) -> QemuMachine:
        return self.start() if self._process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_exit(machine: QemuMachine, timeout: float, poll: float = 0.02) -> int | None:
    """Wait up to ``timeout`` for QEMU to exit on its own; return its code or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = machine.poll()
        if code is not None:
            return code
        time.sleep(poll)
    return machine.poll()


def describe_command(cmd: Sequence[str]) -> str:
    return shlex.join(cmd)
