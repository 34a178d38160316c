"""Helpers of the `microforge run` tests: the command as users run it, goldens, comparisons."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conformance.harness import shared_models_dir
from microforge import cli

CLI_TIMEOUT_S = 600
MODELS = ("hello_world_int8", "hello_world_float", "micro_speech_quantized", "magic_wand",
          "person_detect")
BOARDS = ("qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32")
FLOAT_RTOL = 1e-5


def model_path(name: str) -> Path:
    path = shared_models_dir() / f"{name}.tflite"
    if not path.is_file():
        pytest.fail(f"{path} is missing from the shared models", pytrace=False)
    return path


def goldens(name: str) -> list[tuple[str, Path, Path]]:
    """(case, input .npy, output .npy) of every stored golden case of a model."""
    folder = shared_models_dir() / "golden"
    found = []
    for inp in sorted(folder.glob(f"{name}.*.input.npy")):
        case = inp.name[len(name) + 1:-len(".input.npy")]
        found.append((case, inp, folder / f"{name}.{case}.output.npy"))
    if not found:
        pytest.fail(f"no golden cases for {name} in {folder}", pytrace=False)
    return found


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: Any, cwd: Path, process: bool = False, timeout: int = CLI_TIMEOUT_S) -> Ran:
    """`microforge run ARGS` in `cwd`: through microforge.cli.main in this process, or with
    `process`, as a separate `python -m microforge.cli` process."""
    words = ["run", *map(str, args)]
    if process:
        env = dict(os.environ, MICROFORGE_QUIET_WARNINGS="1")
        done = subprocess.run([sys.executable, "-m", "microforge.cli", *words], cwd=cwd,
                              capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL, check=False)
        return Ran(done.returncode, done.stdout, done.stderr)
    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    os.environ["MICROFORGE_QUIET_WARNINGS"] = "1"
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(words)
    finally:
        os.chdir(here)
    return Ran(code, out.getvalue(), err.getvalue())


def summary(proc: Ran) -> dict[str, Any]:
    """The JSON object on the last line of stdout (the run must have succeeded)."""
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    data = json.loads(lines[-1])
    assert isinstance(data, dict)
    return data


def assert_same(ours: np.ndarray, expected: np.ndarray, what: str) -> None:
    """int outputs bit-exact, float outputs within FLOAT_RTOL relative."""
    assert ours.dtype == expected.dtype and ours.shape == expected.shape, (
        f"{what}: {ours.dtype}{ours.shape} vs {expected.dtype}{expected.shape}")
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(ours, expected, rtol=FLOAT_RTOL, atol=0, err_msg=what)
    else:
        np.testing.assert_array_equal(ours, expected, err_msg=what)
