"""`microforge export`: writes the project under gen/<config>/prj/<ex>/<kind>/ of the tree it
runs in, says what it wrote, and fails with a clear message and status 2 on bad input."""

from __future__ import annotations

import sys
from pathlib import Path

from export_support import run


def export(tree: Path, *words: str):
    return run([sys.executable, "-m", "microforge.cli", "export", "--root", str(tree), *words],
               cwd=tree, timeout=120, check=False)


def test_export_writes_under_gen_and_rewrites_nothing_the_second_time(tree: Path) -> None:
    first = export(tree, "hello_world", "make", "--target", "qemu_cortex_m4")
    assert first.returncode == 0, first.output
    project = tree / "gen" / "qemu_cortex_m4_default" / "prj" / "hello_world" / "make"
    assert (project / "Makefile").is_file()
    assert f"{project}: " in first.output and " written, 0 unchanged" in first.output
    second = export(tree, "hello_world", "make", "--target", "qemu_cortex_m4")
    assert second.returncode == 0
    assert " 0 written, " in second.output


def test_export_to_a_folder_with_an_option(tree: Path, tmp_path: Path) -> None:
    done = export(tree, "hello_world", "cmake", "minimum_version=3.25", "--target",
                  "qemu_cortex_m4", "-o", str(tmp_path / "prj"))
    assert done.returncode == 0, done.output
    assert "VERSION 3.25" in (tmp_path / "prj" / "CMakeLists.txt").read_text()


def test_bad_input_fails_with_a_clear_message(tree: Path, tmp_path: Path) -> None:
    cases = [
        (["hello_world", "mbed", "--target", "qemu_cortex_m4"],
         'board "qemu_cortex_m4" does not support the "mbed" export; it supports: cmake, make'),
        (["hello_world", "cmake", "--target", "qemu_cortex_m9"], 'unknown TARGET "qemu_cortex_m9"'),
        (["hello_wrld", "cmake", "--target", "qemu_cortex_m4"],
         'unknown example "hello_wrld" (did you mean "hello_world"?)'),
        (["hello_world", "cmake", "bogus", "--target", "qemu_cortex_m4"], "must be NAME=VALUE"),
    ]
    for words, message in cases:
        done = export(tree, *words, "-o", str(tmp_path / "never"))
        assert done.returncode == 2, done.output
        assert message in done.output, done.output
        assert "Traceback" not in done.output
    assert not (tmp_path / "never").exists()
