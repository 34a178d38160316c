"""Footprint reports and memory-region checks from an ELF and the board's [memory] data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .elf import Elf, read_elf


@dataclass(frozen=True)
class RegionUse:
    name: str
    origin: int
    size: int
    used: int

    @property
    def overflow(self) -> int:
        return max(0, self.used - self.size)


def totals(elf: Elf) -> dict[str, int]:
    result = {"text": 0, "data": 0, "bss": 0}
    for section in elf.sections:
        if section.category in result:
            result[section.category] += section.size
    return result


def region_use(elf: Elf, memory: dict[str, dict[str, int]]) -> list[RegionUse]:
    """Bytes each region holds: a loadable segment counts where it is stored (its load
    address, filesz) and where it runs (its run address, memsz) when those differ."""
    used = dict.fromkeys(memory, 0)

    def region_of(address: int) -> str | None:
        for name, region in memory.items():
            if region["origin"] <= address < region["origin"] + region["size"]:
                return name
        return None

    for seg in elf.segments:
        if seg.memsz == 0:
            continue
        stored = region_of(seg.paddr)
        runs = region_of(seg.vaddr)
        if stored is not None and seg.filesz:
            used[stored] += seg.filesz
        if runs is not None and runs != stored:
            used[runs] += seg.memsz
        elif runs is not None and seg.memsz > seg.filesz:
            used[runs] += seg.memsz - seg.filesz
    return [RegionUse(n, r["origin"], r["size"], used[n]) for n, r in memory.items()]


def report(elf_path: Path, memory: dict[str, dict[str, int]], label: str) -> dict[str, Any]:
    elf = read_elf(elf_path)
    result: dict[str, Any] = {"program": label, "elf": str(elf_path), **totals(elf)}
    result["regions"] = [
        {"name": r.name, "used": r.used, "size": r.size, "overflow": r.overflow}
        for r in region_use(elf, memory)
    ]
    return result


def format_report(data: dict[str, Any]) -> str:
    lines = [f"{data['program']}: text {data['text']}  data {data['data']}  bss {data['bss']}"
             f"  ({data['elf']})"]
    for region in data["regions"]:
        share = 100.0 * region["used"] / region["size"]
        line = f"  {region['name']:<8} {region['used']:>9} / {region['size']} bytes ({share:.1f}%)"
        if region["overflow"]:
            line += f"  OVERFLOWS by {region['overflow']} bytes"
        lines.append(line)
    return "\n".join(lines)


def write_report(data: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".txt").write_text(format_report(data) + "\n")
    out.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n")


def overflow_errors(elf_path: Path, memory: dict[str, dict[str, int]]) -> list[str]:
    """One message per region the image does not fit in."""
    return [
        f"{elf_path.name}: region {r.name} overflows by {r.overflow} bytes "
        f"({r.used} used, {r.size} available)"
        for r in region_use(read_elf(elf_path), memory) if r.overflow
    ]
