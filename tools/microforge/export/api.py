"""Exporting from a Config: what `scons ... generate_<ex>_<kind>_project` and
`microforge export` call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import check_supported
from .spec import BuildSpec, from_config
from .writer import ExportError, WriteReport


@dataclass
class ExportResult:
    out_dir: Path
    report: WriteReport

    def summary(self) -> str:
        written = len(self.report.written)
        unchanged = len(self.report.unchanged)
        removed = len(self.report.removed)
        return (f"{self.out_dir}: {written} written, {unchanged} unchanged"
                + (f", {removed} removed" if removed else ""))


def board_specs(config: Any, example: str, kind: str) -> dict[str, BuildSpec]:
    """The firmware of every other board that offers `kind` and supports `example`, built
    with the same build type (for projects holding several boards, such as PlatformIO)."""
    from microforge.config import load_boards, load_examples, resolve

    root = Path(config.root)
    examples = load_examples(root)
    result: dict[str, BuildSpec] = {}
    for name, board in sorted(load_boards(root).boards.items()):
        if name == config.board.name or kind not in board.exports:
            continue
        if board.data["status"] == "planned" or board.target_arch:
            continue
        if example in examples and not examples[example].supports(name, board.arch):
            continue
        other = resolve({"TARGET": name, "BUILD_TYPE": config.build_type}, root,
                        find_tools=False)
        result[name] = from_config(other, example)
    return result


def export(config: Any, example: str, kind: str, options: Mapping[str, str] | None = None,
           out_dir: Path | None = None) -> ExportResult:
    """Writes gen/<config>/prj/<example>/<kind>/ (or `out_dir`); rewrites only changed files."""
    from . import exporter_for, output_dir

    exporter = exporter_for(kind)
    spec = from_config(config, example)
    check_supported(spec, kind)
    target = Path(out_dir) if out_dir is not None else output_dir(config.gen_dir, example, kind)
    try:
        from .base import ExportRequest

        files = exporter.generate(ExportRequest(
            spec, dict(options or {}), lambda: board_specs(config, example, kind)))
    except OSError as error:
        raise ExportError(f"cannot read a source of the build: {error}") from error
    return ExportResult(target, files.write(target))
