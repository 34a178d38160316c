"""Earlier nightlies: their summaries kept in a history folder, the figures' series across them,
and what changed since the previous night."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .store import write_atomic

#: Bench figures that are plotted, by key suffix: (label, unit kind).
PLOTTED_METRICS = {
    "per_inference": "ticks per inference",
    "arena_used": "arena bytes",
}
#: Runner firmware of one model (the build's bench_<model> programs).
MODEL_PREFIX = "bench_"
#: Keep this many nights in the plots.
PLOT_NIGHTS = 30
_KEEP = ("job", "program", "example", "kind", "board", "unit", "outcome", "metrics", "size",
         "flaky", "quarantined")  # fmt: skip


def compact(summary: dict[str, Any]) -> dict[str, Any]:
    """What the history keeps of a summary: each job's outcome and figures."""
    head = {k: summary[k] for k in ("run_id", "started", "finished", "seconds", "counts",
                                    "passed", "boards", "farm") if k in summary}  # fmt: skip
    head["results"] = [{k: row.get(k) for k in _KEEP} for row in summary["results"]]
    head["ticks_units"] = summary.get("ticks_units", {})
    return head


def save(history_dir: Path, summary: dict[str, Any]) -> Path:
    path = history_dir / f"{summary['run_id']}.json"
    write_atomic(path, json.dumps(compact(summary), sort_keys=True) + "\n")
    return path


def load(history_dir: Path | None, current: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every readable summary in ``history_dir``, oldest first, ``current`` last."""
    nights: dict[str, dict[str, Any]] = {}
    if history_dir is not None and history_dir.is_dir():
        for path in sorted(history_dir.glob("*.json")):
            try:
                data = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                continue  # a damaged night is left out of the plots, not fatal
            if isinstance(data, dict) and "run_id" in data and "results" in data:
                nights[data["run_id"]] = data
    if current is not None:
        nights.pop(current["run_id"], None)
    ordered = sorted(nights.values(), key=lambda n: (n.get("started", ""), n["run_id"]))
    if current is not None:
        ordered.append(compact(current))
    return ordered


@dataclass(frozen=True)
class Change:
    job: str
    board: str
    what: str  # "outcome", or a figure: "metric <key>", "size <region>"
    before: Any
    after: Any
    flagged: bool
    note: str = ""  # regression | fixed | new | gone | +3.2% ...

    @property
    def percent(self) -> float | None:
        if isinstance(self.before, int | float) and isinstance(self.after, int | float):
            if self.before:
                return 100.0 * (self.after - self.before) / abs(self.before)
        return None


def changes(previous: dict[str, Any] | None, current: dict[str, Any],
            threshold: float = 1.0) -> list[Change]:  # fmt: skip
    """What differs from the previous night: outcomes, and figures (flagged past
    ``threshold`` percent)."""
    if previous is None:
        return []
    before = {row["job"]: row for row in previous["results"]}
    found: list[Change] = []
    for row in current["results"]:
        old = before.get(row["job"])
        if old is None:
            found.append(Change(row["job"], row["board"], "outcome", None, row["outcome"],
                                row["outcome"] != "pass", "new"))  # fmt: skip
            continue
        if old["outcome"] != row["outcome"]:
            if old["outcome"] == "pass":
                note = "regression"
            elif row["outcome"] == "pass":
                note = "fixed"
            else:
                note = "changed"
            found.append(Change(row["job"], row["board"], "outcome", old["outcome"],
                                row["outcome"], note != "fixed", note))  # fmt: skip
        for group, label in (("metrics", "metric"), ("size", "size")):
            now, then = row.get(group) or {}, old.get(group) or {}
            for key in sorted(set(now) & set(then)):
                if now[key] == then[key]:
                    continue
                change = Change(row["job"], row["board"], f"{label} {key}", then[key], now[key],
                                False)  # fmt: skip
                percent = change.percent
                flagged = percent is None or abs(percent) >= threshold
                note = f"{percent:+.2f}%" if percent is not None else "changed"
                found.append(Change(change.job, change.board, change.what, change.before,
                                    change.after, flagged, note))  # fmt: skip
    current_jobs = {row["job"] for row in current["results"]}
    for job, old in sorted(before.items()):
        if job not in current_jobs:
            found.append(Change(job, old["board"], "outcome", old["outcome"], None, False,
                                "gone"))  # fmt: skip
    return found


def figure_name(row: dict[str, Any], bench: str) -> str:
    """What a bench line measures: its name, or the model of a runner firmware (its data sets
    are named set0, set1, ...)."""
    if row["program"].startswith(MODEL_PREFIX) and re.fullmatch(r"set\d+", bench):
        model = row["program"][len(MODEL_PREFIX):]
        return model if bench == "set0" else f"{model} {bench}"
    return bench


@dataclass
class Series:
    """One plot: a figure of one program (or model) across nights, a line per board."""

    title: str
    units: set[str]
    lines: dict[str, list[tuple[int, float, str]]]  # board -> (night index, value, run id)
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)  # board -> (job, what)

    @property
    def unit(self) -> str:
        return " / ".join(sorted(self.units))


def plot_series(nights: list[dict[str, Any]]) -> tuple[list[str], list[Series]]:
    """(night labels, plots): ticks per inference and arena bytes from benches, flash and RAM
    of each example's application."""
    nights = nights[-PLOT_NIGHTS:]
    labels = [n.get("started", n["run_id"])[:16].replace("T", " ") for n in nights]
    plots: dict[tuple[str, str], Series] = {}

    def add(title: str, kind: str, unit: str, row: dict[str, Any], what: str,
            point: tuple[int, float, str]) -> None:  # fmt: skip
        series = plots.setdefault((title, kind), Series(title, set(), {}))
        series.units.add(unit)
        series.lines.setdefault(row["board"], []).append(point)
        series.sources[row["board"]] = (row["job"], what)

    for index, night in enumerate(nights):
        units = night.get("ticks_units", {})
        for row in night["results"]:
            for key, value in sorted((row.get("metrics") or {}).items()):
                bench, _, name = key.rpartition(".")
                if name not in PLOTTED_METRICS or not isinstance(value, int | float):
                    continue
                unit = PLOTTED_METRICS[name]
                if name == "per_inference":
                    unit = f"{units.get(row['board'], 'ticks')} per inference"
                add(f"{figure_name(row, bench)}: {PLOTTED_METRICS[name]}", name, unit, row,
                    f"metric {key}", (index, float(value), night["run_id"]))  # fmt: skip
            sizes = row.get("size") or {}
            if row.get("kind") == "example":
                for region, used in sorted(sizes.items()):
                    add(f"{row['example']}: {region} bytes", f"size {region}", "bytes", row,
                        f"size {region}", (index, float(used), night["run_id"]))  # fmt: skip
            elif row["program"].startswith(MODEL_PREFIX) and "flash" in sizes:
                add(f"{row['program'][len(MODEL_PREFIX):]}: flash bytes (runner firmware)",
                    "size flash", "bytes", row, "size flash",
                    (index, float(sizes["flash"]), night["run_id"]))  # fmt: skip
    order = {"per_inference": 0, "arena_used": 2}
    ordered = sorted(plots.items(), key=lambda item: (order.get(item[0][1], 1), item[0][0]))
    return labels, [series for _, series in ordered]
