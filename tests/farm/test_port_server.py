"""Sharing a console over RFC 2217: bytes pass unchanged both ways (telnet escapes included),
the end of the console reaches the client, and `microforge farm serve` as a user runs it."""

from __future__ import annotations

import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import serial
from microforge.hil.port_server import PortServer

# pyserial's RFC 2217 client uses thread methods Python deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:set(Daemon|Name)\\(\\) is deprecated")

BOARD_SAYS = b"MF-SYNC abc\n\xff\xfe raw \x00\xff\xff bytes\r\n~~~ALL TESTS PASSED~~~\n"
HOST_SAYS = b"reset\xff\r\n\x00"


class Console:
    """A fake board on a TCP socket: answers HOST_SAYS with BOARD_SAYS (as a board prints after
    the host resets it; an RFC 2217 client purges what arrived before it opened), keeps what
    it receives, and hangs up when told to."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.url = f"socket://127.0.0.1:{self.listener.getsockname()[1]}"
        self.received = bytearray()
        self.hang_up = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.listener.settimeout(30)
        conn, _ = self.listener.accept()
        conn.settimeout(0.05)
        answered = False
        while not self.hang_up.is_set():
            try:
                data = conn.recv(100)
            except TimeoutError:
                continue
            if not data:
                break
            self.received += data
            if not answered and bytes(self.received) == HOST_SAYS:
                conn.sendall(BOARD_SAYS)
                answered = True
        conn.close()
        self.listener.close()


def read_until(port: serial.SerialBase, size: int, timeout: float) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < size and time.monotonic() < deadline:
        data += port.read(size - len(data))
    return data


def test_bytes_pass_unchanged_and_the_end_reaches_the_client() -> None:
    console = Console()
    with PortServer(console.url) as server:
        client = serial.serial_for_url(server.address, timeout=0.2)
        try:
            client.write(HOST_SAYS)
            assert read_until(client, len(BOARD_SAYS), 10) == BOARD_SAYS
            assert bytes(console.received) == HOST_SAYS
            console.hang_up.set()  # the board goes away
            ended = time.monotonic()
            while True:
                try:
                    client.read(1)
                except serial.SerialException:
                    break
                assert time.monotonic() - ended < 10, "the client never saw the end"
        finally:
            client.close()
        assert server.sessions == 1


def test_farm_serve_command() -> None:
    console = Console()
    process = subprocess.Popen(
        [sys.executable, "-m", "microforge.cli", "farm", "serve", console.url,
         "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        ready, _, _ = select.select([process.stderr], [], [], 60)
        assert ready, "the server did not start"
        line = process.stderr.readline()
        assert line.startswith(f"serving {console.url} at rfc2217://127.0.0.1:"), line
        address = line.split(" at ", 1)[1].split()[0]
        client = serial.serial_for_url(address, timeout=0.2)
        try:
            client.write(HOST_SAYS)
            assert read_until(client, len(BOARD_SAYS), 10) == BOARD_SAYS
        finally:
            client.close()
        process.send_signal(signal.SIGINT)
        process.wait(20)
    finally:
        process.kill()
        process.wait(10)
    assert process.returncode == 0
