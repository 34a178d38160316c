"""The cmake and make exports for qemu_cortex_m4 build with CMake and Make, and their firmware
runs in QEMU with the same output as the scons-built one."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_support import require_tools, run, run_firmware, scons, spec_for, symbol_sizes
from microforge.export import write_project

BOARD = "qemu_cortex_m4"
EXAMPLE = "hello_world"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tree: Path) -> tuple[Path, str, int]:
    """The scons-built firmware, its output and exit code in QEMU."""
    require_tools("arm-none-eabi-gcc", "qemu-system-arm")
    scons(tree, f"TARGET={BOARD}", EXAMPLE)
    elf = tree / "gen" / f"{BOARD}_default" / "bin" / f"{EXAMPLE}.elf"
    assert elf.is_file(), f"scons did not make {elf}"
    done = run_firmware(spec_for(tree, BOARD), elf, tree)
    assert done.returncode == 0, done.output
    assert "x_value:" in done.output
    return elf, done.output, done.returncode


def check_test_program(tree: Path, elf: Path) -> None:
    """The example's test program, built by the exported project, passes in QEMU."""
    done = run_firmware(spec_for(tree, BOARD), elf, elf.parent)
    assert done.returncode == 0, done.output
    assert "~~~ALL TESTS PASSED~~~" in done.output
    assert "MF-CASE" in done.output


def check_same_firmware(tree: Path, reference: tuple[Path, str, int], elf: Path) -> None:
    ref_elf, ref_output, ref_code = reference
    assert elf.is_file(), f"no firmware at {elf}"
    done = run_firmware(spec_for(tree, BOARD), elf, elf.parent)
    assert done.returncode == ref_code
    assert done.output == ref_output
    # Same sources and flags: every function and object has the same size as in the scons
    # build (only embedded paths, e.g. __FILE__, differ between the trees).
    assert symbol_sizes(elf) == symbol_sizes(ref_elf)


def test_cmake_export_builds_the_same_firmware(tree: Path, tmp_path: Path,
                                               reference: tuple[Path, str, int]) -> None:
    require_tools("cmake", "ninja")
    project = tmp_path / "cmake"
    write_project(spec_for(tree, BOARD), "cmake", project)
    # Self-contained: nothing reaches back into the tree the project came from.
    assert str(tree) not in (project / "CMakeLists.txt").read_text()
    build = tmp_path / "cmake-build"
    run(["cmake", "-S", project, "-B", build, "-G", "Ninja"], cwd=tmp_path)
    run(["cmake", "--build", build, "-j2"], cwd=tmp_path)
    check_same_firmware(tree, reference, build / f"{EXAMPLE}.elf")
    assert (build / f"{EXAMPLE}.bin").stat().st_size > 0
    check_test_program(tree, build / f"{EXAMPLE}_test.elf")


def test_make_export_builds_the_same_firmware(tree: Path, tmp_path: Path,
                                              reference: tuple[Path, str, int]) -> None:
    require_tools("make")
    project = tmp_path / "make"
    write_project(spec_for(tree, BOARD), "make", project)
    assert str(tree) not in (project / "Makefile").read_text()
    run(["make", "-j2"], cwd=project)
    elf = project / "build" / f"{EXAMPLE}.elf"
    check_same_firmware(tree, reference, elf)
    assert (project / "build" / f"{EXAMPLE}.bin").stat().st_size > 0
    check_test_program(tree, project / "build" / f"{EXAMPLE}_test.elf")
    # Nothing to do on a second run; a regenerated Makefile with other flags rebuilds.
    assert "Nothing to be done" in run(["make", "-j2"], cwd=project).output
    spec = spec_for(tree, BOARD, BUILD_TYPE="release")
    write_project(spec, "make", project)
    planned = run(["make", "-n"], cwd=project).output   # what make would run now
    for flag in spec.cflags:
        assert flag in planned
    assert "-c micro/core/interpreter.c" in planned

