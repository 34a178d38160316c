"""The nightly run: build, then one worker per farm unit, every result on disk as it ends.

```
run directory
  run.json           the plan: jobs, farm snapshot, options (what --resume continues)
  results.jsonl      one line per finished attempt, fsynced
  build/<board>.log  scons output
  logs/<board>/<program>/attempt-<n>/console.log (+ the emulator's own log)
  emulators/         emulators running right now (stopped by --resume after a crash)
  summary.json, junit.xml, report.html
```

Scheduling: jobs are grouped by board; every enabled unit of that board takes the next job of
its board's queue, so a unit never runs two jobs at once and boards run in parallel. A board's
jobs start as soon as that board is built, while the next board builds. A failed attempt goes
back to the end of its board's queue (``retry_failed`` times), possibly to another unit. Each
attempt is bounded by the job's timeout; a unit whose attempt does not return well after that is
taken out of the run (its emulator stopped) and the others carry on.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import secrets
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...device.errors import DeviceError, FlashError, TransportError
from ..farm import Farm, FarmError, FarmUnit, board_data, open_unit, parse_farm
from ..result import Outcome
from .build import BuildResult, build_board
from .emulators import EmulatorRecords
from .jobs import Job
from .quarantine import Quarantine, load_quarantine
from .store import ResultStore, write_atomic

BUILD_ERROR = "build_error"  # a nightly outcome beside the run outcomes: no image to run
NOT_RUN = "not_run"
#: Seconds past a job's timeout before its unit is declared stuck.
STUCK_GRACE = 60.0
#: Seconds between notes on jobs that run long (a slow flash, a long test).
HEARTBEAT = 30.0
#: Flash time limit when the farm sets none.
FLASH_TIMEOUT = 60.0
#: Time limit of one board's build.
BUILD_TIMEOUT = 1800.0

Progress = Callable[[str], None]


def stderr_progress(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Options:
    retry_failed: int = 0
    build: bool = True
    build_type: str = "default"
    build_jobs: int = 2
    quarantine_file: str = ""
    history_dir: str = ""
    flag_threshold: float = 1.0  # percent change of a figure that is flagged
    subset: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RunPlan:
    run_id: str
    root: Path
    farm: Farm
    farm_text: str
    jobs: list[Job]
    options: Options
    started: str = field(default_factory=utc_now)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "started": self.started, "root": str(self.root),
            "farm": {"path": str(self.farm.path or ""), "name": self.farm.name,
                     "text": self.farm_text},
            "options": self.options.to_json(), "jobs": [j.to_json() for j in self.jobs],
        }  # fmt: skip


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def create_run(out: Path, plan: RunPlan) -> Path:
    run_dir = out / "runs" / plan.run_id
    if run_dir.exists():
        raise FarmError(f"run directory {run_dir} already exists")
    run_dir.mkdir(parents=True)
    write_atomic(run_dir / "run.json", json.dumps(plan.to_json(), indent=1) + "\n")
    return run_dir


def load_run(run_dir: Path) -> RunPlan:
    path = run_dir / "run.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise FarmError(f"{run_dir} is not a nightly run directory (no run.json)") from None
    except json.JSONDecodeError as err:
        raise FarmError(f"{path}: damaged: {err}") from None
    import tomllib

    farm_info = data["farm"]
    farm_path = Path(farm_info["path"]) if farm_info.get("path") else None
    farm = parse_farm(tomllib.loads(farm_info["text"]), f"{path} (farm snapshot)", farm_path)
    return RunPlan(
        run_id=data["run_id"], root=Path(data["root"]), farm=farm, farm_text=farm_info["text"],
        jobs=[Job.from_json(j) for j in data["jobs"]], options=Options(**data["options"]),
        started=data["started"],
    )  # fmt: skip


def bench_metrics(benches: list[dict[str, Any]]) -> dict[str, float]:
    """Numeric MF-BENCH values as ``<bench>.<key>``, plus ``<bench>.per_inference``
    (ticks / repeats, or ticks / invokes) where a bench gives both."""
    metrics: dict[str, float] = {}
    for bench in benches:
        values = bench.get("values", {})
        for key, value in values.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                metrics[f"{bench['name']}.{key}"] = value
        ticks, repeats = values.get("ticks"), values.get("repeats", values.get("invokes"))
        if isinstance(ticks, int | float) and isinstance(repeats, int | float) and repeats > 0:
            metrics[f"{bench['name']}.per_inference"] = round(ticks / repeats, 3)
    return metrics


def image_size(image: Path, board: Mapping[str, Any]) -> dict[str, int]:
    """Bytes the image takes in each of the board's memory regions."""
    from microforge.build.elf import ElfError, read_elf
    from microforge.build.size import region_use

    memory = board.get("memory") or {}
    if not memory or image.suffix.lower() not in (".elf", ".axf"):
        return {}
    try:
        return {r.name: r.used for r in region_use(read_elf(image), memory)}
    except (ElfError, OSError, KeyError):
        return {}


def find_image_id(image: Path, program: str, config_name: str) -> str | None:
    """The MF-SYNC id the build gave this program, if the image holds it."""
    wanted = f"{program}@{config_name}"
    try:
        if wanted.encode() + b"\0" in image.read_bytes():
            return wanted
    except OSError:
        pass
    return None


class _Board:
    """One board's queue, shared by its units."""

    def __init__(self, name: str, units: list[FarmUnit]) -> None:
        self.name = name
        self.units = units
        self.queue: collections.deque[tuple[Job, int]] = collections.deque()
        self.in_flight = 0
        self.ready = threading.Event()
        self.cond = threading.Condition()
        self.build: BuildResult | None = None


@dataclass
class _Worker:
    unit: FarmUnit
    board: _Board
    thread: threading.Thread | None = None
    current: tuple[Job, int, float] | None = None  # job, attempt, started (monotonic)
    abandoned: bool = False
    emulator_pid: int | None = None


class Nightly:
    def __init__(self, run_dir: Path, plan: RunPlan, progress: Progress | None = None) -> None:
        self.run_dir = run_dir
        self.plan = plan
        self.say = progress or stderr_progress
        self.store = ResultStore(run_dir / "results.jsonl")
        self.emulators = EmulatorRecords(run_dir / "emulators")
        self.quarantine: Quarantine = load_quarantine(
            Path(plan.options.quarantine_file) if plan.options.quarantine_file else None
        )
        self._lock = threading.Lock()
        self._finals: dict[str, dict[str, Any]] = {}
        self._attempts: dict[str, int] = {}
        self._done = 0
        self._stop = threading.Event()
        self.builds: dict[str, BuildResult] = {}
        self.notes: list[str] = []
        self.seconds = 0.0

    # -- state from disk ----------------------------------------------------------------------
    def _load_state(self) -> None:
        dropped = self.store.repair()
        if dropped:
            self.notes.append(f"dropped an unfinished last line of results.jsonl ({dropped} bytes)")
        for record in self.store.records():
            job = record.get("job")
            if not job:
                continue
            self._attempts[job] = max(self._attempts.get(job, 0), int(record.get("attempt", 1)))
            if record.get("final"):
                self._finals[job] = record
        self._done = len(self._finals)

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        stale = self.emulators.reap(self.run_dir / "logs")
        if stale:
            self.notes.append(f"stopped {len(stale)} emulator(s) left by an earlier runner: "
                              + ", ".join(f"pid {r['pid']} ({r.get('job')})" for r in stale))
        self._load_state()
        pending = [j for j in self.plan.jobs if j.id not in self._finals]
        total = len(self.plan.jobs)
        if self._finals:
            self.say(f"resuming {self.plan.run_id}: {len(self._finals)} of {total} jobs done, "
                     f"{len(pending)} to go")
        else:
            self.say(f"nightly {self.plan.run_id}: {total} jobs on "
                     f"{len(self.plan.farm.enabled)} units")
        boards = self._boards(pending)
        workers = [_Worker(unit, board) for board in boards.values() for unit in board.units]
        for worker in workers:
            worker.thread = threading.Thread(target=self._work, args=(worker,),
                                             name=f"unit {worker.unit.name}", daemon=True)
            worker.thread.start()
        builder = threading.Thread(target=self._build_all, args=(boards,), name="build",
                                   daemon=True)  # fmt: skip
        builder.start()
        try:
            self._watch(workers, builder)
        except KeyboardInterrupt:
            self._stop.set()
            self.notes.append("interrupted: run again with --resume to finish")
            raise
        finally:
            self._stop.set()
            for board in boards.values():
                board.ready.set()
                with board.cond:
                    board.cond.notify_all()
            self.emulators.reap()
            self.seconds = time.monotonic() - started
        return self.summary()

    def _boards(self, pending: list[Job]) -> dict[str, _Board]:
        by_board: dict[str, list[Job]] = collections.defaultdict(list)
        for job in pending:
            by_board[job.board].append(job)
        boards: dict[str, _Board] = {}
        for name in sorted(by_board):
            units = [u for u in self.plan.farm.enabled if u.board == name]
            board = _Board(name, units)
            for job in by_board[name]:
                board.queue.append((job, self._attempts.get(job.id, 0) + 1))
            boards[name] = board
            if not units:
                for job in by_board[name]:
                    self._record_final_without_run(job, NOT_RUN, f"no enabled unit of {name}")
                board.queue.clear()
                board.ready.set()
        return boards

    def _build_all(self, boards: dict[str, _Board]) -> None:
        # Boards with the most units first: their workers start soonest.
        try:
            for board in sorted(boards.values(), key=lambda b: (-len(b.units), b.name)):
                if self._stop.is_set():
                    break
                try:
                    self._build_one(board)
                except Exception as err:  # noqa: BLE001 - its jobs fail, the other boards go on
                    with board.cond:
                        left = [job for job, _ in board.queue]
                        board.queue.clear()
                    for job in left:
                        self._record_final_without_run(
                            job, BUILD_ERROR, f"preparing {board.name} failed: "
                            f"{type(err).__name__}: {err}")  # fmt: skip
                finally:
                    with board.cond:
                        board.ready.set()
                        board.cond.notify_all()
        finally:
            for board in boards.values():
                board.ready.set()

    def _build_one(self, board: _Board) -> None:
        options = self.plan.options
        if not board.queue:
            return
        jobs = [job for job, _ in board.queue]
        to_build = sorted({j.program.name for j in jobs if not j.program.image})
        result: BuildResult | None = None
        if to_build and options.build:
            result = build_board(
                self.plan.root, board.name, to_build,
                log=self.run_dir / "build" / f"{board.name}.log",
                build_type=options.build_type, jobs=options.build_jobs,
                timeout=BUILD_TIMEOUT, progress=self.say,
            )  # fmt: skip
            self.builds[board.name] = result
        elif to_build:
            from .build import config_for

            name, bin_dir = config_for(self.plan.root, board.name, options.build_type)
            result = BuildResult(board.name, True, 0.0, Path(), name, bin_dir,
                                 message=f"not built (--no-build); looked in {bin_dir}")
        data = board_data(board.name)
        with board.cond:
            keep: collections.deque[tuple[Job, int]] = collections.deque()
            for job, attempt in board.queue:
                if not job.program.image:
                    assert result is not None
                    image = result.image(job.program.name)
                    if image is None:
                        why = result.message or "the build produced no image"
                        self._record_final_without_run(job, BUILD_ERROR, why,
                                                       log=result.log if options.build else None)
                        continue
                    job.image = str(image)
                    if job.needs_sync:
                        job.image_id = find_image_id(image, job.program.name,
                                                     result.config_name)  # fmt: skip
                if not job.size:
                    job.size = image_size(Path(job.image), data)
                keep.append((job, attempt))
            board.queue = keep
            board.build = result

    def _watch(self, workers: list[_Worker], builder: threading.Thread) -> None:
        last_note = time.monotonic()
        while True:
            alive = [w for w in workers if w.thread and w.thread.is_alive() and not w.abandoned]
            if not alive and not builder.is_alive():
                break
            now = time.monotonic()
            if now - last_note >= HEARTBEAT:
                last_note = now
                long = [f"{w.current[0].id} on {w.unit.name} ({now - w.current[2]:.0f} s)"
                        for w in alive if w.current and now - w.current[2] >= HEARTBEAT]
                if long:
                    self.say("running: " + ", ".join(long))
            for worker in alive:
                current = worker.current
                if current is None:
                    continue
                job, attempt, began = current
                if now - began > job.timeout + STUCK_GRACE:
                    self._abandon(worker, job, attempt, now - began)
            time.sleep(0.2)
        # Jobs no unit took (every unit of their board was taken out of the run).
        for worker in workers:
            board = worker.board
            with board.cond:
                left = list(board.queue)
                board.queue.clear()
            for job, _ in left:
                self._record_final_without_run(job, NOT_RUN,
                                               f"every unit of {board.name} was taken out "
                                               "of the run")  # fmt: skip

    def _abandon(self, worker: _Worker, job: Job, attempt: int, seconds: float) -> None:
        with self._lock:
            if worker.abandoned:
                return
            worker.abandoned = True
        if worker.emulator_pid is not None:
            self.emulators.stop(worker.emulator_pid)
        message = (f"unit {worker.unit.name} did not return within {seconds:.0f} s (job "
                   f"timeout {job.timeout:.0f} s); it is taken out of this run")
        self.say(f"STUCK {job.id} on {worker.unit.name}: {message}")
        log = self._attempt_dir(job, attempt) / "console.log"
        self._record(job, worker.unit.name, attempt, Outcome.TIMEOUT.value, message,
                     log=log, seconds=seconds, final=True)  # fmt: skip
        with worker.board.cond:
            worker.board.in_flight -= 1
            worker.board.cond.notify_all()

    # -- a unit's worker --------------------------------------------------------------------
    def _work(self, worker: _Worker) -> None:
        board = worker.board
        while not board.ready.wait(0.5):
            if self._stop.is_set():
                return
        while not self._stop.is_set() and not worker.abandoned:
            with board.cond:
                while not board.queue and board.in_flight > 0 and not self._stop.is_set():
                    board.cond.wait(0.5)
                if not board.queue or self._stop.is_set():
                    board.cond.notify_all()
                    return
                job, attempt = board.queue.popleft()
                board.in_flight += 1
            worker.current = (job, attempt, time.monotonic())
            try:
                record = self._attempt(worker, job, attempt)
            except Exception as err:  # noqa: BLE001 - one broken attempt must not end the run
                record = self._record(job, worker.unit.name, attempt, Outcome.NO_OUTPUT.value,
                                      f"the runner failed on this job: {type(err).__name__}: "
                                      f"{err}", final=True)  # fmt: skip
            worker.current = None
            if worker.abandoned:
                return
            with board.cond:
                board.in_flight -= 1
                if record is not None and not record["final"]:
                    board.queue.append((job, attempt + 1))
                board.cond.notify_all()

    def _attempt(self, worker: _Worker, job: Job, attempt: int) -> dict[str, Any] | None:
        unit = worker.unit
        folder = self._attempt_dir(job, attempt)
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "console.log"
        began = time.monotonic()
        deadline = began + job.timeout
        flash_limit = float(unit.flash.get("timeout", FLASH_TIMEOUT))
        flash_timeout = max(1.0, min(flash_limit, job.timeout))
        try:
            dut = open_unit(unit, folder, lock_dir=self.plan.farm.lock_dir,
                            flash_overrides={"timeout": flash_timeout},
                            max_runtime=job.timeout + STUCK_GRACE / 2, log_path=log,
                            lock_timeout=min(60.0, job.timeout),
                            die_with_parent=True)  # fmt: skip
        except (DeviceError, OSError) as err:
            return self._record(job, unit.name, attempt, Outcome.FLASH_ERROR.value,
                                f"could not open {unit.name}: {err}", log=log,
                                seconds=time.monotonic() - began)  # fmt: skip
        with dut:
            if dut.machine is not None and dut.machine.pid is not None:
                worker.emulator_pid = dut.machine.pid
                self.emulators.add(dut.machine.pid, job=job.id, unit=unit.name, attempt=attempt)
            try:
                try:
                    dut.flash(job.image, image_id=job.image_id)
                except (FlashError, TransportError):
                    pass  # the result says so (flash_error, or the console failing)
                left = max(1.0, deadline - time.monotonic())
                result = dut.results(timeout=left, require_sync=job.needs_sync)
            finally:
                if worker.emulator_pid is not None:
                    self.emulators.remove(worker.emulator_pid)
        data = result.to_json()
        return self._record(job, unit.name, attempt, result.outcome.value, result.message,
                            log=log, seconds=time.monotonic() - began, result=data,
                            metrics=bench_metrics(result.benches))  # fmt: skip

    def _attempt_dir(self, job: Job, attempt: int) -> Path:
        return self.run_dir / "logs" / job.board / job.program.name / f"attempt-{attempt}"

    # -- records ------------------------------------------------------------------------------
    def _record_final_without_run(self, job: Job, outcome: str, message: str,
                                  log: Path | None = None) -> None:  # fmt: skip
        attempt = self._attempts.get(job.id, 0) + 1
        self._record(job, "", attempt, outcome, message, log=log, final=True)

    def _record(
        self,
        job: Job,
        unit: str,
        attempt: int,
        outcome: str,
        message: str,
        *,
        log: Path | None = None,
        seconds: float = 0.0,
        result: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
        final: bool | None = None,
    ) -> dict[str, Any] | None:
        quarantined = self.quarantine.reason(job.program.name, job.board)
        if final is None:
            final = outcome == Outcome.PASS.value or attempt > self.plan.options.retry_failed
        record = {
            "type": "attempt", "job": job.id, "program": job.program.name,
            "example": job.program.example, "kind": job.program.kind, "board": job.board,
            "unit": unit, "attempt": attempt, "final": final, "outcome": outcome,
            "message": message, "quarantined": quarantined,
            "log": self._relative(log) if log else "", "seconds": round(seconds, 3),
            "finished": utc_now(), "image": job.image, "image_id": job.image_id,
            "size": job.size, "metrics": metrics or {}, "result": result,
        }  # fmt: skip
        with self._lock:
            if job.id in self._finals:
                return None  # already closed (by the watchdog, for a unit that got stuck)
            self.store.append(record)
            self._attempts[job.id] = max(self._attempts.get(job.id, 0), attempt)
            if final:
                self._finals[job.id] = record
                self._done += 1
            done, total = self._done, len(self.plan.jobs)
        state = outcome if final else f"{outcome}, retrying"
        extra = f" [quarantined: {quarantined}]" if quarantined and outcome != "pass" else ""
        where = f" on {unit}" if unit else ""
        text = f"[{done}/{total}] {state:<9} {job.id}{where} ({seconds:.1f} s)"
        if outcome != Outcome.PASS.value and message:
            text += f": {message.splitlines()[0][:160]}"
        self.say(text + extra)
        return record

    def _relative(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.run_dir.resolve()))
        except ValueError:
            return str(path)

    # -- summary ------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        records = self.store.records()
        attempts: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for record in records:
            if record.get("job"):
                attempts[record["job"]].append(record)
        results = []
        for job in self.plan.jobs:
            tries = sorted(attempts.get(job.id, []), key=lambda r: r["attempt"])
            final = next((r for r in reversed(tries) if r.get("final")), None)
            if final is None:
                results.append(self._row(job, None, tries))
                continue
            results.append(self._row(job, final, tries))
        counts: dict[str, int] = collections.Counter(r["outcome"] for r in results)
        failing = [r for r in results if r["outcome"] != "pass" and not r["quarantined"]]
        units = {u.name: u.board for u in self.plan.farm.enabled}
        return {
            "run_id": self.plan.run_id, "started": self.plan.started, "finished": utc_now(),
            "seconds": round(self.seconds, 1), "root": str(self.plan.root),
            "farm": {"name": self.plan.farm.name, "path": str(self.plan.farm.path or ""),
                     "units": units},
            "boards": sorted({j.board for j in self.plan.jobs}),
            "ticks_units": {b: str((board_data(b).get("ticks") or {}).get("unit", "ticks"))
                            for b in sorted({j.board for j in self.plan.jobs})},
            "options": self.plan.options.to_json(),
            "counts": dict(sorted(counts.items())), "total": len(results),
            "passed": not failing, "failing": [r["job"] for r in failing],
            "builds": {b: r.to_json() for b, r in sorted(self.builds.items())},
            "notes": self.notes,
            "quarantine_expired": [e.__dict__ for e in self.quarantine.expired],
            "results": results,
        }  # fmt: skip

    def _row(self, job: Job, final: dict[str, Any] | None,
             tries: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
        if final is None:
            return {
                "job": job.id, "program": job.program.name, "example": job.program.example,
                "kind": job.program.kind, "board": job.board, "unit": "",
                "outcome": NOT_RUN, "message": "not run (the run was stopped)", "attempts": [],
                "flaky": False, "quarantined": self.quarantine.reason(job.program.name,
                                                                      job.board),
                "log": "", "seconds": 0.0, "size": job.size, "metrics": {}, "last_output": "",
                "fault": None,
            }  # fmt: skip
        result = final.get("result") or {}
        return {
            "job": job.id, "program": job.program.name, "example": job.program.example,
            "kind": job.program.kind, "board": job.board, "unit": final["unit"],
            "outcome": final["outcome"], "message": final["message"],
            "attempts": [{"attempt": t["attempt"], "outcome": t["outcome"], "log": t["log"],
                          "message": t["message"], "unit": t["unit"]} for t in tries],
            "flaky": final["outcome"] == "pass" and len(tries) > 1,
            "quarantined": final.get("quarantined"), "log": final["log"],
            "seconds": final["seconds"], "size": final.get("size") or job.size,
            "metrics": final.get("metrics") or {},
            "last_output": result.get("last_output", ""), "fault": result.get("fault"),
            "exit_code": result.get("exit_code"), "cases": len(result.get("cases") or []),
        }  # fmt: skip
