"""ESP-IDF and Mbed OS do not exist here, so their exports are checked, not built:

- the CMake files run under `cmake -P` with the vendor functions (idf_component_register,
  project, mbed_*, ...) defined as recorders, and the recorded calls are exactly the build's
  file lists and flags;
- every source and include path they name exists in the project;
- exactly those sources compile with the cross compiler for the board's core. ESP32 is Xtensa,
  for which no compiler exists here: its sources compile with the same flags on a Cortex-M4
  stand-in, except the board's own ESP-IDF sources (they need ESP-IDF's headers);
- the JSON files parse and carry the build's defines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

import pytest
from export_support import compile_all, offering, spec_anyway, spec_for
from microforge.export import BuildSpec, write_project
from recorders import Call, keyword_lists, record_idf, record_mbed

#: Cortex-M4F with hard float: the stand-in core for Xtensa.
STAND_IN_CPU = ("-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard")


def rel(spec: BuildSpec, paths) -> list[str]:
    return [Path(p).resolve().relative_to(spec.root.resolve()).as_posix() for p in paths]


def without_cpu(spec: BuildSpec, flags) -> list[str]:
    return [f for f in flags if f not in spec.cpu_flags]


# --- ESP-IDF -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def esp(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildSpec, Path]:
    spec = offering(spec_anyway(tree, "esp32"), "esp")
    project = tmp_path_factory.mktemp("esp") / "project"
    write_project(spec, "esp", project)
    return spec, project


def test_esp_project_records_exactly_the_build(esp: tuple[BuildSpec, Path],
                                               tmp_path: Path) -> None:
    spec, project = esp
    calls = record_idf(project, tmp_path)
    runtime_flags = without_cpu(spec, spec.cflags)
    main_flags = without_cpu(spec, spec.all_cflags)
    assert [c.command for c in calls] == [
        "project", "idf_component_register", "target_compile_definitions",
        "target_compile_options", "idf_component_register", "target_compile_definitions",
        "target_compile_options"]
    assert calls[0].args == [spec.example]

    runtime = calls[1]
    assert runtime.args[0] == "microforge"
    lists = keyword_lists(runtime.args[1:], ("SRCS", "INCLUDE_DIRS"))
    assert lists["SRCS"] == rel(spec, spec.runtime_sources)
    assert "micro/include" in lists["INCLUDE_DIRS"]
    assert calls[2].args == ["__idf_microforge", "PUBLIC", *spec.defines]
    assert calls[3].args == ["__idf_microforge", "PRIVATE", *runtime_flags]

    main = calls[4]
    assert main.args[0] == "main"
    main_lists = keyword_lists(main.args[1:], ("SRCS", "INCLUDE_DIRS"))
    assert main_lists["SRCS"] == rel(spec, spec.board_sources + spec.example_sources) \
        + ["model/g_model.c"]
    assert calls[5].args == ["__idf_main", "PRIVATE", *spec.example_defines]
    assert calls[6].args == ["__idf_main", "PRIVATE", *main_flags]
    assert "-mlongcalls" in spec.cpu_flags and "-mlongcalls" not in main_flags

    for component, named in (("components/microforge", lists), ("main", main_lists)):
        for path in named["SRCS"]:
            assert (project / component / path).is_file(), f"{component}: {path} is missing"
        for folder in named["INCLUDE_DIRS"]:
            assert (project / component / folder).is_dir(), f"{component}: {folder} is missing"


def test_esp_sources_compile_on_a_cortex_m_stand_in(esp: tuple[BuildSpec, Path],
                                                    tmp_path: Path) -> None:
    spec, project = esp
    calls = record_idf(project, tmp_path / "record")
    runtime = keyword_lists(calls[1].args[1:], ("SRCS", "INCLUDE_DIRS"))
    main = keyword_lists(calls[4].args[1:], ("SRCS", "INCLUDE_DIRS"))
    runtime_dir = project / "components" / "microforge"
    public = [f"-I{runtime_dir / d}" for d in runtime["INCLUDE_DIRS"]]
    defines = [f"-D{d}" for d in spec.defines]
    compile_all([runtime_dir / s for s in runtime["SRCS"]],
                [*STAND_IN_CPU, *calls[3].args[2:], *defines, *public], tmp_path / "runtime")

    # The board's own sources are written against ESP-IDF (FreeRTOS, sdkconfig, Xtensa
    # registers): only those are left out on the stand-in.
    board = set(rel(spec, spec.board_sources)) - set(rel(spec, spec.platform_sources))
    sdk_only = [s for s in main["SRCS"] if s in board]
    assert sdk_only == sorted(board) and sdk_only, "the board's ESP-IDF sources"
    for source in sdk_only:
        text = (project / "main" / source).read_text()
        assert "ESP_PLATFORM" in text or "freertos" in text
    main_dir = project / "main"
    flags = [*STAND_IN_CPU, *calls[6].args[2:], *defines,
             *(f"-D{d}" for d in spec.example_defines),
             *(f"-I{main_dir / d}" for d in main["INCLUDE_DIRS"]), *public]
    compile_all([main_dir / s for s in main["SRCS"] if s not in board], flags, tmp_path / "main")


def test_esp_sdkconfig_defaults(esp: tuple[BuildSpec, Path]) -> None:
    spec, project = esp
    lines = (project / "sdkconfig.defaults").read_text().splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert settings == {"CONFIG_IDF_TARGET": '"esp32"',
                        "CONFIG_ESP_CONSOLE_UART_BAUDRATE": str(spec.serial_baud)}


# --- Mbed --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mbed(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildSpec, Path]:
    spec = offering(spec_for(tree, "disco_f746ng"), "mbed")
    project = tmp_path_factory.mktemp("mbed") / "project"
    write_project(spec, "mbed", project)
    return spec, project


def genex_flags(args: list[str], language: str) -> list[str]:
    """"$<$<COMPILE_LANGUAGE:C>:a;b>" (split into words by the call) -> [a, b]."""
    joined = ";".join(args)
    found = re.fullmatch(rf"\$<\$<COMPILE_LANGUAGE:{language}>:(.*)>", joined)
    assert found, joined
    return found.group(1).split(";")


def test_mbed_project_records_exactly_the_build(mbed: tuple[BuildSpec, Path],
                                                tmp_path: Path) -> None:
    spec, project = mbed
    calls = record_mbed(project, tmp_path)
    name = spec.example
    assert [(c.command, c.args[:1]) for c in calls] == [
        ("include", ["mbed_toolchain_setup"]), ("project", [name]),
        ("include", ["mbed_project_setup"]), ("add_subdirectory", ["mbed-os"]),
        ("add_library", ["microforge"]), ("target_include_directories", ["microforge"]),
        ("target_compile_options", ["microforge"]), ("target_link_libraries", ["microforge"]),
        ("add_executable", [name]), ("target_include_directories", [name]),
        ("target_compile_options", [name]), ("target_link_libraries", [name]),
        ("target_link_libraries", [name]), ("mbed_set_post_build", [name])]
    assert calls[0].args[1:] == ["MBED_TARGET=DISCO_F746NG", "MBED_APP_JSON_PATH=mbed_app.json"]
    assert calls[1].args[1:] == ["LANGUAGES", "C", "CXX", "ASM"]
    flags = without_cpu(spec, spec.all_cflags)

    library = calls[4].args[1:]
    assert library == ["STATIC", *rel(spec, spec.runtime_sources)]
    assert calls[5].args[1] == "PUBLIC"
    assert genex_flags(calls[6].args[2:], "C") == flags
    assert calls[7].args[1:] == ["PUBLIC", "mbed-core-flags"]

    sources = calls[8].args[1:]
    expected = rel(spec, spec.platform_sources + spec.example_sources) + ["model/g_model.c"]
    assert sources == expected + ["mbed/mf_board_mbed.cpp"]
    bare_metal = set(rel(spec, spec.board_sources)) - set(rel(spec, spec.platform_sources))
    assert bare_metal and not bare_metal & set(sources), "Mbed owns start-up"
    for source in library[1:] + sources:
        assert (project / source).is_file()
    assert calls[9].args[1] == "PRIVATE"
    for call in (calls[5], calls[9]):
        for folder in call.args[2:]:
            assert Path(folder).is_dir() and Path(folder).is_relative_to(project)
    assert genex_flags(calls[10].args[2:], "C") == flags
    assert calls[11].args[1:] == ["microforge"]
    assert calls[12].args[1:] == ["mbed-os"]


def test_mbed_json_and_lib_files(mbed: tuple[BuildSpec, Path]) -> None:
    spec, project = mbed
    app = json.loads((project / "mbed_app.json").read_text())
    assert app["macros"] == list(spec.all_defines)
    assert app["target_overrides"]["*"]["platform.stdio-baud-rate"] == spec.serial_baud
    lib = (project / "mbed-os.lib").read_text()
    assert re.fullmatch(r"https://github\.com/ARMmbed/mbed-os/#mbed-os-6\.\d+\.\d+\n", lib)
    assert (project / ".mbedignore").is_file()


def test_mbed_sources_compile_for_the_boards_core(mbed: tuple[BuildSpec, Path],
                                                  tmp_path: Path) -> None:
    spec, project = mbed
    calls = record_mbed(project, tmp_path / "record")
    sources = calls[4].args[2:] + calls[8].args[1:]
    c_sources = [s for s in sources if PurePosixPath(s).suffix == ".c"]
    dirs = calls[5].args[2:] + calls[9].args[2:]
    flags = [*spec.cpu_flags, *genex_flags(calls[10].args[2:], "C"),
             *(f"-D{d}" for d in spec.all_defines), *(f"-I{d}" for d in dirs)]
    compile_all([project / s for s in c_sources], flags, tmp_path / "objects")
    # The glue is C++ over Mbed's API (mbed.h): it is what Mbed OS provides the board with.
    glue = (project / "mbed" / "mf_board_mbed.cpp").read_text()
    for function in ("mf_board_init", "mf_board_write", "mf_board_ticks",
                     "mf_board_ticks_per_second", "mf_board_exit"):
        assert f" {function}(" in glue


def test_records_are_read_back_exactly(tmp_path: Path) -> None:
    """The recorder keeps arguments with spaces and quotes intact."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "CMakeLists.txt").write_text(
        "include($ENV{IDF_PATH}/tools/cmake/project.cmake)\n"
        'target_compile_options(x PRIVATE "-DA=\\"b c\\"" -O2)\nproject(demo)\n')
    (project / "main").mkdir()
    (project / "main" / "CMakeLists.txt").write_text("idf_component_register(SRCS a.c)\n")
    calls = record_idf(project, tmp_path)
    assert calls == [Call("target_compile_options", ["x", "PRIVATE", '-DA="b c"', "-O2"]),
                     Call("project", ["demo"]),
                     Call("idf_component_register", ["main", "SRCS", "a.c"])]
