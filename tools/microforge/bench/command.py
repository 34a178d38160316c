"""`microforge run`: one .tflite model through the runtime, on the host or an emulated board.

    microforge run model.tflite [--input in.npy ...] [--output out.npy ...] [--repeat N]
                                [--profile] [--count] [--board NAME] [--seed N]

Inputs come from .npy files (one per model input, in order; dtype and shape must match), or
are seeded random when none are given. Outputs are written to .npy files. The last line of
stdout is one JSON object: model, board, arena_bytes, invoke_count, and
instructions_per_invoke when counted (always on emulated boards, with --count on the host).

Exit codes: 0 done, 1 the model or the runtime failed (bad model, unsupported op, runtime
error, firmware build or run failure), 2 a usage or file error (missing file, an input of the
wrong dtype or shape).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_SEED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad arguments or files: exit code 2."""


class RunError(Exception):
    """The model or the runtime failed: exit code 1."""


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: np.dtype
    shape: tuple[int, ...]

    def describe(self) -> str:
        return f"{self.name or '?'} {self.dtype.name}{list(self.shape)}"


@dataclass
class Outcome:
    outputs: list[np.ndarray]
    arena_bytes: int
    instructions_per_invoke: int | None = None
    profile: list[tuple[str, int]] = field(default_factory=list)
    ticks_unit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# ---- the model and its inputs --------------------------------------------------------------

def unsupported_hint(data: bytes) -> str:
    """" (the model uses ops without a kernel here: EXP v1)", or "" when all have one."""
    from microforge.model import reader

    try:
        missing = reader.validate_bytes(data).unsupported_ops
    except reader.ModelError:
        return ""
    if not missing:
        return ""
    return (" (the model uses ops without a kernel in microforge: "
            + ", ".join(f"{o.name} v{o.version}" for o in missing) + ")")


def read_model(path: Path) -> tuple[bytes, list[TensorSpec], list[TensorSpec]]:
    """The model's bytes and its input and output tensors (UsageError, RunError)."""
    from microforge.model import reader, schema

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the model {path}: {exc.strerror}") from exc
    try:
        summary = reader.validate_bytes(data, str(path))
    except reader.ModelError as exc:
        raise RunError(f"{path} is not a valid .tflite model: {exc}") from exc

    def spec(t: Any) -> TensorSpec:
        try:
            dtype = schema.numpy_dtype(t.dtype)
        except ValueError as exc:
            raise RunError(f"tensor {t.name}: {exc}") from exc
        return TensorSpec(t.name, dtype, tuple(int(d) for d in t.shape))

    return (data, [spec(t) for t in summary.input_tensors()],
            [spec(t) for t in summary.output_tensors()])


def random_inputs(specs: list[TensorSpec], seed: int) -> list[np.ndarray]:
    """numpy.random.default_rng(seed), input by input: integers over the dtype's full range,
    floats uniform in [-1, 1) (the goldens' "rand" case for seed 0)."""
    rng = np.random.default_rng(seed)
    values = []
    for s in specs:
        if s.dtype == np.bool_:
            values.append(rng.integers(0, 2, size=s.shape).astype(np.bool_))
        elif np.issubdtype(s.dtype, np.integer):
            info = np.iinfo(s.dtype)
            values.append(rng.integers(info.min, int(info.max) + 1, size=s.shape, dtype=s.dtype))
        elif np.issubdtype(s.dtype, np.floating):
            values.append(rng.uniform(-1, 1, size=s.shape).astype(s.dtype))
        else:
            raise RunError(f"input {s.describe()}: no random values for {s.dtype}")
    return values


def load_inputs(files: list[Path], specs: list[TensorSpec]) -> list[np.ndarray]:
    if len(files) != len(specs):
        listed = "; ".join(f"{n}: {s.describe()}" for n, s in enumerate(specs))
        raise UsageError(f"the model has {len(specs)} input(s) ({listed}); {len(files)} "
                         "--input file(s) given")
    values = []
    for n, (path, s) in enumerate(zip(files, specs, strict=True)):
        try:
            value = np.load(path, allow_pickle=False)
        except FileNotFoundError as exc:
            raise UsageError(f"input {n}: no such file {path}") from exc
        except (OSError, ValueError) as exc:
            raise UsageError(f"input {n}: {path} is not a .npy array: {exc}") from exc
        if not isinstance(value, np.ndarray):
            raise UsageError(f"input {n}: {path} holds several arrays, not one .npy array")
        if value.dtype != s.dtype:
            raise UsageError(f"input {n} ({s.describe()}): {path} holds {value.dtype.name}"
                             f"{list(value.shape)}, the model takes {s.dtype.name}")
        if tuple(value.shape) != s.shape:
            raise UsageError(f"input {n} ({s.describe()}): {path} has shape {list(value.shape)}, "
                             f"the model takes {list(s.shape)}")
        values.append(np.ascontiguousarray(value))
    return values


def output_paths(model: Path, given: list[Path], count: int) -> list[Path]:
    if given and len(given) != count:
        raise UsageError(f"the model has {count} output(s); {len(given)} --output file(s) given")
    return given or [Path(f"{model.stem}.output{i}.npy") for i in range(count)]


# ---- where it runs -------------------------------------------------------------------------

def on_host(data: bytes, model: Path, inputs: list[np.ndarray], args: argparse.Namespace
            ) -> Outcome:
    from microforge.runtime import MicroforgeError

    from . import host

    try:
        result = host.run(data, inputs, args.repeat, args.profile)
    except MicroforgeError as exc:
        hint = unsupported_hint(data) if exc.status == "MF_ERR_OP_UNSUPPORTED" else ""
        raise RunError(f"{exc}{hint}") from exc
    outcome = Outcome(result.outputs, result.arena_used, profile=result.profile,
                      ticks_unit="microseconds")
    if args.count:
        try:
            outcome.instructions_per_invoke = host.count_instructions(model, inputs,
                                                                      result.arena_used)
        except host.CountError as exc:
            raise RunError(str(exc)) from exc
        outcome.extra["count_method"] = "callgrind (11 invokes - 1 invoke) / 10"
    return outcome


def on_board(model: Path, inputs: list[np.ndarray], outputs: list[TensorSpec],
             args: argparse.Namespace) -> Outcome:
    from microforge.config import ConfigError

    from . import firmware, runfile

    try:
        config = firmware.board_config(args.board, profile=args.profile)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    try:
        inputs_file = runfile.pack([[v.tobytes() for v in inputs]], repeats=args.repeat)
    except runfile.RunFileError as exc:
        raise UsageError(str(exc)) from exc
    try:
        elf = firmware.build(config, model, inputs_file, log=True)
        result = firmware.run(config, elf, args.timeout)
    except firmware.RuntimeRejected as exc:
        hint = unsupported_hint(model.read_bytes()) if exc.status == "MF_ERR_OP_UNSUPPORTED" else ""
        raise RunError(f"{config.board.name}: {exc}{hint}") from exc
    except firmware.FirmwareError as exc:
        raise RunError(f"{config.board.name}: {exc}") from exc
    (only,) = result.sets
    values = []
    for n, (tensor, spec) in enumerate(zip(result.tensors, outputs, strict=True)):
        from microforge.model import schema

        dtype = schema.numpy_dtype(tensor.dtype)
        if dtype != spec.dtype or tensor.shape != spec.shape:
            raise RunError(f"output {n}: the board reports {dtype.name}{list(tensor.shape)}, "
                           f"the model says {spec.describe()}")
        values.append(np.frombuffer(only.outputs[n], dtype=dtype).reshape(tensor.shape).copy())
    outcome = Outcome(values, result.arena_used, profile=only.profile,
                      ticks_unit=result.ticks_unit)
    if result.ticks_unit == "instructions":
        outcome.instructions_per_invoke = only.ticks_per_invoke
        outcome.extra["count_method"] = (f"QEMU -icount: {only.invokes} invoke(s), input copied "
                                         "in before each" + (", profiler on" if args.profile
                                                             else ""))
    outcome.extra["firmware"] = str(elf)
    return outcome


# ---- printing ------------------------------------------------------------------------------

def format_profile(profile: list[tuple[str, int]], unit: str) -> str:
    width = max([len(op) for op, _ in profile] + [8])
    total = sum(t for _, t in profile)
    lines = [f"profile of the last invoke (ticks: {unit})",
             f"{'node':>5}  {'op':<{width}}  {'ticks':>12}  {'share':>6}"]
    for n, (op, ticks) in enumerate(profile):
        share = 100.0 * ticks / total if total else 0.0
        lines.append(f"{n:>5}  {op:<{width}}  {ticks:>12,}  {share:>5.1f}%")
    lines.append(f"{'':>5}  {'total':<{width}}  {total:>12,}")
    return "\n".join(lines)


def describe_value(value: np.ndarray) -> str:
    flat = value.reshape(-1)
    shown = np.array2string(flat[:8], separator=", ", max_line_width=200)
    return shown[:-1] + (", ...]" if flat.size > 8 else "]")


def execute(args: argparse.Namespace) -> int:
    model = Path(args.model)
    if args.repeat < 1:
        raise UsageError(f"--repeat must be at least 1, got {args.repeat}")
    data, in_specs, out_specs = read_model(model)
    inputs_given = [Path(p) for p in args.input]
    if inputs_given:
        if args.seed is not None:
            raise UsageError("--seed seeds random inputs; --input files were given")
        inputs = load_inputs(inputs_given, in_specs)
        source: Any = [str(p) for p in inputs_given]
        seed = None
    else:
        seed = DEFAULT_SEED if args.seed is None else args.seed
        inputs = random_inputs(in_specs, seed)
        source = "random"
        print(f"inputs: seeded random values, seed {seed} (--seed N to change, --input to give "
              "files)")
    paths = output_paths(model, [Path(p) for p in args.output], len(out_specs))
    board = args.board or "host"
    if board == "host":
        outcome = on_host(data, model, inputs, args)
    else:
        outcome = on_board(model, inputs, out_specs, args)
    for n, (value, path, spec) in enumerate(zip(outcome.outputs, paths, out_specs, strict=True)):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, value, allow_pickle=False)
        except OSError as exc:
            raise UsageError(f"cannot write output {n} to {path}: {exc.strerror}") from exc
        print(f"output {n} ({spec.describe()}): {describe_value(value)} -> {path}")
    if args.profile:
        print(format_profile(outcome.profile, outcome.ticks_unit))
    summary: dict[str, Any] = {
        "model": str(model), "board": board, "arena_bytes": outcome.arena_bytes,
        "invoke_count": args.repeat,
    }
    if outcome.instructions_per_invoke is not None:
        summary["instructions_per_invoke"] = outcome.instructions_per_invoke
    summary["inputs"] = source
    if seed is not None:
        summary["seed"] = seed
    summary["outputs"] = [str(p) for p in paths]
    summary.update(outcome.extra)
    sys.stdout.flush()
    print(json.dumps(summary))
    return 0


def main(args: argparse.Namespace) -> int:
    try:
        return execute(args)
    except UsageError as exc:
        sys.stdout.flush()
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except RunError as exc:
        sys.stdout.flush()
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_FAILED


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="the .tflite file")
    parser.add_argument("--input", "-i", action="extend", nargs="+", default=[], metavar="NPY",
                        help="one .npy file per model input, in order (default: seeded random)")
    parser.add_argument("--output", "-o", action="extend", nargs="+", default=[],
                        metavar="NPY", help="one .npy file per model output (default: "
                        "<model>.output<i>.npy in the current folder)")
    parser.add_argument("--repeat", "-n", type=int, default=1, metavar="N",
                        help="invokes (inputs copied in before each); outputs are the last's")
    parser.add_argument("--profile", action="store_true",
                        help="print a per-op table of the last invoke (ticks: instructions on "
                        "emulated boards, microseconds on the host)")
    parser.add_argument("--count", action="store_true",
                        help="host: count instructions per invoke with callgrind, (11 invokes "
                        "- 1 invoke) / 10 (emulated boards always count, with QEMU -icount)")
    parser.add_argument("--board", "-b", default=None, metavar="NAME",
                        help="an emulated board (qemu_cortex_m4, qemu_cortex_m7, qemu_riscv32) "
                        "or host (the default)")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"seed of the random inputs (default {DEFAULT_SEED})")
    parser.add_argument("--timeout", type=int, default=None, metavar="S",
                        help="seconds the board's emulator may run (default: the board's)")
