"""A client for the GDB remote serial protocol over TCP (enough to drive QEMU's gdbstub).

Every call is bounded by a timeout; a target that stops answering raises GdbTimeout.
"""

from __future__ import annotations

import re
import select
import socket
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

INTERRUPT = b"\x03"


class GdbRemoteError(Exception):
    """Protocol or connection failure."""


class GdbTimeout(GdbRemoteError):
    """The stub did not answer in time."""


class GdbErrorReply(GdbRemoteError):
    """The stub answered a request with Exx."""

    def __init__(self, request: str, code: str) -> None:
        super().__init__(f"gdb stub refused {request!r}: {code}")
        self.code = code


class GdbTargetExited(GdbRemoteError):
    """The target process exited (W/X stop reply or closed connection)."""

    def __init__(self, message: str, exit_code: int | None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class StopReply:
    """A parsed stop reply: signal for T/S, exit code for W/X."""

    kind: str  # "T", "S", "W" or "X"
    value: int
    raw: str

    @property
    def exited(self) -> bool:
        return self.kind in ("W", "X")


def checksum(body: bytes) -> int:
    return sum(body) & 0xFF


def encode_packet(body: str | bytes) -> bytes:
    data = body.encode("latin-1") if isinstance(body, str) else body
    escaped = bytearray()
    for byte in data:
        if byte in b"#$}*":
            escaped += bytes((0x7D, byte ^ 0x20))
        else:
            escaped.append(byte)
    return b"$" + bytes(escaped) + b"#" + f"{checksum(bytes(escaped)):02x}".encode()


def decode_body(raw: bytes) -> bytes:
    """Undo escaping and run-length encoding of a received packet body."""
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == 0x7D and i + 1 < len(raw):
            out.append(raw[i + 1] ^ 0x20)
            i += 2
        elif byte == 0x2A and out and i + 1 < len(raw):
            out += bytes((out[-1],)) * (raw[i + 1] - 29)
            i += 2
        else:
            out.append(byte)
            i += 1
    return bytes(out)


def parse_stop_reply(body: str) -> StopReply | None:
    if not body or body[0] not in "TSWX":
        return None
    match = re.match(r"[TSWX]([0-9a-fA-F]{2})", body)
    if not match:
        return None
    return StopReply(body[0], int(match.group(1), 16), body)


class GdbRemote:
    """One connection to a gdb stub. Not thread-safe: callers serialise access."""

    def __init__(self, host: str, port: int, *, timeout: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._rx = bytearray()
        self._ack_mode = True
        self.max_packet = 1024
        self.running = False
        self.exit_code: int | None = None
        self.last_stop: StopReply | None = None
        self._registers: dict[str, tuple[int, int]] | None = None

    # -- connection ---------------------------------------------------------------------------
    def connect(self, connect_timeout: float | None = None) -> None:
        limit = self.timeout if connect_timeout is None else connect_timeout
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=limit)
        except OSError as err:
            raise GdbRemoteError(
                f"cannot connect to gdb stub at {self.host}:{self.port}: {err}"
            ) from err
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        features = self.transact("qSupported:multiprocess-;swbreak+;hwbreak+")
        match = re.search(r"PacketSize=([0-9a-fA-F]+)", features)
        if match:
            self.max_packet = int(match.group(1), 16)
        if "QStartNoAckMode+" in features and self.transact("QStartNoAckMode") == "OK":
            self._ack_mode = False
        reply = parse_stop_reply(self.transact("?"))
        self.last_stop = reply
        self.running = False

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    # -- framing ------------------------------------------------------------------------------
    def _require_socket(self) -> socket.socket:
        if self._sock is None:
            if self.exit_code is not None:
                raise GdbTargetExited(f"target exited with code {self.exit_code}", self.exit_code)
            raise GdbRemoteError("not connected to the gdb stub")
        return self._sock

    def _send_raw(self, data: bytes) -> None:
        sock = self._require_socket()
        try:
            sock.sendall(data)
        except OSError as err:
            self._lost(err)

    def _lost(self, err: object) -> None:
        self.close()
        self.running = False
        raise GdbTargetExited(f"gdb stub closed the connection ({err})", self.exit_code)

    def _fill(self, deadline: float) -> None:
        sock = self._require_socket()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise GdbTimeout(f"gdb stub at {self.host}:{self.port} did not answer in time")
        ready, _, _ = select.select([sock], [], [], remaining)
        if not ready:
            raise GdbTimeout(f"gdb stub at {self.host}:{self.port} did not answer in time")
        try:
            chunk = sock.recv(65536)
        except OSError as err:
            self._lost(err)
        if not chunk:
            self._lost("end of stream")
        self._rx += chunk

    def _take_packet(self) -> bytes | None:
        """Remove one complete packet from the receive buffer, or return None."""
        while self._rx:
            lead = self._rx[0]
            if lead in (0x2B, 0x2D):  # '+' / '-' acknowledgements
                del self._rx[0]
                continue
            if lead not in (0x24, 0x25):  # '$' packet or '%' notification
                del self._rx[0]
                continue
            end = self._rx.find(b"#")
            if end < 0 or len(self._rx) < end + 3:
                return None
            body = bytes(self._rx[1:end])
            sent_sum = bytes(self._rx[end + 1 : end + 3])
            del self._rx[: end + 3]
            if lead == 0x25:
                continue
            if self._ack_mode:
                if f"{checksum(body):02x}".encode() != sent_sum.lower():
                    self._send_raw(b"-")
                    continue
                self._send_raw(b"+")
            return decode_body(body)
        return None

    def _read_packet(self, timeout: float | None = None) -> str:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            packet = self._take_packet()
            if packet is not None:
                return packet.decode("latin-1")
            self._fill(deadline)

    def _send_packet(self, body: str) -> None:
        self._send_raw(encode_packet(body))

    def transact(self, body: str, timeout: float | None = None) -> str:
        """Send a request while the target is stopped and return the reply body."""
        if self.running:
            raise GdbRemoteError(f"cannot send {body[:16]!r} while the target runs")
        self._send_packet(body)
        expects_stop = body.startswith(("?", "c", "s", "vCont"))
        while True:
            reply = self._read_packet(timeout)
            stop = None if expects_stop else parse_stop_reply(reply)
            if stop is None:
                return reply
            # An unsolicited stop notice (QEMU pauses a running guest when a debugger
            # connects and says so): note it and keep waiting for the real reply.
            self.last_stop = stop
            if stop.exited:
                self._note_exit(stop)
                raise GdbTargetExited(f"target exited with code {stop.value}", stop.value)

    def _note_exit(self, stop: StopReply) -> None:
        self.exit_code = stop.value
        self.running = False
        self.last_stop = stop
        self.close()

    def _check(self, request: str, reply: str) -> str:
        if re.fullmatch(r"E[0-9a-fA-F]{2}", reply) or reply.startswith("E."):
            raise GdbErrorReply(request, reply)
        return reply

    # -- memory -------------------------------------------------------------------------------
    def _chunk(self) -> int:
        # Hex doubles the size; keep room for the command header.
        return max(16, (self.max_packet - 32) // 2)

    def read_memory(self, address: int, length: int) -> bytes:
        out = bytearray()
        chunk = self._chunk()
        while len(out) < length:
            count = min(chunk, length - len(out))
            request = f"m{address + len(out):x},{count:x}"
            reply = self._check(request, self.transact(request))
            data = bytes.fromhex(reply)
            if not data:
                raise GdbErrorReply(request, "empty reply")
            out += data
        return bytes(out[:length])

    def write_memory(self, address: int, data: bytes) -> None:
        chunk = self._chunk()
        for offset in range(0, len(data), chunk):
            part = data[offset : offset + chunk]
            request = f"M{address + offset:x},{len(part):x}:{part.hex()}"
            reply = self._check(request[:24], self.transact(request))
            if reply != "OK":
                raise GdbErrorReply(request[:24], reply)

    # -- registers ----------------------------------------------------------------------------
    def register_map(self) -> dict[str, tuple[int, int]]:
        """Register name -> (gdb number, bit size), from the stub's target description."""
        if self._registers is None:
            self._registers = self._load_target_description()
        return self._registers

    def _read_xfer(self, annex: str) -> str:
        text = ""
        while True:
            reply = self.transact(f"qXfer:features:read:{annex}:{len(text):x},{self._chunk():x}")
            if not reply or reply[0] not in "ml":
                raise GdbErrorReply(f"qXfer {annex}", reply or "empty")
            text += reply[1:]
            if reply[0] == "l":
                return text

    def _load_target_description(self) -> dict[str, tuple[int, int]]:
        registers: dict[str, tuple[int, int]] = {}
        next_number = 0

        def walk(document: str) -> None:
            nonlocal next_number
            document = re.sub(r"<!DOCTYPE[^>]*>", "", document)
            root = ET.fromstring(re.sub(r"<(/?)xi:", r"<\1", document))
            for element in root.iter():
                tag = element.tag.split("}")[-1]
                if tag == "include":
                    walk(self._read_xfer(element.attrib["href"]))
                elif tag == "reg":
                    if "regnum" in element.attrib:
                        next_number = int(element.attrib["regnum"])
                    registers[element.attrib["name"].lower()] = (
                        next_number,
                        int(element.attrib.get("bitsize", "32")),
                    )
                    next_number += 1

        walk(self._read_xfer("target.xml"))
        return registers

    def read_register(self, name: str) -> int:
        number, bits = self._register(name)
        request = f"p{number:x}"
        reply = self._check(request, self.transact(request))
        if not reply or "x" in reply.lower():
            raise GdbErrorReply(request, f"unavailable ({reply!r})")
        return int.from_bytes(bytes.fromhex(reply), "little")

    def write_register(self, name: str, value: int) -> None:
        number, bits = self._register(name)
        payload = (value & ((1 << bits) - 1)).to_bytes(bits // 8, "little").hex()
        request = f"P{number:x}={payload}"
        if self._check(request, self.transact(request)) != "OK":
            raise GdbErrorReply(request, "not OK")

    def has_register(self, name: str) -> bool:
        return name.lower() in self.register_map()

    def _register(self, name: str) -> tuple[int, int]:
        try:
            return self.register_map()[name.lower()]
        except KeyError:
            raise GdbRemoteError(f"the gdb stub has no register named {name!r}") from None

    # -- execution ----------------------------------------------------------------------------
    def cont(self) -> None:
        """Resume the target without waiting."""
        if self.running:
            return
        self._send_packet("c")
        self.running = True

    def step(self) -> StopReply:
        self._send_packet("s")
        self.running = True
        return self.wait_stop()

    def halt(self, timeout: float | None = None) -> StopReply:
        """Stop a running target and return its stop reply."""
        if not self.running:
            return self.last_stop or StopReply("S", 0, "S00")
        self._send_raw(INTERRUPT)
        return self.wait_stop(timeout)

    def wait_stop(self, timeout: float | None = None) -> StopReply:
        deadline_timeout = self.timeout if timeout is None else timeout
        while True:
            reply = self._read_packet(deadline_timeout)
            stop = parse_stop_reply(reply)
            if stop is None:
                continue  # console output ('O') or stray replies
            self.running = False
            self.last_stop = stop
            if stop.exited:
                self._note_exit(stop)
                raise GdbTargetExited(f"target exited with code {stop.value}", stop.value)
            return stop

    def poll_stop(self) -> StopReply | None:
        """While running, return a stop reply if the target stopped (or exited) on its own."""
        if not self.running:
            return None
        sock = self._require_socket()
        while True:
            packet = self._take_packet()
            if packet is not None:
                stop = parse_stop_reply(packet.decode("latin-1"))
                if stop is not None:
                    self.running = False
                    self.last_stop = stop
                    if stop.exited:
                        self._note_exit(stop)
                    return stop
                continue
            ready, _, _ = select.select([sock], [], [], 0)
            if not ready:
                return None
            try:
                chunk = sock.recv(65536)
            except OSError as err:
                self._lost(err)
            if not chunk:
                self._lost("end of stream")
            self._rx += chunk

    # -- breakpoints and monitor --------------------------------------------------------------
    def insert_breakpoint(self, address: int, kind: int = 2, hardware: bool = True) -> None:
        request = f"Z{1 if hardware else 0},{address:x},{kind:x}"
        if self._check(request, self.transact(request)) != "OK":
            raise GdbErrorReply(request, "not OK")

    def remove_breakpoint(self, address: int, kind: int = 2, hardware: bool = True) -> None:
        request = f"z{1 if hardware else 0},{address:x},{kind:x}"
        self._check(request, self.transact(request))

    def monitor(self, command: str, timeout: float | None = None) -> str:
        """Run a monitor command (qRcmd) and return its console output."""
        if self.running:
            raise GdbRemoteError("cannot run a monitor command while the target runs")
        self._send_packet("qRcmd," + command.encode().hex())
        output = ""
        while True:
            reply = self._read_packet(timeout)
            if reply.startswith("O") and reply != "OK":
                try:
                    output += bytes.fromhex(reply[1:]).decode("utf-8", "replace")
                except ValueError:
                    output += reply[1:]
                continue
            self._check(f"monitor {command}", reply)
            return output

    def detach(self) -> None:
        """Let the target run on and drop the connection."""
        if self._sock is None:
            return
        try:
            if self.running:
                self.halt()
            self._send_packet("D")
            self._read_packet(1.0)
        except GdbRemoteError:
            pass
        finally:
            self.running = False
            self.close()
