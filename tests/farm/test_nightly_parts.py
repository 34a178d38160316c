"""The nightly's parts without boards: jobs, subsets, jobs files, quarantine, the results store,
JUnit, history and changes, the report."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from microforge.hil.nightly.history import changes, load, plot_series, save
from microforge.hil.nightly.jobs import (
    JobError,
    load_jobs_file,
    parse_subset,
    plan_tree,
    subset,
    tree_programs,
)
from microforge.hil.nightly.junit import junit_xml
from microforge.hil.nightly.quarantine import load_quarantine
from microforge.hil.nightly.report import nice_ticks, render
from microforge.hil.nightly.runner import bench_metrics
from microforge.hil.nightly.store import ResultStore, StoreError

from .support import REPO, microforge

BOARDS = ("qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32")


# -- jobs -----------------------------------------------------------------------------------------
def test_the_plan_covers_every_program_on_every_board_that_supports_it() -> None:
    programs = tree_programs(REPO)
    names = {p.name for p, _ in programs}
    assert {"hello_world", "hello_world_test", "hello_world_bench"} <= names
    runtime = {p.stem for p in (REPO / "micro" / "tests").glob("*.c")}
    assert runtime <= names
    jobs = plan_tree(REPO, BOARDS)
    assert len(jobs) == len(programs) * len(BOARDS)
    assert [j.id for j in jobs] == sorted(j.id for j in jobs)
    kinds = {j.program.name: j.program.kind for j in jobs}
    assert kinds["hello_world"] == "example" and kinds["hello_world_bench"] == "benchmark"
    assert kinds["hello_world_test"] == "test" and all(kinds[n] == "test" for n in runtime)
    # Library-only boards run nothing; a job time bound caps every program's own limit.
    assert plan_tree(REPO, ["cortex_m_generic"]) == []
    bounded = plan_tree(REPO, ["qemu_cortex_m4"], programs=["hello_world"], job_timeout=7)
    assert {j.program.name for j in bounded} == {"hello_world", "hello_world_test",
                                                 "hello_world_bench"}
    assert {j.timeout for j in bounded} == {7}
    with pytest.raises(JobError, match="'helo_world_test' .did you mean"):
        plan_tree(REPO, BOARDS, programs=["helo_world_test"])


def test_subsets_are_disjoint_and_cover_every_job() -> None:
    jobs = plan_tree(REPO, BOARDS)
    shares = [subset(jobs, k, 4) for k in range(1, 5)]
    ids = [j.id for share in shares for j in share]
    assert sorted(ids) == sorted(j.id for j in jobs) and len(set(ids)) == len(ids)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert parse_subset("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "2", "a/b", "1/0"):
        with pytest.raises(JobError, match="--subset"):
            parse_subset(bad)


def test_jobs_files_are_checked(tmp_path: Path) -> None:
    image = tmp_path / "fw.elf"
    image.write_bytes(b"\x7fELF")
    good = ('[[job]]\nprogram = "demo"\nboard = "qemu_m7"\nimage = "fw.elf"\n'
            'image_id = "abc"\ntimeout = 12\n')
    path = tmp_path / "jobs.toml"
    path.write_text(good)
    (job,) = load_jobs_file(path, job_timeout=5)
    assert job.id == "demo@qemu_cortex_m7" and job.image == str(image.resolve())
    assert job.image_id == "abc" and job.timeout == 5 and job.program.kind == "test"
    cases = {
        good.replace("fw.elf", "missing.elf"): "field 'image': ",
        good.replace('board = "qemu_m7"', 'board = "qemu_m8"'): "field 'board': unknown board",
        good.replace("timeout = 12", "timeout = true"): "field 'timeout': wrong type",
        good + 'kind = "smoke"\n': "field 'kind': 'smoke' is not one of",
        good + 'colour = "red"\n': "unknown field 'colour'",
        good + good: "job demo@qemu_cortex_m7 is listed twice",
        good.replace('program = "demo"\n', ""): "field 'program' is required",
    }
    for text, message in cases.items():
        path.write_text(text)
        with pytest.raises(JobError, match=re.escape(message)):
            load_jobs_file(path)


def test_quarantine_entries_match_by_glob_and_expire(tmp_path: Path) -> None:
    path = tmp_path / "quarantine.toml"
    path.write_text(
        '[[quarantine]]\nprogram = "hello_world_*"\nboard = "qemu_riscv32"\nreason = "flaky"\n'
        '[[quarantine]]\nprogram = "test_planner"\nreason = "old"\nuntil = 2020-01-01\n'
    )  # fmt: skip
    quarantine = load_quarantine(path, today=dt.date(2026, 11, 21))
    assert quarantine.reason("hello_world_bench", "qemu_riscv32") == "flaky"
    assert quarantine.reason("hello_world_bench", "qemu_cortex_m4") is None
    assert quarantine.reason("test_planner", "qemu_riscv32") is None
    assert [e.program for e in quarantine.expired] == ["test_planner"]
    path.write_text('[[quarantine]]\nprogram = "x"\nreason = "y"\nuntil = "soon"\n')
    with pytest.raises(JobError, match="field 'until': expected a date"):
        load_quarantine(path)
    path.write_text('[[quarantine]]\nprogram = "x"\n')
    with pytest.raises(JobError, match="field 'reason' is required"):
        load_quarantine(path)


# -- the store ------------------------------------------------------------------------------------
def test_the_store_keeps_whole_lines_and_cuts_a_torn_one(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results.jsonl")
    assert store.records() == [] and store.repair() == 0
    store.append({"job": "a", "n": 1})
    store.append({"job": "b", "text": "line\nbreak"})
    with open(store.path, "ab") as handle:
        handle.write(b'{"job": "c", "n"')  # the runner died mid-write
    assert [r["job"] for r in store.records()] == ["a", "b"]  # a torn line is never read
    assert store.repair() == len(b'{"job": "c", "n"')
    store.append({"job": "c"})
    assert [r["job"] for r in store.records()] == ["a", "b", "c"]
    assert store.path.read_bytes().count(b"\n") == 3
    store.path.write_bytes(b'{"job": "a"}\nnot json\n')
    with pytest.raises(StoreError, match=r"results.jsonl:2: not a JSON record"):
        store.records()


# -- results into JUnit, history, report -----------------------------------------------------------
def row(job: str, outcome: str = "pass", **extra) -> dict:
    program, board = job.split("@")
    base = {
        "job": job, "program": program, "example": "hello_world", "kind": "test",
        "board": board, "unit": board, "outcome": outcome, "message": "",
        "attempts": [{"attempt": 1, "outcome": outcome, "log": f"logs/{job}.log",
                      "message": "", "unit": board}],
        "flaky": False, "quarantined": None, "log": f"logs/{job}.log", "seconds": 1.5,
        "size": {}, "metrics": {}, "last_output": "", "fault": None,
    }  # fmt: skip
    base.update(extra)
    return base


def night(run_id: str, started: str, rows: list[dict]) -> dict:
    failing = [r["job"] for r in rows if r["outcome"] != "pass" and not r["quarantined"]]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    return {
        "run_id": run_id, "started": started, "finished": started, "seconds": 60.0,
        "boards": sorted({r["board"] for r in rows}), "counts": counts, "total": len(rows),
        "passed": not failing, "failing": failing, "builds": {}, "notes": [],
        "farm": {"name": "emulated", "path": "", "units": {b: b for b in BOARDS}},
        "options": {"retry_failed": 1}, "ticks_units": dict.fromkeys(BOARDS, "instructions"),
        "results": rows,
    }  # fmt: skip


def nights() -> list[dict]:
    def rows(per_inference: float, flash: int, outcome: str) -> list[dict]:
        return [
            row("hello_world@qemu_cortex_m4", kind="example",
                size={"flash": flash, "ram": 68800}),
            row("hello_world_bench@qemu_cortex_m4", kind="benchmark",
                metrics={"hello_world.per_inference": per_inference, "hello_world.ticks": 1}),
            row("hello_world_test@qemu_cortex_m4", outcome),
            row("hello_world_test@qemu_riscv32"),
        ]  # fmt: skip

    return [
        night("n1", "2026-11-19T02:00:00+00:00", rows(4900.0, 27000, "pass")),
        night("n2", "2026-11-20T02:00:00+00:00", rows(4950.0, 27244, "pass")),
        night("n3", "2026-11-21T02:00:00+00:00", rows(5200.0, 27244, "crash")),
    ]


def test_junit_maps_outcomes_and_keeps_xml_valid() -> None:
    summary = night("n", "2026-11-21T02:00:00+00:00", [
        row("a@qemu_cortex_m4"),
        row("b@qemu_cortex_m4", "assertion", message="second failed at x.c:3: 1 != 2"),
        row("c@qemu_cortex_m4", "timeout", last_output="MF-CASE first PASS\n\x1b[0m\x00"),
        row("d@qemu_riscv32", "crash", quarantined="known fault, #12"),
        row("e@qemu_riscv32", "pass", flaky=True),
    ])  # fmt: skip
    root = ET.fromstring(junit_xml(summary))
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) \
        == ("5", "1", "1", "1")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["b"].find("failure").get("type") == "assertion"
    assert "second failed at x.c:3" in cases["b"].find("failure").get("message")
    error = cases["c"].find("error")
    assert error.get("type") == "timeout" and "MF-CASE first PASS" in error.text
    assert "quarantined: known fault, #12" in cases["d"].find("skipped").get("message")
    flaky = {p.get("name"): p.get("value") for p in cases["e"].iter("property")}
    assert flaky["flaky"] == "true"
    assert [s.get("name") for s in root.iter("testsuite")] == ["qemu_cortex_m4", "qemu_riscv32"]


def test_history_orders_nights_and_flags_changes(tmp_path: Path) -> None:
    first, second, third = nights()
    for summary in (second, first):  # saved out of order
        save(tmp_path, summary)
    (tmp_path / "broken.json").write_text("{")
    ordered = load(tmp_path, third)
    assert [n["run_id"] for n in ordered] == ["n1", "n2", "n3"]
    found = {(c.job, c.what): c for c in changes(ordered[1], ordered[2], threshold=1.0)}
    regression = found[("hello_world_test@qemu_cortex_m4", "outcome")]
    assert (regression.before, regression.after, regression.note) == ("pass", "crash",
                                                                      "regression")
    figure = found[("hello_world_bench@qemu_cortex_m4", "metric hello_world.per_inference")]
    assert figure.flagged and figure.note == "+5.05%"
    assert ("hello_world@qemu_cortex_m4", "size flash") not in found  # unchanged
    small = changes(ordered[0], ordered[1], threshold=1.0)
    flash = next(c for c in small if c.what == "size flash")
    assert not flash.flagged and flash.note == "+0.90%"
    labels, plots = plot_series(ordered)
    assert labels == ["2026-11-19 02:00", "2026-11-20 02:00", "2026-11-21 02:00"]
    titles = [p.title for p in plots]
    assert titles[0] == "hello_world: ticks per inference"
    assert plots[0].unit == "instructions per inference"
    assert "hello_world: flash bytes" in titles and "hello_world: ram bytes" in titles
    assert [v for _, v, _ in plots[0].lines["qemu_cortex_m4"]] == [4900.0, 4950.0, 5200.0]


def test_the_report_has_the_matrix_the_changes_and_the_plots(tmp_path: Path) -> None:
    history = nights()
    current = copy.deepcopy(history[-1])
    page = render(current, tmp_path, history, threshold=1.0)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert 'class="verdict bad">FAILED: 1 failing' in page
    matrix = page[page.index('<table class="matrix"'):page.index("</table>")]
    assert matrix.count('class="cell pass"') == 3 and matrix.count('class="cell crash"') == 1
    assert 'href="logs/hello_world_test@qemu_cortex_m4.log"' in matrix
    assert '<td class="cell none">-</td>' in matrix  # the example has no riscv row here
    changes_part = page[page.index('id="changes"'):page.index('id="plots"')]
    assert "regression" in changes_part and "+5.05%" in changes_part
    assert changes_part.count('<tr class="flag">') == 2
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(svgs) == 3
    per_inference = next(s for s in svgs if "ticks per inference" in s)
    assert per_inference.count("<circle") == 3 + 1  # three nights and the ring of the change
    assert 'class="flag"' in per_inference and "+5.05%" in per_inference
    for svg in svgs:
        ET.fromstring(svg)  # each plot is well-formed SVG
    first = render(night("n0", "2026-11-18T02:00:00+00:00", history[0]["results"]), tmp_path,
                   [])  # fmt: skip
    assert "first nightly in the history" in first


def test_nice_ticks_cover_the_data() -> None:
    for low, high in ((25000, 41000), (4950, 6000), (328, 328), (0, 1), (-3.5, 2.25)):
        ticks = nice_ticks(low, high)
        assert ticks[0] <= low and ticks[-1] >= high and len(ticks) >= 2
        steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
        assert len(steps) == 1


def test_bench_figures() -> None:
    metrics = bench_metrics([
        {"name": "hello_world", "values": {"ticks": 4951000, "repeats": 1000, "unit": "x"}},
        {"name": "planner", "values": {"ours": 277908}},
    ])  # fmt: skip
    assert metrics == {"hello_world.ticks": 4951000, "hello_world.repeats": 1000,
                       "hello_world.per_inference": 4951.0, "planner.ours": 277908}


def test_nightly_command_rejects_bad_input(tmp_path: Path) -> None:
    cases = [
        (["--board", "qemu_cortex_m9"], "no enabled unit or board 'qemu_cortex_m9'"),
        (["--subset", "3/2"], "--subset 3/2: k must be between 1 and n"),
        (["--program", "nope"], "unknown program or example 'nope'"),
        (["--farm", str(tmp_path / "none.toml")], "does not exist"),
        (["--resume", str(tmp_path)], "is not a nightly run directory"),
        (["--quarantine", str(tmp_path / "q.toml")], "quarantine file"),
    ]
    for args, message in cases:
        done = microforge("nightly", "--out", str(tmp_path / "out"), "--no-build", *args,
                          timeout=120)  # fmt: skip
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
    assert not (tmp_path / "out" / "runs").exists()  # nothing started
    done = microforge("nightly", "--retry-failed", "-1")
    assert done.returncode == 2 and "must be 0 or more" in done.stderr


def test_summary_rows_are_json(tmp_path: Path) -> None:
    summary = nights()[-1]
    text = json.dumps(summary)
    assert json.loads(text)["results"][2]["outcome"] == "crash"
