"""SPLIT: inputs of ranks 1-5 cut into 1-4 equal parts along a random (also
negative) constant axis; 200 cases per dtype. float32, int8, int16 and int32 run
bit-exact against the TFLM oracle; int64, uint8 and bool, which the oracle does
not accept, are checked against numpy.split."""

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
    rank = int(rng.integers(1, 6))
    shape = list(random_shape(rng, rank, max_dim=4))
    axis = int(rng.integers(-rank, rank))
    parts = int(rng.integers(1, 5))
    shape[axis] *= parts
    x = random_data(rng, shape, dtype)
    want = np.split(x, parts, axis=axis)
    axis_t = (T((), "int32", data=np.array(axis, np.int32)) if rng.integers(2)
              else T((1,), "int32", data=np.array([axis], np.int32)))
    model = single_op_model("SPLIT", [axis_t, T(shape, dtype)],
                            [T(w.shape, dtype) for w in want], {"num_splits": parts})
    return Case(model, [[x]], {"case": n, "dtype": dtype, "shape": shape, "axis": axis,
                               "parts": parts}), want


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
def test_split(dtype: str) -> None:
    rng = seeded(f"split_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
def test_split_other_dtypes(dtype: str) -> None:
    rng = seeded(f"split_{dtype}")
    check_numpy([make_case(rng, n, dtype) for n in range(CASES)])


def test_split_rejects_uneven_split() -> None:
    model = single_op_model("SPLIT", [T((), "int32", data=np.array(0, np.int32)),
                                      T((5,), "int8")], [T((2,), "int8")] * 2,
                            {"num_splits": 2})
    status, message = run_many("ours", [(model, [[np.zeros(5, np.int8)]])])[0]
    assert status == "error" and "does not split in 2" in message, message
