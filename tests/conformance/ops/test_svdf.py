"""SVDF against the TFLM oracle: float32, and the integer form (int8 input and output, int8
feature weights, int32 bias) with int16 and with int8 time weights and state. Each case
streams several inputs through one interpreter, so the state history is compared too
(200 cases per variant). The oracle crashes on an SVDF without bias, so models without bias
run on microforge and are compared with the oracle running a zero bias."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import Quantization, T, single_op_model

from conformance.harness import (
    Case,
    check_cases,
    describe_difference,
    ours_run,
    random_activation,
    random_data,
    random_quant,
    run_many,
    seeded,
)

CASES = 200
STEPS = 5


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


def make_case(rng: np.random.Generator, n: int, variant: str, with_bias: bool = True,
              state_zero_point: bool = False) -> tuple[Case, bytes]:
    """A streamed case with a bias (zero when `with_bias` is False), and the same model
    without the bias input."""
    batches, size = int(rng.integers(1, 4)), int(rng.integers(1, 25))
    rank, units, memory = int(rng.integers(1, 4)), int(rng.integers(1, 9)), int(rng.integers(2, 13))
    filters = units * rank
    act = random_activation(rng, ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH"))
    params = {"case": n, "variant": variant, "batches": batches, "input_size": size,
              "rank": rank, "units": units, "memory": memory, "act": act}
    if variant == "float32":
        specs = [T((batches, size), "float32"),
                 T.const(random_data(rng, (filters, size), "float32", -0.5, 0.5)),
                 T.const(random_data(rng, (filters, memory), "float32", -0.5, 0.5))]
        bias_data = random_data(rng, (units,), "float32")
        bias = T.const(bias_data if with_bias else np.zeros_like(bias_data))
        state = T((batches, filters * memory), "float32", variable=True)
        out = T((batches, units), "float32")
        inputs = [[random_data(rng, (batches, size), "float32")] for _ in range(STEPS)]
    else:
        sdtype = "int16" if variant == "int16_state" else "int8"
        smax = 32767 if sdtype == "int16" else 127
        qi = random_quant(rng, "int8", scale_range=(0.005, 0.1))
        qf = Quantization.per_tensor(log_uniform(rng, 1e-3, 2e-2), 0)
        feature_typical = np.sqrt(size) * 74.0 * 74.0 * qi.scales[0] * qf.scales[0]
        s_zp = int(rng.integers(-40, 41)) if state_zero_point else 0
        qs = Quantization.per_tensor(
            float(np.float32(feature_typical / (smax / 4) * log_uniform(rng, 0.3, 3.0))), s_zp)
        qt = Quantization.per_tensor(log_uniform(rng, 1e-3, 2e-2), 0)
        time_typical = np.sqrt(memory * rank) * smax / 4 * smax / 2 * qs.scales[0] * qt.scales[0]
        o_scale = float(np.float32(time_typical / 64 * log_uniform(rng, 0.3, 3)))
        qo = Quantization.per_tensor(o_scale, int(rng.integers(-128, 128)))
        qb = Quantization.per_tensor(float(np.float32(qs.scales[0]) * np.float32(qt.scales[0])), 0)
        specs = [T((batches, size), "int8", qi),
                 T.const(random_data(rng, (filters, size), "int8", -127, 127), qf),
                 T.const(random_data(rng, (filters, memory), sdtype, -smax, smax), qt)]
        bias_data = random_data(rng, (units,), "int32", -(smax * 200), smax * 200)
        bias = T.const(bias_data if with_bias else np.zeros_like(bias_data), qb)
        state = T((batches, filters * memory), sdtype, qs, variable=True)
        out = T((batches, units), "int8", qo)
        inputs = [[random_data(rng, (batches, size), "int8")] for _ in range(STEPS)]
        params.update(qi=(qi.scales[0], qi.zero_points[0]), qs=(qs.scales[0], s_zp),
                      qo=(qo.scales[0], qo.zero_points[0]))

    def build(b: T | None) -> bytes:
        return single_op_model("SVDF", [*specs, b, state], [out],
                               {"rank": rank, "activation": act})

    case = Case(build(bias), inputs, params, reset=False)
    return case, build(None)


@pytest.mark.parametrize("variant", ["float32", "int16_state", "int8_state"])
def test_svdf(variant: str) -> None:
    rng = seeded(f"svdf_{variant}")
    check_cases([make_case(rng, n, variant)[0] for n in range(CASES)])


def test_svdf_int8_state_with_zero_point() -> None:
    """An int8 state with a non-zero zero point: TFLM starts (and resets) an int8 variable
    tensor at its zero point, adds the zero point after clamping the new activation
    (wrapping to int8) and subtracts it in the time reduction."""
    rng = seeded("svdf_int8_state_zero_point")
    check_cases([make_case(rng, n, "int8_state", state_zero_point=True)[0]
                 for n in range(CASES)])


@pytest.mark.parametrize("variant", ["float32", "int16_state"])
def test_svdf_without_bias(variant: str) -> None:
    rng = seeded(f"svdf_nobias_{variant}")
    pairs = [make_case(rng, n, variant, with_bias=False) for n in range(40)]
    cases = [c for c, _ in pairs]
    oracle = run_many("oracle", [(c.model, c.inputs) for c in cases], reset=False)
    ours = run_many("ours", [(m, c.inputs) for c, m in pairs], reset=False)
    problems = []
    for case, (ok_o, want), (ok_r, got) in zip(cases, oracle, ours, strict=True):
        assert ok_o == "ok", f"oracle: {want}"
        assert ok_r == "ok", f"microforge: {got}"
        for step, (g, w) in enumerate(zip(got, want, strict=True)):
            problem = describe_difference(g[0], w[0],
                                          case.rtol if variant == "float32" else None, case.atol)
            if problem:
                problems.append(f"SVDF without bias {case.params} step {step}: {problem}")
    assert not problems, "\n".join(problems[:5])


def test_svdf_feature_multiplier_from_double_product() -> None:
    """The state value here is -55 when the input x feature / state multiplier is derived
    in double precision and -54 when the float product is used; the output shows it."""
    qi = Quantization.per_tensor(0.012798861600458622, 127)
    qf = Quantization.per_tensor(0.03257942944765091, 0)
    qs = Quantization.per_tensor(0.09051784127950668, 0)
    qt = Quantization.per_tensor(0.01, 0)
    qo = Quantization.per_tensor(float(np.float32(qs.scales[0]) * np.float32(0.01)), 0)
    specs = [T((1, 1), "int8", qi), T.const(np.array([[65]], np.int8), qf),
             T.const(np.array([[1]], np.int16), qt), T.const(np.array([0], np.int32), qo),
             T((1, 1), "int16", qs, variable=True)]
    model = single_op_model("SVDF", specs, [T((1, 1), "int8", qo)], {"rank": 1})
    x = np.array([[-55]], np.int8)
    check_cases([Case(model, [[x]], {"expected": -55})])
    assert int(ours_run(model, [x])[0][0, 0]) == -55


def test_svdf_rejects_a_state_that_is_not_a_variable() -> None:
    specs = [T((1, 3), "float32"), T.const(np.ones((2, 3), np.float32)),
             T.const(np.ones((2, 4), np.float32)), T.const(np.zeros((2,), np.float32)),
             T.const(np.zeros((1, 8), np.float32))]
    model = single_op_model("SVDF", specs, [T((1, 2), "float32")], {"rank": 1})
    with pytest.raises(RuntimeError, match="state tensor must be a variable"):
        ours_run(model, [np.zeros((1, 3), np.float32)])
