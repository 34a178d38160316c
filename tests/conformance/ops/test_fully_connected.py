"""FULLY_CONNECTED against the TFLM oracle: float32, int8 with per-tensor and per-channel
weights, int16 activations with int8 weights and int64 bias; random batches, depths, input
ranks, keep_num_dims, optional bias and every fused activation (200 cases per variant)."""

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


def geometry(rng: np.random.Generator) -> tuple[tuple[int, ...], int, int, tuple[int, ...], bool]:
    """Input shape, accumulation depth, output depth, output shape and keep_num_dims."""
    depth = int(rng.integers(1, 48))
    out_depth = int(rng.integers(1, 24))
    rank = int(rng.integers(2, 5))
    lead = [int(d) for d in rng.integers(1, 4, size=rank - 1)]
    keep = bool(rng.integers(2)) and rank > 2
    in_shape = (*lead, depth)
    batches = int(np.prod(lead))
    out_shape = (*lead, out_depth) if keep else (batches, out_depth)
    return in_shape, depth, out_depth, out_shape, keep


def output_scale(rng: np.random.Generator, in_scale: float, w_scale: float, depth: int,
                 spread: float) -> float:
    """An output scale that keeps most results inside the int range, with some clipping."""
    typical = np.sqrt(depth) * spread * 74.0 * in_scale * w_scale
    return float(np.float32(typical / 64.0 * np.exp(rng.uniform(np.log(0.3), np.log(3.0)))))


def make_quantized(rng: np.random.Generator, n: int, dtype: str, per_channel: bool) -> Case:
    in_shape, depth, out_depth, out_shape, keep = geometry(rng)
    act = random_activation(rng)
    if dtype == "int8":
        qi = random_quant(rng, "int8")
        spread = 74.0
    else:
        qi = random_quant(rng, "int16", scale_range=(1e-5, 1e-3))
        spread = 74.0 * 256
    if per_channel:
        qw = random_per_channel_quant(rng, out_depth, axis=0)
    else:
        wzp = int(rng.integers(-20, 21)) if dtype == "int8" and rng.random() < 0.2 else 0
        qw = Quantization.per_tensor(float(np.float32(np.exp(rng.uniform(-9, -4)))), wzp)
    w_scale = float(np.median(qw.scales))
    o_scale = output_scale(rng, qi.scales[0], w_scale, depth, spread / 74.0)
    if dtype == "int8":
        qo = Quantization.per_tensor(o_scale, int(rng.integers(-128, 128)))
    else:
        qo = Quantization.per_tensor(o_scale, 0)
    weights = random_data(rng, (out_depth, depth), "int8", -127, 127)
    bias = None
    if rng.random() < 0.85:
        bdtype = "int32" if dtype == "int8" else "int64"
        limit = 20000 if dtype == "int8" else 20000 * 256
        bias = T.const(random_data(rng, (out_depth,), bdtype, -limit, limit), bias_quant(qi, qw))
    model = single_op_model(
        "FULLY_CONNECTED",
        [T(in_shape, dtype, qi), T.const(weights, qw), bias],
        [T(out_shape, dtype, qo)],
        {"activation": act, "keep_num_dims": keep})
    params = {"case": n, "dtype": dtype, "input": in_shape, "units": out_depth,
              "keep_num_dims": keep, "act": act, "per_channel": per_channel,
              "bias": bias is not None, "qi": (qi.scales[0], qi.zero_points[0]),
              "qw": (qw.scales[0], qw.zero_points[0]), "qo": (qo.scales[0], qo.zero_points[0])}
    inputs = [[random_data(rng, in_shape, dtype)] for _ in range(2)]
    return Case(model, inputs, params)


def make_float(rng: np.random.Generator, n: int) -> Case:
    in_shape, depth, out_depth, out_shape, keep = geometry(rng)
    act = random_activation(rng)
    weights = random_data(rng, (out_depth, depth), "float32", -1.0, 1.0)
    bias = T.const(random_data(rng, (out_depth,), "float32")) if rng.random() < 0.85 else None
    model = single_op_model(
        "FULLY_CONNECTED", [T(in_shape, "float32"), T.const(weights), bias],
        [T(out_shape, "float32")], {"activation": act, "keep_num_dims": keep})
    params = {"case": n, "dtype": "float32", "input": in_shape, "units": out_depth,
              "keep_num_dims": keep, "act": act, "bias": bias is not None}
    inputs = [[random_data(rng, in_shape, "float32")] for _ in range(2)]
    return Case(model, inputs, params)


def test_fully_connected_float32() -> None:
    rng = seeded("fully_connected_float32")
    check_cases([make_float(rng, n) for n in range(CASES)])


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_fully_connected_int8(per_channel: bool) -> None:
    rng = seeded(f"fully_connected_int8_{per_channel}")
    check_cases([make_quantized(rng, n, "int8", per_channel) for n in range(CASES)])


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_fully_connected_int16(per_channel: bool) -> None:
    rng = seeded(f"fully_connected_int16_{per_channel}")
    check_cases([make_quantized(rng, n, "int16", per_channel) for n in range(CASES)])


def test_fully_connected_int8_multiplier_from_double_product() -> None:
    """A case whose result differs by one when the per-tensor multiplier is derived from the
    float product of the input and weight scales instead of the double product."""
    qi = Quantization.per_tensor(0.020764247, -128)
    qw = Quantization.per_tensor(0.0121412715, 0)
    qo = Quantization.per_tensor(0.8328309, 127)
    bias = np.array([-814316 - 155 * 101], np.int32)
    model = single_op_model(
        "FULLY_CONNECTED",
        [T((1, 1), "int8", qi), T.const(np.array([[101]], np.int8), qw),
         T.const(bias, bias_quant(qi, qw))],
        [T((1, 1), "int8", qo)])
    case = Case(model, [[np.array([[27]], np.int8)]], {"expected": -119})
    check_cases([case])
    assert int(ours_run(model, [np.array([[27]], np.int8)])[0][0, 0]) == -119
