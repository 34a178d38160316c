"""HARD_SWISH against the TFLM oracle: float32 (inputs in [-8, 8]) and int8 with
random input/output quantization; 200 cases per dtype."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model
from microforge.runtime.callgrind import oracle_instructions, ours_instructions

from conformance.harness import (
    Case,
    check_cases,
    random_data,
    random_quant,
    random_shape,
    run_many,
    seeded,
)

CASES = 200


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    shape = random_shape(rng, int(rng.integers(1, 5)), max_dim=7)
    qi = qo = None
    if dtype == "int8":
        # TFLite needs input_scale / 128 <= output_scale (a right-shifting output).
        qi = random_quant(rng, dtype, scale_range=(1e-3, 2e-1))
        qo = random_quant(rng, dtype, scale_range=(max(1e-3, qi.scales[0] / 100), 2e-1))
    model = single_op_model("HARD_SWISH", [T(shape, dtype, qi)], [T(shape, dtype, qo)])
    x = random_data(rng, shape, dtype, *((-8.0, 8.0) if dtype == "float32" else ()))
    params = {"case": n, "dtype": dtype, "shape": shape}
    if qi is not None:
        params.update(qi=(qi.scales[0], qi.zero_points[0]), qo=(qo.scales[0], qo.zero_points[0]))
    return Case(model, [[x]], params)


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_hard_swish(dtype: str) -> None:
    rng = seeded(f"hard_swish_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])


def test_hard_swish_rejects_left_shifting_output() -> None:
    q_in, q_out = random_quant(seeded(1)), random_quant(seeded(2))
    q_in = type(q_in).per_tensor(0.5, 0)
    q_out = type(q_out).per_tensor(0.001, 0)
    model = single_op_model("HARD_SWISH", [T((1, 4), "int8", q_in)], [T((1, 4), "int8", q_out)])
    status, message = run_many("ours", [(model, [[np.zeros((1, 4), np.int8)]])])[0]
    assert status == "error" and "scales out of range" in message, message


@pytest.mark.slow
def test_hard_swish_int8_needs_no_more_instructions_than_tflm(tmp_path) -> None:
    """Instructions per invoke under callgrind, microforge vs TFLM's reference kernel."""
    path = tmp_path / "model.tflite"
    path.write_bytes(single_op_model(
        "HARD_SWISH", [T((1, 8, 8, 16), "int8", random_quant(seeded(10), "int8"))],
        [T((1, 8, 8, 16), "int8", random_quant(seeded(11), "int8", scale_range=(0.1, 0.1)))]))
    ours, tflm = ours_instructions(path, repeats=2), oracle_instructions(path, repeats=2)
    assert ours <= tflm, f"microforge {ours:,} vs TFLM {tflm:,} instructions per invoke"
