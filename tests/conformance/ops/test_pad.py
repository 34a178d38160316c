"""PAD: inputs of ranks 1-5 with random non-negative paddings (0-3 per side);
200 cases per dtype. float32, int8 (pads with the output zero point), int16 and
int32 run bit-exact against the TFLM oracle; int64, uint8 and bool, which the
oracle does not accept, are checked against numpy.pad (zeros)."""

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
    pads[rng.random(rank) < 0.3] = 0  # some dims unpadded
    q = random_quant(rng, dtype) if dtype in ("int8", "int16") else None
    x = random_data(rng, shape, dtype)
    fill = q.zero_points[0] if dtype == "int8" else 0
    want = np.pad(x, pads.tolist(), constant_values=np.array(fill).astype(x.dtype))
    model = single_op_model("PAD", [T(shape, dtype, q), T((rank, 2), "int32", data=pads)],
                            [T(want.shape, dtype, q)])
    return Case(model, [[x]], {"case": n, "dtype": dtype, "shape": shape,
                               "pads": pads.tolist()}), want


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
def test_pad(dtype: str) -> None:
    rng = seeded(f"pad_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
def test_pad_other_dtypes(dtype: str) -> None:
    rng = seeded(f"pad_{dtype}")
    check_numpy([make_case(rng, n, dtype) for n in range(CASES)])


def test_pad_rejects_negative_padding() -> None:
    model = single_op_model("PAD", [T((4,), "int8"),
                                    T((1, 2), "int32", data=np.array([[-1, 0]], np.int32))],
                            [T((3,), "int8")])
    status, message = run_many("ours", [(model, [[np.zeros(4, np.int8)]])])[0]
    assert status == "error" and "paddings -1,0 of dim 0" in message, message
