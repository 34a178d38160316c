"""The nightly report as a browser shows it: headless Chromium renders its matrix and plots."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from microforge.hil.nightly.history import compact, load, save
from microforge.hil.nightly.report import render

pytestmark = pytest.mark.slow

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PASS_GREEN = (0xC9, 0xF0, 0xC0)  # .pass cells
FIRST_LINE = (0x1F, 0x77, 0xB4)  # the first board's line
FLAG_RED = (0xDD, 0x00, 0x00)  # the ring around a changed figure


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return str(shutil.which(name))
    problem = "apt-get is not available"
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        done = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        if shutil.which("chromium"):
            return str(shutil.which("chromium"))
        problem = f"apt-get install chromium failed: {(done.stderr or done.stdout)[-300:]}"
    elif shutil.which("apt-get"):
        problem = "installing it needs root"
    pytest.skip(f"chromium is not installed and could not be installed ({problem}); "
                "tools/install.sh installs it")


def png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """(width, height, the set of RGB colours) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours: set[tuple[int, int, int]] = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        for x in range(0, stride, channels):
            colours.add((line[x], line[x + 1], line[x + 2]))
        previous = line
    return width, height, colours


def earlier_nights(summary: dict) -> list[dict]:
    """Two earlier nights: the first board's inference figure 3 % lower the night before."""
    nights = []
    started = dt.datetime.fromisoformat(summary["started"])
    for days, scale in ((2, 0.97), (1, 0.97)):
        night = copy.deepcopy(compact(summary))
        night["run_id"] = f"earlier-{days}"
        night["started"] = (started - dt.timedelta(days=days)).isoformat(timespec="seconds")
        for row in night["results"]:
            if row["board"] == summary["boards"][0]:
                for key in row["metrics"]:
                    if key.endswith(".per_inference"):
                        row["metrics"][key] = round(row["metrics"][key] * scale, 3)
        nights.append(night)
    return nights


def test_the_report_renders_its_matrix_and_plots(full_nightly, tmp_path: Path) -> None:
    chromium = find_chromium()
    assert full_nightly.process.returncode == 0, full_nightly.process.stderr[-3000:]
    run_dir = tmp_path / "run"
    shutil.copytree(full_nightly.run_dir, run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    history = tmp_path / "history"
    for night in earlier_nights(summary):
        save(history, night)
    report = run_dir / "report.html"
    report.write_text(render(summary, run_dir, load(history, summary)))
    jobs = len(summary["results"])

    def browse(*extra: str) -> subprocess.CompletedProcess[str]:
        profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
        return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *extra,
                               report.as_uri()], capture_output=True, text=True, timeout=120,
                              check=False)  # fmt: skip

    dom = browse("--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "microforge nightly" in page and "PASSED" in page
    assert len(re.findall(r'<td class="cell pass"', page)) == jobs
    plots = re.findall(r"<svg[^>]*class=\"plot\"", page)
    assert len(plots) >= 3
    assert page.count('class="line"') >= 3 * len(summary["boards"])
    assert 'class="flag"' in page and "+3.09%" in page  # the changed inference figure
    # Every log link of the matrix points at a file of the run directory.
    for href in re.findall(r'<td class="cell [^"]*"[^>]*><a href="([^"]+)"', page):
        assert (run_dir / href).is_file(), href

    shot = tmp_path / "report.png"
    done = browse(f"--screenshot={shot}", "--window-size=1280,2600", "--hide-scrollbars")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    width, height, colours = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2600)
    assert PASS_GREEN in colours, "the matrix cells are not drawn"
    assert FIRST_LINE in colours, "the plot lines are not drawn"
    assert FLAG_RED in colours, "the change ring is not drawn"
    assert len(colours) > 50  # text, lines and cells, not a blank page
