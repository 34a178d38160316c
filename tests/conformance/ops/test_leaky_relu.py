"""LEAKY_RELU against the TFLM oracle: float32, int8, int16; alpha in [-1.5, 1.5]
(negative, zero, below and above one) and random quantization; 200 cases per dtype."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

from conformance.harness import Case, check_cases, random_data, random_quant, random_shape, seeded

CASES = 200


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    shape = random_shape(rng, int(rng.integers(1, 5)), max_dim=7)
    special = (0.0, 0.01, 0.2, 1.0, -0.5)
    alpha = float(np.float32(special[n % 5] if n % 3 == 0 else rng.uniform(-1.5, 1.5)))
    qi = qo = None
    if dtype != "float32":
        qi, qo = random_quant(rng, dtype), random_quant(rng, dtype)
    model = single_op_model("LEAKY_RELU", [T(shape, dtype, qi)], [T(shape, dtype, qo)],
                            {"alpha": alpha})
    x = random_data(rng, shape, dtype, *((-8.0, 8.0) if dtype == "float32" else ()))
    params = {"case": n, "dtype": dtype, "shape": shape, "alpha": alpha}
    if qi is not None:
        params.update(qi=(qi.scales[0], qi.zero_points[0]), qo=(qo.scales[0], qo.zero_points[0]))
    return Case(model, [[x]], params)


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16"])
def test_leaky_relu(dtype: str) -> None:
    rng = seeded(f"leaky_relu_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])
