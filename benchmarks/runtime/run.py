"""Runtime benchmark: every model of ../shared/models/tflm against TFLM's figures.

    python benchmarks/runtime/run.py [--models NAME ...] [--skip-host] [--skip-m4] [--skip-size]

Counted, never timed:
  host instr/invoke  callgrind on the host run_model (scons BUILD_TYPE=release runner), zero
                     inputs, (11 invokes - 1 invoke) / 10, each invoke with its input copied in
  M4 instr/invoke    QEMU qemu_cortex_m4 under -icount (exact instructions), zero inputs, the
                     input copied in before each of 10 invokes (scons TARGET=qemu_cortex_m4
                     BUILD_TYPE=release benchmark_models)
  M4 arena B         arena bytes the runtime used on the M4 (32-bit)
  code size          .text (code + read-only data) for Cortex-M4 with -Os (BUILD_TYPE=release
                     TAGS=size): the runtime core (micro/core without the all-ops table), each
                     kernel, and the hello_world firmware without its model (and what
                     its linked text is made of, from the linker map)
Ratios are ours / TFLM's (below 1 is better). Prints a table and writes
gen/benchmarks/runtime.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from microforge.bench import host, models, sizes  # noqa: E402
from microforge.build import api  # noqa: E402

OUT = ROOT / "gen" / "benchmarks" / "runtime.json"
BUILD_TYPE = "release"
M4 = "qemu_cortex_m4"

#: TFLM release build, reference kernels, same method.
TFLM = {
    "hello_world_int8": {"host": 6_499, "m4": 5_240, "arena": 676},
    "hello_world_float": {"host": 3_703, "m4": 3_426, "arena": 736},
    "micro_speech_quantized": {"host": 10_987_690, "m4": 9_309_798, "arena": 6_788},
    "magic_wand": {"host": 1_620_486, "m4": 1_463_520, "arena": 15_168},
    "person_detect": {"host": 116_428_186, "m4": 95_660_851, "arena": 82_292},
}
TFLM_HELLO_WORLD_TEXT = 20_263
CORE_GOAL = 6 * 1024
FIRMWARE_GOAL = TFLM_HELLO_WORLD_TEXT // 2


def ratio(ours: int | None, theirs: int | None) -> float | None:
    if ours is None or not theirs:
        return None
    return ours / theirs


def host_counts(paths: list[Path]) -> dict[str, dict[str, int]]:
    """Instructions per invoke and arena bytes on the host (zero inputs)."""
    import numpy as np
    from microforge.bench.command import read_model

    program = api.program_path("run_model", ROOT, BUILD_TYPE=BUILD_TYPE)
    api.scons([f"BUILD_TYPE={BUILD_TYPE}", "runner", "-j2"], ROOT)
    found = {}
    for path in paths:
        data, specs, _ = read_model(path)
        zeros = [np.zeros(s.shape, s.dtype) for s in specs]
        arena = host.run(data, zeros).arena_used
        started = time.monotonic()
        count = host.count_instructions(path, zeros, arena, program)
        print(f"  host {path.stem}: {count:,} instructions per invoke "
              f"(callgrind, {time.monotonic() - started:.0f} s)", file=sys.stderr)
        found[path.stem] = {"instructions_per_invoke": count, "arena_bytes": arena}
    return found


def m4_counts() -> dict[str, dict[str, Any]]:
    api.scons([f"TARGET={M4}", f"BUILD_TYPE={BUILD_TYPE}", "benchmark_models", "-j2"], ROOT)
    config = api.config_for(ROOT, TARGET=M4, BUILD_TYPE=BUILD_TYPE)
    report = json.loads((config.gen_dir / "benchmark" / "models.json").read_text())
    return {row["model"]: row for row in report["models"]}


def cell(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"


def rcell(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"


def model_table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'model':<24} {'host instr':>13} {'TFLM':>13} {'ratio':>6} "
            f"{'M4 instr':>13} {'TFLM':>13} {'ratio':>6} {'M4 arena':>9} {'TFLM':>7} "
            f"{'ratio':>6}")
    lines = [head, "-" * len(head)]
    for r in rows:
        t = r["tflm"]
        lines.append(
            f"{r['model']:<24} {cell(r['host_instructions']):>13} {cell(t.get('host')):>13} "
            f"{rcell(r['host_ratio']):>6} {cell(r['m4_instructions']):>13} "
            f"{cell(t.get('m4')):>13} {rcell(r['m4_ratio']):>6} {cell(r['m4_arena']):>9} "
            f"{cell(t.get('arena')):>7} {rcell(r['arena_ratio']):>6}")
    return "\n".join(lines)


def size_table(data: dict[str, Any]) -> str:
    lines = [f"code size, Cortex-M4, {data['flags']} (gen/{data['config']}):"]
    core = data["core_text"]
    parts = ", ".join(f"{k} {v}" for k, v in data["core"].items())
    lines.append(f"  runtime core .text      {core:>7,} B   goal < {CORE_GOAL:,} B   "
                 f"ratio {core / CORE_GOAL:.3f}   ({parts})")
    fw = data["firmware_text_without_model"]
    lines.append(f"  hello_world firmware    {fw:>7,} B   TFLM {TFLM_HELLO_WORLD_TEXT:,} B   "
                 f"ratio {fw / TFLM_HELLO_WORLD_TEXT:.3f}   goal < {FIRMWARE_GOAL:,} B   "
                 f"(text {data['firmware_text']:,} - model {data['firmware_model_bytes']:,})")
    linked = data["firmware_parts"]
    lines.append("    linked text by part: " + ", ".join(f"{k} {v:,}" for k, v in linked.items()))
    lines.append(f"  kernels .text           {data['kernels_text']:>7,} B in all:")
    for name, text in sorted(data["kernels"].items(), key=lambda kv: -kv[1]):
        lines.append(f"    {name:<22} {text:>7,}")
    return "\n".join(lines)


def goals(rows: list[dict[str, Any]], size_data: dict[str, Any] | None) -> list[str]:
    """One line per goal: met or not."""
    out = []
    for key, label in (("host_ratio", "host instructions"), ("m4_ratio", "M4 instructions"),
                       ("arena_ratio", "M4 arena")):
        over = [r["model"] for r in rows if r[key] is not None and r[key] > 1.0]
        measured = [r for r in rows if r[key] is not None]
        if measured:
            out.append(f"{label} <= TFLM on every model: "
                       + ("met" if not over else f"NOT met ({', '.join(over)})"))
    if size_data is not None:
        out.append(f"runtime core < {CORE_GOAL:,} B: "
                   + ("met" if size_data["core_text"] < CORE_GOAL else "NOT met"))
        out.append(f"hello_world firmware < {FIRMWARE_GOAL:,} B: "
                   + ("met" if size_data["firmware_text_without_model"] < FIRMWARE_GOAL
                      else "NOT met"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=None, help="model names (default: all)")
    parser.add_argument("--skip-host", action="store_true", help="no callgrind counts")
    parser.add_argument("--skip-m4", action="store_true", help="no QEMU counts")
    parser.add_argument("--skip-size", action="store_true", help="no code sizes")
    args = parser.parse_args(argv)
    found = models.shared_models(ROOT)
    if found.error:
        print(f"error: {found.error}", file=sys.stderr)
        return 2
    paths = [p for p in found.models if args.models is None or p.stem in args.models]
    if args.models and len(paths) != len(args.models):
        known = ", ".join(p.stem for p in found.models)
        print(f"error: unknown model in {args.models}; known: {known}", file=sys.stderr)
        return 2
    on_host = {} if args.skip_host else host_counts(paths)
    on_m4 = {} if args.skip_m4 else m4_counts()
    rows = []
    for path in paths:
        name, tflm = path.stem, TFLM.get(path.stem, {})
        h, m = on_host.get(name, {}), on_m4.get(name, {})
        if "error" in m:
            print(f"error: {M4} {name}: {m['error']}", file=sys.stderr)
            m = {}
        row = {"model": name, "tflm": tflm,
               "host_instructions": h.get("instructions_per_invoke"),
               "host_arena": h.get("arena_bytes"),
               "m4_instructions": m.get("instructions_per_invoke"),
               "m4_arena": m.get("arena_bytes"), "m4_flash": m.get("flash_bytes")}
        row["host_ratio"] = ratio(row["host_instructions"], tflm.get("host"))
        row["m4_ratio"] = ratio(row["m4_instructions"], tflm.get("m4"))
        row["arena_ratio"] = ratio(row["m4_arena"], tflm.get("arena"))
        rows.append(row)
    size_data = None if args.skip_size else sizes.measure(ROOT)
    print(model_table(rows))
    if size_data is not None:
        print()
        print(size_table(size_data))
    print()
    for line in goals(rows, size_data):
        print(line)
    report = {"method": __doc__, "build_type": BUILD_TYPE, "models": rows, "size": size_data,
              "tflm_hello_world_text": TFLM_HELLO_WORLD_TEXT, "core_goal": CORE_GOAL,
              "firmware_goal": FIRMWARE_GOAL, "goals": goals(rows, size_data)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
