"""PADV2: inputs of ranks 1-5 with random paddings and an explicit pad value,
given as a constant scalar or as a one-element graph input; 200 cases per dtype.
float32, int8 (pad value quantized like the output), int16 and int32 run
bit-exact against the TFLM oracle; int64, uint8 and bool, which the oracle does
not accept, are checked against numpy.pad."""

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
    rank = int(rng.integers(1, 6))
    shape = random_shape(rng, rank, max_dim=5)
    pads = rng.integers(0, 4, size=(rank, 2)).astype(np.int32)
    q = random_quant(rng, dtype) if dtype in ("int8", "int16") else None
    x = random_data(rng, shape, dtype)
    value = random_data(rng, (1,), dtype)
    want = np.pad(x, pads.tolist(), constant_values=value[0])
    inputs = [x]
    if rng.integers(2):
        value_t = T((), dtype, q, data=value.reshape(()))
    else:
        value_t = T((1,), dtype, q)
        inputs.append(value)
    model = single_op_model("PADV2", [T(shape, dtype, q), T((rank, 2), "int32", data=pads),
                                      value_t], [T(want.shape, dtype, q)])
    return Case(model, [inputs], {"case": n, "dtype": dtype, "shape": shape,
                                  "pads": pads.tolist(), "value": value[0]}), want


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


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32"])
def test_padv2(dtype: str) -> None:
    rng = seeded(f"padv2_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
def test_padv2_other_dtypes(dtype: str) -> None:
    rng = seeded(f"padv2_{dtype}")
    check_numpy([make_case(rng, n, dtype) for n in range(CASES)])
