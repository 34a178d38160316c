"""Project templates (files beside this module, under templates/<kind>/) and quoting helpers.

Placeholders are written `@name@`. Rendering is strict: a placeholder without a value, or a value
no placeholder uses, is an error, so a template and its exporter cannot drift apart silently.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path

from .writer import ExportError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
PLACEHOLDER_RE = re.compile(r"@([a-z][a-z0-9_]*)@")


def template_path(kind: str, name: str) -> Path:
    return TEMPLATE_DIR / kind / name


def render(kind: str, name: str, values: Mapping[str, str]) -> str:
    """Fills the template templates/<kind>/<name> with `values`."""
    path = template_path(kind, name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ExportError(f"missing template {path}: {error.strerror}") from error
    return fill(text, values, str(path))


def fill(text: str, values: Mapping[str, str], where: str = "template") -> str:
    used: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise ExportError(f"{where}: no value for @{key}@")
        used.add(key)
        return values[key]

    result = PLACEHOLDER_RE.sub(replace, text)
    unused = set(values) - used
    if unused:
        raise ExportError(f"{where}: values not used by the template: {', '.join(sorted(unused))}")
    return result


# --- CMake ------------------------------------------------------------------------------------

_CMAKE_BARE = re.compile(r"^[A-Za-z0-9_.+\-/=:,@%<>{}]+$")


def cmake_arg(value: str) -> str:
    """One CMake argument holding exactly `value`."""
    if ";" in value:
        raise ExportError(f"a ';' cannot be passed through CMake as one argument: {value}")
    if _CMAKE_BARE.match(value) and "${" not in value and "$<" not in value:
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def cmake_list(values: Iterable[str], indent: str = "  ", raw: bool = False) -> str:
    """Arguments one per line (raw: already CMake syntax, e.g. "${CMAKE_CURRENT_LIST_DIR}/x")."""
    items = [value if raw else cmake_arg(value) for value in values]
    return "".join(f"\n{indent}{item}" for item in items)


# --- Make -------------------------------------------------------------------------------------


def make_word(value: str) -> str:
    """A shell word for a recipe line, with make's own '$' and '#' escaped."""
    quoted = shlex.quote(value) if value else "''"
    return quoted.replace("$", "$$").replace("#", "\\#")


def make_list(values: Iterable[str], indent: str = "\t") -> str:
    items = [make_word(value) for value in values]
    return "".join(f" \\\n{indent}{item}" for item in items)


# --- JSON / ini / properties ------------------------------------------------------------------


def json_text(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def ini_list(values: Iterable[str], indent: str = "    ") -> str:
    """A multi-line ini value (each item on its own continuation line)."""
    items = list(values)
    for item in items:
        if "\n" in item or item.strip() != item:
            raise ExportError(f"cannot write {item!r} as one ini list item")
    return "".join(f"\n{indent}{item}" for item in items)
