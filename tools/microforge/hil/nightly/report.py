"""The nightly's static HTML report: a pass/fail matrix (programs x boards) linking each log,
what changed since the previous night, and plots of the figures across nights.

One self-contained file: inline CSS, plots as inline SVG drawn here, no scripts.
"""

from __future__ import annotations

import html
import math
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .history import Change, Series, changes, plot_series

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2")  # fmt: skip
OUTCOME_ORDER = ("pass", "assertion", "crash", "timeout", "no_output", "flash_error",
                 "build_error", "not_run")  # fmt: skip
KIND_ORDER = {"example": 0, "test": 1, "benchmark": 2}

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.6em 0 .5em}
.verdict{font-weight:bold;font-size:1.1em;padding:.3em .6em;display:inline-block;border-radius:4px}
.verdict.ok{background:#d8f5d0;color:#145a00}.verdict.bad{background:#ffd9d6;color:#8a0a00}
.meta{color:#555}.counts span{margin-right:.8em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th{background:#f2f2f2}td.cell{text-align:center;min-width:7em}
td.cell a{color:inherit;text-decoration:none;font-weight:600}td.cell small{display:block;color:#444}
.pass{background:#c9f0c0}.assertion{background:#ffc7c2}.crash{background:#ff9e94}
.timeout{background:#ffd591}.no_output{background:#ffe7a8}.flash_error{background:#d9c2ff}
.build_error{background:#c2c7ff}.not_run,.none{background:#eee;color:#777}
.quarantined{background-image:repeating-linear-gradient(45deg,transparent 0 6px,#0001 6px 9px)}
.flaky{outline:2px dashed #b36b00;outline-offset:-3px}
tr.flag td{background:#fff3cd}td.num{text-align:right;font-variant-numeric:tabular-nums}
.plots{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0;border:1px solid #ddd;padding:.4em}
figcaption{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:.5em;overflow-x:auto}
details{margin:.4em 0}summary{cursor:pointer}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _number(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.3g}k"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.4g}"


def _short(value: float) -> str:
    """A legend value: whole numbers grouped, small ones to three significant digits."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _grouped(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}"
    return "-" if value is None else str(value)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        spread = abs(low) * 0.01 or 1.0
        low, high = low - spread, high + spread
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [math.floor(low / step) * step]
    while ticks[-1] < high and len(ticks) < 20:
        ticks.append(ticks[0] + step * len(ticks))
    if len(ticks) == 1:
        ticks.append(ticks[0] + step)
    return [round(t, 10) for t in ticks]


def svg_chart(series: Series, labels: Sequence[str], colors: dict[str, str],
              flagged: dict[str, Change]) -> str:  # fmt: skip
    """A line chart: nights on x, one line per board; flagged last points ringed."""
    width, height = 480, 240
    left, right, top, bottom = 64, 12, 36, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for points in series.lines.values() for _, v, _ in points]
    ticks = nice_ticks(min(values), max(values))
    y_low, y_high = ticks[0], ticks[-1]
    count = max(len(labels), 1)

    def x_of(index: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))

    def y_of(value: float) -> float:
        span = (y_high - y_low) or 1.0
        return top + plot_h * (1 - (value - y_low) / span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="{_e(series.title)}">',
        f"<title>{_e(series.title)} ({_e(series.unit)})</title>",
        f'<text x="8" y="14" font-size="13" font-weight="bold">{_e(series.title)}</text>',
        f'<text x="8" y="28" font-size="10" fill="#555">{_e(series.unit)}</text>',
    ]
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#e3e3e3"/>')  # fmt: skip
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
                     f"{_number(tick)}</text>")  # fmt: skip
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#888"/>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="#888"/>')  # fmt: skip
    step = max(1, math.ceil(count / 6))
    for index, label in enumerate(labels):
        if index % step and index != count - 1:
            continue
        x = x_of(index)
        anchor = "middle"
        if count > 1 and index == 0:
            anchor = "start"
        elif count > 1 and index == count - 1:
            anchor = "end"
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" font-size="10" '
                     f'text-anchor="{anchor}">{_e(label[5:] if len(label) > 10 else label)}'
                     "</text>")  # fmt: skip
    legend_y = height - 12
    legend_x = 8
    for board in sorted(series.lines):
        color = colors.get(board, "#333")
        points = sorted(series.lines[board])
        coords = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v, _ in points)
        parts.append(f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2" '
                     f'points="{coords}"/>')  # fmt: skip
        for index, value, run_id in points:
            parts.append(f'<circle cx="{x_of(index):.1f}" cy="{y_of(value):.1f}" r="3" '
                         f'fill="{color}"><title>{_e(board)} {_e(run_id)}: {_grouped(value)}'
                         "</title></circle>")  # fmt: skip
        change = flagged.get(board)
        if change is not None and points:
            index, value, _ = points[-1]
            parts.append(f'<circle class="flag" cx="{x_of(index):.1f}" cy="{y_of(value):.1f}" '
                         'r="7" fill="none" stroke="#d00" stroke-width="2"/>')  # fmt: skip
            parts.append(f'<text x="{x_of(index) - 9:.1f}" y="{y_of(value) - 9:.1f}" '
                         f'font-size="11" fill="#d00" text-anchor="end">{_e(change.note)}</text>')
        parts.append(f'<rect x="{legend_x}" y="{legend_y - 9}" width="10" height="10" '
                     f'fill="{color}"/>')  # fmt: skip
        label = f"{board} {_short(points[-1][1])}" if points else board
        parts.append(f'<text x="{legend_x + 13}" y="{legend_y}" font-size="10">{_e(label)}</text>')
        legend_x += 22 + 6 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def _link(run_dir: Path, target: str, text: str) -> str:
    if not target:
        return _e(text)
    path = Path(target)
    href = os.path.relpath(path, run_dir) if path.is_absolute() else target
    return f'<a href="{_e(href)}">{_e(text)}</a>'


def _matrix(summary: dict[str, Any], run_dir: Path) -> str:
    boards = summary["boards"]
    rows: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in summary["results"]:
        rows[(row["example"], row["program"], row["kind"])][row["board"]] = row
    ordered = sorted(rows, key=lambda k: (k[0] == "runtime", k[0], KIND_ORDER.get(k[2], 9), k[1]))
    spans: dict[str, int] = defaultdict(int)
    for key in ordered:
        spans[key[0]] += 1
    out = ['<table class="matrix"><thead><tr><th>example</th><th>program</th><th>kind</th>']
    out += [f"<th>{_e(board)}</th>" for board in boards]
    out.append("</tr></thead><tbody>")
    shown: set[str] = set()
    for key in ordered:
        example, program, kind = key
        out.append("<tr>")
        if example not in shown:
            shown.add(example)
            out.append(f'<th rowspan="{spans[example]}">{_e(example)}</th>')
        out.append(f"<td>{_e(program)}</td><td>{_e(kind)}</td>")
        for board in boards:
            row = rows[key].get(board)
            if row is None:
                out.append('<td class="cell none">-</td>')
                continue
            classes = ["cell", row["outcome"]]
            notes = []
            if row.get("quarantined"):
                classes.append("quarantined")
                notes.append(f"quarantined: {row['quarantined']}")
            if row.get("flaky"):
                classes.append("flaky")
                notes.append(f"passed on attempt {len(row['attempts'])}")
            tip = "; ".join(x for x in [row.get("message", ""), *notes] if x)
            label = row["outcome"].replace("_", " ")
            detail = f"{row['seconds']:.1f} s"
            if len(row["attempts"]) > 1:
                detail += f", {len(row['attempts'])} tries"
            out.append(f'<td class="{" ".join(classes)}" title="{_e(tip)}" '
                       f'data-job="{_e(row["job"])}">{_link(run_dir, row["log"], label)}'
                       f"<small>{_e(detail)}</small></td>")  # fmt: skip
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _changes_table(found: list[Change], previous: dict[str, Any] | None) -> str:
    if previous is None:
        return "<p>This is the first nightly in the history: nothing to compare with.</p>"
    head = (f"<p>Compared with {_e(previous['run_id'])} ({_e(previous.get('started', ''))}). "
            f"{sum(c.flagged for c in found)} flagged.</p>")  # fmt: skip
    if not found:
        return head + "<p>No outcome or figure changed.</p>"
    out = [head, '<table class="changes"><thead><tr><th>job</th><th>what</th><th>before</th>'
           "<th>now</th><th>change</th></tr></thead><tbody>"]  # fmt: skip
    for change in sorted(found, key=lambda c: (not c.flagged, c.job, c.what)):
        css = ' class="flag"' if change.flagged else ""
        out.append(f"<tr{css}><td>{_e(change.job)}</td><td>{_e(change.what)}</td>"
                   f'<td class="num">{_e(_grouped(change.before))}</td>'
                   f'<td class="num">{_e(_grouped(change.after))}</td>'
                   f"<td>{'&#9888; ' if change.flagged else ''}{_e(change.note)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _failures(summary: dict[str, Any], run_dir: Path) -> str:
    bad = [r for r in summary["results"] if r["outcome"] != "pass"]
    if not bad:
        return "<p>None.</p>"
    out = []
    for row in sorted(bad, key=lambda r: r["job"]):
        quarantine = f" (quarantined: {row['quarantined']})" if row.get("quarantined") else ""
        out.append(f'<details open><summary><b>{_e(row["job"])}</b> on {_e(row["unit"] or "-")}:'
                   f" {_e(row['outcome'])}{_e(quarantine)}: {_e(row['message'])}</summary>")
        fault = row.get("fault") or {}
        if fault.get("report"):
            out.append(f"<pre>{_e(fault['report'])}</pre>")
        if row.get("last_output"):
            out.append(f"<p>last bytes:</p><pre>{_e(row['last_output'])}</pre>")
        links = [f"attempt {a['attempt']}: {_e(a['outcome'])} "
                 f"{_link(run_dir, a['log'], 'log') if a['log'] else ''}"
                 for a in row["attempts"]]  # fmt: skip
        if links:
            out.append("<p>" + " &middot; ".join(links) + "</p>")
        out.append("</details>")
    return "".join(out)


def render(summary: dict[str, Any], run_dir: Path, nights: list[dict[str, Any]],
           threshold: float = 1.0) -> str:  # fmt: skip
    """The report of ``summary`` (its run directory holds the logs); ``nights`` is the history,
    oldest first, ending with this run."""
    previous = nights[-2] if len(nights) >= 2 else None
    found = changes(previous, nights[-1] if nights else summary, threshold)
    by_source = {(c.job, c.what): c for c in found if c.flagged}
    labels, plots = plot_series(nights)
    colors = {b: PALETTE[i % len(PALETTE)] for i, b in enumerate(sorted(
        {b for n in nights for b in n.get("boards", [])} | set(summary["boards"])))}  # fmt: skip
    counts = summary["counts"]
    failing = len(summary["failing"])
    verdict = ('<p class="verdict ok">PASSED</p>' if summary["passed"] else
               f'<p class="verdict bad">FAILED: {failing} failing</p>')  # fmt: skip
    chips = "".join(f'<span class="{_e(k)}">&nbsp;{_e(k.replace("_", " "))}: {counts[k]}&nbsp;'
                    "</span>" for k in OUTCOME_ORDER if counts.get(k))  # fmt: skip
    farm = summary["farm"]
    units = ", ".join(f"{name} ({board})" for name, board in sorted(farm["units"].items()))
    options = summary.get("options", {})
    meta = (f"started {_e(summary['started'])}, took {summary['seconds']:.0f} s; farm "
            f"{_e(farm['name'])}: {_e(units)}; retries {options.get('retry_failed', 0)}"
            + (f"; subset {_e(options['subset'])}" if options.get("subset") else ""))
    figures = []
    for series in plots:
        flagged = {}
        for board, source in series.sources.items():
            change = by_source.get(source)
            if change is not None:
                flagged[board] = change
        caption = f"{len(labels)} night{'s' if len(labels) != 1 else ''}" + (
            f"; changed since the previous night: {', '.join(sorted(flagged))}" if flagged
            else "")  # fmt: skip
        figures.append(f"<figure>{svg_chart(series, labels, colors, flagged)}"
                       f"<figcaption>{_e(caption)}</figcaption></figure>")
    builds = "".join(
        f"<li>{_e(board)}: {'ok' if info['ok'] else 'FAILED'} in {info['seconds']} s "
        f"({_link(run_dir, info['log'], 'log')}) {_e(info['message'])}</li>"
        for board, info in summary.get("builds", {}).items())  # fmt: skip
    notes = "".join(f"<li>{_e(n)}</li>" for n in summary.get("notes", []))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>microforge nightly {_e(summary['run_id'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>microforge nightly {_e(summary['run_id'])}</h1>", verdict,
        f'<p class="meta">{meta}</p>', f'<p class="counts">{chips}</p>',
        '<section id="matrix"><h2>Results</h2>', _matrix(summary, run_dir),
        '<p class="meta">Each cell links to its console log; hover for the message. Dashed: '
        "passed on a retry. Hatched: quarantined.</p></section>",
        '<section id="changes"><h2>Changes since the previous nightly</h2>',
        _changes_table(found, previous), "</section>",
        '<section id="plots"><h2>Figures across nightlies</h2>',
        f'<div class="plots">{"".join(figures)}</div>' if figures else
        "<p>No benchmark or size figures yet.</p>",
        "</section>",
        '<section id="failures"><h2>Failures</h2>', _failures(summary, run_dir), "</section>",
        f'<section id="builds"><h2>Builds</h2><ul>{builds or "<li>nothing built</li>"}</ul>'
        "</section>",
        f"<section id=\"notes\"><h2>Notes</h2><ul>{notes}</ul></section>" if notes else "",
        "</body></html>",
    ]  # fmt: skip
    return "\n".join(parts) + "\n"
