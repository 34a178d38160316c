"""MAXIMUM against the TFLM oracle: float32, int8, int16, int32, int64 with numpy
broadcasting (ranks 0-6); 200 generated cases per dtype."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

from conformance.harness import Case, check_cases, random_data, random_quant, seeded

CASES = 200
OP = "MAXIMUM"


def broadcast_pair(rng: np.random.Generator, max_rank: int = 6,
                   max_dim: int = 5) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast (some dims 1, some leading dims dropped) and the result."""
    rank = int(rng.integers(0, max_rank + 1))
    full = [int(d) for d in rng.integers(1, max_dim + 1, size=rank)]
    a, b = list(full), list(full)
    style = rng.integers(4)
    if style == 1 and rank:
        (a if rng.integers(2) else b)[:] = [1] * rank
    elif style >= 2:
        for i in range(rank):
            r = rng.random()
            if r < 0.3:
                a[i] = 1
            elif r < 0.6:
                b[i] = 1
    if style == 3 and rank:
        a = a[int(rng.integers(0, rank + 1)):]
        b = b[int(rng.integers(0, rank + 1)):]
    out = tuple(int(d) for d in np.broadcast_shapes(tuple(a), tuple(b)))
    return tuple(a), tuple(b), out


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    a_shape, b_shape, out_shape = broadcast_pair(rng)
    q = random_quant(rng, dtype) if dtype in ("int8", "int16") else None
    xs = [random_data(rng, s, dtype) for s in (a_shape, b_shape)]
    if dtype == "float32" and rng.integers(3) == 0:  # ties
        xs[1] = np.broadcast_to(xs[0], np.broadcast_shapes(a_shape, b_shape)).copy()
        b_shape = out_shape = xs[1].shape
    # The oracle's Python API cannot set rank-0 inputs: scalars become constants.
    specs = [T(s, dtype, q, data=x if not s else None)
             for s, x in ((a_shape, xs[0]), (b_shape, xs[1]))]
    model = single_op_model(OP, specs, [T(out_shape, dtype, q)])
    xs = [x for s, x in zip((a_shape, b_shape), xs, strict=True) if s]
    return Case(model, [xs], {"case": n, "dtype": dtype, "a": a_shape, "b": b_shape})


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32", "int64"])
def test_maximum(dtype: str) -> None:
    rng = seeded(f"{OP}_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])
