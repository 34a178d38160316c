"""Finds the headers a set of C/C++ sources includes, the way the preprocessor would look them up.

An exported project must carry every header its sources reach, and nothing it does not need.
`#include "x"` is looked up beside the including file first, then in the include dirs;
`#include <x>` only in the include dirs. Names found in neither are system or vendor headers
(libc, ESP-IDF, Mbed, Arduino) and are reported, not copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.MULTILINE)
# Linker scripts pull in other scripts with INCLUDE name.
LINKER_INCLUDE_RE = re.compile(r"^\s*INCLUDE\s+\"?([^\s\";]+)\"?", re.MULTILINE)


@dataclass(frozen=True)
class IncludeEdge:
    including: Path
    name: str           # as written between the quotes or brackets
    header: Path
    beside: bool        # found beside the including file (not through the include dirs)


@dataclass
class IncludeScan:
    headers: set[Path] = field(default_factory=set)
    # (including file, name as written) for names not found in the tree
    unresolved: set[tuple[Path, str]] = field(default_factory=set)
    edges: set[IncludeEdge] = field(default_factory=set)


def scan_includes(sources: Iterable[Path], include_dirs: Iterable[Path]) -> IncludeScan:
    """Every header reachable from `sources` through the include search path."""
    search = [Path(folder) for folder in include_dirs]
    scan = IncludeScan()
    pending = [Path(source) for source in sources]
    seen: set[Path] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            text = current.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in INCLUDE_RE.finditer(text):
            quote, name = match.group(1), match.group(2).strip()
            beside = _lookup(name, current.parent, []) if quote == '"' else None
            found = beside or _lookup(name, None, search)
            if found is None:
                scan.unresolved.add((current, name))
                continue
            scan.edges.add(IncludeEdge(current, name, found, beside is not None))
            if found not in scan.headers:
                scan.headers.add(found)
                pending.append(found)
    return scan


def linker_script_closure(script: Path, search_dirs: Iterable[Path] = ()) -> list[Path]:
    """The linker script and every script it INCLUDEs (looked up beside it, then in -L dirs)."""
    result: list[Path] = []
    pending = [script]
    folders = [script.parent, *search_dirs]
    while pending:
        current = pending.pop()
        if current in result:
            continue
        result.append(current)
        text = current.read_text(encoding="utf-8", errors="replace")
        for name in LINKER_INCLUDE_RE.findall(text):
            for folder in folders:
                candidate = (folder / name).resolve()
                if candidate.is_file():
                    pending.append(candidate)
                    break
    return result


def _lookup(name: str, own_dir: Path | None, search: list[Path]) -> Path | None:
    folders = ([own_dir] if own_dir is not None else []) + search
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate.resolve()
    return None
