"""Firmware images as address/data segments: ELF (loadable segments), Intel HEX, raw binary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import FlashError

ELF_SUFFIXES = (".elf", ".axf", "")
HEX_SUFFIXES = (".hex", ".ihex")
BIN_SUFFIXES = (".bin",)


@dataclass(frozen=True)
class Segment:
    address: int
    data: bytes

    @property
    def end(self) -> int:
        return self.address + len(self.data)


@dataclass(frozen=True)
class Image:
    path: Path
    kind: str  # "elf", "hex" or "bin"
    segments: tuple[Segment, ...]
    entry: int | None = None

    @property
    def size(self) -> int:
        return sum(len(s.data) for s in self.segments)

    def flat(self, fill: int = 0xFF) -> tuple[int, bytes]:
        """(start address, contiguous bytes) covering every segment, gaps filled."""
        if not self.segments:
            raise FlashError(f"{self.path}: image holds no data")
        start = min(s.address for s in self.segments)
        end = max(s.end for s in self.segments)
        if end - start > 64 * 1024 * 1024:
            raise FlashError(f"{self.path}: segments span {end - start} bytes; refusing to flatten")
        out = bytearray([fill]) * (end - start)
        for segment in self.segments:
            out[segment.address - start : segment.end - start] = segment.data
        return start, bytes(out)


def image_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in HEX_SUFFIXES:
        return "hex"
    if suffix in BIN_SUFFIXES:
        return "bin"
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == b"\x7fELF":
        return "elf"
    if suffix in ELF_SUFFIXES:
        raise FlashError(f"{path}: not an ELF file (magic {magic!r})")
    raise FlashError(f"{path}: unknown image type {suffix!r} (use .elf, .hex or .bin)")


def load_image(path: Path | str, load_address: int | None = None) -> Image:
    """Read an image; a .bin needs ``load_address``."""
    path = Path(path)
    if not path.is_file():
        raise FlashError(f"image not found: {path}")
    kind = image_kind(path)
    if kind == "bin":
        if load_address is None:
            raise FlashError(f"{path}: a .bin image needs a load address ([flash] load_address)")
        data = path.read_bytes()
        if not data:
            raise FlashError(f"{path}: image is empty")
        return Image(path, "bin", (Segment(load_address, data),))
    if kind == "hex":
        return _load_hex(path)
    return _load_elf(path)


def _load_hex(path: Path) -> Image:
    from intelhex import IntelHex, IntelHexError

    try:
        ih = IntelHex(str(path))
    except (IntelHexError, ValueError) as err:
        raise FlashError(f"{path}: malformed Intel HEX: {err}") from err
    segments = tuple(
        Segment(start, bytes(ih.tobinarray(start=start, size=end - start)))
        for start, end in ih.segments()
    )
    if not segments:
        raise FlashError(f"{path}: image holds no data")
    entry = None
    if ih.start_addr:
        entry = ih.start_addr.get("EIP", ih.start_addr.get("IP"))
    return Image(path, "hex", segments, entry)


def _load_elf(path: Path) -> Image:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as handle:
            elf = ELFFile(handle)
            segments = []
            for segment in elf.iter_segments():
                if segment["p_type"] != "PT_LOAD" or segment["p_filesz"] == 0:
                    continue
                data = segment.data()
                if len(data) != segment["p_filesz"]:
                    raise FlashError(
                        f"{path}: truncated ELF: a segment at 0x{segment['p_paddr']:08x} needs "
                        f"{segment['p_filesz']} bytes, the file holds {len(data)}"
                    )
                segments.append(Segment(segment["p_paddr"], data))
            entry = elf.header["e_entry"]
    except ELFError as err:
        raise FlashError(f"{path}: malformed ELF: {err}") from err
    if not segments:
        raise FlashError(f"{path}: ELF has no loadable data")
    return Image(path, "elf", tuple(sorted(segments, key=lambda s: s.address)), entry)
