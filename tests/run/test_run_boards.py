"""`microforge run --board` on every emulated board: golden outputs, the JSON line with exact
instruction counts, the per-op table, seeded random inputs equal to the host's, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.bench import firmware, runfile
from microforge.model.writer import T, single_op_model

from .support import BOARDS, assert_same, goldens, model_path, run_cli, summary

pytestmark = pytest.mark.slow


def profile_rows(stdout: str) -> list[tuple[str, int]]:
    table = stdout.split("profile of the last invoke")[1].splitlines()[2:]
    return [(r[1], int(r[2].replace(",", ""))) for r in map(str.split, table)
            if r and r[0].isdigit()]


@pytest.mark.parametrize("board", BOARDS)
def test_golden_input_with_profile(board, tmp_path):
    (_, inp, out), = [g for g in goldens("hello_world_int8") if g[0] == "rand"]
    proc = run_cli(model_path("hello_world_int8"), "--board", board, "--input", inp,
                   "--output", tmp_path / "y.npy", "--profile", cwd=tmp_path)
    data = summary(proc)
    assert data["board"] == board and data["invoke_count"] == 1
    assert data["arena_bytes"] > 0
    assert_same(np.load(tmp_path / "y.npy"), np.load(out), f"{board} rand")
    assert "ticks: instructions" in proc.stdout
    rows = profile_rows(proc.stdout)
    assert [op for op, _ in rows] == ["FULLY_CONNECTED"] * 3
    # Each op's count is part of the invoke's, which also copies the input in.
    assert all(t > 0 for _, t in rows)
    assert sum(t for _, t in rows) < data["instructions_per_invoke"]


@pytest.mark.parametrize("board", BOARDS)
def test_seeded_random_inputs_give_the_hosts_outputs(board, tmp_path):
    model = model_path("micro_speech_quantized")
    on_host = summary(run_cli(model, "--seed", 7, "-o", tmp_path / "host.npy", cwd=tmp_path))
    on_board = summary(run_cli(model, "--board", board, "--seed", 7, "--repeat", 2,
                               "-o", tmp_path / "board.npy", cwd=tmp_path))
    assert on_board["seed"] == on_host["seed"] == 7
    assert on_board["invoke_count"] == 2
    assert on_board["instructions_per_invoke"] > 100_000
    assert "QEMU -icount" in on_board["count_method"]
    np.testing.assert_array_equal(np.load(tmp_path / "board.npy"), np.load(tmp_path / "host.npy"))


@pytest.mark.parametrize("board", BOARDS)
def test_unsupported_op_on_the_board(board, tmp_path):
    model = tmp_path / "exp.tflite"
    model.write_bytes(single_op_model("EXP", [T((1, 4), "float32")], [T((1, 4), "float32")]))
    proc = run_cli(model, "--board", board, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{board}: MF_ERR_OP_UNSUPPORTED" in proc.stderr and "EXP v1" in proc.stderr


def test_the_command_line_on_a_board(tmp_path):
    """The real `python -m microforge.cli run` process, zero-size surprises included."""
    (_, inp, out), = [g for g in goldens("hello_world_float") if g[0] == "zeros"]
    proc = run_cli(model_path("hello_world_float"), "--board", "qemu_cortex_m4", "-i", inp,
                   cwd=tmp_path, process=True)
    data = summary(proc)
    assert data["outputs"] == ["hello_world_float.output0.npy"]
    assert_same(np.load(tmp_path / data["outputs"][0]), np.load(out), "zeros")
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((2, 1), np.float32))
    proc = run_cli(model_path("hello_world_float"), "--board", "qemu_cortex_m4", "-i", bad,
                   cwd=tmp_path, process=True)
    assert proc.returncode == 2 and "has shape [2, 1], the model takes [1, 1]" in proc.stderr


# ---- the firmware itself ---------------------------------------------------------------

@pytest.fixture(scope="module")
def m4():
    return firmware.board_config("qemu_cortex_m4")


def test_firmware_refuses_inputs_that_do_not_fit(m4):
    model = model_path("hello_world_int8")
    elf = firmware.build(m4, model, runfile.pack([[b"\x01", b"\x02"]]))
    with pytest.raises(firmware.RuntimeRejected, match="the inputs file has 2 inputs a set, "
                       "the model 1"):
        firmware.run(m4, elf)
    elf = firmware.build(m4, model, runfile.pack([[b"\x01\x02"]]))
    with pytest.raises(firmware.RuntimeRejected, match="input 0 has 1 bytes, 2 given"):
        firmware.run(m4, elf)


def test_a_run_that_outlives_its_time_is_stopped(m4):
    elf = firmware.build(m4, model_path("person_detect"), runfile.zeros(repeats=400))
    with pytest.raises(firmware.FirmwareError, match="did not finish within 2 s"):
        firmware.run(m4, elf, timeout=2)


def test_without_inputs_the_firmware_runs_zeros_once(m4, tmp_path):
    """`scons TARGET=<board> MODEL=... runner` without INPUTS: one invoke on zero inputs."""
    result = firmware.run(m4, firmware.build(m4, model_path("hello_world_int8"), None))
    (only,) = result.sets
    assert only.invokes == 1
    (_, _, out), = [g for g in goldens("hello_world_int8") if g[0] == "zeros"]
    assert only.outputs == [np.load(out).tobytes()]


def test_bad_model_files_fail_before_any_build(tmp_path):
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"\x10\x00\x00\x00TFL3" + b"\xff" * 40)
    proc = run_cli(junk, "--board", "qemu_riscv32", cwd=tmp_path)
    assert proc.returncode == 1 and "is not a valid .tflite model" in proc.stderr
    assert "building" not in proc.stderr
    proc = run_cli(tmp_path / "missing.tflite", "--board", "qemu_riscv32", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot read the model" in proc.stderr
