"""Just enough ELF reading for size reports and memory-region checks (32- and 64-bit)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHT_NOBITS = 8
PT_LOAD = 1


class ElfError(Exception):
    pass


@dataclass(frozen=True)
class Section:
    name: str
    kind: int
    flags: int
    addr: int
    size: int

    @property
    def category(self) -> str:
        """text (code and read-only data), data (initialised RAM), bss, or other."""
        if not self.flags & SHF_ALLOC or self.size == 0:
            return "other"
        if self.kind == SHT_NOBITS:
            return "bss"
        if self.flags & SHF_WRITE:
            return "data"
        return "text"


@dataclass(frozen=True)
class Segment:
    vaddr: int
    paddr: int
    filesz: int
    memsz: int


@dataclass(frozen=True)
class Elf:
    sections: list[Section]
    segments: list[Segment]
    entry: int
    bits: int


def read_elf(path: Path) -> Elf:
    data = Path(path).read_bytes()
    if len(data) < 52 or data[:4] != b"\x7fELF":
        raise ElfError(f"{path}: not an ELF file")
    bits = {1: 32, 2: 64}.get(data[4])
    endian = {1: "<", 2: ">"}.get(data[5])
    if bits is None or endian is None:
        raise ElfError(f"{path}: unknown ELF class or byte order")
    try:
        if bits == 32:
            (entry, phoff, shoff) = struct.unpack_from(endian + "III", data, 24)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(
                endian + "HHHHH", data, 42)
        else:
            (entry, phoff, shoff) = struct.unpack_from(endian + "QQQ", data, 24)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(
                endian + "HHHHH", data, 54)
        segments = []
        for i in range(phnum):
            off = phoff + i * phentsize
            if bits == 32:
                kind, _, vaddr, paddr, filesz, memsz = struct.unpack_from(endian + "IIIIII",
                                                                          data, off)
            else:
                kind, _, _, vaddr, paddr, filesz, memsz = struct.unpack_from(
                    endian + "IIQQQQQ", data, off)
            if kind == PT_LOAD:
                segments.append(Segment(vaddr, paddr, filesz, memsz))
        raw = []
        for i in range(shnum):
            off = shoff + i * shentsize
            if bits == 32:
                name, kind, flags, addr, offset, size = struct.unpack_from(endian + "IIIIII",
                                                                           data, off)
            else:
                name, kind, flags, addr, offset, size = struct.unpack_from(endian + "IIQQQQ",
                                                                           data, off)
            raw.append((name, kind, flags, addr, offset, size))
        names_off = raw[shstrndx][4] if shstrndx < len(raw) else 0
        sections = []
        for name, kind, flags, addr, _offset, size in raw:
            start = names_off + name
            end = data.find(b"\0", start)
            label = data[start:end].decode("ascii", "replace") if end >= 0 else "?"
            sections.append(Section(label, kind, flags, addr, size))
    except struct.error as exc:
        raise ElfError(f"{path}: truncated ELF ({exc})") from exc
    return Elf(sections, segments, entry, bits)
