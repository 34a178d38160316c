"""Regenerating an unchanged project rewrites nothing; a changed option or build setting is
reflected; unsupported combinations fail with what the board supports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from export_support import offering, spec_for
from microforge.config import resolve
from microforge.export import KINDS, ExportError, parse_options, write_project
from microforge.export.api import export

BOARD = "qemu_cortex_m4"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def age(folder: Path) -> None:
    """Moves every file's timestamps a minute back, so any rewrite shows."""
    for path in folder.rglob("*"):
        if path.is_file():
            stamp = path.stat().st_mtime_ns - 60 * 10**9
            os.utime(path, ns=(stamp, stamp))


@pytest.mark.parametrize("kind", KINDS)
def test_unchanged_regeneration_rewrites_nothing(tree: Path, tmp_path: Path, kind: str) -> None:
    spec = offering(spec_for(tree, BOARD), kind)
    options = {"esp": {}, "mbed": {"mbed_target": "ARM_MPS2_M4"}}.get(kind, {})
    first = write_project(spec, kind, tmp_path, options)
    assert first.written and not first.unchanged
    age(tmp_path)
    before = snapshot(tmp_path)
    again = write_project(spec_for_again(tree, kind), kind, tmp_path, options)
    assert again.written == [] and again.removed == []
    assert snapshot(tmp_path) == before


def spec_for_again(tree: Path, kind: str):  # a fresh spec, as a second scons run makes
    return offering(spec_for(tree, BOARD), kind)


def test_changed_option_is_reflected(tree: Path, tmp_path: Path) -> None:
    spec = spec_for(tree, BOARD)
    write_project(spec, "cmake", tmp_path)
    age(tmp_path)
    before = snapshot(tmp_path)
    report = write_project(spec, "cmake", tmp_path, {"minimum_version": "3.25"})
    assert [str(p) for p in report.written] == ["CMakeLists.txt"]
    assert "cmake_minimum_required(VERSION 3.25)" in (tmp_path / "CMakeLists.txt").read_text()
    after = snapshot(tmp_path)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"CMakeLists.txt"}


def test_changed_build_setting_is_reflected(tree: Path, tmp_path: Path) -> None:
    write_project(spec_for(tree, BOARD), "make", tmp_path)
    default_flags = (tmp_path / "Makefile").read_text()
    release = spec_for(tree, BOARD, BUILD_TYPE="release")
    report = write_project(release, "make", tmp_path)
    assert [str(p) for p in report.written] == ["Makefile"]
    text = (tmp_path / "Makefile").read_text()
    assert text != default_flags
    for flag in release.cflags:
        assert flag in text


def test_changed_idf_target_is_reflected(tree: Path, tmp_path: Path) -> None:
    spec = offering(spec_for(tree, BOARD), "esp")
    write_project(spec, "esp", tmp_path)
    assert 'CONFIG_IDF_TARGET="esp32"' in (tmp_path / "sdkconfig.defaults").read_text()
    report = write_project(spec, "esp", tmp_path, parse_options(["idf_target=esp32c3"]))
    assert [str(p) for p in report.written] == ["sdkconfig.defaults"]
    assert 'CONFIG_IDF_TARGET="esp32c3"' in (tmp_path / "sdkconfig.defaults").read_text()


def test_unsupported_kind_lists_what_the_board_supports(tree: Path, tmp_path: Path) -> None:
    config = resolve({"TARGET": BOARD}, tree, find_tools=False)
    unsupported = [k for k in KINDS if k not in config.board.exports]
    if not unsupported:
        pytest.fail(f"{BOARD} supports every kind; pick another board for this test")
    with pytest.raises(ExportError) as error:
        export(config, "hello_world", unsupported[0], out_dir=tmp_path)
    supported = ", ".join(config.board.exports)
    assert f'does not support the "{unsupported[0]}" export; it supports: {supported}' \
        in str(error.value)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("kind", "option", "message"), [
    ("cmk", [], 'unknown export kind "cmk" (did you mean "cmake"?)'),
    ("esp", ["idf_target=esp8266"], "is not one of esp32, esp32s3, esp32c3"),
    ("cmake", ["color=red"], 'has no option "color"; valid: minimum_version'),
    ("cmake", ["noequals"], "must be NAME=VALUE"),
])
def test_bad_kind_or_option_fails_clearly(tree: Path, tmp_path: Path, kind: str,
                                          option: list[str], message: str) -> None:
    spec = offering(spec_for(tree, BOARD), "esp")
    with pytest.raises(ExportError, match="") as error:
        write_project(spec, kind, tmp_path, parse_options(option))
    assert message in str(error.value)


def test_example_the_board_cannot_run_fails_clearly(tree: Path, tmp_path: Path) -> None:
    with pytest.raises(Exception) as error:
        spec_for(tree, BOARD, example="no_such_example")
    assert 'unknown example "no_such_example"' in str(error.value)
