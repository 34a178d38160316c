"""RELU against the TFLM oracle: float32, and int8/int16 with random input/output
quantization (a quarter of the cases with equal quantization); 200 cases per dtype."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

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
OP = "RELU"


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    shape = random_shape(rng, int(rng.integers(1, 5)), max_dim=7)
    qi = qo = None
    if dtype != "float32":
        qi = random_quant(rng, dtype)
        qo = qi if rng.integers(4) == 0 else random_quant(rng, dtype)
    model = single_op_model(OP, [T(shape, dtype, qi)], [T(shape, dtype, qo)])
    x = random_data(rng, shape, dtype, *((-8.0, 8.0) if dtype == "float32" else ()))
    params = {"case": n, "dtype": dtype, "shape": shape}
    if qi is not None:
        params.update(qi=(qi.scales[0], qi.zero_points[0]), qo=(qo.scales[0], qo.zero_points[0]))
    return Case(model, [[x]], params)


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16"])
def test_relu(dtype: str) -> None:
    rng = seeded(f"{OP}_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])


def test_relu_rejects_unsupported_dtype() -> None:
    model = single_op_model(OP, [T((4,), "int32")], [T((4,), "int32")])
    status, message = run_many("ours", [(model, [[np.zeros(4, np.int32)]])])[0]
    assert status == "error" and "int32 not supported" in message, message
