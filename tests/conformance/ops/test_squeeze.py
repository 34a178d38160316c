"""SQUEEZE: random shapes with unit dims (ranks 1-6), squeezing all unit dims or a
random subset given with positive or negative indices; 200 cases per dtype,
bit-exact against the TFLM oracle for every dtype."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

from conformance.harness import Case, check_cases, random_data, run_many, seeded

CASES = 200


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    rank = int(rng.integers(1, 7))
    shape = tuple(1 if rng.random() < 0.4 else int(rng.integers(2, 6)) for _ in range(rank))
    units = [i for i, d in enumerate(shape) if d == 1]
    if units and rng.integers(2):
        chosen = sorted(rng.choice(units, size=int(rng.integers(1, len(units) + 1)),
                                   replace=False).tolist())
        dims = [i - rank if rng.integers(2) else i for i in chosen]
    else:
        chosen, dims = units, []
    out = tuple(d for i, d in enumerate(shape) if i not in chosen)
    if not out:  # keep graph outputs non-scalar for the oracle's Python API
        return make_case(rng, n, dtype)
    x = random_data(rng, shape, dtype)
    options = {"squeeze_dims": dims} if dims else None
    model = single_op_model("SQUEEZE", [T(shape, dtype)], [T(out, dtype)], options)
    return Case(model, [[x]], {"case": n, "dtype": dtype, "shape": shape, "dims": dims})


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32", "int64", "uint8",
                                   "bool"])
def test_squeeze(dtype: str) -> None:
    rng = seeded(f"squeeze_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])


def test_squeeze_rejects_non_unit_dim() -> None:
    model = single_op_model("SQUEEZE", [T((2, 3), "int8")], [T((3,), "int8")],
                            {"squeeze_dims": [0]})
    status, message = run_many("ours", [(model, [[np.zeros((2, 3), np.int8)]])])[0]
    assert status == "error" and "cannot squeeze dim 0" in message, message
