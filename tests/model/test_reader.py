"""Build-time validation: the shared models, written models, and malformed files."""

import struct

import numpy as np
import pytest
import tflite
from conformance.harness import seeded, shared_models_dir
from microforge.model import reader
from microforge.model.reader import ModelError, validate, validate_bytes
from microforge.model.writer import ModelWriter, Quantization

# Facts from MANIFEST.md of the shared models.
SHARED = {
    "hello_world_int8": ({"FULLY_CONNECTED": 3}, 10, (1, 1), "INT8"),
    "hello_world_float": ({"FULLY_CONNECTED": 3}, 10, (1, 1), "FLOAT32"),
    "micro_speech_quantized": ({"DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "RESHAPE": 1,
                                "SOFTMAX": 1}, 10, (1, 1960), "INT8"),
    "person_detect": ({"AVERAGE_POOL_2D": 1, "CONV_2D": 14, "DEPTHWISE_CONV_2D": 14,
                       "RESHAPE": 1, "SOFTMAX": 1}, 89, (1, 96, 96, 1), "INT8"),
    "magic_wand": ({"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 2,
                    "MAX_POOL_2D": 2, "SOFTMAX": 1}, 16, (1, 128, 3, 1), "FLOAT32"),
}


@pytest.mark.parametrize("name", sorted(SHARED))
def test_shared_models_validate(name):
    ops, tensors, in_shape, dtype = SHARED[name]
    s = validate(shared_models_dir() / f"{name}.tflite")
    counts: dict[str, int] = {}
    for use in s.ops:
        counts[use.name] = counts.get(use.name, 0) + use.count
        assert use.supported
    assert counts == ops
    assert len(s.tensors) == tensors and s.subgraph_count == 1
    assert s.input_tensors()[0].shape == in_shape
    assert s.input_tensors()[0].dtype.name == dtype
    assert s.constant_bytes > 0 and 0 < s.peak_live_bytes <= s.activation_bytes
    assert name in s.format()


def _model(rng=None):
    rng = rng or seeded("reader_model")
    w = ModelWriter()
    x = w.tensor([1, 4], "int8", name="x", quant=Quantization.per_tensor(0.1, 0))
    k = w.const(rng.integers(-9, 9, (3, 4), dtype=np.int8), name="k",
                quant=Quantization.per_channel([0.1, 0.2, 0.3]))
    b = w.const(np.array([1, 2, 3], np.int32), name="b")
    h = w.tensor([1, 3], "int8", name="h", quant=Quantization.per_tensor(0.2, 1))
    y = w.tensor([1, 3], "int8", name="y", quant=Quantization.per_tensor(0.2, 1))
    w.operator("FULLY_CONNECTED", [x, k, b], [h], version=4)
    w.operator("RELU", [h], [y])
    w.set_io([x], [y])
    return w


def test_summary_of_a_written_model():
    s = validate_bytes(_model().to_bytes())
    assert [(o.name, o.version, o.count) for o in s.ops] == [("FULLY_CONNECTED", 4, 1),
                                                             ("RELU", 1, 1)]
    assert s.constant_bytes == 12 + 12
    assert s.activation_bytes == 4 + 3 + 3
    assert s.peak_live_bytes == 7  # x and h during node 0; h and y during node 1
    k = s.tensors[1]
    assert k.constant and k.scales == pytest.approx((0.1, 0.2, 0.3)) and k.zero_points == (0, 0, 0)


def test_unsupported_and_custom_ops_are_listed():
    w = ModelWriter()
    x = w.tensor([4], "float32")
    y = w.tensor([4], "float32")
    z = w.tensor([4], "float32")
    w.operator("EXP", [x], [y])
    w.operator("CUSTOM", [y], [z], custom_code="Frob")
    w.set_io([x], [z])
    s = validate_bytes(w.to_bytes())
    assert [(o.name, o.supported) for o in s.unsupported_ops] == [("EXP", False), ("Frob", False)]
    assert "no kernel" in s.format()


def test_offline_memory_allocation_is_read_and_checked():
    w = _model()
    w.offline_memory_allocation([0, -1, -1, 16, 32])
    assert validate_bytes(w.to_bytes()).offline_offsets == [0, -1, -1, 16, 32]
    w = _model()
    w.add_metadata("OfflineMemoryAllocation", np.array([1, 0, 3, 0, 0, 0], "<i4").tobytes())
    with pytest.raises(ModelError, match="3 offsets .* for 5 tensors"):
        validate_bytes(w.to_bytes())


# -- malformed files ----------------------------------------------------------------------

def _field_pos(table, slot: int) -> int:
    off = table._tab.Offset(4 + 2 * slot)
    assert off, f"field {slot} absent"
    return table._tab.Pos + off


def _patch(data: bytes, pos: int, fmt: str, value) -> bytes:
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, pos, value)
    return bytes(out)


def _parts(data: bytes):
    m = tflite.Model.GetRootAsModel(data, 0)
    return m, m.Subgraphs(0)


def test_truncated_files_raise_model_error_at_every_length():
    data = _model().to_bytes()
    for n in range(len(data)):
        with pytest.raises(ModelError):
            validate_bytes(data[:n])


@pytest.mark.parametrize("name", ["hello_world_int8", "micro_speech_quantized"])
def test_truncated_shared_models_raise_model_error(name):
    data = (shared_models_dir() / f"{name}.tflite").read_bytes()
    for n in sorted({*range(0, 256, 3), *range(0, len(data), 97)}):
        with pytest.raises(ModelError):
            validate_bytes(data[:n])


def test_byte_flips_never_escape_as_other_exceptions():
    data = _model().to_bytes()
    rng = seeded("reader_flips")
    for _ in range(2000):
        corrupt = bytearray(data)
        for pos in rng.integers(0, len(data), size=int(rng.integers(1, 4))):
            corrupt[pos] ^= int(rng.integers(1, 256))
        try:
            validate_bytes(bytes(corrupt))
        except ModelError:
            pass


def test_wrong_identifier_and_version():
    data = _model().to_bytes()
    with pytest.raises(ModelError, match="file identifier is b'TFL2'"):
        validate_bytes(data[:4] + b"TFL2" + data[8:])
    m, _ = _parts(data)
    with pytest.raises(ModelError, match="schema version 2, expected 3"):
        validate_bytes(_patch(data, _field_pos(m, 0), "I", 2))


def test_out_of_range_indices():
    data = _model().to_bytes()
    m, sg = _parts(data)
    with pytest.raises(ModelError, match="tensor 1: buffer 99 does not exist"):
        validate_bytes(_patch(data, _field_pos(sg.Tensors(1), 2), "I", 99))
    with pytest.raises(ModelError, match="operator 1: opcode index 7 is out of range"):
        validate_bytes(_patch(data, _field_pos(sg.Operators(1), 0), "I", 7))
    op = sg.Operators(0)
    inputs = op._tab.Vector(op._tab.Offset(6))
    with pytest.raises(ModelError, match=r"operator 0 \(FULLY_CONNECTED\) input 1: tensor index "
                                         r"42 is out of range"):
        validate_bytes(_patch(data, inputs + 4, "i", 42))
    outputs = sg._tab.Vector(sg._tab.Offset(8))
    with pytest.raises(ModelError, match="subgraph output 0: tensor index -1"):
        validate_bytes(_patch(data, outputs, "i", -1))


def test_negative_dimension_and_data_size():
    data = _model().to_bytes()
    _, sg = _parts(data)
    shape = sg.Tensors(3)._tab.Vector(sg.Tensors(3)._tab.Offset(4))
    with pytest.raises(ModelError, match="tensor 3: shape dim 1 is -3"):
        validate_bytes(_patch(data, shape + 4, "i", -3))
    kshape = sg.Tensors(1)._tab.Vector(sg.Tensors(1)._tab.Offset(4))
    with pytest.raises(ModelError, match="tensor 1: buffer 1 has 12 bytes, shape \\[3, 5\\] "
                                         "int8 needs 15"):
        validate_bytes(_patch(data, kshape + 4, "i", 5))
    with pytest.raises(ModelError, match="tensor 1 quantization: 3 channels but dim 0 is 2"):
        validate_bytes(_patch(_patch(data, kshape, "i", 2), kshape + 4, "i", 6))


def test_graph_order_and_cycles():
    w = _model()
    w.operators.reverse()  # RELU now reads h before FULLY_CONNECTED writes it
    with pytest.raises(ModelError, match=r"operator 0 \(RELU\) input 0: tensor 3 is read before"):
        validate_bytes(w.to_bytes())
    w = _model()
    w.operators[0].inputs = (4, 1, 2)  # FC reads y, which RELU (later) writes from h: a cycle
    with pytest.raises(ModelError, match="tensor 4 is read before any operator writes it"):
        validate_bytes(w.to_bytes())


def test_bad_vtable_and_offsets():
    data = _model().to_bytes()
    root = struct.unpack_from("<I", data, 0)[0]
    with pytest.raises(ModelError, match="root: offset at 0 points to"):
        validate_bytes(_patch(data, 0, "I", len(data) + 4))
    with pytest.raises(ModelError, match="vtable"):
        validate_bytes(_patch(data, root, "i", -len(data)))
    vt = root - struct.unpack_from("<i", data, root)[0]
    with pytest.raises(ModelError, match="table size"):
        validate_bytes(_patch(data, vt + 2, "H", 2))
    with pytest.raises(ModelError, match="field 1 at 400 lies outside the table"):
        validate_bytes(_patch(data, vt + 6, "H", 400))


def test_string_without_terminator():
    w = _model()
    data = w.to_bytes()
    _, sg = _parts(data)
    t = sg.Tensors(0)
    name = t._tab.Vector(t._tab.Offset(10))
    assert data[name:name + 1] == b"x"
    with pytest.raises(ModelError, match="not NUL-terminated"):
        validate_bytes(_patch(data, name + 1, "B", ord("!")))


def test_path_errors_name_the_file(tmp_path):
    with pytest.raises(ModelError, match="missing.tflite: cannot read"):
        validate(tmp_path / "missing.tflite")
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\0" * 64)
    with pytest.raises(ModelError, match="bad.tflite: file identifier"):
        validate(bad)


def test_command_line(tmp_path, capsys):
    good = tmp_path / "good.tflite"
    good.write_bytes(_model().to_bytes())
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"junk")
    assert reader.main([str(good)]) == 0
    assert "FULLY_CONNECTED v4 x1" in capsys.readouterr().out
    assert reader.main([str(good), str(bad)]) == 1
    assert "too short" in capsys.readouterr().err
    assert reader.main([]) == 2


def test_summary_as_json():
    import json

    d = json.loads(json.dumps(validate(shared_models_dir() / "person_detect.tflite").as_dict()))
    assert d["size"] == 300568 and d["operators"] == 31 and d["subgraphs"] == 1
    assert d["inputs"] == [{"name": d["inputs"][0]["name"], "dtype": "int8",
                            "shape": [1, 96, 96, 1], "scale": pytest.approx(0.00784313772),
                            "zero_point": -1}]
    assert {o["name"]: o["count"] for o in d["ops"]}["CONV_2D"] == 14
    assert d["peak_live_bytes"] <= d["activation_bytes"]
