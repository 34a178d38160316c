"""The flatbuffers builder, read back with the reference `flatbuffers` runtime."""

import struct

import pytest
from flatbuffers import number_types as N
from flatbuffers.table import Table
from microforge.model.flatbuffer import Builder, Field, FlatBufferError


def _root(buf: bytes) -> Table:
    return Table(bytearray(buf), struct.unpack_from("<I", buf, 0)[0])


def _vec_pos(t: Table, slot: int) -> tuple[int, int]:
    o = t.Offset(4 + 2 * slot)
    assert o != 0
    return t.Vector(o), t.VectorLen(o)


def test_scalars_strings_vectors_round_trip():
    b = Builder()
    name = b.string("héllo")
    ints = b.vector_scalars("i", [1, -2, 3])
    longs = b.vector_scalars("q", [2**40, -1])
    root = b.table([
        Field.scalar(0, "I", 7),
        Field.offset(1, name),
        Field.offset(2, ints),
        Field.scalar(3, "b", -5),
        Field.scalar(4, "f", 1.5),
        Field.offset(5, longs),
        Field.scalar(6, "?", True, default=False),
    ])
    buf = b.finish(root, b"TEST")
    assert buf[4:8] == b"TEST"
    assert len(buf) % 8 == 0
    t = _root(buf)
    assert t.Get(N.Uint32Flags, t.Pos + t.Offset(4)) == 7
    assert t.String(t.Pos + t.Offset(6)).decode() == "héllo"
    pos, n = _vec_pos(t, 2)
    assert [t.Get(N.Int32Flags, pos + 4 * i) for i in range(n)] == [1, -2, 3]
    assert t.Get(N.Int8Flags, t.Pos + t.Offset(10)) == -5
    assert t.Get(N.Float32Flags, t.Pos + t.Offset(12)) == 1.5
    pos, n = _vec_pos(t, 5)
    assert pos % 8 == 0
    assert [t.Get(N.Int64Flags, pos + 8 * i) for i in range(n)] == [2**40, -1]
    assert t.Get(N.BoolFlags, t.Pos + t.Offset(16)) is True


def test_defaults_are_left_out_unless_forced():
    b = Builder()
    root = b.table([Field.scalar(0, "i", 0), Field.scalar(1, "i", 1, default=1),
                    Field.scalar(2, "i", 0, force=True)])
    t = _root(b.finish(root))
    assert t.Offset(4) == 0 and t.Offset(6) == 0 and t.Offset(8) != 0


def test_identical_vtables_are_shared():
    b = Builder()
    tables = [b.table([Field.scalar(0, "i", n + 1), Field.scalar(1, "b", 2)]) for n in range(10)]
    buf = b.finish(b.vector_offsets(tables))
    vec = struct.unpack_from("<I", buf, 0)[0]
    count = struct.unpack_from("<I", buf, vec)[0]
    vtables = set()
    for i in range(count):
        at = vec + 4 + 4 * i
        table = at + struct.unpack_from("<I", buf, at)[0]
        vtables.add(table - struct.unpack_from("<i", buf, table)[0])
        t = Table(bytearray(buf), table)
        assert t.Get(N.Int32Flags, t.Pos + t.Offset(4)) == i + 1
    assert len(vtables) == 1


def test_bytes_vector_alignment():
    b = Builder()
    b.string("x")  # put the buffer off any alignment
    data = b.bytes_vector(bytes(range(5)), alignment=16)
    b.string("yy")
    root = b.table([Field.offset(0, data)])
    buf = b.finish(root)
    t = _root(buf)
    pos, n = _vec_pos(t, 0)
    assert pos % 16 == 0 and n == 5
    assert buf[pos:pos + 5] == bytes(range(5))


def test_misuse_is_reported():
    b = Builder()
    with pytest.raises(FlatBufferError, match="not an object written before"):
        b.table([Field.offset(0, 999)])
    with pytest.raises(FlatBufferError, match="duplicate field slots"):
        b.table([Field.scalar(0, "i", 1), Field.scalar(0, "i", 2)])
    with pytest.raises(FlatBufferError, match="cannot pack"):
        b.vector_scalars("b", [300])
    with pytest.raises(FlatBufferError, match="exactly 4 bytes"):
        b.finish(b.table([]), b"TOOLONG")
    root = b.table([])
    b.finish(root)
    with pytest.raises(FlatBufferError, match="already finished"):
        b.string("late")
