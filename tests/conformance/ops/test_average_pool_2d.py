"""AVERAGE_POOL_2D against the TFLM oracle: float32, int8 and int16; random sizes, filter
sizes, strides, SAME/VALID padding (windows clipped at the borders) and every fused
activation (200 cases per dtype)."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

from conformance.harness import (
    Case,
    check_cases,
    random_activation,
    random_data,
    random_quant,
    seeded,
)

CASES = 200
OP = "AVERAGE_POOL_2D"


def out_size(padding: str, size: int, filt: int, stride: int) -> int:
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - filt) // stride


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    while True:
        b, h, w, c = (int(rng.integers(1, 3)), int(rng.integers(1, 13)),
                      int(rng.integers(1, 13)), int(rng.integers(1, 9)))
        fh, fw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        padding = "SAME" if rng.random() < 0.5 else "VALID"
        oh, ow = out_size(padding, h, fh, sh), out_size(padding, w, fw, sw)
        if oh > 0 and ow > 0:
            break
    act = random_activation(rng)
    q = random_quant(rng, dtype) if dtype != "float32" else None
    model = single_op_model(
        OP, [T((b, h, w, c), dtype, q)], [T((b, oh, ow, c), dtype, q)],
        {"padding": padding, "stride_h": sh, "stride_w": sw, "filter_height": fh,
         "filter_width": fw, "activation": act})
    params = {"case": n, "dtype": dtype, "in": (b, h, w, c), "filter": (fh, fw),
              "stride": (sh, sw), "padding": padding, "act": act}
    if q is not None:
        params["q"] = (q.scales[0], q.zero_points[0])
    return Case(model, [[random_data(rng, (b, h, w, c), dtype)]], params)


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16"])
def test_pool(dtype: str) -> None:
    rng = seeded(f"{OP.lower()}_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])
