"""The runtime's C unit tests (micro/tests/*.c) on the host: gcc, gcc under ASan + UBSan, and
the release flavour (error texts stripped, MF_STRIP_LOGS)."""

from __future__ import annotations

import pytest

from .cbuild import MICRO, CBuild
from .protocol import run_program

UNIT_TESTS = sorted(p.stem for p in (MICRO / "tests").glob("test_*.c"))


def test_unit_tests_exist() -> None:
    assert {"test_format", "test_planner", "test_interpreter", "test_model", "test_resolver",
            "test_models"} <= set(UNIT_TESTS)


@pytest.mark.parametrize("flavor", ["gcc", "gcc-san", "gcc-release"])
@pytest.mark.parametrize("test", UNIT_TESTS)
def test_c_unit(cbuild: CBuild, test: str, flavor: str) -> None:
    program = cbuild.unit_test(flavor, test)
    run = run_program(program, timeout=240)
    assert not run.sanitizer_report, f"sanitizer report:\n{run.sanitizer_report}\n{run.describe()}"
    assert run.returncode == 0, run.describe()
    assert run.cases and all(v == "PASS" for v in run.cases.values()), run.describe()
    assert run.summary == (len(run.cases), 0), run.describe()
    assert run.stdout.rstrip().endswith("~~~ALL TESTS PASSED~~~"), run.describe()
    assert run.stdout.startswith(f"MF-SYNC {test}\n"), run.describe()
