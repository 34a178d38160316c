"""The PlatformIO export: PlatformIO's own ProjectConfig validates it, and an offline `pio run`
builds the emulated Cortex-M4 environment into firmware that runs in QEMU like the scons one;
`pio test` runs the example's device test in QEMU through the exported custom test runner."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from export_support import (
    offering,
    require_tools,
    run,
    run_firmware,
    scons,
    spec_anyway,
    spec_for,
    symbol_sizes,
)
from microforge.export import write_project
from pio_offline import OfflinePio, make_offline_pio
from platformio.package.manifest.parser import ManifestParserFactory
from platformio.project.config import ProjectConfig

BOARD = "qemu_cortex_m4"
EXAMPLE = "hello_world"
#: Real boards with an official or community PlatformIO platform, when the tree has them.
REAL_BOARDS = ("disco_f746ng", "sparkfun_edge", "esp32")
PIO_TIMEOUT_S = 600


def all_board_specs(tree: Path) -> dict:
    specs = {}
    for board in REAL_BOARDS:
        if (tree / "targets" / board / "board.toml").is_file():
            specs[board] = offering(spec_anyway(tree, board), "platformio")
    return specs


@pytest.fixture(scope="module")
def project(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pio") / "project"
    spec = offering(spec_for(tree, BOARD), "platformio")
    write_project(spec, "platformio", folder, board_specs=lambda: all_board_specs(tree))
    return folder


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> OfflinePio:
    require_tools("arm-none-eabi-gcc")
    return make_offline_pio(tmp_path_factory.mktemp("pio-offline"))


def test_platformio_validates_the_project(project: Path, tree: Path) -> None:
    config = ProjectConfig(str(project / "platformio.ini"))
    config.validate()
    envs = config.envs()
    assert BOARD in envs
    expected = {BOARD, *all_board_specs(tree)}
    assert set(envs) == expected
    assert config.get("platformio", "default_envs") == [BOARD]
    official = {"disco_f746ng": ("ststm32", "disco_f746ng"),
                "esp32": ("espressif32", "esp32dev"),
                "sparkfun_edge": ("https://github.com/nigelb/platform-apollo3blue.git",
                                  "SparkFun_Edge")}
    for env in envs:
        section = f"env:{env}"
        if env in official:
            assert (config.get(section, "platform"), config.get(section, "board")) \
                == official[env]
        for lib in config.get(section, "lib_deps"):
            manifest = ManifestParserFactory.new_from_file(
                str(project / "lib" / lib / "library.json")).as_dict()
            assert manifest["name"] == lib
        flags = config.get(section, "build_flags") + config.get(section, "build_src_flags")
        for flag in flags:
            if flag.startswith("-I"):
                assert (project / flag[2:]).is_dir(), f"{env}: {flag} names a missing folder"
        script = config.get(section, "board_build.ldscript", None)
        if script:
            assert (project / script).is_file()
    # The emulated platform's board and the QEMU test command come from the board data.
    platform = project / "platforms" / "microforge-emulated"
    board = json.loads((platform / "boards" / f"{BOARD}.json").read_text())
    assert board["build"]["cpu"] == "cortex-m4"
    command = config.get(f"env:{BOARD}", "test_testing_command")
    assert command[0] == "qemu-system-arm"
    assert command[-1].endswith(f"/{BOARD}/firmware.elf")


def test_library_manifests_are_platformio_manifests(project: Path) -> None:
    for manifest in sorted((project / "lib").glob("*/library.json")):
        data = ManifestParserFactory.new_from_file(str(manifest)).as_dict()
        assert data["name"] == manifest.parent.name
        assert data["version"]


@pytest.mark.slow
def test_offline_pio_run_builds_firmware_that_runs_in_qemu(
        project: Path, tree: Path, offline: OfflinePio, tmp_path: Path) -> None:
    require_tools("qemu-system-arm")
    config = offline.offline_config(project, tmp_path, [BOARD])
    done = run(["pio", "run", "-d", project, "-c", config, "-e", BOARD], cwd=project,
               timeout=PIO_TIMEOUT_S, env=offline.env)
    assert "[SUCCESS]" in done.output
    elf = project / ".pio" / "build" / BOARD / "firmware.elf"
    assert (project / ".pio" / "build" / BOARD / "firmware.bin").stat().st_size > 0

    scons(tree, f"TARGET={BOARD}", EXAMPLE)
    reference_elf = tree / "gen" / f"{BOARD}_default" / "bin" / f"{EXAMPLE}.elf"
    spec = spec_for(tree, BOARD)
    reference = run_firmware(spec, reference_elf, tree)
    firmware = run_firmware(spec, elf, project)
    assert reference.returncode == 0
    assert firmware.returncode == reference.returncode
    assert firmware.output == reference.output
    assert symbol_sizes(elf) == symbol_sizes(reference_elf)


@pytest.mark.slow
def test_offline_pio_test_runs_the_device_test_in_qemu(
        project: Path, offline: OfflinePio, tmp_path: Path) -> None:
    require_tools("qemu-system-arm")
    config = offline.offline_config(project, tmp_path, [BOARD])
    done = run(["pio", "test", "-d", project, "-c", config, "-e", BOARD], cwd=project,
               timeout=PIO_TIMEOUT_S, env=offline.env)
    assert re.search(rf"{BOARD}\s+test_{EXAMPLE}_test\s+PASSED", done.output), done.output
    cases = re.search(r"(\d+) test cases: (\d+) succeeded", done.output)
    assert cases and cases.group(1) == cases.group(2) and int(cases.group(1)) > 0


def load_runner(project: Path):
    path = project / "test" / "test_custom_runner.py"
    module_spec = importlib.util.spec_from_file_location("mf_pio_test_runner", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    return module.CustomTestRunner


def test_custom_runner_reads_the_test_protocol(project: Path) -> None:
    from platformio.test.result import TestStatus, TestSuite

    runner_class = load_runner(project)
    runner = runner_class.__new__(runner_class)   # no platform needed to parse lines
    runner.test_suite = TestSuite(BOARD, "test_x")
    runner.options = type("Options", (), {"verbose": 0})()
    runner._testing_output_buffer = ""
    runner.on_testing_data_output(
        b"boot\nMF-CASE maps PASS\nMF-CASE sine FAIL hello_world_test.c:42 y=0.5 not 0.7\n"
        b"MF-SUMMARY passed=1 failed=1\n~~~SOME TESTS FAILED~~~\n")
    cases = runner.test_suite.cases
    assert [(c.name, c.status) for c in cases] == [("maps", TestStatus.PASSED),
                                                   ("sine", TestStatus.FAILED)]
    assert cases[1].source.filename == "hello_world_test.c" and cases[1].source.line == 42
    assert cases[1].message == "y=0.5 not 0.7"
    assert runner.test_suite.is_finished()

    faulted = runner_class.__new__(runner_class)
    faulted.test_suite = TestSuite(BOARD, "test_y")
    faulted.options = runner.options
    faulted._testing_output_buffer = ""
    faulted.on_testing_data_output(b"MF-FAULT pc=0x00000100 lr=0x0 xpsr=0x0\n")
    assert [c.status for c in faulted.test_suite.cases] == [TestStatus.ERRORED]
    assert faulted.test_suite.is_finished()
