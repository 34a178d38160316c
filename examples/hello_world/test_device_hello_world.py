"""hello_world on a board: every line arrives, from the very first one, and y follows sin(x).

Runs on each farm unit that supports the example (the emulated boards by default):
pytest examples/hello_world --board qemu_cortex_m4
"""

from __future__ import annotations

import math
import re

import pytest

STEPS = 20  # HELLO_WORLD_STEPS in main.c
TWO_PI = 6.2831853  # HELLO_WORLD_TWO_PI in sine_model.h
#: The model's worst error over one cycle, as hello_world_test.c bounds it (train.py: 0.0760).
TOLERANCE = 0.08
LINE = rb"x_value: (-?\d+\.\d{4}), y_value: (-?\d+\.\d{4})\r?\n"


def test_hello_world_follows_the_sine(dut) -> None:
    dut.flash("hello_world")
    dut.expect_exact("x_value: 0.0000, y_value: ", timeout=20)
    points = []
    first = dut.expect(rb"(-?\d+\.\d{4})\r?\n", timeout=5)
    points.append((0.0, float(first.group(1))))
    for _ in range(STEPS - 1):
        match = dut.expect(LINE, timeout=10)
        points.append((float(match.group(1)), float(match.group(2))))
    result = dut.results(timeout=20)
    assert result.passed, result.describe()
    assert result.exit_code == 0
    # Nothing before the first line was lost or garbled around the reset.
    assert dut.log_path.read_bytes().startswith(b"x_value: 0.0000, y_value: ")
    xs = [x for x, _ in points]
    assert xs == pytest.approx([step * TWO_PI / STEPS for step in range(STEPS)], abs=1e-4)
    errors = [abs(y - math.sin(x)) for x, y in points]
    worst = max(errors)
    assert worst <= TOLERANCE, f"y is {worst:.4f} off sin(x) at x={xs[errors.index(worst)]:.4f}"
    # The model really follows the curve: peak near pi/2, trough near 3*pi/2.
    peak = max(points, key=lambda p: p[1])
    trough = min(points, key=lambda p: p[1])
    assert abs(peak[0] - math.pi / 2) < 0.35 and abs(trough[0] - 3 * math.pi / 2) < 0.35
    assert not re.search(rb"hello_world: ", dut.log_path.read_bytes())  # no error lines
