"""A model on the host: outputs through the runtime library, instructions through callgrind.

Outputs, arena bytes and the per-op profile come from the host runtime library (ctypes, built
with MF_PROFILE). Instructions per invoke are counted by valgrind's callgrind on the host
`run_model` program (-O2, no profiling), collecting only inside mf_runner_step (the input
copies and the invokes): (count of 11 invokes - count of 1 invoke) / 10. Nothing is timed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

COUNT_SYMBOL = "mf_runner_step"
COUNT_FEW, COUNT_MANY = 1, 11
CALLGRIND_TIMEOUT_S = 900
PROFILE_CAPACITY = 1024
ARENA_SLACK = 64 * 1024


class CountError(RuntimeError):
    """The instructions could not be counted (valgrind missing, run_model failed)."""


@dataclass
class HostResult:
    outputs: list[np.ndarray]
    arena_used: int
    profile: list[tuple[str, int]] = field(default_factory=list)


def run(model: bytes, inputs: list[np.ndarray], repeats: int = 1,
        profile: bool = False) -> HostResult:
    """Invokes `repeats` times (inputs copied in before each) and returns the last outputs.
    Runtime failures raise microforge.runtime.MicroforgeError with the runtime's reason."""
    from microforge.runtime import HostRuntime

    it = HostRuntime().interpreter(model, profile_capacity=PROFILE_CAPACITY if profile else 0)
    for _ in range(repeats):
        for i, value in enumerate(inputs):
            it.set_input(i, value)
        it.invoke()
    outputs = [it.get_output(i) for i in range(len(it.outputs))]
    return HostResult(outputs, it.arena_used, it.profile() if profile else [])


def _callgrind(command: list[str]) -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise CountError("valgrind is not installed (apt-get install valgrind): cannot count "
                         "instructions on the host")
    with tempfile.TemporaryDirectory() as tmp:
        full = [valgrind, "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out",
                f"--toggle-collect={COUNT_SYMBOL}", *command]
        try:
            proc = subprocess.run(full, capture_output=True, text=True,
                                  timeout=CALLGRIND_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise CountError(f"callgrind did not finish within {CALLGRIND_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        raise CountError(f"run_model failed under callgrind (exit {proc.returncode}):\n{tail}")
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise CountError("callgrind printed no 'Collected' count")
    return int(found[1])


def count_instructions(model: Path, inputs: list[np.ndarray], arena_bytes: int,
                       program: Path | None = None) -> int:
    """Instructions per invoke on the host: (11 invokes - 1 invoke) / 10, under callgrind.
    `program` is a run_model build (default: microforge.runtime.build.build_run_model())."""
    if program is None:
        from microforge.runtime.build import build_run_model

        program = build_run_model()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, value in enumerate(inputs):
            path = Path(tmp) / f"input{i}.bin"
            path.write_bytes(np.ascontiguousarray(value).tobytes())
            files += ["-i", str(path)]
        arena = str(arena_bytes + ARENA_SLACK)
        counts = [_callgrind([str(program), str(model), "-a", arena, "-n", str(n), *files])
                  for n in (COUNT_FEW, COUNT_MANY)]
    return (counts[1] - counts[0]) // (COUNT_MANY - COUNT_FEW)
