"""Sharing a board's console over the network with RFC 2217 (telnet COM port control).

``microforge farm serve /dev/ttyACM0 --listen 0.0.0.0:4001`` on the host the board is plugged
into; the farm file of another host then names ``port = "rfc2217://thathost:4001"``.

The console (any pyserial URL, an emulator's ``socket://`` console included) is opened when a
client connects and closed when it leaves, so a board's first output after the client's reset
goes to that client. One client at a time; a second one waits in the listen queue. When the
console ends (the board's USB link, or the emulator, went away) the bytes already read are
delivered and the client's connection is closed a moment later, so the client sees the end.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import serial
from serial import rfc2217

#: Seconds the client connection stays open after the console ended (its last bytes drain).
LINGER = 1.0
POLL = 0.01


class PortServer:
    def __init__(self, url: str, host: str = "127.0.0.1", port: int = 0,
                 baudrate: int = 115200) -> None:  # fmt: skip
        self.url = url
        self.host = host
        self.port = port
        self.baudrate = baudrate
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.sessions = 0
        self.last_error = ""

    @property
    def address(self) -> str:
        return f"rfc2217://{self.host}:{self.port}"

    def start(self) -> PortServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(1)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._serve, name=f"rfc2217 {self.url}",
                                        daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> PortServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until interrupted (for the command line)."""
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    # -- sessions -------------------------------------------------------------------------------
    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.closing(client):
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sessions += 1
                try:
                    self._session(client)
                except (OSError, serial.SerialException) as err:
                    self.last_error = str(err)

    def _session(self, client: socket.socket) -> None:
        console = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0,
                                        do_not_open=True)  # fmt: skip
        console.open()
        sender = _Sender(client)
        manager = rfc2217.PortManager(console, sender)
        ended = threading.Event()

        def network_to_console() -> None:
            client.settimeout(0.2)
            while not ended.is_set() and not self._stop.is_set():
                try:
                    data = client.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                payload = b"".join(manager.filter(data))
                if payload:
                    try:
                        console.write(payload)
                    except (serial.SerialException, OSError):
                        break
            ended.set()

        upstream = threading.Thread(target=network_to_console, daemon=True)
        upstream.start()
        console_ended = False
        try:
            last_lines = 0.0
            while not ended.is_set() and not self._stop.is_set():
                try:
                    data = console.read(4096)
                except (serial.SerialException, OSError):
                    console_ended = True
                    break
                if data:
                    sender.write(b"".join(manager.escape(data)))
                else:
                    now = time.monotonic()
                    if now - last_lines > 0.5:
                        last_lines = now
                        with contextlib.suppress(serial.SerialException, OSError, ValueError):
                            manager.check_modem_lines()
                    time.sleep(POLL)
            if console_ended:
                time.sleep(LINGER)  # the client drains the last bytes before the link ends
        finally:
            ended.set()
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            upstream.join(2.0)
            with contextlib.suppress(Exception):
                console.close()


class _Sender:
    """The connection object PortManager writes telnet replies to (thread safe)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        if not data:
            return
        with self._lock:
            try:
                self._sock.sendall(data)
            except OSError:
                pass
