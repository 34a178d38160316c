"""MEAN against the TFLM oracle: float32, int8, int16; inputs of ranks 1-5, random
non-empty axis lists (negative and repeated entries too), keep_dims on and off;
for integers half the cases share input/output quantization (the dividing path)
and half rescale. 200 cases per dtype."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model
from microforge.runtime.callgrind import oracle_instructions, ours_instructions

from conformance.harness import (
    Case,
    check_cases,
    random_data,
    random_quant,
    random_shape,
    run_many,
    seeded,
)

CASES = 200


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    rank = int(rng.integers(1, 6))
    shape = random_shape(rng, rank, max_dim=6)
    count = int(rng.integers(1, rank + 2))
    axes = [int(a) for a in rng.integers(-rank, rank, size=count)]
    keep = bool(rng.integers(2))
    reduced = {a % rank for a in axes}
    out = tuple(1 if i in reduced else d for i, d in enumerate(shape) if keep or i not in reduced)
    qi = qo = None
    if dtype != "float32":
        qi = random_quant(rng, dtype)
        qo = qi if rng.integers(2) else random_quant(rng, dtype)
    axis_t = T((len(axes),), "int32", data=np.array(axes, np.int32))
    model = single_op_model("MEAN", [T(shape, dtype, qi), axis_t], [T(out, dtype, qo)],
                            {"keep_dims": keep})
    x = random_data(rng, shape, dtype)
    params = {"case": n, "dtype": dtype, "shape": shape, "axes": axes, "keep_dims": keep}
    if qi is not None:
        params.update(qi=(qi.scales[0], qi.zero_points[0]), qo=(qo.scales[0], qo.zero_points[0]))
    return Case(model, [[x]], params)


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16"])
def test_mean(dtype: str) -> None:
    rng = seeded(f"mean_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])


def test_mean_rejects_wrong_output_shape() -> None:
    axis_t = T((1,), "int32", data=np.array([1], np.int32))
    model = single_op_model("MEAN", [T((2, 3), "float32"), axis_t], [T((2, 1), "float32")],
                            {"keep_dims": False})
    status, message = run_many("ours", [(model, [[np.zeros((2, 3), np.float32)]])])[0]
    assert status == "error" and "output shape [2,1], expected [2]" in message, message


@pytest.mark.slow
def test_mean_int8_needs_no_more_instructions_than_tflm(tmp_path) -> None:
    """Instructions per invoke under callgrind, microforge vs TFLM's reference kernel."""
    path = tmp_path / "model.tflite"
    path.write_bytes(single_op_model(
        "MEAN", [T((1, 8, 8, 16), "int8", random_quant(seeded(10), "int8")),
                 T((2,), "int32", data=np.array([1, 2], np.int32))],
        [T((1, 1, 1, 16), "int8", random_quant(seeded(11), "int8"))], {"keep_dims": True}))
    ours, tflm = ours_instructions(path, repeats=2), oracle_instructions(path, repeats=2)
    assert ours <= tflm, f"microforge {ours:,} vs TFLM {tflm:,} instructions per invoke"
