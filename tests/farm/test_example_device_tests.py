"""The examples' device tests (examples/*/test_device_*.py) on the emulated farm, run as a user
runs them: pytest with the microforge plugin, one run per test on each emulated board."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .support import BOARDS, REPO

pytestmark = pytest.mark.slow


def device_tests() -> list[Path]:
    return sorted((REPO / "examples").glob("*/test_device_*.py"))


def test_every_example_has_device_tests() -> None:
    examples = sorted(p.parent.name for p in (REPO / "examples").glob("*/example.toml"))
    assert examples, "no examples found"
    covered = {p.parent.name for p in device_tests()}
    missing = [name for name in examples if name not in covered]
    assert not missing, f"examples without a test_device_*.py: {', '.join(missing)}"


def test_example_device_tests_pass_on_the_emulated_boards(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "microforge.hil.pytest_plugin",
         "-p", "no:cacheprovider", "-o", "addopts=", "-q", f"--junitxml={junit}",
         f"--mf-log-dir={tmp_path / 'logs'}", *map(str, device_tests())],
        capture_output=True, text=True, timeout=900, cwd=REPO, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    ran = {(c.get("classname"), c.get("name")) for c in cases}
    for path in device_tests():
        for board in BOARDS:
            assert any(name.endswith(f"[{board}]") and classname.endswith(path.stem)
                       for classname, name in ran), (path, board)  # fmt: skip
    assert all(c.find("failure") is None and c.find("skipped") is None for c in cases)
    logs = list((tmp_path / "logs").rglob("*.console.log"))
    assert len(logs) >= len(BOARDS) and all(log.stat().st_size > 0 for log in logs)
