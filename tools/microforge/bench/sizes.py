"""Code size on Cortex-M4 (-Os): the runtime core, each kernel, the hello_world firmware.

The objects come from the ordinary build, `scons TARGET=qemu_cortex_m4 BUILD_TYPE=release
TAGS=size lib hello_world` (release: asserts off, log and error strings stripped; the `size`
tag compiles with -Os). A size here is "text": code plus read-only data, every function of the
object (-ffunction-sections, before the link drops unused ones), so a sum is an upper bound of
what a firmware links. The firmware's figure is its linked text minus the model array.
"""

from __future__ import annotations

import re
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


_SECTION_ONLY = re.compile(r"^ (\.\S+)$")
_INPUT_SECTION = re.compile(
    r"^ (\.\S+|\*fill\*|COMMON)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)(?:\s+(\S.*?))?\s*$")
_ARCHIVE_MEMBER = re.compile(r"^(.*)\((.+)\)$")


def linked_text(map_path: Path, sections: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Bytes each linked object file puts into the output `sections` (name -> (address,
    size)), from a GNU ld map file. Padding counts as "(fill)", data the linker script writes
    as "(linker)". Merged string sections are listed with their size before merging: each
    entry is cut at the next entry's address. Archive members read as "libname.a(member.o)"."""
    text = map_path.read_text(errors="replace")
    start = text.find("Linker script and memory map")
    if start < 0:
        raise ValueError(f"{map_path}: not a GNU ld map file")
    entries: list[tuple[int, int, str]] = []
    output = ""
    pending = ""
    for line in text[start:].splitlines()[1:]:
        if line[:1] not in ("", " "):
            output = line.split()[0]
            pending = ""
            continue
        alone = _SECTION_ONLY.match(line)
        if alone is not None:
            pending = alone[1]
            continue
        entry = _INPUT_SECTION.match(line)
        if entry is None or output not in sections:
            continue
        name, where = entry[1] or pending, entry[4] or ""
        pending = ""
        if name == "*fill*":
            where = "(fill)"
        elif not name:
            where = "(linker)"
        elif not where:
            continue
        member = _ARCHIVE_MEMBER.match(where)
        key = f"{Path(member[1]).name}({member[2]})" if member and name else where
        entries.append((int(entry[2], 16), int(entry[3], 16), key))
    entries.sort()
    ends = sorted(a + n for a, n in sections.values())
    found: dict[str, int] = {}
    for n, (address, size, key) in enumerate(entries):
        limit = entries[n + 1][0] if n + 1 < len(entries) else ends[-1]
        limit = min([limit, *(e for e in ends if e > address)])
        found[key] = found.get(key, 0) + max(0, min(size, limit - address))
    return found


def firmware_parts(linked: dict[str, int], core: set[str], kernels: set[str],
                   model_object: str) -> dict[str, int]:
    """Linked bytes by part: core, kernels, model, application, board, libraries, fill."""
    parts = dict.fromkeys(("core", "kernels", "model", "application", "board", "libraries",
                           "fill"), 0)
    for where, size in linked.items():
        member = _ARCHIVE_MEMBER.match(where)
        stem = Path(member[2] if member else where).stem
        if where in ("(fill)", "(linker)"):
            part = "fill"
        elif member is not None and member[1].startswith("libmicroforge"):
            part = "core" if stem in core else "kernels" if stem in kernels else "libraries"
        elif member is not None:
            part = "libraries"
        elif "/obj/micro/core/" in where:
            part = "core"
        elif "/obj/micro/kernels/" in where:
            part = "kernels"
        elif Path(where).name == model_object:
            part = "model"
        elif "/obj/targets/" in where:
            part = "board"
        else:
            part = "application"
        parts[part] += size
    return parts


def firmware_breakdown(elf: Path, core: set[str], kernels: set[str]
                       ) -> tuple[int, int, dict[str, int]]:
    """(text, model array bytes, text by part) of a linked firmware and its map file; the
    parts add up to the text exactly (ValueError otherwise)."""
    from microforge.build.elf import read_elf
    from microforge.build.size import totals

    image = read_elf(elf)
    text = totals(image)["text"]
    model = symbol_size(elf, MODEL_SYMBOL)
    sections = {s.name: (s.addr, s.size) for s in image.sections if s.category == "text"}
    parts = firmware_parts(linked_text(Path(f"{elf}.map"), sections), core, kernels,
                           f"{MODEL_SYMBOL}.o")
    if sum(parts.values()) != text:
        raise ValueError(f"{elf}.map accounts for {sum(parts.values())} bytes of text, the "
                         f"ELF has {text}")
    return text, model, parts


def measure(root: Path = ROOT, build: bool = True, timeout: int = 1800) -> dict[str, Any]:
    """Builds (unless `build` is False) and measures; every figure in bytes."""
    from microforge.build import api

    if build:
        api.scons([*scons_args(), "-j2"], root, timeout)
    config = api.config_for(root, TARGET=BOARD, BUILD_TYPE=BUILD_TYPE, TAGS=SIZE_TAG)
    obj = config.gen_dir / "obj" / "micro"
    core = objects(obj / "core")
    kernels = objects(obj / "kernels")
    if not core or not kernels:
        raise FileNotFoundError(f"no runtime objects under {obj}: build {' '.join(scons_args())}")
    elf = config.gen_dir / "bin" / f"{FIRMWARE}.elf"
    text, model, parts = firmware_breakdown(elf, {o.name for o in core},
                                            {o.name for o in kernels})
    return {
        "board": BOARD, "config": config.name, "flags": "-Os, release (MF_STRIP_LOGS, NDEBUG)",
        "core_text": sum(o.text for o in core if o.name not in NOT_CORE),
        "core": {o.name: o.text for o in core},
        "kernels": {o.name: o.text for o in kernels},
        "kernels_text": sum(o.text for o in kernels),
        "firmware": FIRMWARE, "firmware_text": text, "firmware_model_bytes": model,
        "firmware_text_without_model": text - model,
        "firmware_parts": parts,
    }
