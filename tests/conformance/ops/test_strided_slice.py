"""STRIDED_SLICE: inputs of ranks 1-4 with random begin/end (in and out of range,
negative), strides of -3..3, begin/end masks and shrink axes; 200 cases per
dtype. float32, int8, int16, int32 and bool run bit-exact against the TFLM
oracle; int64 and uint8, which the oracle does not accept, are checked against
numpy slicing (same index rules), as is rank 5."""

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


def make_case(rng: np.random.Generator, n: int, dtype: str,
              max_rank: int = 4) -> tuple[Case, np.ndarray]:
    while True:
        rank = int(rng.integers(1, max_rank + 1))
        shape = random_shape(rng, rank, max_dim=7)
        begin, end, strides = [], [], []
        begin_mask = end_mask = shrink_mask = 0
        index: list[int | slice] = []
        for d, size in enumerate(shape):
            if rng.random() < 0.15:  # shrink this axis to one index
                b = int(rng.integers(-size, size))
                begin.append(b)
                end.append(b + 1)
                strides.append(1)
                shrink_mask |= 1 << d
                index.append(b)
                continue
            stride = int(rng.choice([-3, -2, -1, 1, 1, 2, 3]))
            b = int(rng.integers(-size - 2, size + 3))
            e = int(rng.integers(-size - 2, size + 3))
            begin.append(b)
            end.append(e)
            strides.append(stride)
            bm = rng.random() < 0.2
            em = rng.random() < 0.2
            begin_mask |= int(bm) << d
            end_mask |= int(em) << d
            index.append(slice(None if bm else b, None if em else e, stride))
        x = random_data(rng, shape, dtype)
        want = x[tuple(index)]
        if want.ndim > 0 and want.size > 0:
            break
    ints = [T((rank,), "int32", data=np.array(v, np.int32)) for v in (begin, end, strides)]
    options = {"begin_mask": begin_mask, "end_mask": end_mask, "shrink_axis_mask": shrink_mask}
    model = single_op_model("STRIDED_SLICE", [T(shape, dtype), *ints], [T(want.shape, dtype)],
                            options)
    params = {"case": n, "dtype": dtype, "shape": shape, "begin": begin, "end": end,
              "strides": strides, **options}
    return Case(model, [[x]], params), np.ascontiguousarray(want)


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


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32", "bool"])
def test_strided_slice(dtype: str) -> None:
    rng = seeded(f"strided_slice_{dtype}")
    check_cases([make_case(rng, n, dtype)[0] for n in range(CASES)])


@pytest.mark.parametrize("dtype", ["int64", "uint8"])
def test_strided_slice_other_dtypes(dtype: str) -> None:
    rng = seeded(f"strided_slice_{dtype}")
    check_numpy([make_case(rng, n, dtype) for n in range(CASES)])


def test_strided_slice_rank5() -> None:
    rng = seeded("strided_slice_rank5")
    check_numpy([make_case(rng, n, "int8", max_rank=5) for n in range(CASES)])


def test_strided_slice_rejects_ellipsis() -> None:
    ints = [T((1,), "int32", data=np.array([v], np.int32)) for v in (0, 2, 1)]
    model = single_op_model("STRIDED_SLICE", [T((4,), "int8"), *ints], [T((2,), "int8")],
                            {"ellipsis_mask": 1})
    status, message = run_many("ours", [(model, [[np.zeros(4, np.int8)]])])[0]
    assert status == "error" and "ellipsis_mask" in message, message
