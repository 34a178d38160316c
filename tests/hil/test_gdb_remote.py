"""The GDB remote protocol client: framing, escapes, run-length encoding, bounded waits."""

from __future__ import annotations

import socket
import time

import pytest
from microforge.device.gdb_remote import (
    GdbRemote,
    GdbRemoteError,
    GdbTimeout,
    decode_body,
    encode_packet,
    parse_stop_reply,
)

from .wire import WirePeer


def test_packets_are_escaped_and_checksummed() -> None:
    assert encode_packet("m0,4") == b"$m0,4#fd"
    packet = encode_packet(b"a#b$c}d*")
    assert packet.startswith(b"$a}\x03b}\x04c}]d}\x0a#")
    body = packet[1 : packet.index(b"#")]
    assert int(packet[-2:], 16) == sum(body) & 0xFF
    assert decode_body(body) == b"a#b$c}d*"


def test_run_length_encoding_is_expanded() -> None:
    # "0* " is "0000": ' ' (32) repeats the '0' 32 - 29 = 3 more times.
    assert decode_body(b"0* 1") == b"00001"


def test_stop_replies() -> None:
    stop = parse_stop_reply("T05thread:p01.01;")
    assert stop is not None and stop.kind == "T" and stop.value == 5 and not stop.exited
    exited = parse_stop_reply("W03")
    assert exited is not None and exited.exited and exited.value == 3
    assert parse_stop_reply("OK") is None and parse_stop_reply("e0ff") is None


def test_a_stub_that_never_answers_times_out() -> None:
    peer = WirePeer(lambda conn: conn.recv(4096) and time.sleep(2))
    gdb = GdbRemote("127.0.0.1", peer.port, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(GdbTimeout, match="did not answer in time"):
        gdb.connect()
    assert time.monotonic() - started < 2
    gdb.close()
    peer.join()


def test_nobody_listening_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(GdbRemoteError, match=f"cannot connect to gdb stub at 127.0.0.1:{port}"):
        GdbRemote("127.0.0.1", port, timeout=1).connect()
