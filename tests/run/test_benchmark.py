"""`scons TARGET=qemu_cortex_m4 benchmark_models` (part of `benchmark`) and the code-size
measure of benchmarks/runtime/run.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from microforge.bench import sizes
from microforge.build import api

from .support import MODELS


@pytest.mark.slow
def test_benchmark_models_on_the_m4(repo_root, shared_models):
    output = api.scons(["TARGET=qemu_cortex_m4", "benchmark_models"], repo_root, jobs=2)
    config = api.config_for(repo_root, TARGET="qemu_cortex_m4")
    report = json.loads((config.gen_dir / "benchmark" / "models.json").read_text())
    assert report["board"] == "qemu_cortex_m4" and report["unit"] == "instructions"
    rows = {r["model"]: r for r in report["models"]}
    assert set(rows) == set(MODELS) | {p.stem for p in shared_models.glob("*.tflite")}
    for name, row in rows.items():
        assert "error" not in row, row
        # Exact counts: every one of the invokes took the same number of instructions.
        assert row["instructions_min"] == row["instructions_max"] == row["instructions_per_invoke"]
        assert row["invokes"] == 10 and row["arena_bytes"] > 0
        assert row["flash_bytes"] > row["model_bytes"] == (shared_models / f"{name}.tflite"
                                                           ).stat().st_size
        assert re.search(rf"^{name} +{row['instructions_per_invoke']:,} +{row['arena_bytes']:,} ",
                         output, re.MULTILINE), output
    # The larger model needs more of everything.
    assert rows["person_detect"]["instructions_per_invoke"] > rows["magic_wand"][
        "instructions_per_invoke"] > rows["hello_world_int8"]["instructions_per_invoke"]


def test_benchmark_alias_includes_the_models(repo_root):
    output = api.scons(["TARGET=qemu_cortex_m4", "-h"], repo_root)
    assert re.search(r"^  benchmark_models ", output, re.MULTILINE)
    assert "also run benchmark_models" in output


def test_object_text_is_what_size_calls_text(repo_root):
    size_tool = shutil.which("arm-none-eabi-size")
    if size_tool is None:
        pytest.fail("arm-none-eabi-size is not installed (gcc-arm-none-eabi)", pytrace=False)
    api.scons(["TARGET=qemu_cortex_m4", "lib"], repo_root, jobs=2)
    folder = api.config_for(repo_root, TARGET="qemu_cortex_m4").gen_dir / "obj" / "micro"
    objects = sorted(folder.glob("core/*.o"))[:4] + sorted(folder.glob("kernels/*.o"))[:4]
    assert objects
    listing = subprocess.run([size_tool, *map(str, objects)], capture_output=True, text=True,
                             timeout=60, check=True).stdout.splitlines()[1:]
    for obj, line in zip(objects, listing, strict=True):
        assert sizes.object_text(obj) == int(line.split()[0]), line


def test_firmware_parts_add_up_to_its_text(repo_root):
    """The linker-map breakdown of a linked firmware accounts for every byte of its text."""
    api.scons(["TARGET=qemu_cortex_m4", "hello_world"], repo_root, jobs=2)
    config = api.config_for(repo_root, TARGET="qemu_cortex_m4")
    core = {p.stem for p in (repo_root / "micro" / "core").glob("*.c")}
    kernels = {p.stem for p in (repo_root / "micro" / "kernels").glob("*.c")}
    text, model, parts = sizes.firmware_breakdown(config.gen_dir / "bin" / "hello_world.elf",
                                                  core, kernels)
    assert sum(parts.values()) == text
    assert parts["model"] >= model == (repo_root / "examples" / "hello_world" /
                                       "hello_world.tflite").stat().st_size
    assert parts["core"] > 1000 and parts["kernels"] > 1000 and parts["board"] > 100
