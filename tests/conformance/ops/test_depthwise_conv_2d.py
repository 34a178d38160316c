"""DEPTHWISE_CONV_2D against the TFLM oracle: float32, int8 with per-channel and per-tensor
filters, int16 activations with int8 filters and int64 bias; random sizes, depth
multipliers, strides, dilations, SAME/VALID padding and every fused activation (200 cases
per variant).

The oracle crashes on a depthwise convolution without bias, so models without bias run on
microforge and are compared with the oracle running the same model with a zero bias."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import Quantization, T, single_op_model

from conformance.harness import (
    Case,
    bias_quant,
    check_cases,
    describe_difference,
    ours_run,
    random_activation,
    random_data,
    random_per_channel_quant,
    random_quant,
    run_many,
    seeded,
)

CASES = 200


def out_size(padding: str, size: int, filt: int, stride: int, dilation: int) -> int:
    effective = (filt - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - effective) // stride


def geometry(rng: np.random.Generator) -> dict:
    """A valid depthwise convolution: shapes, multiplier, strides, dilations, padding."""
    while True:
        g = {
            "batches": int(rng.integers(1, 3)),
            "h": int(rng.integers(1, 11)), "w": int(rng.integers(1, 11)),
            "fh": int(rng.integers(1, 5)), "fw": int(rng.integers(1, 5)),
            "stride": (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            "dilation": (1, 1) if rng.random() < 0.5 else
            (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            "padding": "SAME" if rng.random() < 0.5 else "VALID",
            "cin": int(rng.integers(1, 9)),
            "multiplier": 1 if rng.random() < 0.6 else int(rng.integers(2, 4)),
        }
        g["cout"] = g["cin"] * g["multiplier"]
        g["oh"] = out_size(g["padding"], g["h"], g["fh"], g["stride"][0], g["dilation"][0])
        g["ow"] = out_size(g["padding"], g["w"], g["fw"], g["stride"][1], g["dilation"][1])
        if g["oh"] > 0 and g["ow"] > 0:
            return g


def shapes(g: dict) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    return ((g["batches"], g["h"], g["w"], g["cin"]), (1, g["fh"], g["fw"], g["cout"]),
            (g["batches"], g["oh"], g["ow"], g["cout"]))


def options(g: dict, act: str) -> dict:
    return {"padding": g["padding"], "depth_multiplier": g["multiplier"],
            "stride_h": g["stride"][0], "stride_w": g["stride"][1],
            "dilation_h_factor": g["dilation"][0], "dilation_w_factor": g["dilation"][1],
            "activation": act}


def describe(n: int, dtype: str, g: dict, act: str) -> dict:
    return {"case": n, "dtype": dtype, "in": shapes(g)[0], "filter": shapes(g)[1],
            "stride": g["stride"], "dilation": g["dilation"], "padding": g["padding"],
            "multiplier": g["multiplier"], "act": act}


def make_quantized(rng: np.random.Generator, n: int, dtype: str, variant: str,
                   with_bias: bool = True) -> Case | tuple[Case, bytes]:
    """A case; without bias, the case has a zero bias (for the oracle) and the model
    without bias comes along."""
    g = geometry(rng)
    in_shape, f_shape, out_shape = shapes(g)
    act = random_activation(rng)
    depth = g["fh"] * g["fw"]
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
        qw = random_per_channel_quant(rng, g["cout"], axis=3)
    typical = np.sqrt(depth) * magnitude * 74.0 * qi.scales[0] * float(np.median(qw.scales))
    o_scale = float(np.float32(typical / 64.0 * np.exp(rng.uniform(np.log(0.3), np.log(3.0)))))
    qo = Quantization.per_tensor(o_scale, int(rng.integers(-128, 128)) if dtype == "int8" else 0)
    weights = random_data(rng, f_shape, "int8", -127, 127)
    bdtype = "int32" if dtype == "int8" else "int64"
    limit = 20000 if dtype == "int8" else 200000
    bias_data = random_data(rng, (g["cout"],), bdtype, -limit, limit)
    bias = T.const(bias_data if with_bias else np.zeros_like(bias_data), bias_quant(qi, qw))
    def build(b: T | None) -> bytes:
        return single_op_model("DEPTHWISE_CONV_2D", [T(in_shape, dtype, qi),
                                                     T.const(weights, qw), b],
                               [T(out_shape, dtype, qo)], options(g, act))

    model = build(bias)
    params = describe(n, dtype, g, act)
    params.update(variant=variant, bias=with_bias,
                  qi=(qi.scales[0], qi.zero_points[0]), qo=(qo.scales[0], qo.zero_points[0]))
    case = Case(model, [[random_data(rng, in_shape, dtype)]], params)
    return case if with_bias else (case, build(None))


def make_float(rng: np.random.Generator, n: int,
               with_bias: bool = True) -> Case | tuple[Case, bytes]:
    g = geometry(rng)
    in_shape, f_shape, out_shape = shapes(g)
    act = random_activation(rng)
    weights = random_data(rng, f_shape, "float32")
    bias_data = random_data(rng, (g["cout"],), "float32")
    bias = T.const(bias_data if with_bias else np.zeros_like(bias_data))
    def build(b: T | None) -> bytes:
        return single_op_model("DEPTHWISE_CONV_2D",
                               [T(in_shape, "float32"), T.const(weights), b],
                               [T(out_shape, "float32")], options(g, act))

    model = build(bias)
    params = describe(n, "float32", g, act)
    params["bias"] = with_bias
    case = Case(model, [[random_data(rng, in_shape, "float32")]], params)
    return case if with_bias else (case, build(None))


def test_depthwise_conv_2d_float32() -> None:
    rng = seeded("depthwise_conv_2d_float32")
    check_cases([make_float(rng, n) for n in range(CASES)])


@pytest.mark.parametrize("variant", ["per_channel", "per_tensor"])
def test_depthwise_conv_2d_int8(variant: str) -> None:
    rng = seeded(f"depthwise_conv_2d_int8_{variant}")
    check_cases([make_quantized(rng, n, "int8", variant) for n in range(CASES)])


@pytest.mark.parametrize("variant", ["per_channel"])
def test_depthwise_conv_2d_int16(variant: str) -> None:
    rng = seeded(f"depthwise_conv_2d_int16_{variant}")
    check_cases([make_quantized(rng, n, "int16", variant) for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16"])
def test_depthwise_conv_2d_without_bias(dtype: str) -> None:
    rng = seeded(f"depthwise_conv_2d_nobias_{dtype}")
    pairs = []
    for n in range(50):
        if dtype == "float32":
            pairs.append(make_float(rng, n, with_bias=False))
        else:
            pairs.append(make_quantized(rng, n, dtype, "per_channel", with_bias=False))
    cases = [c for c, _ in pairs]
    oracle = run_many("oracle", [(c.model, c.inputs) for c in cases])
    ours = run_many("ours", [(m, c.inputs) for c, m in pairs])
    problems = []
    for case, (ok_o, want), (ok_r, got) in zip(cases, oracle, ours, strict=True):
        assert ok_o == "ok", f"oracle: {want}"
        assert ok_r == "ok", f"microforge: {got}"
        problem = describe_difference(got[0][0], want[0][0],
                                      case.rtol if dtype == "float32" else None, case.atol)
        if problem:
            problems.append(f"DEPTHWISE_CONV_2D without bias {case.params}: {problem}")
    assert not problems, "\n".join(problems[:5])


@pytest.mark.parametrize("multiplier,message", [
    (0, "depth multiplier 0 does not match 6 filter / 2 input channels"),
    (2, "depth multiplier 2 does not match"),
])
def test_depthwise_conv_2d_rejects_a_wrong_depth_multiplier(multiplier: int, message: str) -> None:
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [T((1, 4, 4, 2), "float32"), T.const(np.ones((1, 3, 3, 6), np.float32))],
        [T((1, 4, 4, 6), "float32")],
        {"padding": "SAME", "stride_h": 1, "stride_w": 1, "depth_multiplier": multiplier})
    with pytest.raises(RuntimeError, match=message):
        ours_run(model, [np.zeros((1, 4, 4, 2), np.float32)])
