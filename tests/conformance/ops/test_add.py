"""ADD against the TFLM oracle: float32, int32, int8, int16 with numpy broadcasting
(ranks 0-6) and every fused activation; 200+ generated cases per dtype."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model
from microforge.runtime.callgrind import oracle_instructions, ours_instructions

from conformance.harness import (
    Case,
    check_cases,
    random_activation,
    random_data,
    random_quant,
    run_many,
    seeded,
)

CASES = 200
ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6")


def broadcast_pair(rng: np.random.Generator, max_rank: int = 6,
                   max_dim: int = 5) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast (some dims 1, some leading dims dropped) and the result."""
    rank = int(rng.integers(0, max_rank + 1))
    full = [int(d) for d in rng.integers(1, max_dim + 1, size=rank)]
    a, b = list(full), list(full)
    style = rng.integers(4)  # 0 same shape, 1 scalar-like, 2 mixed, 3 dropped leading dims
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
    act = random_activation(rng, ACTIVATIONS)
    if dtype in ("int8", "int16"):
        qa, qb, qo = (random_quant(rng, dtype) for _ in range(3))
    else:
        qa = qb = qo = None
    if dtype == "int32":
        xs = [random_data(rng, s, dtype, -(2**30), 2**30) for s in (a_shape, b_shape)]
    elif dtype == "float32":
        xs = [random_data(rng, s, dtype, -8.0, 8.0) for s in (a_shape, b_shape)]
    else:
        xs = [random_data(rng, s, dtype) for s in (a_shape, b_shape)]
    # The oracle's Python API cannot set rank-0 inputs: scalars become constants.
    specs = [T(s, dtype, q, data=x if not s else None)
             for s, q, x in ((a_shape, qa, xs[0]), (b_shape, qb, xs[1]))]
    model = single_op_model("ADD", specs, [T(out_shape, dtype, qo)], {"activation": act})
    xs = [x for s, x in zip((a_shape, b_shape), xs, strict=True) if s]
    params = {"case": n, "dtype": dtype, "a": a_shape, "b": b_shape, "act": act}
    if qa is not None:
        params.update(qa=(qa.scales[0], qa.zero_points[0]), qb=(qb.scales[0], qb.zero_points[0]),
                      qo=(qo.scales[0], qo.zero_points[0]))
    return Case(model, [xs], params)


@pytest.mark.parametrize("dtype", ["float32", "int32", "int8", "int16"])
def test_add(dtype: str) -> None:
    rng = seeded(f"add_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])


def test_add_rejects_shapes_that_do_not_broadcast() -> None:
    model = single_op_model("ADD", [T((2, 3), "float32"), T((2, 2), "float32")],
                            [T((2, 3), "float32")])
    xs = [np.zeros((2, 3), np.float32), np.zeros((2, 2), np.float32)]
    status, message = run_many("ours", [(model, [xs])])[0]
    assert status == "error" and "shapes [2,3] and [2,2] do not broadcast" in message, message


def test_add_rejects_output_scale_too_fine() -> None:
    q_in = random_quant(seeded(3), "int8", scale_range=(0.5, 0.5))
    q_out = random_quant(seeded(4), "int8", scale_range=(1e-7, 1e-7))
    model = single_op_model("ADD", [T((4,), "int8", q_in), T((4,), "int8", q_in)],
                            [T((4,), "int8", q_out)])
    xs = [np.zeros(4, np.int8)] * 2
    status, message = run_many("ours", [(model, [xs])])[0]
    assert status == "error" and "scales out of range" in message, message


@pytest.mark.slow
def test_add_int8_needs_no_more_instructions_than_tflm(tmp_path) -> None:
    """Instructions per invoke under callgrind, microforge vs TFLM's reference kernel."""
    path = tmp_path / "model.tflite"
    path.write_bytes(single_op_model(
        "ADD", [T((1, 8, 8, 16), "int8", random_quant(seeded(10), "int8")),
                T((16,), "int8", random_quant(seeded(11), "int8"))],
        [T((1, 8, 8, 16), "int8", random_quant(seeded(12), "int8"))], {"activation": "RELU"}))
    ours, tflm = ours_instructions(path, repeats=2), oracle_instructions(path, repeats=2)
    assert ours <= tflm, f"microforge {ours:,} vs TFLM {tflm:,} instructions per invoke"
