"""QUANTIZE against the TFLM oracle: float32 -> int8/int16, and requantization between
int8, uint8, int16 and int32 in every combination TFLM supports; random shapes, scales and
zero points (200 cases per conversion)."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import Quantization, T, single_op_model

from conformance.harness import Case, check_cases, random_data, seeded

CASES = 200
RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
          "int32": (-(2**31), 2**31 - 1)}


def quant(rng: np.random.Generator, dtype: str, scale_range: tuple[float, float]) -> Quantization:
    scale = float(np.float32(np.exp(rng.uniform(np.log(scale_range[0]),
                                                np.log(scale_range[1])))))
    if dtype in ("int8", "uint8"):
        lo, hi = RANGES[dtype]
        zp = int(rng.integers(lo, hi + 1))
    elif dtype == "int32":
        zp = int(rng.integers(-1000, 1001))
    else:
        zp = 0 if rng.random() < 0.7 else int(rng.integers(-1000, 1001))
    return Quantization.per_tensor(scale, zp)


def make_case(rng: np.random.Generator, n: int, src: str, dst: str) -> Case:
    shape = tuple(int(d) for d in rng.integers(1, 8, size=int(rng.integers(1, 5))))
    qo = quant(rng, dst, (1e-3, 0.1) if dst in ("int8", "uint8") else (1e-5, 1e-2))
    if src == "float32":
        qi = None
        x = random_data(rng, shape, "float32", -2.0, 2.0)
    else:
        # input scales around the output scale, so values are neither all clipped nor all 0
        ratio = np.exp(rng.uniform(np.log(0.05), np.log(20.0)))
        if src == "int32":
            ratio /= 1000.0
        qi = Quantization.per_tensor(float(np.float32(qo.scales[0] * ratio)),
                                     quant(rng, src, (1.0, 1.0)).zero_points[0])
        if src == "int32":
            x = random_data(rng, shape, "int32", -(2**20), 2**20)
        else:
            x = random_data(rng, shape, src)
    model = single_op_model("QUANTIZE", [T(shape, src, qi)], [T(shape, dst, qo)])
    params = {"case": n, "in": f"{src}{list(shape)}", "out": dst,
              "qo": (qo.scales[0], qo.zero_points[0])}
    if qi is not None:
        params["qi"] = (qi.scales[0], qi.zero_points[0])
    return Case(model, [[x]], params)


@pytest.mark.parametrize("src,dst", [
    ("float32", "int8"), ("float32", "int16"),
    ("int8", "int8"), ("int8", "uint8"), ("int8", "int16"), ("int8", "int32"),
    ("uint8", "int8"), ("int16", "int8"), ("int16", "int16"), ("int16", "int32"),
    ("int32", "int8"), ("int32", "int16")])
def test_quantize(src: str, dst: str) -> None:
    rng = seeded(f"quantize_{src}_{dst}")
    check_cases([make_case(rng, n, src, dst) for n in range(CASES)])
