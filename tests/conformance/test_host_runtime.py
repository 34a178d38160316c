"""The Python binding of the host runtime and the run_model host program."""

import re
import subprocess

import numpy as np
import pytest
from microforge.model.writer import ModelWriter, Quantization, T, single_op_model
from microforge.runtime import (
    ArenaTooSmallError,
    HostRuntime,
    MicroforgeError,
    ModelInvalidError,
)
from microforge.runtime.build import build_run_model, missing_ops

from conformance.harness import host_library, oracle_run, seeded, shared_models_dir


@pytest.fixture(scope="module")
def runtime() -> HostRuntime:
    return HostRuntime(host_library())


def _hello() -> bytes:
    return (shared_models_dir() / "hello_world_int8.tflite").read_bytes()


def _relu_chain(n: int = 3) -> bytes:
    w = ModelWriter()
    prev = first = w.tensor([2, 5], "float32", name="x")
    for i in range(n):
        out = w.tensor([2, 5], "float32", name=f"h{i}")
        w.operator("RELU" if i % 2 == 0 else "RELU6", [prev], [out])
        prev = out
    w.set_io([first], [prev])
    return w.to_bytes()


def test_tensor_details(runtime):
    it = runtime.interpreter(_hello())
    (inp,), (out,) = it.inputs, it.outputs
    assert inp.dtype == np.int8 and inp.shape == (1, 1) and inp.nbytes == 1
    assert inp.quantized and inp.scale == pytest.approx(0.0244801156) and inp.zero_point == -128
    assert out.scale == pytest.approx(0.00829095673) and out.zero_point == 5


def test_matches_the_stored_golden(runtime):
    golden = shared_models_dir() / "golden"
    x = np.load(golden / "hello_world_int8.rand.input.npy")
    it = runtime.interpreter(_hello())
    for _ in range(3):  # inputs are set again before every run
        (y,) = it.run([x])
        np.testing.assert_array_equal(y, np.load(golden / "hello_world_int8.rand.output.npy"))


def test_float_graph_matches_numpy(runtime):
    if {"RELU", "RELU6"} & set(missing_ops()):
        pytest.fail(f"kernels missing: {missing_ops()}")
    x = seeded("binding_relu").uniform(-8, 8, (2, 5)).astype(np.float32)
    (y,) = runtime.interpreter(_relu_chain()).run([x])
    np.testing.assert_array_equal(y, np.clip(x, 0, 6))


def test_automatic_arena_is_exact(runtime):
    model = _hello()
    it = runtime.interpreter(model)
    used = it.arena_used
    assert 0 < used <= it.arena_size
    with pytest.raises(ArenaTooSmallError) as err:
        runtime.interpreter(model, arena_size=used - 1)
    assert err.value.needed == used
    assert "arena too small" in str(err.value)
    assert runtime.interpreter(model, arena_size=used).arena_used == used


def test_interpreters_side_by_side(runtime):
    """No global state: interleaved interpreters of different models keep their results."""
    a = runtime.interpreter(_hello())
    b = runtime.interpreter(_hello())
    xs = [np.array([[v]], np.int8) for v in (-128, -3, 50, 127)]
    alone = [a.run([x])[0].copy() for x in xs]
    for x, want in zip(xs, alone, strict=True):
        b.run([np.array([[0]], np.int8)])
        a.set_input(0, x)
        b.set_input(0, np.array([[100]], np.int8))
        a.invoke()
        np.testing.assert_array_equal(a.get_output(0), want)


def test_profile_has_one_entry_per_node(runtime):
    it = runtime.interpreter(_hello(), profile_capacity=16)
    it.run([np.zeros((1, 1), np.int8)])
    profile = it.profile()
    assert [op for op, _ in profile] == ["FULLY_CONNECTED"] * 3
    assert all(ticks >= 0 for _, ticks in profile)
    assert runtime.interpreter(_hello()).profile() == []


def test_errors_carry_the_runtime_text(runtime):
    with pytest.raises(ModelInvalidError, match="MF_ERR_MODEL_INVALID"):
        runtime.interpreter(b"\x00" * 64)
    model = _hello()
    with pytest.raises(ModelInvalidError):
        runtime.interpreter(model[: len(model) // 2])
    w = ModelWriter()
    x = w.tensor([4], "float32")
    y = w.tensor([4], "float32")
    w.operator("EXP", [x], [y])
    w.set_io([x], [y])
    with pytest.raises(MicroforgeError) as err:
        runtime.interpreter(w.to_bytes())
    assert "EXP" in err.value.reason or "47" in err.value.reason
    it = runtime.interpreter(model)
    with pytest.raises(TypeError, match="int8"):
        it.set_input(0, np.zeros((1, 1), np.float32))
    with pytest.raises(ValueError, match="shape"):
        it.set_input(0, np.zeros((1, 2), np.int8))
    with pytest.raises(IndexError):
        it.get_output(1)
    with pytest.raises(ValueError, match="1 inputs"):
        it.run([])


def test_kernel_errors_name_the_node(runtime):
    # A FULLY_CONNECTED whose weights do not match the input depth.
    model = single_op_model(
        "FULLY_CONNECTED",
        [T((1, 4), "int8", Quantization.per_tensor(0.1)),
         T.const(np.ones((3, 5), np.int8), Quantization.per_tensor(0.1))],
        [T((1, 3), "int8", Quantization.per_tensor(0.1))])
    with pytest.raises(MicroforgeError, match=r"node 0 FULLY_CONNECTED"):
        runtime.interpreter(model)


# -- run_model ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_model():
    return build_run_model()


def _run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=60, **kw)


def test_run_model_writes_raw_outputs(run_model, tmp_path):
    golden = shared_models_dir() / "golden"
    x = np.load(golden / "hello_world_int8.rand.input.npy")
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    proc = _run([run_model, shared_models_dir() / "hello_world_int8.tflite", "-n", 4,
                 "-b", "hello", "-i", tmp_path / "in.bin", "-o", tmp_path / "out.bin"])
    assert proc.returncode == 0, proc.stderr
    y = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.int8)
    assert y.tolist() == np.load(golden / "hello_world_int8.rand.output.npy").ravel().tolist()
    line = re.search(r"MF-BENCH hello invokes=4 ticks=\d+ ticks_per_invoke=\d+ arena_used=(\d+)",
                     proc.stderr)
    assert line, proc.stderr


def test_run_model_defaults_to_zero_inputs(run_model, tmp_path):
    proc = _run([run_model, shared_models_dir() / "hello_world_int8.tflite",
                 "-o", tmp_path / "out.bin"])
    assert proc.returncode == 0, proc.stderr
    (want,) = oracle_run(_hello(), [np.zeros((1, 1), np.int8)])
    assert (tmp_path / "out.bin").read_bytes() == want.tobytes()


def test_run_model_errors(run_model, tmp_path):
    hello = shared_models_dir() / "hello_world_int8.tflite"
    proc = _run([run_model, hello, "-a", 64])
    assert proc.returncode == 1 and "arena too small" in proc.stderr and "use -a" in proc.stderr
    proc = _run([run_model, tmp_path / "missing.tflite"])
    assert proc.returncode == 2 and "cannot open" in proc.stderr
    (tmp_path / "junk.tflite").write_bytes(b"junk" * 8)
    proc = _run([run_model, tmp_path / "junk.tflite"])
    assert proc.returncode == 1 and "MF_ERR_MODEL_INVALID" in proc.stderr
    (tmp_path / "short.bin").write_bytes(b"")
    proc = _run([run_model, hello, "-i", tmp_path / "short.bin"])
    assert proc.returncode == 2 and "needs 1" in proc.stderr
    for bad in (["-n"], ["-x", "1"], ["-a", "lots"], []):
        proc = _run([run_model, *([hello] if bad else []), *bad])
        assert proc.returncode == 2 and "usage" in proc.stderr


def test_arena_limits(runtime):
    with pytest.raises(ValueError, match="arena_size"):
        runtime.interpreter(_hello(), arena_size=2**40)
    with pytest.raises(ValueError, match="arena_size"):
        runtime.interpreter(_hello(), arena_size=-1)
    with pytest.raises(ArenaTooSmallError, match="arena too small"):
        runtime.interpreter(_hello(), arena_size=0)


@pytest.fixture(scope="module")
def run_model_asan():
    return build_run_model(sanitize=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hello_world_int8", "hello_world_float",
                                  "micro_speech_quantized", "magic_wand", "person_detect"])
def test_shared_models_run_clean_under_sanitizers(run_model_asan, tmp_path, name):
    """Whole models through run_model built with ASan and UBSan: no report, golden output."""
    golden = shared_models_dir() / "golden"
    x = np.load(golden / f"{name}.rand.input.npy")
    want = np.load(golden / f"{name}.rand.output.npy")
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    proc = _run([run_model_asan, shared_models_dir() / f"{name}.tflite", "-n", 2,
                 "-i", tmp_path / "in.bin", "-o", tmp_path / "out.bin"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr
    got = np.frombuffer((tmp_path / "out.bin").read_bytes(), want.dtype).reshape(want.shape)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.slow
def test_damaged_models_fail_cleanly_under_sanitizers(run_model_asan, tmp_path):
    data = (shared_models_dir() / "micro_speech_quantized.tflite").read_bytes()
    rng = seeded("asan_damage")
    for n in range(12):
        damaged = bytearray(data[: int(rng.integers(8, len(data)))] if n % 2 else data)
        for pos in rng.integers(0, len(damaged), size=4):
            damaged[pos] ^= int(rng.integers(1, 256))
        path = tmp_path / f"damaged{n}.tflite"
        path.write_bytes(bytes(damaged))
        proc = _run([run_model_asan, path])
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
        assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr, \
            proc.stderr[-3000:]
