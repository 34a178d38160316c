"""pytest plugin: device tests on farm boards through the ``dut`` fixture.

```python
def test_hello_world(dut):
    dut.flash("hello_world")                 # a program of the tree (built with scons) or a path
    dut.expect_exact("x_value: 0.0000", timeout=10)
    match = dut.expect(rb"y_value: (-?\\d+\\.\\d+)", timeout=10)
    assert dut.results(timeout=30).passed

def test_two_boards(dut, dut_factory):
    other = dut_factory()                    # another unit of the same board (or board="...")
```

A test that uses ``dut`` runs once per selected farm unit: ``--board NAME`` (repeatable; a unit
or a board name), from ``--farm FILE`` (default: one emulated unit per emulated board). A test
in ``examples/<ex>/`` runs only on boards that example supports; ``@pytest.mark.boards("a", ...)``
narrows it further. A failing device test shows its console log path and last bytes.

Options: ``--board``, ``--farm``, ``--mf-root`` (tree to build from), ``--mf-build-type``,
``--mf-log-dir`` (keep console logs there instead of pytest's temporary folders).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .dut import Dut, DutTimeout
from .farm import Farm, FarmError, FarmUnit, board_data, emulated_farm, load_farm, open_unit
from .result import RunResult

BUILD_TIMEOUT = 900.0
DEFAULT_EXPECT_TIMEOUT = 10.0
IMAGE_SUFFIXES = (".elf", ".axf", ".bin", ".hex", ".ihex")

__all__ = ["BoardDut", "DutTimeout"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("microforge", "microforge device tests")
    group.addoption("--board", action="append", default=[], metavar="NAME",
                    help="run device tests on these farm units or boards (repeatable; "
                    "default: every unit of the farm)")  # fmt: skip
    group.addoption("--farm", metavar="FILE", default=None,
                    help="farm inventory (default: one unit per emulated board)")  # fmt: skip
    group.addoption("--mf-root", metavar="DIR", default=None,
                    help="source tree the device tests build from (default: microforge's)")
    group.addoption("--mf-build-type", default="default", metavar="TYPE",
                    help="BUILD_TYPE of the programs device tests flash")  # fmt: skip
    group.addoption("--mf-log-dir", metavar="DIR", default=None,
                    help="keep console logs here (default: each test's tmp_path)")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "boards(*names): run this device test only on these boards or units")
    if config.getoption("--farm") or config.getoption("--board"):
        try:
            _farm(config).select(config.getoption("--board"))  # bad input stops the run now
        except FarmError as err:
            raise pytest.UsageError(str(err)) from None


# -- farm and unit selection -------------------------------------------------------------------
_FARMS: dict[int, Farm] = {}


def _farm(config: pytest.Config) -> Farm:
    key = id(config)
    if key not in _FARMS:
        path = config.getoption("--farm")
        try:
            _FARMS[key] = load_farm(path) if path else emulated_farm()
        except FarmError as err:
            raise pytest.UsageError(str(err)) from None
    return _FARMS[key]


def _example_of(path: Path) -> Any:
    """The example whose folder holds ``path``, if any."""
    from microforge.config import ConfigError
    from microforge.config.example import load_example

    for folder in path.parents:
        if (folder / "example.toml").is_file() and folder.parent.name == "examples":
            try:
                return load_example(folder, folder.parent.parent)
            except ConfigError:
                return None
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dut" not in metafunc.fixturenames and "dut_factory" not in metafunc.fixturenames:
        return
    farm = _farm(metafunc.config)
    try:
        units = farm.select(metafunc.config.getoption("--board"))
    except FarmError as err:
        raise pytest.UsageError(str(err)) from None
    why = []
    marker = metafunc.definition.get_closest_marker("boards")
    if marker is not None:
        wanted = set(marker.args)
        units = [u for u in units if u.board in wanted or u.name in wanted]
        why.append(f"marked for {', '.join(sorted(wanted))}")
    example = _example_of(Path(str(metafunc.definition.path)))
    if example is not None:
        units = [u for u in units
                 if example.supports(u.board, str(board_data(u.board).get("arch")))]  # fmt: skip
        supported = example.data["boards"] or example.data["arch"]
        why.append(f"example {example.name} supports {', '.join(supported)}")
    if not units:
        reason = (f"no unit of farm {farm.name} fits this device test"
                  + (f" ({'; '.join(why)})" if why else ""))  # fmt: skip
        metafunc.parametrize("mf_unit", [pytest.param(None, marks=pytest.mark.skip(
            reason=reason))], ids=["no-board"])  # fmt: skip
        return
    metafunc.parametrize("mf_unit", units, ids=[u.name for u in units])


# -- building ----------------------------------------------------------------------------------
class Builder:
    """Builds programs of the tree with scons, once per board and program per session."""

    def __init__(self, root: Path, build_type: str, log_dir: Path) -> None:
        self.root = root
        self.build_type = build_type
        self.log_dir = log_dir
        self._built: dict[tuple[str, str], tuple[Path, str | None]] = {}
        self._lock = threading.Lock()

    def build(self, program: str, board: str) -> tuple[Path, str | None]:
        """(ELF, its MF-SYNC id if the build gave it one) of ``program`` for ``board``."""
        from .nightly.build import build_board
        from .nightly.runner import find_image_id

        key = (board, program)
        with self._lock:
            if key not in self._built:
                log = self.log_dir / f"build-{board}-{program}.log"
                result = build_board(self.root, board, [program], log=log,
                                     build_type=self.build_type, timeout=BUILD_TIMEOUT)
                image = result.image(program)
                if image is None:
                    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                    pytest.fail(f"building {program} for {board} failed: {result.message}\n"
                                f"log: {log}\n{tail}", pytrace=False)
                self._built[key] = (image, find_image_id(image, program, result.config_name))
            return self._built[key]


@pytest.fixture(scope="session")
def mf_farm(request: pytest.FixtureRequest) -> Farm:
    return _farm(request.config)


@pytest.fixture(scope="session")
def mf_builder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Builder:
    from microforge import ROOT

    root = Path(request.config.getoption("--mf-root") or ROOT).resolve()
    return Builder(root, request.config.getoption("--mf-build-type"),
                   tmp_path_factory.mktemp("mf-build"))  # fmt: skip


# -- the DUT -----------------------------------------------------------------------------------
class BoardDut:
    """A farm unit under test: ``flash``, ``expect``, ``expect_exact``, ``results``."""

    def __init__(self, dut: Dut, unit: FarmUnit, builder: Builder) -> None:
        self.dut = dut
        self.unit = unit
        self.board = unit.board
        self.builder = builder
        self.image: Path | None = None
        self.image_id: str | None = None

    @property
    def log_path(self) -> Path:
        return self.dut.log_path

    @property
    def transport(self) -> Any:
        return self.dut.transport

    @property
    def identity(self) -> Any:
        return self.dut.identity

    def flash(self, program: str | Path, *, image_id: str | None = None) -> Any:
        """Flash a program of the tree by name (built for this board first) or an image file,
        and start it. A failed flash raises FlashError, never a console timeout later."""
        path = Path(program)
        if isinstance(program, Path) or path.suffix.lower() in IMAGE_SUFFIXES or path.is_file():
            if not path.is_file():
                raise FileNotFoundError(f"image {path} does not exist")
            self.image, self.image_id = path, image_id
        else:
            self.image, built_id = self.builder.build(str(program), self.board)
            self.image_id = image_id or built_id
        return self.dut.flash(self.image, image_id=self.image_id)

    def expect(self, pattern: str | bytes, timeout: float = DEFAULT_EXPECT_TIMEOUT
               ) -> re.Match[bytes]:  # fmt: skip
        return self.dut.expect(pattern, timeout)

    def expect_exact(self, text: str | bytes, timeout: float = DEFAULT_EXPECT_TIMEOUT
                     ) -> re.Match[bytes]:  # fmt: skip
        return self.dut.expect_exact(text, timeout)

    def results(self, timeout: float = 60.0, *, require_sync: bool | None = None) -> RunResult:
        """The run's classified result; programs that print MF-SYNC (tests) are followed from
        their sync line, others (applications, benchmarks) from the reset."""
        if require_sync is None:
            require_sync = self.image_id is not None
        return self.dut.results(timeout, require_sync=require_sync)

    def __repr__(self) -> str:
        return f"<BoardDut {self.unit.name} ({self.board}), log {self.log_path}>"


def _log_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    chosen = request.config.getoption("--mf-log-dir")
    if not chosen:
        return tmp_path
    folder = Path(chosen) / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(unit: FarmUnit, farm: Farm, folder: Path, builder: Builder, name: str) -> BoardDut:
    dut = open_unit(unit, folder, lock_dir=farm.lock_dir, log_path=folder / f"{name}.console.log",
                    max_runtime=BUILD_TIMEOUT, die_with_parent=True)  # fmt: skip
    return BoardDut(dut, unit, builder)


@pytest.fixture
def mf_unit(request: pytest.FixtureRequest) -> FarmUnit:
    return request.param


@pytest.fixture
def dut(request: pytest.FixtureRequest, mf_unit: FarmUnit, mf_farm: Farm, mf_builder: Builder,
        tmp_path: Path) -> Iterator[BoardDut]:  # fmt: skip
    """The farm unit this test runs on, open (console read from before the first flash)."""
    board_dut = _open(mf_unit, mf_farm, _log_dir(request, tmp_path), mf_builder, mf_unit.name)
    request.node.mf_duts = [board_dut]
    try:
        yield board_dut
    finally:
        board_dut.dut.close()


@pytest.fixture
def dut_factory(request: pytest.FixtureRequest, mf_unit: FarmUnit, mf_farm: Farm,
                mf_builder: Builder, tmp_path: Path) -> Iterator[Any]:  # fmt: skip
    """make(board=None) -> another open DUT: a new emulator of an emulated board, or another
    enabled unit of a wired board that this test does not hold yet."""
    opened: list[BoardDut] = []
    folder = _log_dir(request, tmp_path)

    def make(board: str | None = None) -> BoardDut:
        wanted = board_data(board)["name"] if board else mf_unit.board
        held = {d.unit.name for d in getattr(request.node, "mf_duts", [])}
        candidates = [u for u in mf_farm.enabled if u.board == wanted]
        emulated = [u for u in candidates if u.emulated]
        if emulated:
            unit = emulated[0]
        else:
            free = [u for u in candidates if u.name not in held]
            if not free:
                pytest.fail(f"no free unit of {wanted} in farm {mf_farm.name} for another DUT "
                            f"(held: {', '.join(sorted(held)) or 'none'})", pytrace=False)
            unit = free[0]
        name = f"{unit.name}-{len(opened) + 1}"
        board_dut = _open(unit, mf_farm, folder, mf_builder, name)
        opened.append(board_dut)
        request.node.mf_duts = [*getattr(request.node, "mf_duts", []), board_dut]
        return board_dut

    try:
        yield make
    finally:
        for board_dut in opened:
            board_dut.dut.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for board_dut in getattr(item, "mf_duts", []):
        tail = board_dut.transport.tail(300).decode("utf-8", "backslashreplace")
        report.sections.append((f"microforge console of {board_dut.unit.name}",
                                f"log: {board_dut.log_path}\nlast bytes: {tail!r}"))  # fmt: skip
