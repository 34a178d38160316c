"""`microforge run` on the host: goldens, the JSON line, the profile, .npy in and out, seeded
random inputs, instruction counts, and every kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.bench import host
from microforge.model import reader
from microforge.model.writer import T, single_op_model
from microforge.runtime.callgrind import ours_instructions

from .support import MODELS, assert_same, goldens, model_path, run_cli, summary


@pytest.mark.parametrize("name", MODELS)
def test_golden_inputs_give_golden_outputs(name, tmp_path):
    for case, inp, out in goldens(name):
        result = tmp_path / f"{case}.npy"
        data = summary(run_cli(model_path(name), "--input", inp, "--output", result,
                               cwd=tmp_path))
        assert data["board"] == "host" and data["invoke_count"] == 1
        assert data["inputs"] == [str(inp)] and "seed" not in data
        assert data["arena_bytes"] > 0
        assert "instructions_per_invoke" not in data
        assert_same(np.load(result), np.load(out), f"{name} {case}")


def test_default_inputs_are_seed_0_random_which_is_the_rand_golden(tmp_path):
    proc = run_cli(model_path("hello_world_int8"), cwd=tmp_path, process=True)
    data = summary(proc)
    assert "seed 0" in proc.stdout
    assert data["inputs"] == "random" and data["seed"] == 0
    (written,) = data["outputs"]
    assert written == "hello_world_int8.output0.npy"
    (_, _, golden), = [g for g in goldens("hello_world_int8") if g[0] == "rand"]
    assert_same(np.load(tmp_path / written), np.load(golden), "rand")


def test_a_seed_repeats_and_another_differs(tmp_path):
    model = model_path("magic_wand")
    runs = {}
    for label, seed in (("a", 5), ("b", 5), ("c", 6)):
        data = summary(run_cli(model, "--seed", seed, "-o", tmp_path / f"{label}.npy",
                               cwd=tmp_path))
        assert data["seed"] == seed
        runs[label] = np.load(tmp_path / f"{label}.npy")
    np.testing.assert_array_equal(runs["a"], runs["b"])
    assert not np.array_equal(runs["a"], runs["c"])
    assert runs["a"].dtype == np.float32 and runs["a"].shape == (1, 4)


def test_profile_lists_every_node(tmp_path):
    proc = run_cli(model_path("micro_speech_quantized"), "--profile", "--repeat", 3,
                   cwd=tmp_path)
    data = summary(proc)
    assert data["invoke_count"] == 3
    table = proc.stdout.split("profile of the last invoke")[1]
    rows = [line.split() for line in table.splitlines()[2:] if line.split()[:1] != ["total"]]
    ops = [o.op for o in reader.validate(model_path("micro_speech_quantized")).operators]
    assert ops == ["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]
    assert [r[1] for r in rows if r[0].isdigit()] == ops
    assert "microseconds" in proc.stdout


def test_count_is_callgrind_11_minus_1_over_10(tmp_path):
    model = model_path("hello_world_int8")
    zeros = tmp_path / "zeros.npy"
    np.save(zeros, np.zeros((1, 1), np.int8))
    data = summary(run_cli(model, "--count", "--input", zeros, cwd=tmp_path))
    count = data["instructions_per_invoke"]
    assert "11 invokes - 1 invoke" in data["count_method"]
    # Counted again, the same number: callgrind counts, nothing is timed.
    assert host.count_instructions(model, [np.load(zeros)], data["arena_bytes"]) == count
    # Each step is the interpreter's invoke (counted alone, on zeros too) plus copying the
    # one-byte input in.
    invoke_only = ours_instructions(model, repeats=2)
    assert invoke_only < count < invoke_only + 100


def test_repeat_keeps_outputs_of_a_stateless_model(tmp_path):
    model = model_path("hello_world_float")
    once = summary(run_cli(model, "-o", tmp_path / "1.npy", cwd=tmp_path))
    many = summary(run_cli(model, "-o", tmp_path / "4.npy", "--repeat", 4, cwd=tmp_path))
    assert (once["invoke_count"], many["invoke_count"]) == (1, 4)
    np.testing.assert_array_equal(np.load(tmp_path / "1.npy"), np.load(tmp_path / "4.npy"))


# ---- errors ------------------------------------------------------------------------------

def failure(proc, code: int, *texts: str) -> None:
    assert proc.returncode == code, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    for text in texts:
        assert text in proc.stderr, f"{text!r} not in:\n{proc.stderr}"


def test_missing_model_file(tmp_path):
    failure(run_cli(tmp_path / "nope.tflite", cwd=tmp_path, process=True), 2,
            "cannot read the model",
            "No such file")


def test_malformed_model(tmp_path):
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"\x10\x00\x00\x00TFL3" + b"\xff" * 40)
    failure(run_cli(junk, cwd=tmp_path), 1, "is not a valid .tflite model")
    junk.write_bytes(b"not a model at all")
    failure(run_cli(junk, cwd=tmp_path), 1, "is not a valid .tflite model")


def unsupported_model(folder):
    path = folder / "exp.tflite"
    path.write_bytes(single_op_model("EXP", [T((1, 4), "float32")], [T((1, 4), "float32")]))
    return path


def test_unsupported_op(tmp_path):
    failure(run_cli(unsupported_model(tmp_path), cwd=tmp_path), 1, "MF_ERR_OP_UNSUPPORTED",
            "EXP v1")


@pytest.mark.parametrize("value, text", [
    (np.zeros((1, 2), np.int8), "has shape [1, 2], the model takes [1, 1]"),
    (np.zeros((1,), np.int8), "has shape [1], the model takes [1, 1]"),
    (np.zeros((1, 1), np.float32), "holds float32[1, 1], the model takes int8"),
    (np.zeros((1, 1), np.uint8), "holds uint8[1, 1], the model takes int8"),
])
def test_wrong_input_shape_or_dtype(tmp_path, value, text):
    path = tmp_path / "in.npy"
    np.save(path, value)
    failure(run_cli(model_path("hello_world_int8"), "--input", path, cwd=tmp_path), 2, text)


def test_input_file_problems(tmp_path):
    model = model_path("hello_world_int8")
    failure(run_cli(model, "--input", tmp_path / "gone.npy", cwd=tmp_path), 2, "no such file")
    (tmp_path / "text.npy").write_text("hello")
    failure(run_cli(model, "--input", tmp_path / "text.npy", cwd=tmp_path), 2,
            "is not a .npy array")
    np.save(tmp_path / "x.npy", np.zeros((1, 1), np.int8))
    failure(run_cli(model, "--input", tmp_path / "x.npy", tmp_path / "x.npy", cwd=tmp_path), 2,
            "the model has 1 input(s)", "2 --input file(s) given")
    failure(run_cli(model, "--input", tmp_path / "x.npy", "--seed", 3, cwd=tmp_path), 2,
            "--seed seeds random inputs")
    failure(run_cli(model, "-o", "a.npy", "b.npy", cwd=tmp_path), 2, "the model has 1 output(s)")
    failure(run_cli(model, "--repeat", 0, cwd=tmp_path), 2, "--repeat must be at least 1")


def test_boards_that_cannot_run_it(tmp_path):
    model = model_path("hello_world_int8")
    failure(run_cli(model, "--board", "qemu_m5", cwd=tmp_path), 2, 'unknown TARGET "qemu_m5"')
    failure(run_cli(model, "--board", "disco_f746ng", cwd=tmp_path), 2, "is a physical board",
            "qemu_cortex_m4")
