"""Code size on Cortex-M4 (-Os): the runtime core, each kernel, the hello_world firmware.

The objects come from the ordinary build, `scons TARGET=qemu_cortex_m4 BUILD_TYPE=release
TAGS=size lib hello_world` (release: asserts off, log and error strings stripped; the `size`
tag compiles with -Os). A size here is "text": code plus read-only data, every function of the
object (-ffunction-sections, before the link drops unused ones), so a sum is an upper bound of
what a firmware links. The firmware's figure is its linked text minus the model array.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microforge import ROOT

BOARD = "qemu_cortex_m4"
BUILD_TYPE = "release"
SIZE_TAG = "size"
FIRMWARE = "hello_world"
MODEL_SYMBOL = "g_model"
#: micro/core objects that are not the core: the table that registers every kernel.
NOT_CORE = ("all_ops",)


@dataclass(frozen=True)
class ObjectSize:
    name: str
    text: int


def scons_args() -> list[str]:
    return [f"TARGET={BOARD}", f"BUILD_TYPE={BUILD_TYPE}", f"TAGS={SIZE_TAG}", "lib", FIRMWARE]


def object_text(path: Path) -> int:
    from microforge.build.elf import read_elf

    return sum(s.size for s in read_elf(path).sections if s.category == "text")


def objects(folder: Path) -> list[ObjectSize]:
    return [ObjectSize(p.stem, object_text(p)) for p in sorted(folder.glob("*.o"))]


def symbol_size(elf: Path, name: str) -> int:
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as handle:
        table = ELFFile(handle).get_section_by_name(".symtab")
        if table is None:
            raise ValueError(f"{elf} has no symbol table")
        found = table.get_symbol_by_name(name)
        if not found:
            raise ValueError(f"{elf} has no symbol {name}")
        return int(found[0]["st_size"])


def measure(root: Path = ROOT, build: bool = True, timeout: int = 1800) -> dict[str, Any]:
    """Builds (unless `build` is False) and measures; every figure in bytes."""
    from microforge.build import api
    from microforge.build.elf import read_elf
    from microforge.build.size import totals

    if build:
        api.scons([*scons_args(), "-j2"], root, timeout)
    config = api.config_for(root, TARGET=BOARD, BUILD_TYPE=BUILD_TYPE, TAGS=SIZE_TAG)
    obj = config.gen_dir / "obj" / "micro"
    core = objects(obj / "core")
    kernels = objects(obj / "kernels")
    if not core or not kernels:
        raise FileNotFoundError(f"no runtime objects under {obj}: build {' '.join(scons_args())}")
    elf = config.gen_dir / "bin" / f"{FIRMWARE}.elf"
    text = totals(read_elf(elf))["text"]
    model = symbol_size(elf, MODEL_SYMBOL)
    return {
        "board": BOARD, "config": config.name, "flags": "-Os, release (MF_STRIP_LOGS, NDEBUG)",
        "core_text": sum(o.text for o in core if o.name not in NOT_CORE),
        "core": {o.name: o.text for o in core},
        "kernels": {o.name: o.text for o in kernels},
        "kernels_text": sum(o.text for o in kernels),
        "firmware": FIRMWARE, "firmware_text": text, "firmware_model_bytes": model,
        "firmware_text_without_model": text - model,
    }
