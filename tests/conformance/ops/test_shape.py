"""SHAPE: random input shapes (ranks 1-6) of every dtype, int32 output; 200 cases
per input dtype, bit-exact against the TFLM oracle. The int64 output (which the
oracle does not accept) is checked against the known shape."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

from conformance.harness import (
    Case,
    check_cases,
    random_data,
    random_shape,
    run_many,
    seeded,
)

CASES = 200
DTYPES = ["float32", "int8", "int16", "int32", "int64", "uint8", "bool"]


def make_case(rng: np.random.Generator, n: int, dtype: str, out: str = "int32") -> Case:
    rank = int(rng.integers(1, 7))
    shape = random_shape(rng, rank, max_dim=6)
    model = single_op_model("SHAPE", [T(shape, dtype)], [T((rank,), out)],
                            {"out_type": out.upper()})
    return Case(model, [[random_data(rng, shape, dtype)]],
                {"case": n, "dtype": dtype, "shape": shape})


@pytest.mark.parametrize("dtype", DTYPES)
def test_shape(dtype: str) -> None:
    rng = seeded(f"shape_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])


def test_shape_int64_output() -> None:
    rng = seeded("shape_int64_out")
    cases = [make_case(rng, n, DTYPES[n % len(DTYPES)], "int64") for n in range(CASES)]
    results = run_many("ours", [(c.model, c.inputs) for c in cases])
    for case, (status, value) in zip(cases, results, strict=True):
        assert status == "ok", value
        got = value[0][0]
        assert got.dtype == np.int64 and got.tolist() == list(case.params["shape"]), case.params
