"""What a nightly runs: programs (an example's application, its tests and benchmarks, the
runtime's C tests) times boards, or prebuilt images from a jobs file.

A job is one program on one board type; any farm unit of that board may run it. Job ids are
``<program>@<board>`` and are stable across nights, so history and resume can match them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..farm import FarmError, board_data

KINDS = ("example", "test", "benchmark")
RUNTIME_EXAMPLE = "runtime"  # the row group of micro/tests/*.c
RUNTIME_TEST_TIMEOUT = 120
MODELS_EXAMPLE = "models"  # the row group of the shared models' runner firmware (bench_<model>)
MODEL_BENCH_TIMEOUT = 120


class JobError(FarmError):
    """A jobs file, a subset or a program selection is malformed."""


@dataclass(frozen=True)
class Program:
    name: str
    example: str  # the example it belongs to (runtime tests: "runtime")
    kind: str  # example | test | benchmark
    timeout: float  # seconds, from the example's data
    image: str = ""  # a prebuilt image (jobs file); empty: built by scons
    image_id: str | None = None  # the MF-SYNC id a prebuilt test image prints
    boards: tuple[str, ...] = ()  # prebuilt: the one board it is for


@dataclass
class Job:
    program: Program
    board: str
    timeout: float
    image: str = ""  # filled in by the build (or given by a jobs file)
    image_id: str | None = None  # the MF-SYNC id to wait for (None: any)
    size: dict[str, int] = field(default_factory=dict)  # bytes per memory region

    @property
    def id(self) -> str:
        return f"{self.program.name}@{self.board}"

    @property
    def needs_sync(self) -> bool:
        return self.program.kind == "test"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["id"] = self.id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        program = dict(data["program"])
        program["boards"] = tuple(program.get("boards", ()))
        return cls(
            program=Program(**program), board=data["board"], timeout=float(data["timeout"]),
            image=data.get("image", ""), image_id=data.get("image_id"),
            size=dict(data.get("size", {})),
        )  # fmt: skip


def tree_programs(root: Path) -> list[tuple[Program, Any]]:
    """Every program of the source tree with its example (None for runtime tests)."""
    from microforge.config import load_examples

    programs: list[tuple[Program, Any]] = []
    for example in load_examples(root).values():
        programs.append((Program(example.name, example.name, "example",
                                 float(example.data["timeout"])), example))  # fmt: skip
        for test in example.tests:
            programs.append((Program(test.name, example.name, "test", float(test.timeout)),
                             example))  # fmt: skip
        for bench in example.benchmarks:
            programs.append((Program(bench.name, example.name, "benchmark",
                                     float(bench.timeout)), example))  # fmt: skip
    runtime_tests = root / "micro" / "tests"
    if runtime_tests.is_dir():
        for source in sorted(runtime_tests.glob("*.c")):
            programs.append((Program(source.stem, RUNTIME_EXAMPLE, "test",
                                     float(RUNTIME_TEST_TIMEOUT)), None))  # fmt: skip
    for model in model_benchmarks(root)[0]:
        programs.append((Program(f"bench_{model.stem}", MODELS_EXAMPLE, "benchmark",
                                 float(MODEL_BENCH_TIMEOUT)), None))  # fmt: skip
    return programs


def model_benchmarks(root: Path) -> tuple[list[Path], str]:
    """The shared models the build makes runner firmware for (bench_<model>, emulated boards
    only), or why there are none."""
    if not (root / "micro" / "runner" / "board_runner.c").is_file():
        return [], "this tree has no board runner"
    from microforge.bench.models import shared_models

    found = shared_models(root)
    return found.models, found.error


def plan_tree(
    root: Path,
    boards: Iterable[str],
    *,
    programs: Sequence[str] = (),
    job_timeout: float | None = None,
) -> list[Job]:
    """Jobs for every program of the tree on every board that supports it, sorted by id.

    ``programs``: only these programs or examples (empty: all).
    """
    found = tree_programs(root)
    known = {p.name for p, _ in found} | {p.example for p, _ in found}
    for word in programs:
        if word not in known:
            from microforge.config.errors import suggest

            raise JobError(f"unknown program or example {word!r}{suggest(word, known)}")
    jobs = []
    for board in sorted(set(boards)):
        data = board_data(board)
        if not data.get("linker_script"):
            continue  # a library-only board runs nothing
        for program, example in found:
            if programs and program.name not in programs and program.example not in programs:
                continue
            if example is not None and not example.supports(board, str(data.get("arch"))):
                continue
            if program.example == MODELS_EXAMPLE and not data.get("emulator"):
                continue  # the build makes model runner firmware for emulated boards only
            jobs.append(Job(program, board, _bounded(program.timeout, job_timeout)))
    return sorted(jobs, key=lambda j: j.id)


def _bounded(timeout: float, bound: float | None) -> float:
    return min(timeout, bound) if bound else timeout


JOB_FIELDS = {
    "program": str, "example": str, "kind": str, "board": str, "image": str,
    "image_id": str, "timeout": (int, float),
}  # fmt: skip


def load_jobs_file(path: Path, *, job_timeout: float | None = None) -> list[Job]:
    """Prebuilt images to run, one ``[[job]]`` each::

        [[job]]
        program = "fault_demo"        # name in reports (unique per board)
        example = "demos"             # row group (default: the program)
        kind = "test"                 # test (prints MF-SYNC) | example | benchmark
        board = "qemu_cortex_m4"
        image = "fw/fault_demo.elf"   # relative to this file
        image_id = "3f2a9c01"         # optional: the MF-SYNC id it prints
        timeout = 30                  # seconds (default 60)
    """
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise JobError(f"jobs file {path} does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise JobError(f"{path}: not valid TOML: {err}") from None
    extra = sorted(set(data) - {"job"})
    if extra:
        raise JobError(f"{path}: unknown table {extra[0]!r}; a jobs file has [[job]] tables")
    rows = data.get("job", [])
    if not isinstance(rows, list) or not rows:
        raise JobError(f"{path}: no [[job]] tables")
    jobs: list[Job] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        where = f"{path}: job[{index}]"
        for key, value in row.items():
            if key not in JOB_FIELDS:
                raise JobError(f"{where}: unknown field {key!r}; fields: {', '.join(JOB_FIELDS)}")
            kind = JOB_FIELDS[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise JobError(f"{where}: field {key!r}: wrong type ({value!r})")
        for key in ("program", "board", "image"):
            if key not in row:
                raise JobError(f"{where}: field {key!r} is required")
        kind = row.get("kind", "test")
        if kind not in KINDS:
            raise JobError(f"{where}: field 'kind': {kind!r} is not one of {', '.join(KINDS)}")
        try:
            board = str(board_data(row["board"])["name"])
        except FarmError as err:
            raise JobError(f"{where}: field 'board': {err}") from None
        image = Path(row["image"])
        if not image.is_absolute():
            image = Path(path).parent / image
        if not image.is_file():
            raise JobError(f"{where}: field 'image': {image} does not exist")
        timeout = float(row.get("timeout", 60))
        if timeout <= 0:
            raise JobError(f"{where}: field 'timeout': must be positive")
        program = Program(row["program"], row.get("example", row["program"]), kind, timeout,
                          str(image.resolve()), row.get("image_id"), (board,))  # fmt: skip
        job = Job(program, board, _bounded(timeout, job_timeout), program.image,
                  program.image_id)  # fmt: skip
        if job.id in seen:
            raise JobError(f"{where}: job {job.id} is listed twice")
        seen.add(job.id)
        jobs.append(job)
    return sorted(jobs, key=lambda j: j.id)


def parse_subset(text: str) -> tuple[int, int]:
    """'k/n' -> (k, n), 1 <= k <= n."""
    k, sep, n = text.partition("/")
    if not sep or not k.strip().isdigit() or not n.strip().isdigit():
        raise JobError(f"--subset takes k/n (e.g. 2/4), got {text!r}")
    index, count = int(k), int(n)
    if count < 1 or not 1 <= index <= count:
        raise JobError(f"--subset {text}: k must be between 1 and n")
    return index, count


def subset(jobs: Sequence[Job], index: int, count: int) -> list[Job]:
    """The k-th of n disjoint, near-equal shares (jobs dealt round-robin in id order)."""
    ordered = sorted(jobs, key=lambda j: j.id)
    return [job for number, job in enumerate(ordered) if number % count == index - 1]
