"""PACK: 1-5 same-shaped inputs of ranks 0-4 stacked along a random (also
negative) axis; 200 cases per dtype. float32, int8, int16, int32 and int64 run
bit-exact against the TFLM oracle; uint8 and bool, which the oracle does not
accept, are checked against numpy.stack."""

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
    rank = int(rng.integers(1, 5))
    shape = random_shape(rng, rank, max_dim=5)
    axis = int(rng.integers(-(rank + 1), rank + 1))
    count = int(rng.integers(1, 6))
    xs = [random_data(rng, shape, dtype) for _ in range(count)]
    want = np.stack(xs, axis=axis)
    model = single_op_model("PACK", [T(shape, dtype) for _ in xs], [T(want.shape, dtype)],
                            {"values_count": count, "axis": axis})
    return Case(model, [xs], {"case": n, "dtype": dtype, "shape": shape, "n": count,
                              "axis": axis}), want


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


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32", "int64"])
def test_pack(dtype: str) -> None:
    rng = seeded(f"pack_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["uint8", "bool"])
def test_pack_other_dtypes(dtype: str) -> None:
    rng = seeded(f"pack_{dtype}")
    check_numpy([make_case(rng, n, dtype) for n in range(CASES)])


def test_pack_rejects_values_count_mismatch() -> None:
    model = single_op_model("PACK", [T((2,), "int8"), T((2,), "int8")], [T((2, 2), "int8")],
                            {"values_count": 3, "axis": 0})
    xs = [np.zeros(2, np.int8)] * 2
    status, message = run_many("ours", [(model, [xs])])[0]
    assert status == "error" and "values_count 3, 2 inputs" in message, message
