"""Short build output: `CC micro/kernels/conv_2d.c` with a progress count, and a summary."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHORT = {
    "CCCOMSTR": "CC $SOURCE",
    "SHCCCOMSTR": "CC $SOURCE",
    "ASCOMSTR": "AS $SOURCE",
    "ASPPCOMSTR": "AS $SOURCE",
    "SHASPPCOMSTR": "AS $SOURCE",
    "LINKCOMSTR": "LD $TARGET",
    "SHLINKCOMSTR": "LD $TARGET",
    "ARCOMSTR": "AR $TARGET",
}


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@dataclass
class TestRecord:
    name: str
    verdict: str          # "" = pass
    log: str
    cases: tuple[int, int]


@dataclass
class Output:
    """Progress counting and the end-of-build summary for one scons run."""

    root: Path
    verbose: bool = False
    steps: set[Any] = field(default_factory=set)
    done: int = 0
    artefacts: list[Any] = field(default_factory=list)
    tests: list[TestRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, node: Any) -> None:
        """SCons Progress callback: called once per node evaluated."""
        if node in self.steps:
            self.done += 1

    def print_command(self, text: str, target: Any, source: Any, env: Any) -> None:
        if not text:
            return
        with self.lock:
            total = max(len(self.steps), self.done)
            sys.stdout.write(f"[{self.done}/{total}] {text}\n")
            sys.stdout.flush()

    def message(self, text: str) -> None:
        with self.lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def collect_steps(self, roots: Iterable[Any], file_class: type, alias_runs: set[Any]) -> None:
        """Every file with a builder (and every run alias) reachable from `roots`."""
        stack = list(roots)
        seen: set[Any] = set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if (isinstance(node, file_class) and node.has_builder()) or node in alias_runs:
                self.steps.add(node)
            stack.extend(node.all_children(scan=0))

    def summary(self, failures: list[Any]) -> str:
        parts = []
        built = [a for a in self.artefacts if a in self.steps and Path(a.get_abspath()).exists()]
        common = None
        for node in built:
            path = Path(node.get_abspath())
            rel = path.relative_to(self.root) if path.is_relative_to(self.root) else path
            parts.append((str(rel), human_size(path.stat().st_size)))
        lines = []
        if parts:
            common = _common_dir([p for p, _ in parts])
            shown = [f"{p[len(common) + 1:] if common else p} {s}" for p, s in parts[:8]]
            more = f" (+{len(parts) - 8} more)" if len(parts) > 8 else ""
            where = f"{common}: " if common else ""
            lines.append(f"artefacts {where}{', '.join(shown)}{more}")
        if self.tests:
            passed = [t for t in self.tests if not t.verdict]
            failed = [t for t in self.tests if t.verdict]
            line = f"tests: {len(passed)} passed, {len(failed)} failed"
            if failed:
                line += ": " + "; ".join(f"{t.name} ({t.verdict}, log {t.log})" for t in failed)
            lines.append(line)
        if failures:
            lines.append(f"FAILED: {len(failures)} step(s): "
                         + ", ".join(str(f.node) for f in failures[:5]))
        return "\n".join(lines)


def _common_dir(paths: list[str]) -> str:
    split = [p.split("/")[:-1] for p in paths]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if all(part == parts[0] for part in parts):
            common.append(parts[0])
        else:
            break
    return "/".join(common)
