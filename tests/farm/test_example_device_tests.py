"""The examples' device tests (examples/*/test_device_*.py) belong to the project's suite: every
example has one, and the suite collects each on every emulated board."""

from __future__ import annotations

import subprocess
import sys

from .support import BOARDS, REPO


def test_every_example_has_device_tests() -> None:
    examples = sorted(p.parent.name for p in (REPO / "examples").glob("*/example.toml"))
    assert examples, "no examples found"
    covered = {p.parent.name for p in (REPO / "examples").glob("*/test_device_*.py")}
    missing = [name for name in examples if name not in covered]
    assert not missing, f"examples without a test_device_*.py: {', '.join(missing)}"


def test_the_suite_runs_them_on_every_emulated_board() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider"], capture_output=True, text=True,
                          timeout=300, cwd=REPO, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    collected = done.stdout.splitlines()
    for path in sorted((REPO / "examples").glob("*/test_device_*.py")):
        relative = path.relative_to(REPO).as_posix()
        for board in BOARDS:
            assert any(line.startswith(f"{relative}::") and line.endswith(f"[{board}]")
                       for line in collected), (relative, board)  # fmt: skip
