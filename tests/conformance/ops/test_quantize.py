"""QUANTIZE against the TFLM oracle: float32 -> int8/int16, and requantization between
int8, uint8, int16 and int32 in every combination TFLM supports; random shapes, scales and
zero points (200 cases per conversion); and the libm-free helpers of quant_util.c."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from microforge import ROOT
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


QUANT_UTIL_CHECK = r"""
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "quant_util.h"
static uint64_t state = 88172645463325252ull;
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
int main(void) {
  long bad = 0;
  for (int i = 0; i < 300000; i++) {
    double x;
    uint64_t bits = next();
    memcpy(&x, &bits, sizeof x);
    if (i % 3 == 0) x = (double)(int64_t)(next() % 2000001 - 1000000) / (double)(1 + next() % 64);
    if (i % 5 == 0) x = (double)(next() % 100000) * 0.5 / 1000.0;
    if (isnan(x)) continue;
    int e1, e2;
    const double f1 = frexp(x, &e1), f2 = mf_frexp(x, &e2);
    if (f1 != f2 || (isfinite(x) && x != 0 && e1 != e2)) bad++;
    if (round(x) != mf_round(x)) bad++;
    const float f = (float)x;
    if (!isnan(f) && roundf(f) != mf_roundf(f)) bad++;
  }
  /* quantized multipliers of a fixed grid, printed for the Python reference */
  for (int i = 0; i < 2000; i++) {
    const double frac = 1.0 + (double)(next() % 1000000) / 1000000.0;
    const double real = ldexp(frac, (int)(next() % 80) - 60);
    int32_t m, s;
    if (mf_quantize_multiplier(real, &m, &s) != MF_OK) { bad++; continue; }
    printf("%a %d %d\n", real, (int)m, (int)s);
  }
  printf("bad %ld\n", bad);
  return 0;
}
"""


def test_quant_util_matches_libm_and_the_multiplier_definition(tmp_path: Path) -> None:
    """frexp/round/roundf without libm agree with the C library; quantized multipliers
    agree with round(frexp(real) * 2^31), the 2^31 case folded and tiny ones flushed."""
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc, "a host C compiler is needed"
    src = tmp_path / "check.c"
    src.write_text(QUANT_UTIL_CHECK)
    exe = tmp_path / "check"
    kernels = ROOT / "micro/kernels"
    subprocess.run([cc, "-std=c11", "-O2", f"-I{kernels}", f"-I{ROOT / 'micro/include'}",
                    str(src), str(kernels / "quant_util.c"), "-lm", "-o", str(exe)],
                   check=True, timeout=120)
    lines = subprocess.run([str(exe)], check=True, capture_output=True, text=True,
                           timeout=60).stdout.splitlines()
    assert lines[-1] == "bad 0"
    for line in lines[:-1]:
        text, m, s = line.split()
        real = float.fromhex(text)
        frac, exp = math.frexp(real)
        fixed = math.floor(frac * 2**31 + 0.5)
        if fixed == 2**31:
            fixed, exp = fixed // 2, exp + 1
        if exp < -31:
            fixed, exp = 0, 0
        assert (int(m), int(s)) == (fixed, exp), line
