"""EXPAND_DIMS: random shapes (ranks 0-5) and axes in [-(rank+1), rank]; 200 cases
per dtype. float32, int8 and int16 run bit-exact against the TFLM oracle; int32,
int64, uint8 and bool (not accepted by the oracle) are checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

from conformance.harness import (
    Case,
    check_cases,
    describe_difference,
    random_data,
    random_shape,
    run_many,
    seeded,
)

CASES = 200


def make_case(rng: np.random.Generator, n: int, dtype: str) -> tuple[Case, np.ndarray]:
    rank = int(rng.integers(1, 6))
    shape = random_shape(rng, rank, max_dim=5)
    axis = int(rng.integers(-(rank + 1), rank + 1))
    x = random_data(rng, shape, dtype)
    want = np.expand_dims(x, axis)
    axis_t = (T((), "int32", data=np.array(axis, np.int32)) if rng.integers(2)
              else T((1,), "int32", data=np.array([axis], np.int32)))
    model = single_op_model("EXPAND_DIMS", [T(shape, dtype), axis_t], [T(want.shape, dtype)])
    return Case(model, [[x]], {"case": n, "dtype": dtype, "shape": shape, "axis": axis}), want


def check_numpy(cases: list[tuple[Case, np.ndarray]]) -> None:
    """Runs microforge only and compares with the numpy result of each case."""
    results = run_many("ours", [(c.model, c.inputs) for c, _ in cases])
    problems = []
    for (case, want), (status, value) in zip(cases, results, strict=True):
        problem = value if status != "ok" else describe_difference(value[0][0], want)
        if problem:
            problems.append(f"{case.params}: {problem}")
    assert not problems, f"{len(problems)} of {len(cases)} cases wrong:\n" + "\n".join(
        problems[:5])


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16"])
def test_expand_dims_oracle(dtype: str) -> None:
    rng = seeded(f"expand_dims_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_expand_dims_other_dtypes(dtype: str) -> None:
    rng = seeded(f"expand_dims_{dtype}")
    check_numpy([make_case(rng, n, dtype) for n in range(CASES)])


def test_expand_dims_rejects_bad_axis() -> None:
    model = single_op_model("EXPAND_DIMS", [T((2, 3), "int8"),
                                            T((1,), "int32", data=np.array([3], np.int32))],
                            [T((2, 3, 1), "int8")])
    status, message = run_many("ours", [(model, [[np.zeros((2, 3), np.int8)]])])[0]
    assert status == "error" and "axis 3 out of range" in message, message
