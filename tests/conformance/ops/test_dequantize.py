"""DEQUANTIZE against the TFLM oracle: int8, int16 and uint8 to float32 with random shapes,
scales and zero points (200 cases per dtype)."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import Quantization, T, single_op_model

from conformance.harness import Case, check_cases, random_data, seeded

CASES = 200


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    shape = tuple(int(d) for d in rng.integers(1, 8, size=int(rng.integers(1, 5))))
    scale = float(np.float32(np.exp(rng.uniform(np.log(1e-5), np.log(1.0)))))
    info = np.iinfo(dtype)
    zp = int(rng.integers(info.min, info.max + 1)) if dtype != "int16" else 0
    q = Quantization.per_tensor(scale, zp)
    model = single_op_model("DEQUANTIZE", [T(shape, dtype, q)], [T(shape, "float32")])
    params = {"case": n, "in": f"{dtype}{list(shape)}", "q": (scale, zp)}
    return Case(model, [[random_data(rng, shape, dtype)]], params)


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8"])
def test_dequantize(dtype: str) -> None:
    rng = seeded(f"dequantize_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])
