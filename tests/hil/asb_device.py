"""The device side of the Ambiq secure bootloader's wired update, on a loopback socket.

It stands in only for the serial link and the loader (boards.md A.4.2): it checks each
message's CRC-32, answers HELLO with STATUS and everything else with an ACK, collects DATA by
sequence (byte offset), checks the image CRC-32 from UPDATE, and on RESET unpacks the wired and
OTA headers, checks the OTA blob's own CRC and addresses, "installs" the application and boots
it - echoing the application bytes, which in these tests are protocol text.
"""

from __future__ import annotations

import socket
import struct
import zlib

from .wire import WirePeer

HELLO, STATUS, OTADESC, UPDATE, RESET, ACK, DATA = 0, 1, 2, 3, 6, 7, 8


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


class AsbDevice:
    def __init__(self, *, nack_data_status: int = 0) -> None:
        self.nack_data_status = nack_data_status
        self.messages: list[int] = []
        self.image = bytearray()
        self.expected_length = 0
        self.expected_crc = 0
        self.installed: bytes | None = None
        self.install_error = ""
        self.peer = WirePeer(self._run, accept_timeout=20.0)

    @property
    def url(self) -> str:
        return self.peer.url

    @staticmethod
    def _recv(conn: socket.socket, count: int) -> bytes | None:
        data = b""
        while len(data) < count:
            chunk = conn.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    @staticmethod
    def _reply(conn: socket.socket, body: bytes) -> None:
        conn.sendall(struct.pack("<I", crc32(body)) + body)

    def _ack(self, conn: socket.socket, acked: int, status: int = 0, seq: int = 0) -> None:
        self._reply(conn, struct.pack("<4I", (20 << 16) | ACK, acked, status, seq))

    def _run(self, conn: socket.socket) -> None:
        conn.settimeout(20)
        while True:
            head = self._recv(conn, 8)
            if head is None:
                return
            crc, word = struct.unpack("<II", head)
            rest = self._recv(conn, (word >> 16) - 8)
            if rest is None:
                return
            body = head[4:] + rest
            kind = word & 0xFFFF
            self.messages.append(kind)
            if crc32(body) != crc:
                self._ack(conn, kind, status=3)
                continue
            if kind == HELLO:
                status = struct.pack("<6I", (88 << 16) | STATUS, 3, 0x40000, 0, 1, 0)
                self._reply(conn, status + bytes(88 - 4 - len(status)))
            elif kind == OTADESC:
                self._ack(conn, kind)
            elif kind == UPDATE:
                self.expected_length, self.expected_crc, _ = struct.unpack_from("<3I", body, 4)
                self.image.clear()
                self._ack(conn, kind)
            elif kind == DATA:
                (seq,) = struct.unpack_from("<I", body, 4)
                if self.nack_data_status:
                    self._ack(conn, kind, status=self.nack_data_status, seq=seq)
                elif seq != len(self.image):
                    self._ack(conn, kind, status=10, seq=seq)  # sequence error
                else:
                    self.image += body[8:]
                    done = len(self.image) >= self.expected_length
                    bad = done and crc32(bytes(self.image)) != self.expected_crc
                    self._ack(conn, kind, status=3 if bad else 0, seq=seq)
            elif kind == RESET:
                self._install()
                self._ack(conn, kind)
                if self.installed is not None:
                    conn.sendall(self.installed.split(b"\x00", 1)[0])
                conn.settimeout(20)
                try:
                    while conn.recv(4096):
                        pass
                except OSError:
                    pass
                return

    def _install(self) -> None:
        wired = bytes(self.image)
        image_type, options = wired[80], wired[81]
        key, staging, size = struct.unpack_from("<III", wired, 84)
        blob = wired[96:]
        w0, blob_crc, security = struct.unpack_from("<III", blob, 0)
        load_address, _, child0, child1 = struct.unpack_from("<4I", blob, 112)
        problems = []
        if (image_type, options, key, staging) != (6, 1, 0x12344321, 0x20000):
            problems.append(f"wired header {image_type} {options} {key:#x} {staging:#x}")
        if size != len(blob) or (w0 & 0xFFFFFF) != len(blob) or w0 >> 24 != 0xCB:
            problems.append(f"blob sizes {size} {w0:#x} {len(blob)}")
        if crc32(blob[8:]) != blob_crc or security != 0x10008080:
            problems.append("OTA header CRC or security word")
        if load_address != 0xC000 or (child0, child1) != (0xFFFFFFFF, 0xFFFFFFFF):
            problems.append(f"load address {load_address:#x}")
        if problems:
            self.install_error = "; ".join(problems)
            return
        self.installed = blob[128:]

    def join(self) -> None:
        self.peer.join(30)
