"""The runner firmware (micro/runner/board_runner.c) on a board: build it through SCons with
the model and an inputs file built in, run it under the board's emulator, read its console.

    config = board_config("qemu_cortex_m4")
    elf = build(config, Path("model.tflite"), runfile.pack([[x.tobytes()]]))
    result = run(config, elf)            # FirmwareRun: outputs per set, ticks, arena

The build is the ordinary one (`scons TARGET=<board> MODEL=<model> INPUTS=<file> runner`),
so the firmware is made by the board's toolchain with the board's flags. Each finished
firmware is copied into a cache folder (named by its content), so runs of other models in the
same tree cannot replace it before it runs. Every build and run has a time limit.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from microforge import ROOT
from microforge.build import api, runners
from microforge.config import Config, ConfigError, resolve

BUILD_TIMEOUT_S = 900
LOCK_TIMEOUT_S = 1200
RUNNER_ELF = "run_model.elf"
KEEP_FILES = 64
PROFILE_TAG = "profile"

_BENCH_RE = re.compile(r"^MF-BENCH set(\d+) (.*)$")
_OP_RE = re.compile(r"^MF-BENCH set(\d+)\.op(\d+) op=(\S+) ticks=(\d+)$")
_OUT_RE = re.compile(r"^MF-OUT (\d+) (\d+) (\d+) ([0-9a-f]*)$")
_TENSOR_RE = re.compile(r"^MF-TENSOR output (\d+) dtype=(\d+) bytes=(\d+) dims=([-0-9,]*)$")
_RUN_RE = re.compile(r"^MF-RUN (.*)$")
_ERROR_RE = re.compile(r"^MF-ERROR (\S+) ?(.*)$")
_FAULT_RE = re.compile(r"^MF-FAULT (.*)$")
_MODEL_ERROR_RE = re.compile(r"^error: model (.*)$", re.MULTILINE)


class FirmwareError(RuntimeError):
    """The firmware could not be built or run, or its output is not what the runner prints."""


class RuntimeRejected(FirmwareError):
    """The runtime on the board refused the model or its inputs (an MF-ERROR line)."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class OutputTensor:
    dtype: int            # TFLite TensorType
    nbytes: int
    shape: tuple[int, ...]


@dataclass
class SetResult:
    invokes: int
    ticks: int
    ticks_per_invoke: int
    ticks_min: int
    ticks_max: int
    arena_used: int
    outputs: list[bytes] = field(default_factory=list)
    profile: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class FirmwareRun:
    board: str
    elf: Path
    returncode: int | None
    output: str
    arena_used: int
    arena_size: int
    tensors: list[OutputTensor]
    sets: list[SetResult]
    ticks_unit: str       # "instructions" on emulated boards under -icount


def _fields(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split() if "=" in part)


def _int(fields: dict[str, str], key: str, line: str) -> int:
    try:
        return int(fields[key])
    except (KeyError, ValueError) as exc:
        raise FirmwareError(f"no {key}=<number> in the runner's line: {line}") from exc


def parse(output: str) -> tuple[dict[str, int], list[OutputTensor], list[SetResult]]:
    """The MF-RUN figures, the output tensors and the sets of a runner firmware's console.
    Raises RuntimeRejected for an MF-ERROR line and FirmwareError for a fault."""
    run: dict[str, int] = {}
    tensors: dict[int, OutputTensor] = {}
    sets: dict[int, SetResult] = {}
    chunks: dict[tuple[int, int], dict[int, bytes]] = {}
    profiles: dict[int, list[tuple[int, str, int]]] = {}
    for raw in output.splitlines():
        line = raw.strip()
        if (m := _ERROR_RE.match(line)) is not None:
            raise RuntimeRejected(m[1], m[2])
        if (m := _FAULT_RE.match(line)) is not None:
            raise FirmwareError(f"the firmware faulted: {m[1]}")
        if (m := _RUN_RE.match(line)) is not None:
            f = _fields(m[1])
            run = {k: _int(f, k, line) for k in ("sets", "inputs", "outputs", "repeats",
                                                  "arena_used", "arena_size")}
        elif (m := _TENSOR_RE.match(line)) is not None:
            dims = tuple(int(d) for d in m[4].split(",") if d)
            tensors[int(m[1])] = OutputTensor(int(m[2]), int(m[3]), dims)
        elif (m := _OP_RE.match(line)) is not None:
            profiles.setdefault(int(m[1]), []).append((int(m[2]), m[3], int(m[4])))
        elif (m := _BENCH_RE.match(line)) is not None:
            f = _fields(m[2])
            sets[int(m[1])] = SetResult(
                invokes=_int(f, "invokes", line), ticks=_int(f, "ticks", line),
                ticks_per_invoke=_int(f, "ticks_per_invoke", line),
                ticks_min=_int(f, "ticks_min", line), ticks_max=_int(f, "ticks_max", line),
                arena_used=_int(f, "arena_used", line))
        elif (m := _OUT_RE.match(line)) is not None:
            try:
                data = bytes.fromhex(m[4])
            except ValueError as exc:
                raise FirmwareError(f"bad hex in the runner's line: {line}") from exc
            chunks.setdefault((int(m[1]), int(m[2])), {})[int(m[3])] = data
    if not run:
        raise FirmwareError("the firmware printed no MF-RUN line (it did not start the model)")
    ordered = [tensors[i] for i in sorted(tensors)]
    if len(ordered) != run["outputs"] or sorted(tensors) != list(range(run["outputs"])):
        raise FirmwareError(f"{len(ordered)} MF-TENSOR lines for {run['outputs']} outputs")
    results = []
    for n in range(run["sets"]):
        if n not in sets:
            raise FirmwareError(f"set {n} of {run['sets']} did not finish (no MF-BENCH line)")
        result = sets[n]
        for i, tensor in enumerate(ordered):
            parts = chunks.get((n, i), {})
            data, at = b"", 0
            while at in parts:
                data += parts[at]
                at += len(parts[at]) if parts[at] else 1
            if len(data) != tensor.nbytes:
                raise FirmwareError(f"set {n} output {i}: {len(data)} of {tensor.nbytes} bytes "
                                    "came over the console")
            result.outputs.append(data)
        result.profile = [(op, ticks) for _, op, ticks in sorted(profiles.get(n, []))]
        results.append(result)
    return run, ordered, results


# ---- configuration -------------------------------------------------------------------------

def board_config(board: str, root: Path = ROOT, profile: bool = False,
                 build_type: str = "default") -> Config:
    """The build configuration of the runner firmware for `board` (ConfigError if unknown)."""
    args = {"TARGET": board, "BUILD_TYPE": build_type}
    if profile:
        args["TAGS"] = PROFILE_TAG
    config = resolve(args, root)
    if config.is_host:
        raise ConfigError("the host is not a board: run the model on the host without --board")
    if not config.board.emulated:
        raise ConfigError(f"{config.board.name} is a physical board: the runner runs on emulated "
                          f"boards ({', '.join(emulated_boards(root))})")
    return config


def emulated_boards(root: Path = ROOT) -> list[str]:
    from microforge.config import load_boards

    return sorted(b.name for b in load_boards(root).boards.values()
                  if b.emulated and b.data["status"] == "available")


def ticks_unit(config: Config) -> str:
    return str(config.board.data.get("ticks", {}).get("unit", "ticks"))


def cache_dir() -> Path:
    base = os.environ.get("MICROFORGE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "microforge")
    return Path(base) / "runner"


# ---- build ---------------------------------------------------------------------------------

def _lock(path: Path, timeout: float) -> object:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w")  # noqa: SIM115 - closed by the caller
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise FirmwareError(f"{path} stayed locked for {timeout:.0f} s (another "
                                    "runner build)") from None
            time.sleep(0.2)


def scons_args(config: Config, model: Path, inputs: Path | None) -> list[str]:
    args = [f"TARGET={config.board.name}", f"BUILD_TYPE={config.build_type}", f"MODEL={model}"]
    if inputs is not None:
        args.append(f"INPUTS={inputs}")
    if PROFILE_TAG in config.tags:
        args.append(f"TAGS={PROFILE_TAG}")
    return [*args, "runner"]


def _build_failure(output: str) -> FirmwareError:
    found = _MODEL_ERROR_RE.search(output)
    if found is not None:
        return FirmwareError(f"the build rejected the model: {found[1]}")
    tail = "\n".join(output.strip().splitlines()[-30:])
    return FirmwareError(f"building the runner firmware failed:\n{tail}")


def build(config: Config, model: Path, inputs: bytes | None, timeout: float = BUILD_TIMEOUT_S,
          log: bool = False) -> Path:
    """Builds the runner firmware for `model` and the inputs file `inputs` (None: no INPUTS=,
    one invoke on zero inputs); returns a private copy of the ELF (in cache_dir(), named by
    its content)."""
    model = Path(model).resolve()
    if not model.is_file():
        raise FirmwareError(f"{model}: no such file")
    store = cache_dir() / config.name
    store.mkdir(parents=True, exist_ok=True)
    inputs_file = None
    if inputs is not None:
        inputs_file = store / f"inputs-{hashlib.sha256(inputs).hexdigest()[:20]}.bin"
        if not inputs_file.is_file():
            part = store / f".{inputs_file.name}.{os.getpid()}"
            part.write_bytes(inputs)
            os.replace(part, inputs_file)
        else:
            inputs_file.touch()
    command = scons_args(config, model, inputs_file)
    elf = config.gen_dir / "bin" / RUNNER_ELF
    # One runner build per configuration at a time, until its ELF is copied away.
    lock = _lock(config.gen_dir / ".runner.lock", LOCK_TIMEOUT_S)
    try:
        if log:
            sys.stderr.write(f"building {RUNNER_ELF} for {config.board.name} "
                             f"(gen/{config.name})\n")
        try:
            api.scons(command, config.root, int(timeout), jobs=2)
        except api.BuildError as exc:
            raise _build_failure(str(exc)) from exc
        if not elf.is_file():
            raise FirmwareError(f"the build did not make {elf}")
        data = elf.read_bytes()
    finally:
        lock.close()  # type: ignore[attr-defined]
    copy = store / f"run_model-{hashlib.sha256(data).hexdigest()[:20]}.elf"
    if not copy.is_file():
        with tempfile.NamedTemporaryFile(dir=store, delete=False) as part:
            part.write(data)
        os.replace(part.name, copy)
    else:
        copy.touch()
    prune(store)
    return copy


def prune(store: Path, keep: int = KEEP_FILES) -> None:
    """Keeps the `keep` newest firmware copies and inputs files of a cache folder."""
    for pattern in ("run_model-*.elf", "inputs-*.bin"):
        found = []
        for path in store.glob(pattern):
            try:
                found.append((path.stat().st_mtime, path))
            except FileNotFoundError:
                continue
        for _, path in sorted(found, reverse=True)[keep:]:
            path.unlink(missing_ok=True)


# ---- run -----------------------------------------------------------------------------------

def run(config: Config, elf: Path, timeout: int | None = None) -> FirmwareRun:
    """Runs a runner firmware under the board's emulator (bounded) and reads its console."""
    board = config.board
    limit = timeout or int(board.emulator.get("timeout", 120))
    try:
        command = runners.command_for(board.name, board.arch, board.emulator, Path(elf))
    except runners.RunnerError as exc:
        raise FirmwareError(str(exc)) from exc
    result = runners.run(command, limit)
    if result.timed_out:
        raise FirmwareError(f"{board.name}: the runner did not finish within {limit} s "
                            f"(--timeout to allow more)")
    info, tensors, sets = parse(result.output)
    if result.returncode != 0:
        raise FirmwareError(f"{board.name}: the runner exited with {result.returncode}; last "
                            f"lines:\n" + "\n".join(result.output.splitlines()[-10:]))
    return FirmwareRun(board.name, Path(elf), result.returncode, result.output,
                       info["arena_used"], info["arena_size"], tensors, sets, ticks_unit(config))
