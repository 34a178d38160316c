"""The console transport: every byte kept and logged as it arrives, bounded waits."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest
from microforge.device.errors import TransportError
from microforge.device.serial_transport import SerialTransport
from microforge.hil.dut import Dut
from microforge.hil.result import BoardIdentity, Outcome

from .wire import WirePeer


def test_output_right_after_open_is_kept(tmp_path: Path) -> None:
    # Opening a port discards what arrived before it was open (pyserial flushes on open), so
    # the console is opened before the board is reset; from then on nothing may be lost.
    def script(conn: socket.socket) -> None:
        conn.sendall(b"FIRST LINE\nsecond\n")  # the board talks the instant it is reset

    peer = WirePeer(script, talks_first=True)
    with SerialTransport(peer.url, log_path=tmp_path / "c.log") as console:
        peer.opened.set()
        assert console.wait_for(re.compile(rb"second\n"), 0, timeout=5) is not None
        assert console.received().startswith(b"FIRST LINE\n")
    peer.join()
    assert (tmp_path / "c.log").read_bytes().startswith(b"FIRST LINE\n")


def test_every_byte_value_is_kept_in_order(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 64 + b"\xff\xfe\x00tail"
    peer = WirePeer(lambda conn: conn.sendall(payload), talks_first=True)
    with SerialTransport(peer.url, log_path=tmp_path / "c.log") as console:
        peer.opened.set()
        assert console.wait_for(re.compile(rb"tail"), 0, timeout=5) is not None
        assert console.received() == payload
    peer.join()
    assert (tmp_path / "c.log").read_bytes() == payload


def test_bytes_before_the_far_end_closes_are_kept(tmp_path: Path) -> None:
    # An emulator writes its last lines and exits at once; nothing may be dropped.
    last = b"".join(b"line %d\n" % i for i in range(500)) + b"~~~ALL TESTS PASSED~~~\n"
    peer = WirePeer(lambda conn: conn.sendall(last), talks_first=True)
    with SerialTransport(peer.url, log_path=tmp_path / "c.log") as console:
        peer.opened.set()
        assert console.wait_for_eof(5)
        assert console.eof and console.error
        assert console.received() == last
    peer.join()


def test_log_is_written_while_the_run_goes_on(tmp_path: Path) -> None:
    release = threading.Event()

    def script(conn: socket.socket) -> None:
        conn.sendall(b"part one\n")
        assert release.wait(5)
        conn.sendall(b"part two\n")

    peer = WirePeer(script, talks_first=True)
    log = tmp_path / "c.log"
    with SerialTransport(peer.url, log_path=log) as console:
        peer.opened.set()
        assert console.wait_for(re.compile(rb"one\n"), 0, 5)
        assert log.read_bytes() == b"part one\n"  # on disk before the run ends
        release.set()
        assert console.wait_for(re.compile(rb"two\n"), 0, 5)
    peer.join()
    assert log.read_bytes() == b"part one\npart two\n"


def test_waits_are_bounded(tmp_path: Path) -> None:
    hold = threading.Event()
    peer = WirePeer(lambda conn: hold.wait(5), talks_first=True)
    with SerialTransport(peer.url, log_path=tmp_path / "c.log") as console:
        peer.opened.set()
        started = time.monotonic()
        assert console.wait_for(re.compile(rb"never"), 0, timeout=0.3) is None
        assert not console.wait_for_growth(0, 0.2)
        assert time.monotonic() - started < 2.0
        hold.set()
    peer.join()


def test_marks_separate_old_output_from_new(tmp_path: Path) -> None:
    go = threading.Event()

    def script(conn: socket.socket) -> None:
        conn.sendall(b"MF-SYNC old\n")
        assert go.wait(5)
        conn.sendall(b"MF-SYNC new\n")

    peer = WirePeer(script, talks_first=True)
    with SerialTransport(peer.url, log_path=tmp_path / "c.log") as console:
        peer.opened.set()
        assert console.wait_for(re.compile(rb"old\n"), 0, 5)
        mark = console.mark()
        go.set()
        match = console.wait_for(re.compile(rb"MF-SYNC (\S+)"), mark, 5)
        assert match is not None and match.group(1) == b"new"
    peer.join()


def test_a_borrowed_port_hands_protocol_bytes_to_the_borrower(tmp_path: Path) -> None:
    step = threading.Event()

    def script(conn: socket.socket) -> None:
        conn.sendall(b"console before\n")
        assert step.wait(5)
        assert conn.recv(5) == b"hello"
        conn.sendall(b"LOADER")
        assert conn.recv(4) == b"done"
        conn.sendall(b"app line\n")

    peer = WirePeer(script, talks_first=True)
    with SerialTransport(peer.url, log_path=tmp_path / "c.log") as console:
        peer.opened.set()
        assert console.wait_for(re.compile(rb"before\n"), 0, 5)
        with console.borrowed() as port:
            step.set()
            port.write(b"hello")
            port.timeout = 2
            assert port.read(6) == b"LOADER"
            port.write(b"done")
        assert console.wait_for(re.compile(rb"app line\n"), 0, 5)
        assert b"LOADER" not in console.received()
    peer.join()


def test_opening_an_absent_port_fails_clearly_and_in_time(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens there
    started = time.monotonic()
    console = SerialTransport(
        f"socket://127.0.0.1:{port}", log_path=tmp_path / "c.log", open_timeout=0.5
    )
    with pytest.raises(TransportError, match="cannot open console"):
        console.open()
    assert time.monotonic() - started < 3
    console.close()
    missing = SerialTransport("/dev/ttyMF-absent", log_path=tmp_path / "d.log", open_timeout=0.2)
    with pytest.raises(TransportError, match="ttyMF-absent"):
        missing.open()
    missing.close()


def test_loop_url_reads_back_what_it_writes(tmp_path: Path) -> None:
    with SerialTransport("loop://", log_path=tmp_path / "c.log") as console:
        console.write(b"echo \xff\n")
        assert console.wait_for(re.compile(rb"echo \xff\n"), 0, 5) is not None


def test_a_real_board_run_ends_at_its_exit_line(tmp_path: Path) -> None:
    done = threading.Event()

    def board(conn: socket.socket) -> None:
        conn.sendall(b"MF-SYNC img7\nMF-CASE a PASS\nMF-SUMMARY passed=1 failed=0\n"
                     b"~~~ALL TESTS PASSED~~~\nMF-EXIT code=0\n")  # fmt: skip
        done.wait(10)  # a real board idles with the link open

    peer = WirePeer(board, talks_first=True)
    identity = BoardIdentity("disco_f746ng", "disco-2", "066DFF", peer.url)
    with Dut(identity, SerialTransport(peer.url, log_path=tmp_path / "c.log")) as dut:
        peer.opened.set()
        started = time.monotonic()
        result = dut.results(timeout=20)
        assert time.monotonic() - started < 5  # ends at MF-EXIT, not at the time limit
    done.set()
    peer.join()
    assert result.outcome is Outcome.PASS and result.exit_code == 0, result.describe()
