"""The device side of the SparkFun Variable Loader, on a loopback socket.

It stands in only for the physical serial link and the board's loader (boards.md A.4.1): after
"reset" it waits for the 0x55 baud probe, may emit the UART start-up garbage byte, sends
VERSION, waits for BL, then asks for frames with NEXT, answers RETRY to a bad packet (after a
pause and an input flush) or to a frame that is not a multiple of 4 bytes, writes frames
sequentially, and on DONE resets into the application, whose "execution" here is echoing the
flashed bytes (the test images are protocol text) up to the erased-flash padding.
"""

from __future__ import annotations

import socket
import time

from microforge.device.flashers.svl import (
    CMD_BL,
    CMD_DONE,
    CMD_FRAME,
    CMD_NEXT,
    CMD_RETRY,
    CMD_VERSION,
    FRAME_SIZE,
    crc16,
    encode_packet,
)

from .wire import WirePeer


class SvlDevice:
    def __init__(
        self,
        *,
        version: int = 6,
        garbage: bytes = b"",
        refuse_frames: frozenset[int] = frozenset(),
        refuse_always: bool = False,
        silent: bool = False,
        stall_after: int | None = None,
        packet_wait: float = 2.0,
    ) -> None:
        self.version = version
        self.garbage = garbage
        self.refuse_frames = set(refuse_frames)
        self.refuse_always = refuse_always
        self.silent = silent
        self.stall_after = stall_after
        self.packet_wait = packet_wait
        self.flash = bytearray()
        self.frame_lengths: list[int] = []
        self.retries_sent = 0
        self.done = False
        self.peer = WirePeer(self._run, accept_timeout=20.0)

    @property
    def url(self) -> str:
        return self.peer.url

    def _recv_exact(self, conn: socket.socket, count: int, timeout: float) -> bytes | None:
        conn.settimeout(timeout)
        data = b""
        try:
            while len(data) < count:
                chunk = conn.recv(count - len(data))
                if not chunk:
                    return None
                data += chunk
        except TimeoutError:
            return None
        return data

    def _packet(self, conn: socket.socket) -> tuple[int, bytes] | None:
        """(command, payload), or None for a timeout or a bad packet."""
        head = self._recv_exact(conn, 2, self.packet_wait)
        if head is None:
            return None
        length = int.from_bytes(head, "big")
        if length < 3 or length - 3 > FRAME_SIZE:
            return None
        rest = self._recv_exact(conn, length, self.packet_wait)
        if rest is None or crc16(rest) != 0:
            return None
        return rest[0], rest[1:-2]

    def _flush_input(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        try:
            while conn.recv(4096):
                pass
        except TimeoutError:
            pass

    def _wait_closed(self, conn: socket.socket) -> None:
        conn.settimeout(20)
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass

    def _run(self, conn: socket.socket) -> None:
        try:
            self._loader(conn)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the host gave up and closed the link

    def _loader(self, conn: socket.socket) -> None:
        while True:  # the loader's baud detection: only the probe byte counts
            probe = self._recv_exact(conn, 1, 20)
            if probe is None:
                return
            if probe == b"\x55":
                break
        if self.silent:
            self._wait_closed(conn)
            return
        conn.sendall(self.garbage + encode_packet(CMD_VERSION, bytes((self.version,))))
        first = self._packet(conn)
        if first is None or first[0] != CMD_BL:
            return  # no BL: the loader jumps to the application
        conn.sendall(encode_packet(CMD_NEXT))
        while True:
            packet = self._packet(conn)
            if packet is None or (packet[0] == CMD_FRAME and self._refuse(len(packet[1]))):
                time.sleep(0.02)
                self._flush_input(conn)
                self.retries_sent += 1
                conn.sendall(encode_packet(CMD_RETRY))
                continue
            command, payload = packet
            if command == CMD_DONE:
                self.done = True
                time.sleep(0.01)  # then a software reset into the application
                conn.sendall(bytes(self.flash).split(b"\xff", 1)[0])
                self._wait_closed(conn)
                return
            if command != CMD_FRAME:
                continue
            self.flash += payload
            self.frame_lengths.append(len(payload))
            if self.stall_after is not None and len(self.frame_lengths) >= self.stall_after:
                self._wait_closed(conn)
                return
            conn.sendall(encode_packet(CMD_NEXT))

    def _refuse(self, length: int) -> bool:
        if length % 4:
            return True
        index = len(self.frame_lengths) + 1
        if index in self.refuse_frames:
            if not self.refuse_always:
                self.refuse_frames.discard(index)
            return True
        return False

    def join(self) -> None:
        self.peer.join(30)
