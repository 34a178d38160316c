"""A small FlatBuffers builder: tables, vtables (shared when equal), vectors, strings.

FlatBuffers are written back to front: an object may only refer (by unsigned
offset) to objects written before it, which end up at higher addresses. The
buffer is kept reversed in a ``bytearray`` so that prepending is an append; an
object is identified by its *offset from the end* of the final buffer, which
does not change as more data is prepended.

    b = Builder()
    name = b.string("conv")
    dims = b.vector_scalars("i", [1, 8, 8, 3])
    t = b.table([Field.scalar(0, "i", 7), Field.offset(1, name), Field.offset(2, dims)])
    data = b.finish(t, identifier=b"TFL3")

All values are little-endian. Scalar fields equal to their default are left out
(as the reference builders do), unless ``force`` is set.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

UOFFSET_SIZE = 4
_MAX_SIZE = 2**31 - 1


class FlatBufferError(ValueError):
    """The builder was used in a way that cannot produce a valid buffer."""


@dataclass(frozen=True)
class Field:
    """One table field: a scalar (struct format char) or an offset to an object."""

    slot: int
    fmt: str  # struct format character, or "offset"
    value: int | float | bool
    default: int | float | bool | None = None
    force: bool = False

    @staticmethod
    def scalar(slot: int, fmt: str, value: int | float | bool,
               default: int | float | bool = 0, force: bool = False) -> Field:
        return Field(slot, fmt, value, default, force)

    @staticmethod
    def offset(slot: int, target: int) -> Field:
        return Field(slot, "offset", target)

    @property
    def size(self) -> int:
        return UOFFSET_SIZE if self.fmt == "offset" else struct.calcsize("<" + self.fmt)


class Builder:
    """Builds one FlatBuffer. Methods return the new object's offset from the end."""

    def __init__(self) -> None:
        self._rev = bytearray()  # the buffer, reversed
        self._min_align = 1
        self._vtables: dict[bytes, int] = {}
        self._finished = False

    # -- low level ---------------------------------------------------------
    @property
    def offset(self) -> int:
        """Bytes written so far (the offset from the end of the next object)."""
        return len(self._rev)

    def _check_open(self) -> None:
        if self._finished:
            raise FlatBufferError("the buffer is already finished")

    def _align(self, alignment: int, additional: int = 0) -> None:
        """Pads so that after `additional` more bytes the offset is a multiple of `alignment`."""
        if alignment & (alignment - 1):
            raise FlatBufferError(f"alignment {alignment} is not a power of two")
        self._min_align = max(self._min_align, alignment)
        pad = (-(len(self._rev) + additional)) % alignment
        self._rev.extend(bytes(pad))

    def _put(self, data: bytes) -> None:
        self._rev.extend(data[::-1])
        if len(self._rev) > _MAX_SIZE:
            raise FlatBufferError("buffer exceeds 2 GiB")

    def _put_uoffset(self, target: int) -> None:
        self._align(UOFFSET_SIZE, UOFFSET_SIZE)
        here = len(self._rev) + UOFFSET_SIZE
        if not 0 < target <= len(self._rev):
            raise FlatBufferError(f"offset target {target} is not an object written before")
        self._put(struct.pack("<I", here - target))

    # -- objects -----------------------------------------------------------
    def bytes_vector(self, data: bytes, alignment: int = 4) -> int:
        """A [ubyte] vector whose first element is aligned to `alignment` (>= 4)."""
        self._check_open()
        alignment = max(alignment, UOFFSET_SIZE)
        self._align(UOFFSET_SIZE, len(data))
        self._align(alignment, len(data))
        self._put(bytes(data))
        self._put(struct.pack("<I", len(data)))
        return len(self._rev)

    def vector_scalars(self, fmt: str, values: Iterable[int | float | bool]) -> int:
        """A vector of scalars of one struct format character ("b", "i", "f", "q", ...)."""
        self._check_open()
        items = list(values)
        elem = struct.calcsize("<" + fmt)
        try:
            body = struct.pack(f"<{len(items)}{fmt}", *items)
        except struct.error as exc:
            raise FlatBufferError(f"cannot pack {items!r} as {fmt!r}: {exc}") from exc
        self._align(UOFFSET_SIZE, len(body))
        self._align(elem, len(body))
        self._put(body)
        self._put(struct.pack("<I", len(items)))
        return len(self._rev)

    def vector_offsets(self, targets: Sequence[int]) -> int:
        """A vector of offsets to objects (tables, strings, vectors)."""
        self._check_open()
        self._align(UOFFSET_SIZE, UOFFSET_SIZE * len(targets))
        for target in reversed(targets):
            self._put_uoffset(target)
        self._put(struct.pack("<I", len(targets)))
        return len(self._rev)

    def string(self, text: str | bytes) -> int:
        """A NUL-terminated string with a length prefix."""
        self._check_open()
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        self._align(UOFFSET_SIZE, len(data) + 1)
        self._put(data + b"\0")
        self._put(struct.pack("<I", len(data)))
        return len(self._rev)

    def table(self, fields: Iterable[Field]) -> int:
        """A table; its vtable is shared with an identical earlier one."""
        self._check_open()
        present = [f for f in fields if f.force or f.fmt == "offset" or f.value != f.default]
        slots = [f.slot for f in present]
        if len(set(slots)) != len(slots):
            raise FlatBufferError(f"duplicate field slots {sorted(slots)}")
        if any(s < 0 for s in slots):
            raise FlatBufferError("negative field slot")
        start = len(self._rev)
        positions: dict[int, int] = {}
        # Largest first packs the fields with the least padding.
        for f in sorted(present, key=lambda f: (-f.size, f.slot)):
            if f.fmt == "offset":
                self._put_uoffset(int(f.value))
            else:
                self._align(f.size, f.size)
                try:
                    self._put(struct.pack("<" + f.fmt, f.value))
                except struct.error as exc:
                    raise FlatBufferError(
                        f"field {f.slot}: cannot pack {f.value!r} as {f.fmt!r}: {exc}") from exc
            positions[f.slot] = len(self._rev)
        self._align(4, 4)
        self._put(b"\0\0\0\0")  # the vtable offset, patched below
        table = len(self._rev)
        slot_count = max(slots) + 1 if slots else 0
        entries = [0] * slot_count
        for slot, pos in positions.items():
            entries[slot] = table - pos
        table_size = table - start
        vtable_size = 4 + 2 * slot_count
        if table_size > 0xFFFF or vtable_size > 0xFFFF:
            raise FlatBufferError("table too large for a vtable")
        vtable = struct.pack(f"<HH{slot_count}H", vtable_size, table_size, *entries)
        where = self._vtables.get(vtable)
        if where is None:
            self._put(vtable)
            where = len(self._rev)
            self._vtables[vtable] = where
        # soffset: table position minus vtable position.
        self._rev[table - 4:table] = struct.pack("<i", where - table)[::-1]
        return table

    def finish(self, root: int, identifier: bytes | None = None) -> bytes:
        """Writes the root offset (and the 4-byte file identifier) and returns the buffer."""
        self._check_open()
        if identifier is not None and len(identifier) != 4:
            raise FlatBufferError("a file identifier has exactly 4 bytes")
        extra = UOFFSET_SIZE + (4 if identifier is not None else 0)
        self._align(self._min_align, extra)
        if identifier is not None:
            self._put(identifier)
        self._put_uoffset(root)
        self._finished = True
        return bytes(self._rev[::-1])
