"""Conformance harness: run models on the oracle (TFLM) and on microforge, and compare.

The oracle is TFLM's Python interpreter (``tflite_micro.runtime``), microforge
runs through the host library (``microforge.runtime``). Both run in worker
processes, so a crash (TFLM segfaults on a short arena; a kernel under work may
too) fails one case with a readable message instead of killing pytest. Every
wait is bounded.

Writing an op test (``tests/conformance/ops/test_<op>.py``)::

    import numpy as np
    from conformance.harness import Case, check_cases, random_data, random_quant, seeded
    from microforge.model.writer import T, single_op_model

    def make_case(rng, n):
        qx, qy = random_quant(rng), random_quant(rng)
        shape = random_shape(rng, rank=4, max_dim=6)
        model = single_op_model("RELU", [T(shape, "int8", qx)], [T(shape, "int8", qy)])
        return Case(model, [[random_data(rng, shape, "int8")]],
                    params={"case": n, "shape": shape, "qx": qx, "qy": qy})

    def test_relu_int8():
        rng = seeded("relu_int8")
        check_cases([make_case(rng, n) for n in range(200)])

A Case may hold several input sets; they run in order on one interpreter, with
variable tensors reset in between (``reset=False`` keeps the state: a stream,
e.g. SVDF frames). ``check_cases`` sends the whole batch to each engine in one
round trip, then compares: integer outputs bit-exact, float outputs within ``rtol`` (1e-5
relative, plus a tiny absolute floor). A failure lists each bad case with its
params, the output, the number of differing elements and the first differing
index with both values. ``oracle_run``/``ours_run`` run one model;
``assert_bit_exact``/``assert_close`` compare arrays directly. The op name for
the report is read from the model.

Helpers draw everything from a ``numpy.random.Generator`` (``seeded(name)`` makes
a stable one per test name), so a failing case reproduces exactly.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from microforge import ROOT
from microforge.model import reader, schema
from microforge.model.writer import Quantization

# -- shared reference models ---------------------------------------------------

MODELS_DIR = ROOT.parent / "shared" / "models" / "tflm"


def shared_models_dir() -> Path:
    """<repo>/../shared/models/tflm; fails clearly when it is missing."""
    if not (MODELS_DIR / "MANIFEST.md").is_file():
        raise FileNotFoundError(
            f"reference models not found: expected {MODELS_DIR} (with MANIFEST.md) next to the "
            "repository; the conformance tests read the TFLM example models from there")
    return MODELS_DIR


# -- random parameters ----------------------------------------------------------

def seeded(name: str | int) -> np.random.Generator:
    """A Generator seeded from a name (stable across runs and machines)."""
    if isinstance(name, int):
        return np.random.default_rng(name)
    return np.random.default_rng(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8],
                                                "little"))


_INT_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
               "int32": (-(2**31), 2**31 - 1)}


def random_quant(rng: np.random.Generator, dtype: str = "int8",
                 scale_range: tuple[float, float] = (1e-3, 1e-1),
                 zero_point: int | None = None) -> Quantization:
    """Per-tensor quantization: scale log-uniform in `scale_range`, zero point uniform
    in the dtype's range (0 for int16, as TFLite requires)."""
    lo, hi = np.log(scale_range[0]), np.log(scale_range[1])
    scale = float(np.float32(np.exp(rng.uniform(lo, hi))))
    if zero_point is None:
        if dtype == "int16":
            zero_point = 0
        else:
            qmin, qmax = _INT_RANGES[dtype]
            zero_point = int(rng.integers(qmin, qmax + 1))
    return Quantization.per_tensor(scale, zero_point)


def random_per_channel_quant(rng: np.random.Generator, channels: int, axis: int = 0,
                             scale_range: tuple[float, float] = (1e-4, 1e-2)) -> Quantization:
    """Symmetric per-channel quantization (zero points 0), as TFLite uses for weights."""
    lo, hi = np.log(scale_range[0]), np.log(scale_range[1])
    scales = np.exp(rng.uniform(lo, hi, size=channels)).astype(np.float32)
    return Quantization.per_channel(scales, axis=axis)


def bias_quant(input_q: Quantization, weight_q: Quantization) -> Quantization:
    """Bias quantization: scale = input scale x weight scale (per channel), zero point 0."""
    s = np.float32(input_q.scales[0]) * np.asarray(weight_q.scales, dtype=np.float32)
    if len(s) == 1:
        return Quantization.per_tensor(float(s[0]), 0)
    return Quantization.per_channel(s, axis=0)


def random_shape(rng: np.random.Generator, rank: int, max_dim: int = 8,
                 min_dim: int = 1) -> tuple[int, ...]:
    return tuple(int(d) for d in rng.integers(min_dim, max_dim + 1, size=rank))


def random_data(rng: np.random.Generator, shape: Sequence[int], dtype: str | np.dtype,
                low: float | None = None, high: float | None = None) -> np.ndarray:
    """Integers over the full dtype range (or [low, high]); floats uniform in [-1, 1)."""
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo = info.min if low is None else int(low)
        hi = info.max if high is None else int(high)
        return rng.integers(lo, hi, size=tuple(shape), dtype=dt, endpoint=True)
    if dt.kind == "b":
        return rng.integers(0, 2, size=tuple(shape)).astype(bool)
    lo = -1.0 if low is None else low
    hi = 1.0 if high is None else high
    return rng.uniform(lo, hi, size=tuple(shape)).astype(dt)


def random_activation(rng: np.random.Generator,
                      choices: Sequence[str] = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6")) -> str:
    return str(choices[int(rng.integers(len(choices)))])


def random_inputs(rng: np.random.Generator, model: bytes) -> list[np.ndarray]:
    """Random data for every graph input of a model."""
    summary = reader.validate_bytes(model)
    return [random_data(rng, t.shape, schema.numpy_dtype(t.dtype))
            for t in summary.input_tensors()]


def zero_inputs(model: bytes) -> list[np.ndarray]:
    summary = reader.validate_bytes(model)
    return [np.zeros(t.shape, schema.numpy_dtype(t.dtype)) for t in summary.input_tensors()]


# -- comparisons -------------------------------------------------------------------

def _fmt_params(params: Any) -> str:
    if isinstance(params, dict):
        return ", ".join(f"{k}={v}" for k, v in params.items())
    return str(params)


def describe_difference(ours: np.ndarray, expected: np.ndarray, rtol: float | None = None,
                        atol: float = 0.0) -> str | None:
    """None when equal (bit-exact, or within rtol/atol), else what differs and where."""
    ours, expected = np.asarray(ours), np.asarray(expected)
    if ours.shape != expected.shape:
        return f"shape {ours.shape} != expected {expected.shape}"
    if ours.dtype != expected.dtype:
        return f"dtype {ours.dtype} != expected {expected.dtype}"
    if rtol is None or ours.dtype.kind not in "fc":
        bad = ours != expected
        if ours.dtype.kind in "fc":
            bad &= ~(np.isnan(ours) & np.isnan(expected))
    else:
        a, b = ours.astype(np.float64), expected.astype(np.float64)
        tol = rtol * np.maximum(np.abs(a), np.abs(b)) + atol
        bad = ~(np.abs(a - b) <= tol) & ~(np.isnan(a) & np.isnan(b))
    count = int(np.count_nonzero(bad))
    if count == 0:
        return None
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    o, e = ours[first].item(), expected[first].item()
    text = (f"{count} of {ours.size} elements differ; first at index {first}: "
            f"ours {o!r}, expected {e!r}")
    if ours.dtype.kind in "iu":
        diff = np.abs(ours.astype(np.int64) - expected.astype(np.int64))
        text += f"; max abs diff {int(diff.max())}"
    elif ours.dtype.kind == "f":
        diff = np.abs(ours.astype(np.float64) - expected.astype(np.float64))
        text += f"; max abs diff {float(np.nanmax(diff)):.3g}"
    return text


def assert_bit_exact(ours: np.ndarray, expected: np.ndarray, context: Any = "") -> None:
    problem = describe_difference(ours, expected)
    if problem:
        raise AssertionError(f"{_fmt_params(context)}: {problem}" if context else problem)


def assert_close(ours: np.ndarray, expected: np.ndarray, rtol: float = 1e-5,
                 atol: float = 1e-6, context: Any = "") -> None:
    problem = describe_difference(ours, expected, rtol, atol)
    if problem:
        raise AssertionError(f"{_fmt_params(context)}: {problem}" if context else problem)


# -- worker processes ----------------------------------------------------------------

PER_ITEM_TIMEOUT_S = 60.0  # per model (all its input sets); the worker is killed after


def _send(stream: Any, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _recv_exact(fd: int, n: int, deadline: float) -> bytes:
    parts, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def oracle_arena_size(summary: reader.ModelSummary) -> int:
    """A generous arena for TFLM: it segfaults when the arena is too short."""
    return (4 * (summary.activation_bytes + summary.variable_bytes)
            + 2048 * (len(summary.tensors) + len(summary.operators)) + 256 * 1024)


class _Worker:
    """One child process running models for one engine, restarted after a crash."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()

    def _start(self) -> subprocess.Popen[bytes]:
        if self.proc is None or self.proc.poll() is not None:
            self.log.seek(0)
            self.log.truncate()
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent),
                                                 env.get("PYTHONPATH", "")])
            self.proc = subprocess.Popen([sys.executable, "-u", __file__, "--worker"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.log, env=env)
        return self.proc

    def _log_tail(self) -> str:
        self.log.seek(0)
        text = self.log.read()[-1500:].decode(errors="replace").strip()
        return f"; its stderr ends with:\n{text}" if text else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def _crashed(self, what: str) -> str:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        text = f"{self.engine} worker died ({how}) while running {what}{self._log_tail()}"
        self.proc = None
        return text

    def run_batch(self, items: list[tuple[bytes, list[list[np.ndarray]], dict[str, Any]]]
                  ) -> list[tuple[str, Any]]:
        """Runs (model, input sets, options) items; returns ("ok", outputs per set) or
        ("error", message) per item. A crash fails only the item that caused it."""
        results: list[tuple[str, Any]] = []
        while len(results) < len(items):
            start = len(results)
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                _send(proc.stdin, (self.engine, items[start:]))
            except BrokenPipeError:
                results.append(("error", self._crashed(f"case {start}")))
                continue
            fd = proc.stdout.fileno()
            while len(results) < len(items):
                deadline = time.monotonic() + PER_ITEM_TIMEOUT_S
                try:
                    size = struct.unpack("<Q", _recv_exact(fd, 8, deadline))[0]
                    results.append(pickle.loads(_recv_exact(fd, size, deadline)))
                except EOFError:
                    results.append(("error", self._crashed(f"case {len(results)}")))
                    break
                except TimeoutError:
                    proc.kill()
                    results.append(("error", self._crashed(
                        f"case {len(results)} (no answer in {PER_ITEM_TIMEOUT_S:.0f} s)")))
                    break
        return results


_WORKERS: dict[str, _Worker] = {}


def _worker(engine: str) -> _Worker:
    if engine not in _WORKERS:
        _WORKERS[engine] = _Worker(engine)
    return _WORKERS[engine]


@atexit.register
def _stop_workers() -> None:
    for w in _WORKERS.values():
        w.stop()


_LIBRARY: Path | None = None


def host_library() -> Path:
    """The host runtime library (built once per process, cached across runs)."""
    global _LIBRARY
    if _LIBRARY is None:
        from microforge.runtime.build import host_library as find
        _LIBRARY = find()
    return _LIBRARY


def _engine_options(engine: str, summary: reader.ModelSummary) -> dict[str, Any]:
    if engine == "oracle":
        return {"arena_size": oracle_arena_size(summary)}
    return {"library": str(host_library())}


def run_many(engine: str, items: Sequence[tuple[bytes, list[list[np.ndarray]]]],
             reset: bool | Sequence[bool] = True) -> list[tuple[str, Any]]:
    """Runs each (model, input sets) on "oracle" or "ours": ("ok", [outputs per set]) or
    ("error", message) per item. Input sets of one model run in order on one interpreter;
    with `reset` (one flag, or one per item) its variable tensors are reset between sets,
    without it state carries over (streaming models). Models the reader rejects are not
    run."""
    resets = [reset] * len(items) if isinstance(reset, bool) else list(reset)
    results: list[tuple[str, Any] | None] = []
    batch = []
    for (model, sets), reset_sets in zip(items, resets, strict=True):
        try:
            summary = reader.validate_bytes(model)
        except reader.ModelError as exc:
            results.append(("error", f"invalid model: {exc}"))
            continue
        results.append(None)
        options = _engine_options(engine, summary) | {"reset": reset_sets}
        batch.append((bytes(model), [list(s) for s in sets], options))
    answers = iter(_worker(engine).run_batch(batch) if batch else [])
    return [r if r is not None else next(answers) for r in results]


def _run_one(engine: str, model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    status, value = run_many(engine, [(model, [list(inputs)])])[0]
    if status != "ok":
        raise RuntimeError(f"{engine}: {value}")
    return value[0]


def oracle_run(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Runs one input set on TFLM; returns every output."""
    return _run_one("oracle", model, inputs)


def ours_run(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Runs one input set on microforge's host runtime; returns every output."""
    return _run_one("ours", model, inputs)


# -- cases -------------------------------------------------------------------------

@dataclass
class Case:
    """One model with one or more input sets; `params` describe it in failure reports."""

    model: bytes
    inputs: list[list[np.ndarray]]
    params: dict[str, Any] = field(default_factory=dict)
    rtol: float = 1e-5
    atol: float = 1e-6
    expected: list[list[np.ndarray]] | None = None  # extra reference (e.g. stored goldens)
    reset: bool = True  # reset variable tensors between input sets (False: a stream)


def _ops_of(model: bytes) -> str:
    try:
        return "+".join(o.name for o in reader.validate_bytes(model).ops)
    except reader.ModelError as exc:
        return f"<invalid model: {exc}>"


def compare_case(case: Case, ours: tuple[str, Any], oracle: tuple[str, Any]) -> list[str]:
    """Problems of one case (empty when it passes)."""
    if oracle[0] != "ok":
        return [f"the oracle failed: {oracle[1]}"]
    if ours[0] != "ok":
        return [f"microforge failed: {ours[1]}"]
    problems = []
    refs: list[tuple[str, list[list[np.ndarray]]]] = [("oracle", oracle[1])]
    if case.expected is not None:
        refs.append(("stored golden", case.expected))
    for label, ref in refs:
        for s, (got, want) in enumerate(zip(ours[1], ref, strict=True)):
            if len(got) < len(want):
                problems.append(f"input set {s}: {len(got)} outputs, {label} has {len(want)}")
            for o, (g, w) in enumerate(zip(got, want, strict=False)):
                problem = describe_difference(g, w, case.rtol, case.atol)
                if problem:
                    problems.append(f"input set {s} output {o} ({g.dtype}{list(g.shape)}) vs "
                                    f"{label}: {problem}")
    return problems


def check_cases(cases: Sequence[Case], max_report: int = 5) -> None:
    """Runs every case on both engines and fails with a report of the mismatches."""
    if not cases:
        raise ValueError("no cases")
    items = [(c.model, c.inputs) for c in cases]
    resets = [c.reset for c in cases]
    oracle = run_many("oracle", items, resets)
    ours = run_many("ours", items, resets)
    failures = []
    for n, (case, o, r) in enumerate(zip(cases, ours, oracle, strict=True)):
        problems = compare_case(case, o, r)
        if problems:
            failures.append((n, case, problems))
    if not failures:
        return
    lines = [f"{len(failures)} of {len(cases)} cases differ from the oracle"]
    for n, case, problems in failures[:max_report]:
        lines.append(f"- case {n} [{_ops_of(case.model)}] {_fmt_params(case.params)}")
        lines.extend(f"    {p}" for p in problems[:3])
    if len(failures) > max_report:
        lines.append(f"... and {len(failures) - max_report} more")
    raise AssertionError("\n".join(lines))


# -- the worker side ------------------------------------------------------------------

def _oracle_item(model: bytes, sets: list[list[np.ndarray]], opts: dict[str, Any]
                 ) -> list[list[np.ndarray]]:
    from tflite_micro import runtime

    summary = reader.validate_bytes(model)
    it = runtime.Interpreter.from_bytes(model, arena_size=int(opts["arena_size"]))
    outs = []
    for n, inputs in enumerate(sets):
        if n and opts.get("reset", True):
            it.reset()
        for i, x in enumerate(inputs):
            it.set_input(np.ascontiguousarray(x), i)
        it.invoke()
        outs.append([np.array(it.get_output(i), copy=True) for i in range(len(summary.outputs))])
    return outs


_RUNTIMES: dict[str, Any] = {}


def _ours_item(model: bytes, sets: list[list[np.ndarray]], opts: dict[str, Any]
               ) -> list[list[np.ndarray]]:
    from microforge.runtime import HostRuntime

    lib = str(opts["library"])
    if lib not in _RUNTIMES:
        _RUNTIMES[lib] = HostRuntime(lib)
    it = _RUNTIMES[lib].interpreter(model)
    outs = []
    for n, inputs in enumerate(sets):
        if n and opts.get("reset", True):
            it.reset_state()
        outs.append(it.run([np.ascontiguousarray(x) for x in inputs]))
    return outs


def _worker_main() -> None:
    # The protocol owns the original stdout; anything printed goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    run = {"oracle": _oracle_item, "ours": _ours_item}
    while True:
        head = inp.read(8)
        if len(head) < 8:
            return
        engine, items = pickle.loads(inp.read(struct.unpack("<Q", head)[0]))
        for model, sets, opts in items:
            try:
                result: tuple[str, Any] = ("ok", run[engine](model, sets, opts))
            except Exception as exc:  # reported per case, the worker goes on
                result = ("error", f"{type(exc).__name__}: {exc}")
            _send(out, result)


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    _worker_main()
