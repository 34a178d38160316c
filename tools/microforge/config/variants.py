"""Kernel variants: `micro/kernels/<variant>/*.c` replace the same-named reference kernels.

Order: the reference kernels (`micro/kernels/*.c`) first, then the board's `kernel_variants`,
then the variants named by TAGS or OPTIMIZED_KERNEL_DIR, each in the order given. A later
variant's file replaces an earlier one of the same name; a file with a new name is added.
A variant folder may hold `variant.toml` (description, arch, defines, include_dirs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .schema import Field, check_table, load_toml
from .tflm import names as tflm_names

SOURCE_SUFFIXES = (".c", ".S", ".s")

VARIANT_FIELDS = {
    "description": Field("str", "one line", default=""),
    "arch": Field("list[str]", "board arches it supports (empty: all)", default=[],
                  choices=("arm", "riscv", "xtensa", "host")),
    "defines": Field("list[str]", "defines added when the variant is used", default=[]),
    "include_dirs": Field("list[str]", "include folders, relative to the variant folder",
                          default=[]),
}


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    folder: Path | None                 # None: known name, no files yet
    files: tuple[Path, ...] = ()
    arch: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()
    include_dirs: tuple[Path, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.files


@dataclass(frozen=True)
class KernelSource:
    """One kernel file and the variant that supplied it ("reference" for micro/kernels)."""

    name: str
    path: Path
    variant: str = "reference"
    replaced: tuple[str, ...] = field(default=())


def kernels_dir(root: Path) -> Path:
    return root / "micro" / "kernels"


def _sources(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SOURCE_SUFFIXES))


def variant_folders(root: Path) -> dict[str, Path]:
    base = kernels_dir(root)
    if not base.is_dir():
        return {}
    return {p.name: p for p in sorted(base.iterdir()) if p.is_dir() and not p.name.startswith(".")}


def known_variant_names(root: Path) -> dict[str, str]:
    """Every accepted spelling -> canonical variant name (TFLM names and folders)."""
    result: dict[str, str] = {}
    for name, info in tflm_names().variants.items():
        result[name] = name
        for alias in info["aliases"]:
            result[alias] = name
    for name in variant_folders(root):
        result[name] = name
    return result


def load_variant(root: Path, name: str) -> Variant:
    folder = variant_folders(root).get(name)
    info = tflm_names().variants.get(name, {})
    description = info.get("description", "")
    if folder is None:
        if not info:
            raise ConfigError(f'unknown kernel variant "{name}"')
        return Variant(name=name, description=description, folder=None)
    meta = {"description": description, "arch": [], "defines": [], "include_dirs": []}
    meta_file = folder / "variant.toml"
    if meta_file.is_file():
        where = str(meta_file.relative_to(root))
        meta = check_table(load_toml(meta_file, where), VARIANT_FIELDS, where)
        meta["description"] = meta["description"] or description
    return Variant(
        name=name,
        description=meta["description"],
        folder=folder,
        files=_sources(folder),
        arch=tuple(meta["arch"]),
        defines=tuple(meta["defines"]),
        include_dirs=tuple(folder / d for d in meta["include_dirs"]),
    )


def overlay(root: Path, variants: list[Variant]) -> list[KernelSource]:
    """The kernel sources after applying `variants` in order, sorted by file name."""
    chosen: dict[str, KernelSource] = {}
    base = kernels_dir(root)
    if base.is_dir():
        for path in _sources(base):
            chosen[path.name] = KernelSource(path.name, path)
    for variant in variants:
        for path in variant.files:
            previous = chosen.get(path.name)
            replaced = (previous.variant,) + previous.replaced if previous else ()
            chosen[path.name] = KernelSource(path.name, path, variant.name, replaced)
    return [chosen[name] for name in sorted(chosen)]
