"""Text for `scons list`, `scons list_kernels` and `scons -h`."""

from __future__ import annotations

from pathlib import Path

from microforge.config import Config, load_boards
from microforge.config.example import Example
from microforge.config.resolve import VARIABLES, build_types, global_tags
from microforge.config.tflm import names as tflm_names
from microforge.config.variants import KernelSource, known_variant_names, load_variant


def list_text(root: Path, examples: dict[str, Example]) -> str:
    boardset = load_boards(root)
    lines = ["targets:"]
    tflm = tflm_names()
    missing = sorted(set(tflm.targets.values()) - set(boardset.boards) - set(boardset.broken))
    width = max([len(n) for n in [*boardset.boards, *boardset.broken, *missing]] + [14])
    for name, board in sorted(boardset.boards.items()):
        extra = f" (also: {', '.join(board.aliases)})" if board.aliases else ""
        lines.append(f"  {name:<{width}}  {board.status:<11}  {board.description}{extra}")
    for name, error in sorted(boardset.broken.items()):
        lines.append(f"  {name:<{width}}  {'broken':<11}  {error}")
    for name in missing:
        spellings = ", ".join(sorted(k for k, v in tflm.targets.items() if v == name))
        lines.append(f"  {name:<{width}}  {'not yet':<11}  no board folder yet (TFLM: {spellings})")
    spelled = [f"{k}->{v}" for k, v in sorted(tflm.targets.items()) if k != v]
    lines.append("  TFLM spellings: " + ", ".join(spelled)
                 + "".join(f", {k} TAGS=<board>" for k in sorted(tflm.board_from_tags)))
    lines.append("tags:")
    variants = known_variant_names(root)
    for name in sorted(set(variants.values())):
        variant = load_variant(root, name)
        spellings = sorted(s for s, v in variants.items() if v == name and s != name)
        state = "no kernels yet" if variant.empty else f"{len(variant.files)} kernels"
        also = f"; also {', '.join(spellings)}" if spellings else ""
        lines.append(f"  {name:<{width}}  kernel variant ({state}{also}): {variant.description}")
    for name, tag in sorted(global_tags().items()):
        lines.append(f"  {name:<{width}}  {tag['description']}")
    for name, board in sorted(boardset.boards.items()):
        for tag in board.tags:
            lines.append(f"  {tag:<{width}}  board tag of {name}")
    lines.append("examples:")
    for name, example in sorted(examples.items()):
        where = ", ".join(example.data["boards"] or example.data["arch"])
        lines.append(f"  {name:<{width}}  [{where}] {example.description}")
    return "\n".join(lines)


def kernels_text(config: Config, kernels: list[KernelSource]) -> str:
    root = config.root
    order = " -> ".join(["reference"] + [v.name for v in config.variants])
    lines = [f"kernel variants for {config.name}: {order}"]
    for variant in config.variants:
        if variant.empty:
            lines.append(f"  {variant.name}: no kernels yet, the reference kernel is used for "
                         "every op")
    width = max([len(k.name) for k in kernels] + [8])
    for kernel in kernels:
        replaced = f" (replaces {kernel.replaced[0]})" if kernel.replaced else ""
        lines.append(f"  {kernel.name:<{width}}  {kernel.variant:<10}  "
                     f"{kernel.path.relative_to(root)}{replaced}")
    if not kernels:
        lines.append("  (no kernel sources in micro/kernels yet)")
    return "\n".join(lines)


def help_text(aliases: list[tuple[str, str]], examples: list[str], board: str) -> str:
    lines = ["microforge: scons [VARIABLE=value ...] [alias ...]", "", "Variables:"]
    for var in VARIABLES:
        default = f" (default: {var.default})" if var.default else ""
        lines.append(f"  {var.name:<22}{var.help}{default}")
    lines.append("  BUILD_TYPE values:    " + "; ".join(
        f"{k}: {v['description']}" for k, v in build_types().items()))
    lines += ["", "Aliases per example <ex>:",
              "  <ex>                  build the example's program (ELF)",
              "  <ex>_bin              the flashable image (.bin/.hex; the ELF on the host)",
              "  run_<ex>              run it on the host or the board's emulator, streaming "
              "its output",
              "  test_<ex>             build and run its tests (pass/fail)",
              "  size_<ex>             footprint report (text/data/bss and memory regions)",
              "  test_<test program>   one test program (TFLM spelling)",
              "",
              "TFLM spellings: TARGET=sparkfun_edge|esp|cortex_m_generic|..., TARGET=mbed "
              "TAGS=\"CMSIS <board>\", OPTIMIZED_KERNEL_DIR=cmsis_nn, TARGET_ARCH=..., "
              "microlite (= lib), test_<test program>.",
              "", f"Aliases for TARGET={board}:"]
    for name, text in aliases:
        lines.append(f"  {name:<22}{text}")
    lines += ["", f"Examples for TARGET={board}: " + (", ".join(examples) or "(none)"),
              "", "Output goes to gen/<board>[_<arch>]_<build type>[_<toolchain>][_<tag>...]/.",
              "`scons list` shows every target, tag and example."]
    return "\n".join(lines)
