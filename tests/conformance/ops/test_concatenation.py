"""CONCATENATION: 1-5 inputs of ranks 1-4 joined along a random (also negative)
axis; 200 cases per dtype. float32, int8, int16, int32, int64 and bool run
bit-exact against the TFLM oracle (int8 inputs share one quantization, as
converters write them); uint8, which the oracle does not accept, is checked
against numpy.concatenate."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

from conformance.harness import (
    Case,
    check_cases,
    describe_difference,
    random_data,
    random_quant,
    random_shape,
    run_many,
    seeded,
)

CASES = 200


def make_case(rng: np.random.Generator, n: int, dtype: str) -> tuple[Case, np.ndarray]:
    rank = int(rng.integers(1, 5))
    base = list(random_shape(rng, rank, max_dim=5))
    axis = int(rng.integers(-rank, rank))
    count = int(rng.integers(1, 6))
    shapes = []
    for _ in range(count):
        s = list(base)
        s[axis] = int(rng.integers(1, 5))
        shapes.append(tuple(s))
    q = random_quant(rng, dtype) if dtype in ("int8", "int16") else None
    xs = [random_data(rng, s, dtype) for s in shapes]
    want = np.concatenate(xs, axis=axis)
    model = single_op_model("CONCATENATION", [T(s, dtype, q) for s in shapes],
                            [T(want.shape, dtype, q)], {"axis": axis})
    return Case(model, [xs], {"case": n, "dtype": dtype, "shapes": shapes, "axis": axis}), want


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


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32", "int64", "bool"])
def test_concatenation(dtype: str) -> None:
    rng = seeded(f"concatenation_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


def test_concatenation_uint8() -> None:
    rng = seeded("concatenation_uint8")
    check_numpy([make_case(rng, n, "uint8") for n in range(CASES)])


def test_concatenation_rejects_mismatched_dims() -> None:
    model = single_op_model("CONCATENATION", [T((2, 3), "int8"), T((3, 3), "int8")],
                            [T((2, 6), "int8")], {"axis": 1})
    xs = [np.zeros((2, 3), np.int8), np.zeros((3, 3), np.int8)]
    status, message = run_many("ours", [(model, [xs])])[0]
    assert status == "error" and "input 1 dim 0 is 3, output 2" in message, message
