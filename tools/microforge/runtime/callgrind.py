"""Instructions per invoke, counted with callgrind (host, x86-64): microforge vs TFLM.

Counts only what runs inside one invoke: ``mf_interpreter_invoke`` for microforge
(the ``run_model`` program, built -O2 without profiling), and
``tflite::micro::MicroInterpreter::Invoke()`` for the oracle (the ``tflite-micro``
wheel, driven from Python). Inputs are zeros. Counts are exact and repeatable;
nothing here is timed.

    python -m microforge.runtime.callgrind model.tflite ...
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from microforge.runtime.build import BuildError, build_run_model

TIMEOUT_S = 600
OURS_SYMBOL = "mf_interpreter_invoke"
ORACLE_SYMBOL = "*MicroInterpreter::Invoke()"

_ORACLE_SCRIPT = """
import sys
import numpy as np
from tflite_micro import runtime
model = open(sys.argv[1], "rb").read()
it = runtime.Interpreter.from_bytes(model, arena_size=int(sys.argv[3]))
for n in range(int(sys.argv[2])):
    for i in range(64):
        try:
            d = it.get_input_details(i)
        except Exception:
            break
        it.set_input(np.zeros(d["shape"], d["dtype"]), i)
    it.invoke()
"""


def _callgrind(cmd: Sequence[str], symbol: str) -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise BuildError("valgrind not found")
    with tempfile.TemporaryDirectory() as tmp:
        full = [valgrind, "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
                f"--toggle-collect={symbol}", *cmd]
        proc = subprocess.run(full, capture_output=True, text=True, timeout=TIMEOUT_S)
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed under callgrind:\n{proc.stderr[-2000:]}")
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise BuildError(f"no callgrind summary in:\n{proc.stderr[-2000:]}")
    return int(found[1])


def ours_instructions(model: Path, repeats: int = 3, arena_size: int = 4 << 20) -> int:
    """Instructions per invoke of microforge's host build."""
    total = _callgrind([str(build_run_model()), str(model), "-a", str(arena_size),
                        "-n", str(repeats)], OURS_SYMBOL)
    return total // repeats


def oracle_instructions(model: Path, repeats: int = 3, arena_size: int = 4 << 20) -> int:
    """Instructions per invoke of TFLM's reference kernels (the Python wheel)."""
    total = _callgrind([sys.executable, "-c", _ORACLE_SCRIPT, str(model), str(repeats),
                        str(arena_size)], ORACLE_SYMBOL)
    return total // repeats


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python -m microforge.runtime.callgrind MODEL.tflite...", file=sys.stderr)
        return 2
    print(f"{'model':32} {'microforge':>14} {'tflm':>14} {'ratio':>7}")
    for path in paths:
        ours = ours_instructions(path)
        tflm = oracle_instructions(path)
        print(f"{path.stem:32} {ours:>14,} {tflm:>14,} {ours / max(tflm, 1):>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
