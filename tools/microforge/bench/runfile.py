"""The inputs file of the runner firmware (format in micro/runner/board_runner.c).

Little-endian 32-bit words: "MFRI", version 1, sets, inputs a set, repeats, 0; then, set by
set and input by input, the byte count and the bytes, padded to a multiple of 4. A file
with 0 inputs a set runs every set on zero inputs. No numpy here: the build imports it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

MAGIC = b"MFRI"
VERSION = 1
HEADER = struct.Struct("<4s5I")
MAX_INPUTS = 16          # MF_RUNNER_MAX_INPUTS in board_runner.c
MAX_REPEATS = 2**32 - 1


class RunFileError(ValueError):
    """The sets cannot be written as an inputs file, or a file is not one."""


def pack(sets: Sequence[Sequence[bytes]], repeats: int = 1) -> bytes:
    """An inputs file: every set holds one byte string per model input, in input order."""
    if not sets:
        raise RunFileError("no input sets")
    if not 1 <= repeats <= MAX_REPEATS:
        raise RunFileError(f"repeats must be 1..{MAX_REPEATS}, got {repeats}")
    count = len(sets[0])
    if count > MAX_INPUTS:
        raise RunFileError(f"{count} inputs; the runner firmware takes at most {MAX_INPUTS}")
    parts = [HEADER.pack(MAGIC, VERSION, len(sets), count, repeats, 0)]
    for n, inputs in enumerate(sets):
        if len(inputs) != count:
            raise RunFileError(f"set {n} has {len(inputs)} inputs, set 0 has {count}")
        for data in inputs:
            parts.append(struct.pack("<I", len(data)))
            parts.append(bytes(data) + b"\0" * (-len(data) % 4))
    return b"".join(parts)


def zeros(sets: int = 1, repeats: int = 1) -> bytes:
    """An inputs file of `sets` sets on zero inputs (any model)."""
    if sets < 1:
        raise RunFileError("no input sets")
    if not 1 <= repeats <= MAX_REPEATS:
        raise RunFileError(f"repeats must be 1..{MAX_REPEATS}, got {repeats}")
    return HEADER.pack(MAGIC, VERSION, sets, 0, repeats, 0)


def unpack(data: bytes) -> tuple[list[list[bytes]], int]:
    """(sets, repeats) of an inputs file; a zeros file gives sets of no inputs."""
    if len(data) < HEADER.size:
        raise RunFileError(f"{len(data)} bytes is shorter than the header")
    magic, version, count, inputs, repeats, _ = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise RunFileError(f"not an inputs file (magic {magic!r}, version {version})")
    at = HEADER.size
    sets = []
    for n in range(count):
        current = []
        for i in range(inputs):
            if at + 4 > len(data):
                raise RunFileError(f"set {n} input {i}: the file ends inside the record")
            (size,) = struct.unpack_from("<I", data, at)
            at += 4
            if at + size + (-size % 4) > len(data):
                raise RunFileError(f"set {n} input {i}: {size} bytes run past the end")
            current.append(data[at:at + size])
            at += size + (-size % 4)
        sets.append(current)
    if at != len(data):
        raise RunFileError(f"{len(data) - at} bytes after the last record")
    return sets, repeats
