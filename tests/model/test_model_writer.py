"""The model writer: models read back with the `tflite` package and run on the oracle."""

import numpy as np
import pytest
import tflite
from conformance.harness import oracle_run, ours_run, seeded
from microforge.model import schema
from microforge.model.reader import validate_bytes
from microforge.model.writer import ModelWriteError, ModelWriter, Quantization, T, single_op_model


def _fc_float(rng, activation="NONE"):
    w = ModelWriter()
    x = w.tensor([2, 4], "float32", name="x")
    k = w.const(rng.standard_normal((3, 4)).astype(np.float32), name="w")
    b = w.const(rng.standard_normal(3).astype(np.float32), name="b")
    y = w.tensor([2, 3], "float32", name="y")
    w.operator("FULLY_CONNECTED", [x, k, b], [y], {"activation": activation})
    w.set_io([x], [y])
    return w


def test_float_fully_connected_matches_numpy():
    rng = seeded("writer_fc")
    w = _fc_float(rng, "RELU")
    weights = np.frombuffer(w.tensors[1].data, np.float32).reshape(3, 4)
    bias = np.frombuffer(w.tensors[2].data, np.float32)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    (y,) = oracle_run(w.to_bytes(), [x])
    np.testing.assert_allclose(y, np.maximum(x @ weights.T + bias, 0), rtol=1e-5, atol=1e-6)


def _conv_reference(x, k, b, stride, padding):
    n, h, wd, c = x.shape
    o, kh, kw, _ = k.shape
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph = max((oh - 1) * stride + kh - h, 0) // 2
        pw = max((ow - 1) * stride + kw - wd, 0) // 2
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
        ph = pw = 0
    padded = np.zeros((n, h + 2 * kh, wd + 2 * kw, c), np.float64)
    padded[:, ph + 0:ph + h, pw:pw + wd, :] = x
    out = np.zeros((n, oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            patch = padded[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.einsum("nhwc,ohwc->no", patch, k)
    return (out + b).astype(np.float32)


@pytest.mark.parametrize(("stride", "padding"), [(1, "SAME"), (2, "VALID"), (2, "SAME")])
def test_float_conv_2d_options_reach_the_oracle(stride, padding):
    rng = seeded(f"writer_conv_{stride}_{padding}")
    x = rng.standard_normal((1, 7, 6, 3)).astype(np.float32)
    k = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    ref = _conv_reference(x, k, b, stride, padding)
    model = single_op_model("CONV_2D", [T(x.shape, "float32"), T.const(k), T.const(b)],
                            [T(ref.shape, "float32")],
                            {"padding": padding, "stride_w": stride, "stride_h": stride})
    (y,) = oracle_run(model, [x])
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


def test_int8_conv_with_per_channel_weights_runs_on_the_oracle():
    rng = seeded("writer_conv_int8")
    qx = Quantization.per_tensor(0.05, -3)
    wq = Quantization.per_channel(rng.uniform(0.001, 0.01, 4).astype(np.float32), axis=0)
    bq = Quantization.per_channel(np.float32(0.05) * np.asarray(wq.scales, np.float32), axis=0)
    model = single_op_model(
        "CONV_2D",
        [T((1, 5, 5, 2), "int8", qx),
         T.const(rng.integers(-127, 128, (4, 3, 3, 2), dtype=np.int8), wq),
         T.const(rng.integers(-1000, 1000, 4, dtype=np.int32), bq)],
        [T((1, 5, 5, 4), "int8", Quantization.per_tensor(0.1, 2))],
        {"padding": "SAME", "stride_w": 1, "stride_h": 1, "activation": "RELU6"}, version=3)
    x = rng.integers(-128, 128, (1, 5, 5, 2), dtype=np.int8)
    (y,) = oracle_run(model, [x])
    assert y.dtype == np.int8 and y.shape == (1, 5, 5, 4)
    # RELU6 clamps to [zp, zp + 6 / scale] = [2, 62].
    assert y.min() >= 2 and y.max() <= 62 and len(np.unique(y)) > 5


def test_read_back_with_tflite():
    rng = seeded("writer_readback")
    w = ModelWriter(description="readback")
    x = w.tensor([1, 4], "int8", name="in", quant=Quantization.per_tensor(0.5, -1))
    wq = Quantization.per_channel([0.1, 0.2, 0.3], axis=0)
    k = w.const(rng.integers(-5, 5, (3, 4), dtype=np.int8), name="weights", quant=wq)
    state = w.tensor([1, 3], "int16", name="state", variable=True)
    y = w.tensor([1, 3], "int8", name="out", quant=Quantization.per_tensor(0.25, 3))
    w.operator("FULLY_CONNECTED", [x, k, -1], [y], version=4)
    w.operator("CUSTOM", [y], [state], custom_code="MY_OP", custom_options=b"\x01\x02")
    w.operator(schema.BuiltinOperator.STABLEHLO_CBRT, [y], [state])
    w.set_io([x], [y])
    w.offline_memory_allocation([0, -1, 64, 16])
    w.add_metadata("note", b"hello")
    data = w.to_bytes()
    assert data[4:8] == b"TFL3" and len(data) % 4 == 0

    m = tflite.Model.GetRootAsModel(data, 0)
    assert m.Version() == 3 and m.Description() == b"readback"
    assert m.Buffers(0).DataLength() == 0
    sg = m.Subgraphs(0)
    assert list(sg.InputsAsNumpy()) == [x] and list(sg.OutputsAsNumpy()) == [y]
    t = sg.Tensors(k)
    assert t.Name() == b"weights" and t.Type() == tflite.TensorType.INT8
    assert list(t.ShapeAsNumpy()) == [3, 4]
    q = t.Quantization()
    np.testing.assert_allclose(q.ScaleAsNumpy(), [0.1, 0.2, 0.3], rtol=1e-7)
    assert list(q.ZeroPointAsNumpy()) == [0, 0, 0] and q.QuantizedDimension() == 0
    buf = m.Buffers(t.Buffer())
    assert buf.DataAsNumpy().tobytes() == w.tensors[k].data
    assert sg.Tensors(state).IsVariable() and not sg.Tensors(x).IsVariable()

    ops = [sg.Operators(i) for i in range(sg.OperatorsLength())]
    assert list(ops[0].InputsAsNumpy()) == [x, k, -1]
    codes = [m.OperatorCodes(o.OpcodeIndex()) for o in ops]
    assert codes[0].BuiltinCode() == 9 and codes[0].Version() == 4
    assert codes[1].BuiltinCode() == 32 and codes[1].CustomCode() == b"MY_OP"
    assert ops[1].CustomOptionsAsNumpy().tobytes() == b"\x01\x02"
    assert codes[2].BuiltinCode() == 208 and codes[2].DeprecatedBuiltinCode() == 127

    meta = {m.Metadata(i).Name(): m.Metadata(i).Buffer() for i in range(m.MetadataLength())}
    words = np.frombuffer(m.Buffers(meta[b"OfflineMemoryAllocation"]).DataAsNumpy().tobytes(),
                          "<i4")
    assert list(words) == [1, 0, 4, 0, -1, 64, 16]
    assert m.Buffers(meta[b"note"]).DataAsNumpy().tobytes() == b"hello"


def test_constant_buffers_are_16_byte_aligned():
    rng = seeded("writer_align")
    w = ModelWriter()
    ins = w.tensor([1, 3], "float32")
    prev = ins
    for _ in range(5):
        c = w.const(rng.standard_normal((1, 3)).astype(np.float32))  # 12 bytes each
        out = w.tensor([1, 3], "float32")
        w.operator("ADD", [prev, c], [out])
        prev = out
    w.set_io([ins], [prev])
    data = w.to_bytes()
    m = tflite.Model.GetRootAsModel(data, 0)
    for i in range(1, m.BuffersLength()):
        b = m.Buffers(i)
        start = b._tab.Vector(b._tab.Offset(4))
        assert start % 16 == 0


def test_identical_tables_share_vtables_so_models_stay_small():
    w = ModelWriter()
    prev = w.tensor([1, 8], "float32")
    first = prev
    for _ in range(50):
        out = w.tensor([1, 8], "float32")
        w.operator("RELU", [prev], [out])
        prev = out
    w.set_io([first], [prev])
    # 51 tensors + 50 operators: well under 100 bytes each with shared vtables.
    assert len(w.to_bytes()) < 100 * 101


@pytest.mark.parametrize(("build", "message"), [
    (lambda w: w.tensor([1, -2], "int8"), "negative dimension"),
    (lambda w: w.tensor([2, 2], "int8", data=np.zeros(3, np.int8)), "data shape"),
    (lambda w: w.tensor([2], "int8", data=np.array([1, 300])), "outside the INT8 range"),
    (lambda w: w.tensor([2], "float32", data=np.array([1, 2], np.int32)), "int32 data"),
    (lambda w: w.tensor([2], "int8", data=b"\x00"), "needs 2"),
    (lambda w: w.tensor([2, 3], "int8", quant=Quantization.per_channel([1, 2], axis=1)),
     "2 channels, dimension 1 is 3"),
    (lambda w: w.tensor([2, 3], "int8", quant=Quantization.per_channel([1, 2], axis=2)),
     "quantized axis 2"),
    (lambda w: w.operator("RELU", [5], [0]), "input tensor 5 does not exist"),
    (lambda w: w.operator("RELU", [0], [-1]), "output tensor -1 does not exist"),
    (lambda w: w.operator("RELU", [0], [0], {"alpha": 1}), "takes no builtin options"),
    (lambda w: w.operator("CONV_2D", [0], [0], {"stride": 1}), "has no field 'stride'"),
    (lambda w: w.operator("CONV_2D", [0], [0], {"padding": "FULL"}), "not one of SAME, VALID"),
    (lambda w: w.operator("CONV_2D", [0], [0], {"stride_w": 2**31}), "out of range"),
    (lambda w: w.operator("CUSTOM", [0], [0]), "custom_code"),
    (lambda w: w.operator("NOT_AN_OP", [0], [0]), "unknown builtin operator"),
    (lambda w: w.set_io([0], [9]), "does not exist"),
    (lambda w: w.offline_memory_allocation([0, 0]), "2 offsets for 1 tensors"),
])
def test_inconsistent_models_are_rejected(build, message):
    w = ModelWriter()
    w.tensor([1, 2], "float32")
    with pytest.raises((ModelWriteError, ValueError), match=message):
        build(w)


def test_a_model_without_outputs_is_rejected():
    with pytest.raises(ModelWriteError, match="no outputs"):
        ModelWriter().to_bytes()


def test_buffers_outside_the_flatbuffer():
    """The >2 GB layout: Buffer.offset/size into data after the flatbuffer. (The TFLM
    wheel reads no data in this layout, so microforge is compared with the oracle running
    the same model in the usual layout.)"""
    rng = seeded("writer_outside")
    w = _fc_float(rng)
    inside, outside = w.to_bytes(), w.to_bytes(buffers_outside=True)
    m = tflite.Model.GetRootAsModel(outside, 0)
    for i, t in ((1, w.tensors[1]), (2, w.tensors[2])):
        buf = m.Buffers(i)
        assert buf.DataLength() == 0 and buf.Offset() % 16 == 0 and buf.Size() == len(t.data)
        assert outside[buf.Offset():buf.Offset() + buf.Size()] == t.data
    assert validate_bytes(outside).constant_bytes == validate_bytes(inside).constant_bytes
    x = rng.standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_array_equal(ours_run(outside, [x])[0], oracle_run(inside, [x])[0])
