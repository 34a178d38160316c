"""``microforge nightly``: every program on every board of the farm, and a report.

One stage per module:

- ``jobs``: programs x boards (from the tree, or prebuilt images from a jobs file), subsets
- ``build``: scons per board, bounded, with progress
- ``runner``: one worker per farm unit, retries, the per-job time bound, resume
- ``store``: results as fsynced JSON lines
- ``emulators``: emulators of a killed runner are stopped by the next one
- ``quarantine``: known-bad jobs that do not fail the night
- ``junit``, ``history``, ``report``: JUnit XML, earlier nights and changes, the HTML report
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .history import load as load_history
from .history import save as save_history
from .junit import junit_xml
from .report import render
from .runner import Nightly, Progress, RunPlan, create_run, load_run
from .store import write_atomic


def history_dir(run_dir: Path, plan: RunPlan) -> Path:
    if plan.options.history_dir:
        return Path(plan.options.history_dir)
    return run_dir.parent.parent / "history"


def write_outputs(run_dir: Path, plan: RunPlan, summary: dict[str, Any],
                  final: bool = True) -> dict[str, Path]:  # fmt: skip
    """summary.json, junit.xml and report.html in the run directory; a finished night is added
    to the history (a stopped one is not, so --resume can finish it first)."""
    history = history_dir(run_dir, plan)
    if final:
        save_history(history, summary)
    nights = load_history(history, summary)
    paths = {
        "summary": run_dir / "summary.json",
        "junit": run_dir / "junit.xml",
        "report": run_dir / "report.html",
    }
    write_atomic(paths["summary"], json.dumps(summary, indent=1, sort_keys=True) + "\n")
    write_atomic(paths["junit"], junit_xml(summary))
    write_atomic(paths["report"], render(summary, run_dir, nights, plan.options.flag_threshold))
    return paths


def run(run_dir: Path, plan: RunPlan, progress: Progress | None = None) -> dict[str, Any]:
    """Run (or continue) the plan in ``run_dir`` and write its outputs."""
    nightly = Nightly(run_dir, plan, progress)
    try:
        summary = nightly.run()
    except KeyboardInterrupt:
        write_outputs(run_dir, plan, nightly.summary(), final=False)
        raise
    write_outputs(run_dir, plan, summary)
    return summary


__all__ = ["Nightly", "RunPlan", "create_run", "load_run", "run", "write_outputs"]
