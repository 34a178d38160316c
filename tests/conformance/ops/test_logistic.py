"""LOGISTIC against the TFLM oracle: float32, int8 (output 1/256, -128) and int16 (zero
points 0, output 2^-15) with power-of-two and general input scales (200 cases per dtype);
and the shared sigmoid table regenerated from its definition."""

from __future__ import annotations

import re

import numpy as np
import pytest
from microforge import ROOT
from microforge.model.writer import Quantization, T, single_op_model

from conformance.harness import Case, check_cases, random_data, random_quant, seeded

CASES = 200
OP = "LOGISTIC"
INT8_OUTPUT = Quantization.per_tensor(1.0 / 256, -128)


def int16_input_scale(rng: np.random.Generator) -> float:
    if rng.random() < 0.3:
        return float(2.0 ** int(rng.integers(-14, -9)))  # includes the 2^-12 table scale
    return float(np.float32(np.exp(rng.uniform(np.log(3e-5), np.log(2e-3)))))


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    shape = tuple(int(d) for d in rng.integers(1, 7, size=int(rng.integers(1, 5))))
    if dtype == "float32":
        qi = qo = None
        x = random_data(rng, shape, "float32", -12.0, 20.0)
    elif dtype == "int8":
        qi = random_quant(rng, "int8", scale_range=(0.005, 0.3))
        qo = INT8_OUTPUT
        x = random_data(rng, shape, "int8")
    else:
        qi = Quantization.per_tensor(int16_input_scale(rng), 0)
        qo = Quantization.per_tensor(2.0 ** -15, 0)
        x = random_data(rng, shape, "int16")
    model = single_op_model(OP, [T(shape, dtype, qi)], [T(shape, dtype, qo)])
    params = {"case": n, "in": f"{dtype}{list(shape)}"}
    if qi is not None:
        params["qi"] = (qi.scales[0], qi.zero_points[0])
    return Case(model, [[x]], params)


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16"])
def test_logistic(dtype: str) -> None:
    rng = seeded(f"{OP.lower()}_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])


def test_sigmoid_table_matches_its_definition() -> None:
    """sigmoid(i/24) in 0.16 fixed point, raised by half the chord error of the following
    interval and rounded; the last entry is the saturated 65535."""
    text = (ROOT / "micro/kernels/quant_util.c").read_text()
    m = re.search(r"mf_sigmoid_table_u16\[256\]\s*=\s*\{([^}]*)\}", text)
    assert m, "mf_sigmoid_table_u16 not found"
    table = [int(v) for v in m.group(1).replace("\n", " ").split(",") if v.strip()]
    i = np.arange(256.0)

    def f(x: np.ndarray) -> np.ndarray:
        return 65536.0 / (1.0 + np.exp(-x / 24.0))

    chord_error = f(i + 0.5) - (f(i) + f(i + 1)) / 2
    expected = np.floor(f(i) + chord_error / 2 + 0.5).astype(int)
    expected[255] = 65535
    assert table == expected.tolist()
