"""The conformance harness itself: comparisons, reports, crash and timeout handling."""

import numpy as np
import pytest

from conformance import harness
from conformance.harness import (
    Case,
    assert_bit_exact,
    assert_close,
    check_cases,
    describe_difference,
    random_data,
    random_per_channel_quant,
    random_quant,
    seeded,
    shared_models_dir,
)


def _hello() -> bytes:
    return (shared_models_dir() / "hello_world_int8.tflite").read_bytes()


def test_describe_difference_names_the_first_index():
    a = np.arange(12, dtype=np.int8).reshape(3, 4)
    b = a.copy()
    assert describe_difference(a, b) is None
    b[1, 2] += 3
    b[2, 0] -= 1
    text = describe_difference(a, b)
    assert text == ("2 of 12 elements differ; first at index (1, 2): ours 6, expected 9; "
                    "max abs diff 3")
    assert "shape (3, 4) != expected (4, 3)" in describe_difference(a, b.reshape(4, 3))
    assert "dtype int8 != expected int16" in describe_difference(a, a.astype(np.int16))


def test_float_tolerance_is_relative_with_a_small_floor():
    x = np.array([1.0, 1e4, 0.0, np.nan], np.float32)
    assert describe_difference(x * (1 + 5e-6), x, rtol=1e-5) is None
    assert describe_difference(x * (1 + 5e-5), x, rtol=1e-5) is not None
    assert describe_difference(x + 5e-7, x, rtol=1e-5, atol=1e-6) is None
    assert describe_difference(x, x) is None  # NaN equals NaN
    assert_close(x, x)
    with pytest.raises(AssertionError, match="op=ADD, n=3: 1 of 4 elements differ"):
        assert_close(x + np.array([0, 1, 0, 0], np.float32), x, context={"op": "ADD", "n": 3})
    with pytest.raises(AssertionError, match="first at index \\(2,\\)"):
        assert_bit_exact(np.array([1, 2, 3]), np.array([1, 2, 4]))


def test_random_helpers_are_seeded_and_in_range():
    a, b = seeded("same"), seeded("same")
    assert random_quant(a) == random_quant(b)
    q = random_quant(seeded(1), "int16")
    assert q.zero_points == (0,) and 1e-3 <= q.scales[0] <= 1e-1
    pc = random_per_channel_quant(seeded(2), 5, axis=3)
    assert pc.channels == 5 and pc.axis == 3 and set(pc.zero_points) == {0}
    d = random_data(seeded(3), (1000,), "int8")
    assert d.dtype == np.int8 and d.min() == -128 and d.max() == 127
    f = random_data(seeded(4), (3, 2), "float32")
    assert f.dtype == np.float32 and np.all(np.abs(f) <= 1)


def test_check_cases_reports_mismatches_with_params():
    model = _hello()
    x = np.array([[10]], np.int8)
    (want,) = harness.oracle_run(model, [x])
    good = Case(model, [[x]], {"name": "good"}, expected=[[want]])
    bad = Case(model, [[x]], {"name": "bad"}, expected=[[want + np.int8(1)]])
    check_cases([good])
    with pytest.raises(AssertionError) as err:
        check_cases([good, bad])
    text = str(err.value)
    assert "1 of 2 cases differ" in text
    assert "case 1 [FULLY_CONNECTED] name=bad" in text
    assert "vs stored golden: 1 of 1 elements differ; first at index (0, 0)" in text


def test_invalid_models_fail_only_their_case():
    results = harness.run_many("oracle", [(b"junk", [[]]), (_hello(), [[np.zeros((1, 1),
                                                                                  np.int8)]])])
    assert results[0][0] == "error" and "invalid model" in results[0][1]
    assert results[1][0] == "ok"


def test_a_crashing_case_does_not_take_the_rest_down():
    x = [np.zeros((1, 1), np.int8)]
    worker = harness._worker("oracle")
    results = worker.run_batch([(_hello(), [x], {"arena_size": 64}),
                                (_hello(), [x], {"arena_size": 100_000})])
    assert results[0][0] == "error" and "died" in results[0][1]
    assert results[1][0] == "ok"


def test_a_hung_case_times_out(monkeypatch):
    model = (shared_models_dir() / "person_detect.tflite").read_bytes()
    monkeypatch.setattr(harness, "PER_ITEM_TIMEOUT_S", 0.01)
    (status, message), = harness.run_many(
        "oracle", [(model, [[np.zeros((1, 96, 96, 1), np.int8)]] * 20)])
    assert status == "error" and "no answer in" in message


def test_missing_shared_models_fail_clearly(monkeypatch, tmp_path):
    monkeypatch.setattr(harness, "MODELS_DIR", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="reference models not found"):
        shared_models_dir()
