"""UNPACK: inputs of ranks 2-5 split along a random (also negative) axis into
rank-1-lower outputs; 200 cases per dtype. float32, int8, int16 and int32 run
bit-exact against the TFLM oracle; int64, uint8 and bool, which the oracle does
not accept, are checked against numpy."""

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


def make_case(rng: np.random.Generator, n: int, dtype: str) -> tuple[Case, list[np.ndarray]]:
    rank = int(rng.integers(2, 6))
    shape = random_shape(rng, rank, max_dim=5)
    axis = int(rng.integers(-rank, rank))
    x = random_data(rng, shape, dtype)
    want = [np.take(x, i, axis=axis) for i in range(shape[axis])]
    model = single_op_model("UNPACK", [T(shape, dtype)], [T(w.shape, dtype) for w in want],
                            {"num": shape[axis], "axis": axis})
    return Case(model, [[x]], {"case": n, "dtype": dtype, "shape": shape, "axis": axis}), want


def check_numpy(cases: list[tuple[Case, list[np.ndarray]]]) -> None:
    """Runs microforge only and compares every output with numpy's."""
    results = run_many("ours", [(c.model, c.inputs) for c, _ in cases])
    problems = []
    for (case, want), (status, value) in zip(cases, results, strict=True):
        if status != "ok":
            problems.append(f"{case.params}: {value}")
            continue
        for k, (got, w) in enumerate(zip(value[0], want, strict=True)):
            problem = describe_difference(got, w)
            if problem:
                problems.append(f"{case.params} output {k}: {problem}")
    assert not problems, f"{len(problems)} of {len(cases)} cases wrong:\n" + "\n".join(
        problems[:5])


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32"])
def test_unpack(dtype: str) -> None:
    rng = seeded(f"unpack_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
def test_unpack_other_dtypes(dtype: str) -> None:
    rng = seeded(f"unpack_{dtype}")
    check_numpy([make_case(rng, n, dtype) for n in range(CASES)])
