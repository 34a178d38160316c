"""TFLM spellings (TARGET, TAGS, OPTIMIZED_KERNEL_DIR, TARGET_ARCH), read from tflm.toml."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from .schema import Field, check_table, load_toml

DATA = Path(__file__).with_name("tflm.toml")

_VARIANT = {
    "description": Field("str", "one line", required=True),
    "aliases": Field("list[str]", "other spellings", default=[]),
}
_FIELDS = {
    "targets": Field("table", "TFLM TARGET -> board", default={}, open=True),
    "board_from_tags": Field("table", "TFLM TARGET -> board named in TAGS", default={},
                             open=True),
    "variants": Field("tables", "known kernel variants", default={}, fields=_VARIANT),
    "host_arch": Field("table", "TARGET_ARCH spellings of the host", default={},
                       fields={"names": Field("list[str]", "names", default=[])}),
}


@dataclass(frozen=True)
class TflmNames:
    targets: dict[str, str]
    board_from_tags: dict[str, str]
    variants: dict[str, dict]
    host_arch: tuple[str, ...]

    def variant_alias(self, spelling: str) -> str | None:
        """The canonical variant for a spelling (name or alias), None if unknown."""
        if spelling in self.variants:
            return spelling
        for name, info in self.variants.items():
            if spelling in info["aliases"]:
                return name
        return None


@functools.lru_cache(maxsize=1)
def names() -> TflmNames:
    data = check_table(load_toml(DATA), _FIELDS, str(DATA))
    return TflmNames(
        targets={str(k): str(v) for k, v in data["targets"].items()},
        board_from_tags={str(k): str(v) for k, v in data["board_from_tags"].items()},
        variants=data["variants"],
        host_arch=tuple(data["host_arch"]["names"]),
    )
