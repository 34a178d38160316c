"""microforge nightly on the emulated farm (QEMU Cortex-M4, Cortex-M7 and RISC-V at once):
a full night, the outcome taxonomy, a killed emulator, a killed runner, an RFC 2217 console."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from microforge.device.qemu import EmulatorSpec, QemuMachine
from microforge.hil.nightly.emulators import start_time
from microforge.hil.nightly.jobs import plan_tree
from microforge.hil.port_server import PortServer

from .support import (
    BOARDS,
    REPO,
    emulators_under,
    firmware_job,
    fwbuild,
    microforge,
    only_run_dir,
    read_jsonl,
    write_jobs,
)

pytestmark = pytest.mark.slow


def fault_line() -> int:
    for number, line in enumerate(fwbuild.SOURCE.read_text().splitlines(), start=1):
        if "FAULT-LINE" in line:
            return number
    raise AssertionError("FAULT-LINE marker missing")


def by_job(summary: dict) -> dict[str, dict]:
    return {row["job"]: row for row in summary["results"]}


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {timeout} s")


# -- a full night ---------------------------------------------------------------------------------
def test_full_emulated_nightly_passes(full_nightly) -> None:
    done = full_nightly.process
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    summary = full_nightly.summary
    planned = {job.id for job in plan_tree(full_nightly.tree, BOARDS)}
    rows = by_job(summary)
    assert set(rows) == planned
    assert summary["passed"] and summary["counts"] == {"pass": len(planned)}
    # Every example program, test and benchmark, and the runtime's tests, on all three boards.
    for board in BOARDS:
        for program in ("hello_world", "hello_world_test", "hello_world_bench", "test_models"):
            assert rows[f"{program}@{board}"]["outcome"] == "pass"
        assert rows[f"hello_world_test@{board}"]["cases"] > 0
        assert rows[f"hello_world_bench@{board}"]["metrics"]["hello_world.per_inference"] > 0
        size = rows[f"hello_world@{board}"]["size"]
        assert size["flash"] > 10_000 and size["ram"] > 0
        # Every shared model's runner firmware: instructions per inference, arena bytes.
        person = rows[f"bench_person_detect@{board}"]
        assert person["metrics"]["set0.per_inference"] > 1_000_000
        assert person["metrics"]["set0.arena_used"] > 10_000
        assert person["size"]["flash"] > 300_000  # the model is in flash
    # Results were written as jobs ended: one final line per job, each with its log.
    records = read_jsonl(full_nightly.run_dir / "results.jsonl")
    finals = [r for r in records if r["final"]]
    assert sorted(r["job"] for r in finals) == sorted(planned)
    for record in finals:
        log = full_nightly.run_dir / record["log"]
        assert log.is_file() and log.stat().st_size > 0, record["job"]
    # JUnit: a suite per board, every case passed.
    tree = ET.parse(full_nightly.run_dir / "junit.xml").getroot()
    assert tree.get("tests") == str(len(planned))
    assert tree.get("failures") == "0" and tree.get("errors") == "0"
    assert sorted(s.get("name") for s in tree.iter("testsuite")) == list(BOARDS)
    # The report and the history entry for later nights.
    report = (full_nightly.run_dir / "report.html").read_text()
    assert report.count('class="cell pass"') == len(planned)
    assert report.count("<svg") >= 3
    history = full_nightly.out / "history" / f"{summary['run_id']}.json"
    assert json.loads(history.read_text())["run_id"] == summary["run_id"]
    # Progress was shown for the builds and the jobs.
    for board in BOARDS:
        assert f"build {board}: done" in done.stderr
    assert f"[{len(planned)}/{len(planned)}]" in done.stderr
    sys.stderr.write(f"\nfull emulated nightly ({len(planned)} jobs on {len(BOARDS)} boards, "
                     f"clean build included): {full_nightly.seconds:.1f} s\n")


# -- the taxonomy, three boards at once -----------------------------------------------------------
def test_outcomes_on_three_boards_at_once(farm_firmware, tmp_path: Path) -> None:
    m4, m7, rv = BOARDS
    jobs = [
        firmware_job(farm_firmware, m4, "hang", timeout=8),
        firmware_job(farm_firmware, m7, "fault"),
        firmware_job(farm_firmware, m7, "pass"),
        firmware_job(farm_firmware, rv, "fault"),
        firmware_job(farm_firmware, rv, "garbage", timeout=3),
        firmware_job(farm_firmware, rv, "pass"),
    ]
    out = tmp_path / "nightly"
    done = microforge("nightly", "--jobs-file", str(write_jobs(tmp_path / "jobs.toml", jobs)),
                      "--out", str(out), timeout=300)  # fmt: skip
    assert done.returncode == 1, done.stderr
    run_dir = only_run_dir(out)
    rows = by_job(json.loads((run_dir / "summary.json").read_text()))
    outcomes = {job: row["outcome"] for job, row in rows.items()}
    assert outcomes == {
        f"hang@{m4}": "timeout", f"fault@{m7}": "crash", f"pass@{m7}": "pass",
        f"fault@{rv}": "crash", f"garbage@{rv}": "no_output", f"pass@{rv}": "pass",
    }  # fmt: skip
    # The hang is bounded by its job time and stalls nobody: it ends last.
    records = read_jsonl(run_dir / "results.jsonl")
    assert records[-1]["job"] == f"hang@{m4}"
    assert 8.0 <= records[-1]["seconds"] < 30.0
    assert all(r["seconds"] < 8.0 for r in records[:-1])
    hang = rows[f"hang@{m4}"]
    assert "MF-CASE first PASS" in hang["last_output"]
    # Faults: decoded to the function, file and line on both architectures.
    for board, cause in ((m7, "PRECISERR"), (rv, "load access fault")):
        fault = rows[f"fault@{board}"]["fault"]
        assert fault["function"] == "read_word", fault
        assert fault["file"].endswith("farm_fw.c") and fault["lineno"] == fault_line()
        assert cause in fault["report"]
        assert rows[f"fault@{board}"]["exit_code"] == 100
    # Garbage then silence: no_output, with every byte kept in the log and the result.
    garbage = rows[f"garbage@{rv}"]
    assert "15 bytes after reset but no MF-SYNC line" in garbage["message"]
    assert "MF-S" in garbage["last_output"] and "\\xff" in garbage["last_output"]
    raw = (run_dir / garbage["log"]).read_bytes()
    assert raw == b"\x1b[?\xff\x00q\xc3(~~MF-S\x80"
    junit = ET.parse(run_dir / "junit.xml").getroot()
    assert (junit.get("tests"), junit.get("failures"), junit.get("errors")) == ("6", "0", "4")


def test_a_flash_error_is_not_a_timeout_and_quarantine_keeps_the_night(farm_firmware,
                                                                       tmp_path: Path) -> None:
    bad = tmp_path / "truncated.elf"
    good, _ = farm_firmware("qemu_cortex_m7", "pass")
    bad.write_bytes(good.read_bytes()[:200])  # an ELF header whose segments are missing
    jobs = [
        {"program": "truncated", "board": "qemu_cortex_m7", "image": str(bad), "timeout": 30},
        firmware_job(farm_firmware, "qemu_riscv32", "fault"),
        firmware_job(farm_firmware, "qemu_riscv32", "pass"),
    ]
    quarantine = tmp_path / "quarantine.toml"
    quarantine.write_text('[[quarantine]]\nprogram = "fau*"\nboard = "qemu_riscv32"\n'
                          'reason = "known fault, #7"\n')  # fmt: skip
    out = tmp_path / "nightly"
    done = microforge("nightly", "--jobs-file", str(write_jobs(tmp_path / "jobs.toml", jobs)),
                      "--quarantine", str(quarantine), "--job-timeout", "20", "--out", str(out),
                      timeout=300)  # fmt: skip
    assert done.returncode == 1, done.stderr
    run_dir = only_run_dir(out)
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = by_job(summary)
    truncated = rows["truncated@qemu_cortex_m7"]
    assert truncated["outcome"] == "flash_error" and truncated["seconds"] < 20
    assert str(bad) in truncated["message"] or "truncated" in truncated["message"]
    fault = rows["fault@qemu_riscv32"]
    assert fault["outcome"] == "crash" and fault["quarantined"] == "known fault, #7"
    assert summary["failing"] == ["truncated@qemu_cortex_m7"]  # quarantine does not fail it
    junit = ET.parse(run_dir / "junit.xml").getroot()
    assert (junit.get("errors"), junit.get("skipped"), junit.get("failures")) == ("1", "1", "0")
    assert "[quarantined: known fault, #7]" in done.stderr


def test_a_unit_that_does_not_come_back_is_taken_out(farm_firmware, tmp_path: Path,
                                                     monkeypatch) -> None:
    from microforge.hil.farm import emulated_farm
    from microforge.hil.nightly import runner
    from microforge.hil.nightly.jobs import load_jobs_file

    monkeypatch.setattr(runner, "STUCK_GRACE", 0.0)  # any overrun counts as stuck
    jobs = [firmware_job(farm_firmware, "qemu_cortex_m4", "hang", timeout=2),
            firmware_job(farm_firmware, "qemu_cortex_m4", "pass", program="pass_later"),
            firmware_job(farm_firmware, "qemu_riscv32", "pass")]  # fmt: skip
    farm = emulated_farm(["qemu_cortex_m4", "qemu_riscv32"])
    plan = runner.RunPlan("stuck", REPO, farm, farm.to_toml(),
                          load_jobs_file(write_jobs(tmp_path / "jobs.toml", jobs)),
                          runner.Options())  # fmt: skip
    run_dir = runner.create_run(tmp_path / "out", plan)
    said: list[str] = []
    summary = runner.Nightly(run_dir, plan, said.append).run()
    rows = by_job(summary)
    hang = rows["hang@qemu_cortex_m4"]
    assert hang["outcome"] == "timeout" and "it is taken out of this run" in hang["message"]
    later = rows["pass_later@qemu_cortex_m4"]
    assert later["outcome"] == "not_run"
    assert "every unit of qemu_cortex_m4 was taken out" in later["message"]
    assert rows["pass@qemu_riscv32"]["outcome"] == "pass"  # the other board went on
    assert any(line.startswith("STUCK hang@qemu_cortex_m4") for line in said)
    # One final record per job: the stuck attempt's own late result was dropped.
    finals = [r["job"] for r in read_jsonl(run_dir / "results.jsonl") if r["final"]]
    assert sorted(finals) == sorted(rows)
    assert not emulators_under(run_dir)


# -- a killed emulator ----------------------------------------------------------------------------
def test_a_killed_emulator_is_a_clear_failure_and_its_retry_passes(farm_firmware,
                                                                   tmp_path: Path) -> None:
    job = firmware_job(farm_firmware, "qemu_cortex_m4", "slow", timeout=60)
    out = tmp_path / "nightly"
    command = [sys.executable, "-m", "microforge.cli", "nightly", "--retry-failed", "1",
               "--jobs-file", str(write_jobs(tmp_path / "jobs.toml", [job])), "--out", str(out)]
    runner = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        run_dir = wait_for(lambda: next(iter((out / "runs").glob("*")), None)
                           if (out / "runs").is_dir() else None, 60, "the run directory")
        record = wait_for(lambda: next(iter((run_dir / "emulators").glob("*.json")), None)
                          if (run_dir / "emulators").is_dir() else None, 60, "the emulator start")
        pid = json.loads(record.read_text())["pid"]
        log = run_dir / "logs" / "qemu_cortex_m4" / "slow" / "attempt-1" / "console.log"
        wait_for(lambda: log.is_file() and b"MF-CASE first PASS" in log.read_bytes(), 60,
                 "the first case")  # fmt: skip
        os.kill(pid, signal.SIGKILL)
        stdout, stderr = runner.communicate(timeout=180)
    finally:
        runner.kill()
        runner.wait(10)
    assert runner.returncode == 0, stderr
    first, second = read_jsonl(run_dir / "results.jsonl")
    assert (first["attempt"], first["outcome"], first["final"]) == (1, "crash", False)
    assert "killed by SIGKILL" in first["message"], first["message"]
    assert "MF-CASE first PASS" in first["result"]["last_output"]
    assert (second["attempt"], second["outcome"], second["final"]) == (2, "pass", True)
    row = json.loads((run_dir / "summary.json").read_text())["results"][0]
    assert row["flaky"] and [a["outcome"] for a in row["attempts"]] == ["crash", "pass"]
    assert "crash, retrying" in stderr


# -- a killed runner ------------------------------------------------------------------------------
def test_a_killed_runner_resumes_without_losing_or_repeating_results(farm_firmware,
                                                                     tmp_path: Path) -> None:
    jobs = []
    for board in BOARDS:
        jobs.append(firmware_job(farm_firmware, board, "pass", program="pass_first"))
        jobs.append(firmware_job(farm_firmware, board, "slow", program="slow_a", timeout=60))
        jobs.append(firmware_job(farm_firmware, board, "slow", program="slow_b", timeout=60))
    out = tmp_path / "nightly"
    command = [sys.executable, "-m", "microforge.cli", "nightly", "--jobs-file",
               str(write_jobs(tmp_path / "jobs.toml", jobs)), "--out", str(out)]
    runner = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    try:
        results = wait_for(lambda: next(iter(out.glob("runs/*/results.jsonl")), None), 120,
                           "the first result")  # fmt: skip
        wait_for(lambda: results.read_bytes().count(b"\n") >= 3, 120, "three results")
        running = wait_for(lambda: list(results.parent.glob("emulators/*.json")), 60,
                           "a running emulator")  # fmt: skip
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(10)
    finally:
        runner.kill()
        runner.wait(10)
    run_dir = results.parent
    before = results.read_bytes()
    kept = read_jsonl(results)
    assert 3 <= len(kept) < len(jobs)
    orphans = [json.loads(p.read_text()) for p in running if p.exists()]
    # A write torn by the kill: the resume cuts it off instead of gluing onto it.
    with open(results, "ab") as handle:
        handle.write(b'{"type": "attempt", "job": "slow_b@qemu_cortex_')
    done = microforge("nightly", "--resume", str(run_dir), timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resuming {run_dir.name}: {len(kept)} of {len(jobs)} jobs done" in done.stderr
    after = results.read_bytes()
    assert after.startswith(before)  # nothing reported before the kill was lost or changed
    records = read_jsonl(results)
    ids = [r["job"] for r in records]
    assert sorted(ids) == sorted(f"{j['program']}@{j['board']}" for j in jobs)  # each once
    assert all(r["final"] and r["outcome"] == "pass" for r in records)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["passed"] and summary["total"] == len(jobs)
    assert any("unfinished last line" in note for note in summary["notes"])
    # No emulator of this run outlives it: they die with their runner, and the resume stops
    # any that started just as the runner was killed.
    for orphan in orphans:
        assert start_time(orphan["pid"]) != orphan["start_time"], orphan
    assert not emulators_under(run_dir)


def test_a_stopped_run_resumes_a_retry_where_it_was(farm_firmware, tmp_path: Path) -> None:
    job = firmware_job(farm_firmware, "qemu_riscv32", "hang", timeout=3)
    out = tmp_path / "nightly"
    command = [sys.executable, "-m", "microforge.cli", "nightly", "--retry-failed", "2",
               "--jobs-file", str(write_jobs(tmp_path / "jobs.toml", [job])), "--out", str(out)]
    runner = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        results = wait_for(lambda: next(iter(out.glob("runs/*/results.jsonl")), None), 120,
                           "the first attempt")  # fmt: skip
        run_dir = results.parent
        wait_for(lambda: list(run_dir.glob("emulators/*.json")), 60, "the second attempt")
        runner.send_signal(signal.SIGTERM)  # as a cancelled CI job is stopped
        _, stderr = runner.communicate(timeout=60)
    finally:
        runner.kill()
        runner.wait(10)
    assert runner.returncode == 130, stderr
    assert f"continue with: microforge nightly --resume {run_dir}" in stderr
    assert not list(run_dir.glob("emulators/*.json"))  # its emulator was stopped on the way out
    (first,) = read_jsonl(results)
    assert (first["attempt"], first["outcome"], first["final"]) == (1, "timeout", False)
    stopped = json.loads((run_dir / "summary.json").read_text())
    assert stopped["results"][0]["outcome"] == "not_run"  # written, but not in the history
    assert not (out / "history").exists()
    done = microforge("nightly", "--resume", str(run_dir), timeout=120)
    assert done.returncode == 1, done.stderr
    records = read_jsonl(results)
    assert [(r["attempt"], r["final"]) for r in records] == [(1, False), (2, False), (3, True)]
    assert all(r["outcome"] == "timeout" for r in records)
    assert (out / "history" / f"{run_dir.name}.json").is_file()


# -- a console through RFC 2217 -------------------------------------------------------------------
def test_a_run_through_an_rfc2217_console_passes(full_nightly, tmp_path: Path) -> None:
    board = fwbuild.board_toml("qemu_cortex_m4")
    elf = full_nightly.tree / "gen" / "qemu_cortex_m4_default" / "bin" / "hello_world_test.elf"
    assert elf.is_file(), "the full nightly builds hello_world_test"
    machine = QemuMachine(EmulatorSpec.from_board_data(board["emulator"], "arm"),
                          tmp_path / "remote", name="remote-m4").start()  # fmt: skip
    server = PortServer(machine.serial_url).start()
    try:
        (tmp_path / "farm.toml").write_text(
            '[farm]\nname = "remote"\n\n[[unit]]\nname = "m4-remote"\n'
            f'board = "qemu_cortex_m4"\nport = "{server.address}"\n'
            f'probe = "{machine.probe_id}"\n'
        )  # fmt: skip
        job = {"program": "hello_world_test", "example": "hello_world", "kind": "test",
               "board": "qemu_cortex_m4", "image": str(elf),
               "image_id": "hello_world_test@qemu_cortex_m4_default", "timeout": 60}
        out = tmp_path / "nightly"
        done = microforge("nightly", "--farm", str(tmp_path / "farm.toml"), "--jobs-file",
                          str(write_jobs(tmp_path / "jobs.toml", [job])), "--out", str(out),
                          timeout=180)  # fmt: skip
        assert done.returncode == 0, done.stderr
        exit_code = machine.wait(10)
    finally:
        server.stop()
        machine.stop()
    run_dir = only_run_dir(out)
    (record,) = read_jsonl(run_dir / "results.jsonl")
    assert record["outcome"] == "pass" and record["unit"] == "m4-remote"
    assert record["result"]["identity"]["port"] == server.address
    assert record["result"]["summary"]["passed"] > 0
    assert server.sessions == 1 and exit_code == 0
