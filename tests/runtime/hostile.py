"""Hostile variants of real models: field positions come from the `tflite` schema bindings,
the bytes are patched in place."""

from __future__ import annotations

import random
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import tflite


def root(buf: bytes) -> tflite.Model:
    return tflite.Model.GetRootAsModel(bytes(buf), 0)


def field_pos(table, number: int) -> int | None:
    """Absolute position of scalar field `number` of a table, None when absent."""
    off = table._tab.Offset(4 + 2 * number)
    return table._tab.Pos + off if off else None


def vector_pos(table, number: int) -> int:
    """Absolute position of element 0 of vector field `number` (its length word is 4 before)."""
    off = table._tab.Offset(4 + 2 * number)
    assert off, f"vector field {number} is absent"
    return table._tab.Vector(off)


def put_i32(buf: bytearray, at: int, value: int) -> None:
    struct.pack_into("<i", buf, at, value)


def put_u32(buf: bytearray, at: int, value: int) -> None:
    struct.pack_into("<I", buf, at, value)


def op_code(model: tflite.Model, op) -> int:
    oc = model.OperatorCodes(op.OpcodeIndex())
    return max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())


def truncations(data: bytes, count: int, seed: int) -> list[bytes]:
    """Prefixes of `data`: the first 64 lengths, then `count` spread and random lengths."""
    rng = random.Random(seed)
    lengths = set(range(0, min(64, len(data))))
    lengths |= {len(data) * k // count for k in range(count)}
    lengths |= {rng.randrange(len(data)) for _ in range(count // 2)}
    return [data[:n] for n in sorted(lengths)]


def flips(data: bytes, count: int, seed: int) -> list[bytes]:
    """Copies with one byte changed: all-bits, one-bit and 'interesting' values, at random
    positions weighted towards the flatbuffer's tables (the first and last quarter)."""
    rng = random.Random(seed)
    out = []
    values = (0x00, 0xFF, 0x7F, 0x80, 0x01)
    for _ in range(count):
        if rng.random() < 0.5:
            at = rng.randrange(min(len(data), 4096))
        else:
            at = rng.randrange(len(data))
        variant = bytearray(data)
        choice = rng.randrange(3)
        if choice == 0:
            variant[at] ^= 0xFF
        elif choice == 1:
            variant[at] ^= 1 << rng.randrange(8)
        else:
            variant[at] = rng.choice(values)
        out.append(bytes(variant))
    return out


@dataclass
class Outcome:
    """What the file runner printed for one file."""

    path: str
    map_status: str = ""
    map_reason: str = ""
    allocs: list[tuple[int, str, int, int, str]] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)  # planned bytes of each allocation
    scratch: dict[int, int] = field(default_factory=dict)  # node -> scratch bytes
    invokes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def first_failure(self) -> tuple[str, str]:
        if self.map_status != "MF_OK":
            return self.map_status, self.map_reason
        for _, status, _, _, reason in self.allocs:
            if status not in ("MF_OK", "MF_ERR_ARENA_TOO_SMALL"):
                return status, reason
        for status, reason in self.invokes:
            if status != "MF_OK":
                return status, reason
        return "MF_OK", ""


ALLOC = re.compile(r"^ALLOC (\d+) (\S+) used=(\d+) needed=(\d+) head=(\d+) ?(.*)$")


def parse_runner(stdout: str) -> tuple[list[Outcome], int | None]:
    outcomes: list[Outcome] = []
    done = None
    for line in stdout.splitlines():
        if line.startswith("FILE "):
            outcomes.append(Outcome(line[5:]))
        elif line.startswith("MAP "):
            status, _, reason = line[4:].partition(" ")
            outcomes[-1].map_status, outcomes[-1].map_reason = status, reason
        elif m := ALLOC.match(line):
            outcomes[-1].allocs.append((int(m.group(1)), m.group(2), int(m.group(3)),
                                        int(m.group(4)), m.group(6)))
            outcomes[-1].heads.append(int(m.group(5)))
        elif line.startswith("SCRATCH"):
            outcomes[-1].scratch = {int(k): int(v) for k, v in
                                    (item.split("=") for item in line.split()[1:])}
        elif line.startswith("INVOKE "):
            status, _, reason = line[7:].partition(" ")
            outcomes[-1].invokes.append((status, reason))
        elif line.startswith("DONE "):
            done = int(line[5:])
    return outcomes, done


def write_all(folder: Path, stem: str, variants: list[bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(variants):
        path = folder / f"{stem}-{i:04d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths
