"""`scons TARGET=<emulated board> benchmark`: every model of ../shared/models/tflm on the board.

The build makes one runner firmware per model (`bench_<model>.elf`: the model, zero inputs,
REPEATS invokes, each with its input copied in first) and calls run_all(), which runs them
under the emulator and prints instructions per invoke, arena bytes and flash bytes as a table
and as JSON (also written to gen/<config>/benchmark/models.json).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPEATS = 10
MAX_ARENA = 1024 * 1024
SHARED_MODELS = Path("shared") / "models" / "tflm"


def runner_defines(memory: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    """The runner firmware's arena: 1 MiB, or half the board's `ram` region when smaller."""
    arena = MAX_ARENA
    ram = memory.get("ram")
    if ram is not None:
        arena = min(arena, ram["size"] // 2 // 16 * 16)
    return [("MF_RUNNER_ARENA_BYTES", f"{arena}u")]


@dataclass
class SharedModels:
    models: list[Path] = field(default_factory=list)
    error: str = ""       # why there are none


def shared_models(root: Path) -> SharedModels:
    """The .tflite files of <root>/../shared/models/tflm, or why they cannot be found."""
    folder = root.parent / SHARED_MODELS
    if not (folder / "MANIFEST.md").is_file():
        return SharedModels(error=f"the shared reference models are missing: expected {folder} "
                                  "(the folder shared/models/tflm next to the repository)")
    found = sorted(folder.glob("*.tflite"))
    if not found:
        return SharedModels(error=f"no .tflite files in {folder}")
    return SharedModels(found)


def flash_bytes(elf: Path) -> dict[str, int]:
    """text (code and read-only data, the model included), data, and flash = text + data."""
    from microforge.build.elf import read_elf
    from microforge.build.size import totals

    sizes = totals(read_elf(elf))
    return {"text": sizes["text"], "data": sizes["data"], "flash": sizes["text"] + sizes["data"]}


def measure(config: Any, model: Path, elf: Path, timeout: int | None = None) -> dict[str, Any]:
    """One model's figures from its bench firmware."""
    from . import firmware

    result = firmware.run(config, elf, timeout)
    (only,) = result.sets
    return {
        "model": model.stem,
        "instructions_per_invoke": only.ticks_per_invoke,
        "instructions_min": only.ticks_min,
        "instructions_max": only.ticks_max,
        "invokes": only.invokes,
        "arena_bytes": result.arena_used,
        **{f"{k}_bytes": v for k, v in flash_bytes(elf).items()},
        "model_bytes": model.stat().st_size,
    }


def format_table(board: str, rows: list[dict[str, Any]]) -> str:
    head = (f"{'model':<26} {'instr/invoke':>14} {'arena B':>9} {'flash B':>10} "
            f"{'model B':>9}")
    lines = [f"{board}: every shared model, zero inputs, {REPEATS} invokes (input copied in "
             "before each)", head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['model']:<26} error: {r['error']}")
            continue
        lines.append(f"{r['model']:<26} {r['instructions_per_invoke']:>14,} "
                     f"{r['arena_bytes']:>9,} {r['flash_bytes']:>10,} {r['model_bytes']:>9,}")
    return "\n".join(lines)


def run_all(config: Any, entries: list[tuple[Path, Path]], missing: str, out_dir: Path,
            message: Callable[[str], None]) -> int:
    """Runs every (model, firmware) pair; prints and writes the table and the JSON."""
    from . import firmware

    if missing:
        message(f"error: benchmark_models: {missing}")
        return 1
    unit = firmware.ticks_unit(config)
    if unit != "instructions":
        message(f"error: benchmark_models: {config.board.name} counts {unit}, not instructions")
        return 1
    rows: list[dict[str, Any]] = []
    for model, elf in entries:
        try:
            rows.append(measure(config, model, elf))
        except firmware.FirmwareError as exc:
            rows.append({"model": model.stem, "error": str(exc)})
    report = {"board": config.board.name, "config": config.name, "unit": unit,
              "repeats": REPEATS, "inputs": "zeros", "models": rows}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "models.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "models.txt").write_text(format_table(config.board.name, rows) + "\n")
    message(format_table(config.board.name, rows))
    message(json.dumps(report, separators=(",", ":")))
    return 1 if any("error" in r for r in rows) else 0
