"""What every exporter shares: options, the request it gets, support checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from .spec import BuildSpec, ProjectSources, map_sources
from .writer import ExportError, ProjectFiles


@dataclass(frozen=True)
class Option:
    """A setting of one export kind, given as NAME=VALUE."""

    name: str
    doc: str
    default: str
    choices: tuple[str, ...] = ()


@dataclass
class ExportRequest:
    """One export: the selected firmware, the options, and (for multi-board projects such as
    PlatformIO) a way to get the firmware of every other board offering this kind."""

    spec: BuildSpec
    options: Mapping[str, str] = field(default_factory=dict)
    board_specs: Callable[[], Mapping[str, BuildSpec]] | None = None

    def sources(self, bare_metal: bool = True) -> ProjectSources:
        return map_sources(self.spec, bare_metal)


class Exporter:
    kind: ClassVar[str]
    description: ClassVar[str]
    options: ClassVar[tuple[Option, ...]] = ()

    def generate(self, request: ExportRequest) -> ProjectFiles:
        raise NotImplementedError

    def resolve_options(self, given: Mapping[str, str]) -> dict[str, str]:
        """Defaults filled in; an unknown name or value fails with the valid ones."""
        known = {option.name: option for option in self.options}
        for name in given:
            if name not in known:
                valid = ", ".join(sorted(known)) or "(none)"
                raise ExportError(f'export kind "{self.kind}" has no option "{name}"; '
                                  f"valid: {valid}")
        result = {}
        for option in self.options:
            value = given.get(option.name, option.default)
            if option.choices and value not in option.choices:
                raise ExportError(f'option {option.name}="{value}" of export kind "{self.kind}" '
                                  f"is not one of {', '.join(option.choices)}")
            result[option.name] = value
        return result


def check_supported(spec: BuildSpec, kind: str) -> None:
    if kind not in spec.exports:
        supported = ", ".join(spec.exports) if spec.exports else "(none)"
        raise ExportError(f'board "{spec.board}" does not support the "{kind}" export; '
                          f"it supports: {supported}")


def parse_options(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """["idf_target=esp32s3", ...] -> {"idf_target": "esp32s3"}."""
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ExportError(f'export option "{item}" must be NAME=VALUE')
        result[name.strip()] = value.strip()
    return result
