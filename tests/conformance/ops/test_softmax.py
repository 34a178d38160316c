"""SOFTMAX against the TFLM oracle: float32, int8 -> int8, int8 -> int16 and int16 -> int16
with random shapes (softmax over the last dimension), betas and input scales (200 cases per
variant); and the int16 lookup tables in softmax.c regenerated from their definition."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from microforge import ROOT
from microforge.model.writer import Quantization, T, single_op_model

from conformance.harness import Case, check_cases, ours_run, random_data, random_quant, seeded

CASES = 200
OUTPUT_QUANT = {"int8": Quantization.per_tensor(1.0 / 256, -128),
                "int16_from_int8": Quantization.per_tensor(1.0 / 65536, -32768),
                "int16": Quantization.per_tensor(1.0 / 32768, 0)}


def make_case(rng: np.random.Generator, n: int, in_dtype: str, out_dtype: str) -> Case:
    rank = int(rng.integers(1, 5))
    shape = tuple(int(d) for d in rng.integers(1, 6, size=rank - 1)) + (int(rng.integers(1, 33)),)
    beta = float(np.float32(np.exp(rng.uniform(np.log(0.2), np.log(3.0)))))
    if in_dtype == "float32":
        qi = qo = None
        x = random_data(rng, shape, "float32", -6.0, 6.0)
    elif in_dtype == "int8":
        qi = random_quant(rng, "int8", scale_range=(0.01, 0.3))
        qo = OUTPUT_QUANT["int8" if out_dtype == "int8" else "int16_from_int8"]
        x = random_data(rng, shape, "int8")
    else:
        qi = random_quant(rng, "int16", scale_range=(3e-5, 1e-3))
        qo = OUTPUT_QUANT["int16"]
        x = random_data(rng, shape, "int16")
    model = single_op_model("SOFTMAX", [T(shape, in_dtype, qi)], [T(shape, out_dtype, qo)],
                            {"beta": beta})
    params = {"case": n, "in": f"{in_dtype}{list(shape)}", "out": out_dtype, "beta": beta}
    if qi is not None:
        params["qi"] = (qi.scales[0], qi.zero_points[0])
    return Case(model, [[x]], params)


@pytest.mark.parametrize("in_dtype,out_dtype", [("float32", "float32"), ("int8", "int8"),
                                                ("int8", "int16"), ("int16", "int16")])
def test_softmax(in_dtype: str, out_dtype: str) -> None:
    rng = seeded(f"softmax_{in_dtype}_{out_dtype}")
    check_cases([make_case(rng, n, in_dtype, out_dtype) for n in range(CASES)])


# The int16 tables: 513 entries over the int16 input range, each of the first 512 the
# rounded sample minus half the rounded error of linear interpolation at the midpoint of
# its interval, the last the end value, in float arithmetic with the C library's expf.
LUT_GENERATOR = r"""
#include <math.h>
#include <stdint.h>
#include <stdio.h>
static float f_exp(float v) { return expf(v); }
static float f_recip(float v) { return 1.0f / (1.0f + v); }
static float clampf(float v) { return v < -32768.0f ? -32768.0f : (v > 32767.0f ? 32767.0f : v); }
static void table(float in_scale, int32_t in_zp, float out_scale, float (*f)(float)) {
  const float in_min = in_scale * (float)(-32768 - in_zp);
  const float in_max = in_scale * (float)(32767 - in_zp);
  const float out_min = out_scale * -32768.0f, out_max = out_scale * 32767.0f;
  const float step = (in_max - in_min) / 512.0f, half = step / 2;
  const float inv = 65536.0f / (out_max - out_min);
  for (int i = 0; i < 512; i++) {
    const float v = f(in_min + (float)i * step), mid = f(in_min + (float)i * step + half);
    const float next = f(in_min + (float)(i + 1) * step);
    const float interp = roundf((next * inv + roundf(v * inv)) / 2);
    const float bias = roundf((interp - roundf(mid * inv)) / 2);
    printf("%d\n", (int)(int16_t)clampf(roundf(v * inv) - bias));
  }
  printf("%d\n", (int)(int16_t)clampf(roundf(f(in_max) * inv)));
}
int main(void) {
  table(10.0f / 65535.0f, 32767, 2.0f / 65535.0f, f_exp);
  table(1.0f / 65535.0f, -32768, 2.0f / 65535.0f, f_recip);
  return 0;
}
"""


def c_table(source: str, name: str) -> list[int]:
    m = re.search(name + r"\[\d+\]\s*=\s*\{([^}]*)\}", source)
    assert m, f"{name} not found in softmax.c"
    return [int(v) for v in m.group(1).replace("\n", " ").split(",") if v.strip()]


def test_softmax_int16_tables_match_their_definition(tmp_path: Path) -> None:
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc, "a host C compiler is needed to regenerate the tables"
    src = tmp_path / "lutgen.c"
    src.write_text(LUT_GENERATOR)
    exe = tmp_path / "lutgen"
    subprocess.run([cc, "-std=c11", "-O2", str(src), "-o", str(exe), "-lm"], check=True,
                   timeout=120)
    values = [int(v) for v in subprocess.run([str(exe)], check=True, capture_output=True,
                                             text=True, timeout=60).stdout.split()]
    text = (ROOT / "micro/kernels/softmax.c").read_text()
    assert c_table(text, "softmax_exp_lut") == values[:513]
    assert c_table(text, "softmax_recip_lut") == values[513:]


def test_softmax_rejects_an_int8_output_that_is_not_1_256() -> None:
    model = single_op_model("SOFTMAX", [T((1, 4), "int8", Quantization.per_tensor(0.1, 0))],
                            [T((1, 4), "int8", Quantization.per_tensor(1.0 / 128, -128))],
                            {"beta": 1.0})
    with pytest.raises(RuntimeError, match="zero point -128 and scale 1/256"):
        ours_run(model, [np.zeros((1, 4), np.int8)])
