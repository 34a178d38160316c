"""CONV_2D against the TFLM oracle: float32, int8 with per-channel and per-tensor filters,
int16 activations with int8 filters and int64 or int32 bias; random sizes, strides,
dilations, SAME/VALID padding, grouped filters, optional bias and every fused activation
(200 cases per variant)."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import Quantization, T, single_op_model

from conformance.harness import (
    Case,
    bias_quant,
    check_cases,
    ours_run,
    random_activation,
    random_data,
    random_per_channel_quant,
    random_quant,
    seeded,
)

CASES = 200


def out_size(padding: str, size: int, filt: int, stride: int, dilation: int) -> int:
    effective = (filt - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - effective) // stride


def geometry(rng: np.random.Generator) -> dict:
    """A valid convolution: shapes, strides, dilations, padding and groups."""
    while True:
        g = {
            "batches": int(rng.integers(1, 3)),
            "h": int(rng.integers(1, 11)), "w": int(rng.integers(1, 11)),
            "fh": int(rng.integers(1, 5)), "fw": int(rng.integers(1, 5)),
            "stride": (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            "dilation": (1, 1) if rng.random() < 0.5 else
            (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            "padding": "SAME" if rng.random() < 0.5 else "VALID",
            "groups": 1 if rng.random() < 0.8 else int(rng.integers(2, 4)),
        }
        g["fc"] = int(rng.integers(1, 7))
        g["cin"] = g["fc"] * g["groups"]
        g["cout"] = g["groups"] * int(rng.integers(1, 5))
        g["oh"] = out_size(g["padding"], g["h"], g["fh"], g["stride"][0], g["dilation"][0])
        g["ow"] = out_size(g["padding"], g["w"], g["fw"], g["stride"][1], g["dilation"][1])
        if g["oh"] > 0 and g["ow"] > 0:
            return g


def shapes(g: dict) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    return ((g["batches"], g["h"], g["w"], g["cin"]), (g["cout"], g["fh"], g["fw"], g["fc"]),
            (g["batches"], g["oh"], g["ow"], g["cout"]))


def options(g: dict, act: str) -> dict:
    return {"padding": g["padding"], "stride_h": g["stride"][0], "stride_w": g["stride"][1],
            "dilation_h_factor": g["dilation"][0], "dilation_w_factor": g["dilation"][1],
            "activation": act}


def describe(n: int, dtype: str, g: dict, act: str) -> dict:
    return {"case": n, "dtype": dtype, "in": shapes(g)[0], "filter": shapes(g)[1],
            "stride": g["stride"], "dilation": g["dilation"], "padding": g["padding"],
            "groups": g["groups"], "act": act}


def make_quantized(rng: np.random.Generator, n: int, dtype: str, variant: str) -> Case:
    g = geometry(rng)
    in_shape, f_shape, out_shape = shapes(g)
    act = random_activation(rng)
    depth = g["fh"] * g["fw"] * g["fc"]
    if dtype == "int8":
        qi = random_quant(rng, "int8")
        magnitude = 74.0
    else:
        qi = random_quant(rng, "int16", scale_range=(1e-5, 1e-3))
        magnitude = 74.0 * 256
    if variant == "per_tensor":
        # a filter zero point is ignored (filters are symmetric), as TFLM does
        wzp = int(rng.integers(-10, 11)) if rng.random() < 0.2 else 0
        qw = Quantization.per_tensor(float(np.float32(np.exp(rng.uniform(-9, -4)))), wzp)
    else:
        qw = random_per_channel_quant(rng, g["cout"], axis=0)
    typical = np.sqrt(depth) * magnitude * 74.0 * qi.scales[0] * float(np.median(qw.scales))
    o_scale = float(np.float32(typical / 64.0 * np.exp(rng.uniform(np.log(0.3), np.log(3.0)))))
    qo = Quantization.per_tensor(o_scale, int(rng.integers(-128, 128)) if dtype == "int8" else 0)
    weights = random_data(rng, f_shape, "int8", -127, 127)
    bias = None
    if rng.random() < 0.85:
        bdtype = "int32" if dtype == "int8" or variant == "bias32" else "int64"
        limit = 20000 if bdtype == "int32" and dtype == "int8" else 200000
        bias = T.const(random_data(rng, (g["cout"],), bdtype, -limit, limit), bias_quant(qi, qw))
    model = single_op_model("CONV_2D", [T(in_shape, dtype, qi), T.const(weights, qw), bias],
                            [T(out_shape, dtype, qo)], options(g, act))
    params = describe(n, dtype, g, act)
    params.update(variant=variant, bias=None if bias is None else str(bias.dtype),
                  qi=(qi.scales[0], qi.zero_points[0]), qo=(qo.scales[0], qo.zero_points[0]))
    return Case(model, [[random_data(rng, in_shape, dtype)]], params)


def make_float(rng: np.random.Generator, n: int) -> Case:
    g = geometry(rng)
    in_shape, f_shape, out_shape = shapes(g)
    act = random_activation(rng)
    weights = random_data(rng, f_shape, "float32")
    bias = T.const(random_data(rng, (g["cout"],), "float32")) if rng.random() < 0.85 else None
    model = single_op_model("CONV_2D", [T(in_shape, "float32"), T.const(weights), bias],
                            [T(out_shape, "float32")], options(g, act))
    params = describe(n, "float32", g, act)
    params["bias"] = bias is not None
    return Case(model, [[random_data(rng, in_shape, "float32")]], params)


def test_conv_2d_float32() -> None:
    rng = seeded("conv_2d_float32")
    check_cases([make_float(rng, n) for n in range(CASES)])


@pytest.mark.parametrize("variant", ["per_channel", "per_tensor"])
def test_conv_2d_int8(variant: str) -> None:
    rng = seeded(f"conv_2d_int8_{variant}")
    check_cases([make_quantized(rng, n, "int8", variant) for n in range(CASES)])


@pytest.mark.parametrize("variant", ["per_channel", "bias32"])
def test_conv_2d_int16(variant: str) -> None:
    rng = seeded(f"conv_2d_int16_{variant}")
    check_cases([make_quantized(rng, n, "int16", variant) for n in range(CASES)])


@pytest.mark.parametrize("options,out_hw,message", [
    ({"stride_h": 0}, (4, 4), "invalid geometry"),
    ({"dilation_w_factor": -2}, (4, 4), "invalid geometry"),
    ({}, (5, 4), "output is 5x4, expected 4x4"),
])
def test_conv_2d_rejects_bad_models(options: dict, out_hw: tuple[int, int], message: str) -> None:
    opts = {"padding": "SAME", "stride_h": 1, "stride_w": 1} | options
    model = single_op_model(
        "CONV_2D", [T((1, 4, 4, 2), "float32"), T.const(np.ones((3, 3, 3, 2), np.float32))],
        [T((1, *out_hw, 3), "float32")], opts)
    with pytest.raises(RuntimeError, match=message):
        ours_run(model, [np.zeros((1, 4, 4, 2), np.float32)])
