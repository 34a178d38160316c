"""TRANSPOSE: random ranks 1-5, dims 1-6 and permutations; 200 cases per dtype.

float32, int8 and int16 run bit-exact against the TFLM oracle. The kernel also
moves int32, int64, uint8 and bool, which the oracle does not accept; those are
checked against numpy's transpose on the same generated cases."""

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
    shape = random_shape(rng, rank, max_dim=6)
    perm = rng.permutation(rank).astype(np.int32)
    x = random_data(rng, shape, dtype)
    want = np.transpose(x, perm)
    model = single_op_model("TRANSPOSE", [T(shape, dtype), T((rank,), "int32", data=perm)],
                            [T(want.shape, dtype)])
    return Case(model, [[x]], {"case": n, "dtype": dtype, "shape": shape,
                               "perm": perm.tolist()}), want


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
def test_transpose_oracle(dtype: str) -> None:
    rng = seeded(f"transpose_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_transpose_other_dtypes(dtype: str) -> None:
    rng = seeded(f"transpose_{dtype}")
    check_numpy([make_case(rng, n, dtype) for n in range(CASES)])


def test_transpose_rejects_bad_perm() -> None:
    x = np.zeros((2, 3), np.int8)
    model = single_op_model("TRANSPOSE", [T((2, 3), "int8"),
                                          T((2,), "int32", data=np.array([0, 0], np.int32))],
                            [T((2, 3), "int8")])
    status, message = run_many("ours", [(model, [[x]])])[0]
    assert status == "error" and "not a permutation" in message, message
