"""A small schema checker for the TOML data files (boards, toolchains, examples).

Each file is checked against a dict of `Field`s. Every error names the file and the
dotted field path, e.g. ``targets/foo/board.toml: field 'memory.flash.size': expected an
integer, got "1M"``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, suggest

KINDS = ("str", "int", "number", "bool", "list[str]", "table", "tables", "any")


@dataclass(frozen=True)
class Field:
    """One field: its kind, whether it is required, its default and allowed values.

    kind "table" is a sub-table checked against `fields`; "tables" is a table whose
    values are each such a sub-table (e.g. ``[memory.flash]``, ``[memory.ram]``).
    `open` lets a table carry keys beyond `fields` (method-specific flasher keys).
    """

    kind: str
    doc: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    fields: Mapping[str, Field] = field(default_factory=dict)
    open: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind}")


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _check_value(value: Any, spec: Field, where: str, path: str) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{where}: field '{path}': expected {expected}, got {_describe(value)}")

    kind = spec.kind
    if kind == "any":
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise fail("a string")
        if spec.choices and value not in spec.choices:
            raise ConfigError(
                f"{where}: field '{path}': \"{value}\" is not one of "
                f"{', '.join(spec.choices)}{suggest(value, spec.choices)}"
            )
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("an integer")
        if value < 0:
            raise fail("a non-negative integer")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail("a number")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if kind == "list[str]":
        if not isinstance(value, list):
            raise fail("a list of strings")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ConfigError(
                    f"{where}: field '{path}[{index}]': expected a string, got {_describe(item)}"
                )
            if spec.choices and item not in spec.choices:
                raise ConfigError(
                    f"{where}: field '{path}[{index}]': \"{item}\" is not one of "
                    f"{', '.join(spec.choices)}{suggest(item, spec.choices)}"
                )
        return list(value)
    if kind == "table":
        if not isinstance(value, dict):
            raise fail("a table")
        return check_table(value, spec.fields, where, path, open_table=spec.open)
    if kind == "tables":
        if not isinstance(value, dict):
            raise fail("a table of tables")
        result = {}
        for key, sub in value.items():
            if not isinstance(sub, dict):
                raise ConfigError(
                    f"{where}: field '{path}.{key}': expected a table, got {_describe(sub)}"
                )
            result[key] = check_table(sub, spec.fields, where, f"{path}.{key}", spec.open)
        return result
    raise AssertionError(kind)


def check_table(
    data: Mapping[str, Any],
    fields: Mapping[str, Field],
    where: str,
    prefix: str = "",
    open_table: bool = False,
) -> dict[str, Any]:
    """Checks `data` against `fields`; returns a copy with defaults filled in."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        spec = fields.get(key)
        if spec is None:
            if open_table:
                result[key] = value
                continue
            raise ConfigError(
                f"{where}: unknown field '{path}'{suggest(key, fields)}; "
                f"valid: {', '.join(sorted(fields))}"
            )
        result[key] = _check_value(value, spec, where, path)
    for key, spec in fields.items():
        if key in result:
            continue
        path = f"{prefix}.{key}" if prefix else key
        if spec.required:
            raise ConfigError(f"{where}: missing required field '{path}' ({spec.doc})")
        default = spec.default
        if isinstance(default, list | dict):
            default = type(default)(default)
        result[key] = default
    return result


def load_toml(path: Path, display: str | None = None) -> dict[str, Any]:
    """Reads a TOML file; a syntax error names the file and the line."""
    where = display or str(path)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{where}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read: {exc.strerror}") from exc


def describe_fields(fields: Mapping[str, Field], prefix: str = "") -> list[str]:
    """One line per field, for documentation and `scons -h`."""
    lines = []
    for key, spec in fields.items():
        path = f"{prefix}.{key}" if prefix else key
        need = "required" if spec.required else f"default {spec.default!r}"
        lines.append(f"{path} ({spec.kind}, {need}): {spec.doc}")
        if spec.kind in ("table", "tables") and spec.fields:
            sub = f"{path}.<name>" if spec.kind == "tables" else path
            lines.extend(describe_fields(spec.fields, sub))
    return lines
