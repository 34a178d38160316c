"""Vendor IDE project exporters, one module per kind, fed by the build's file lists.

    scons TARGET=<board> generate_<ex>_<kind>_project
    microforge export --target <board> <ex> <kind> [NAME=VALUE ...]

write `gen/<config>/prj/<ex>/<kind>/`. Regenerating an unchanged project rewrites nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from .arduino import ArduinoExporter
from .base import Exporter, ExportRequest, Option, check_supported, parse_options
from .cmake import CMakeExporter
from .esp import EspIdfExporter
from .make import MakeExporter
from .mbed import MbedExporter
from .platformio import PlatformIOExporter
from .spec import BuildSpec, from_config
from .writer import ExportError, ProjectFiles, WriteReport

EXPORTERS: dict[str, Exporter] = {
    exporter.kind: exporter
    for exporter in (EspIdfExporter(), MbedExporter(), PlatformIOExporter(), ArduinoExporter(),
                     CMakeExporter(), MakeExporter())
}
KINDS = tuple(EXPORTERS)

__all__ = [
    "EXPORTERS", "KINDS", "BuildSpec", "ExportError", "ExportRequest", "Exporter", "Option",
    "ProjectFiles", "WriteReport", "exporter_for", "from_config", "generate", "output_dir",
    "parse_options", "write_project",
]


def exporter_for(kind: str) -> Exporter:
    if kind not in EXPORTERS:
        from microforge.config.errors import suggest

        raise ExportError(f'unknown export kind "{kind}"{suggest(kind, KINDS)}; '
                          f"valid: {', '.join(KINDS)}")
    return EXPORTERS[kind]


def output_dir(gen_dir: Path, example: str, kind: str) -> Path:
    """gen/<config>/prj/<ex>/<kind>/"""
    return Path(gen_dir) / "prj" / example / kind


def generate(spec: BuildSpec, kind: str, options: Mapping[str, str] | None = None,
             board_specs: Callable[[], Mapping[str, BuildSpec]] | None = None) -> ProjectFiles:
    """The files of one project, in memory. Fails for a kind the board does not support."""
    exporter = exporter_for(kind)
    check_supported(spec, kind)
    return exporter.generate(ExportRequest(spec, dict(options or {}), board_specs))


def write_project(spec: BuildSpec, kind: str, out_dir: Path,
                  options: Mapping[str, str] | None = None,
                  board_specs: Callable[[], Mapping[str, BuildSpec]] | None = None
                  ) -> WriteReport:
    """Generates and writes a project, touching only files whose bytes changed."""
    return generate(spec, kind, options, board_specs).write(Path(out_dir))
